// Thinking signatures go back only to the provider that issued them. A
// multi-turn conversation whose first turn another upstream served (a Gemini
// thoughtSignature, Codex encrypted reasoning) continues on a Claude upstream
// without Claude's 400 "Invalid signature in thinking block" — the mock Claude
// accepts only the signatures it issued (claude-validate.ts) and enforces the
// tool-loop thinking rule — while a Claude-served first turn keeps its
// signature. Claude clients to a Claude upstream are piped: the gateway leaves
// out those blocks there too.
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI, type Content } from '@google/genai';
import t from 'tap';
import { CLAUDE_MOCK_SIGNATURE, CLAUDE_MOCK_THINKING } from '../mocks/claude-upstream.js';
import { CODEX_MOCK_ENCRYPTED } from '../mocks/codex-upstream.js';
import { GEMINI_MOCK_SIGNATURE } from '../mocks/gemini-upstream.js';
import { alias, only, startMatrix, type UpstreamKind } from '../helpers/matrix.js';

const m = await startMatrix();
t.teardown(() => m.close());
const anthropic = new Anthropic({ baseURL: m.gw.url, apiKey: 'client-key', maxRetries: 0 });
const genai = new GoogleGenAI({ apiKey: 'client-key', httpOptions: { baseUrl: m.gw.url, retryOptions: { attempts: 1 } } });

const thinking = { type: 'enabled' as const, budget_tokens: 2048 };
const question = { role: 'user' as const, content: 'think first' };

/** Turn one, served by `kind`, streamed as Claude Code does. */
async function firstTurn(kind: UpstreamKind): Promise<Anthropic.ContentBlock[]> {
  const msg = await anthropic.messages.stream({ model: alias(kind, 'think'), max_tokens: 4096, thinking, messages: [question] }).finalMessage();
  return msg.content;
}

const thinkingOf = (content: unknown): any[] => (Array.isArray(content) ? content.filter((b: any) => b?.type === 'thinking') : []);

const ISSUED: Record<string, string> = {
  gemini: `cliproxy-gemini:${GEMINI_MOCK_SIGNATURE}`,
  codex: `cliproxy-enc:${CODEX_MOCK_ENCRYPTED}`,
};

for (const kind of ['gemini', 'codex'] as const) {
  t.test(`Anthropic SDK: a ${kind}-served thinking turn, then Claude`, async (t) => {
    const content = await firstTurn(kind);
    const th = content.find((b): b is Anthropic.ThinkingBlock => b.type === 'thinking');
    t.equal(th?.signature, ISSUED[kind], `the ${kind} signature reaches the client tagged as not Claude's`);
    for (const stream of [false, true]) {
      const params: Anthropic.MessageCreateParams = {
        model: alias('claude', 'echo'),
        max_tokens: 4096,
        thinking,
        messages: [question, { role: 'assistant', content }, { role: 'user', content: 'and now?' }],
      };
      const { result, requests } = await m.seen('claude', async () =>
        stream ? anthropic.messages.stream(params).finalMessage().catch((e: unknown) => e) : anthropic.messages.create(params).catch((e: unknown) => e),
      );
      t.notOk(result instanceof Error, `stream=${stream}: Claude accepts the conversation (${result instanceof Error ? result.message : 'ok'})`);
      const up = only(t, requests).body;
      t.same(thinkingOf(up.messages[1]?.content), [], `stream=${stream}: the foreign thinking block is left out`);
      t.match(up.messages[1], { role: 'assistant', content: [{ type: 'text', text: 'echo: think first' }] }, `stream=${stream}: the answer text stays`);
      t.match(up.thinking, thinking, `stream=${stream}: thinking stays on (no tool loop needs it)`);
    }
    // Back on the issuer, the state still goes home.
    const { requests } = await m.seen(kind, () =>
      anthropic.messages.create({ model: alias(kind, 'echo'), max_tokens: 4096, thinking, messages: [question, { role: 'assistant', content }, { role: 'user', content: 'and now?' }] }),
    );
    const up = only(t, requests).body;
    if (kind === 'gemini') t.ok((up.contents[1].parts as any[]).some((p) => p.thoughtSignature === GEMINI_MOCK_SIGNATURE), 'Gemini gets its thoughtSignature back');
    else t.ok((up.input as any[]).some((i) => i.type === 'reasoning' && i.encrypted_content === CODEX_MOCK_ENCRYPTED), 'Codex gets its encrypted reasoning back');
  });

  t.test(`Anthropic SDK: a ${kind}-signed thought before a tool call, the loop continued on Claude`, async (t) => {
    const content = await firstTurn(kind);
    const foreign = content.find((b) => b.type === 'thinking')!;
    const messages: Anthropic.MessageParam[] = [
      { role: 'user', content: 'weather?' },
      { role: 'assistant', content: [foreign, { type: 'tool_use', id: 'toolu_loop1', name: 'get_weather', input: { city: 'Paris' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_loop1', content: 'sunny' }] },
    ];
    const { result, requests } = await m.seen('claude', () =>
      anthropic.messages.create({ model: alias('claude', 'result'), max_tokens: 4096, thinking, messages }).catch((e: unknown) => e),
    );
    t.notOk(result instanceof Error, `Claude accepts the tool loop (${result instanceof Error ? result.message : 'ok'})`);
    const up = only(t, requests).body;
    t.same(thinkingOf(up.messages[1].content), [], 'the foreign thought is left out');
    t.equal(up.thinking, undefined, 'thinking is off for this request, as Claude requires of a loop without its thought');
    t.match(JSON.parse((result as Anthropic.Message).content.map((b) => (b.type === 'text' ? b.text : '')).join('')), [{ tool_use_id: 'toolu_loop1' }]);
  });
}

t.test('Anthropic SDK: a Claude-served thinking turn keeps its signature on the next turn', async (t) => {
  const content = await firstTurn('claude');
  t.match(content[0], { type: 'thinking', thinking: CLAUDE_MOCK_THINKING, signature: CLAUDE_MOCK_SIGNATURE });
  const { result, requests } = await m.seen('claude', () =>
    anthropic.messages.create({ model: alias('claude', 'echo'), max_tokens: 4096, thinking, messages: [question, { role: 'assistant', content }, { role: 'user', content: 'and now?' }] }),
  );
  t.equal(result.stop_reason, 'end_turn');
  const up = only(t, requests).body;
  t.same(thinkingOf(up.messages[1].content), [{ type: 'thinking', thinking: CLAUDE_MOCK_THINKING, signature: CLAUDE_MOCK_SIGNATURE }], 'signed thinking block sent back intact');
  // And in an open tool loop the signed thought keeps thinking on.
  const loop = await m.seen('claude', () =>
    anthropic.messages.create({
      model: alias('claude', 'result'),
      max_tokens: 4096,
      thinking,
      messages: [
        { role: 'user', content: 'weather?' },
        { role: 'assistant', content: [content[0]!, { type: 'tool_use', id: 'toolu_loop2', name: 'get_weather', input: { city: 'Paris' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_loop2', content: 'sunny' }] },
      ],
    }),
  );
  const body = only(t, loop.requests).body;
  t.match(body.thinking, thinking, 'thinking stays on');
  t.equal(body.messages[1].content[0].signature, CLAUDE_MOCK_SIGNATURE);
});

t.test('the mock Claude refuses a signature it did not issue (what the gateway now avoids)', async (t) => {
  const res = await fetch(`${m.mocks.claude.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({
      model: 'echo',
      max_tokens: 4096,
      thinking,
      messages: [question, { role: 'assistant', content: [{ type: 'thinking', thinking: 'x', signature: GEMINI_MOCK_SIGNATURE }, { type: 'text', text: 'y' }] }, { role: 'user', content: 'z' }],
    }),
  });
  t.equal(res.status, 400);
  t.match(await res.json(), { error: { message: /Invalid `signature` in `thinking` block/ } });
});

t.test('Gemini SDK: a Gemini-served thought, then Claude; a Claude-served thought, then Claude', async (t) => {
  const config = { thinkingConfig: { includeThoughts: true, thinkingBudget: 2048 } };
  const turn = async (history: Content[]) =>
    m.seen('claude', () => genai.models.generateContent({ model: alias('claude', 'echo'), contents: [{ role: 'user', parts: [{ text: 'think first' }] }, ...history, { role: 'user', parts: [{ text: 'and now?' }] }], config }));
  const fromGemini = await genai.models.generateContent({ model: alias('gemini', 'think'), contents: 'think first', config });
  t.ok(fromGemini.candidates![0]!.content!.parts!.some((p) => p.thoughtSignature === GEMINI_MOCK_SIGNATURE), "Gemini's own signature, untagged");
  const g = await turn([fromGemini.candidates![0]!.content!]);
  t.equal(g.result.text, 'echo: and now?');
  t.same(thinkingOf(only(t, g.requests).body.messages[1]?.content), [], 'no Gemini-signed thinking block reaches Claude');
  const fromClaude = await genai.models.generateContent({ model: alias('claude', 'think'), contents: 'think first', config });
  const c = await turn([fromClaude.candidates![0]!.content!]);
  t.match(thinkingOf(only(t, c.requests).body.messages[1]?.content), [{ signature: CLAUDE_MOCK_SIGNATURE }], "Claude's own signature goes back to Claude");
});
