// Piped (same-format) requests carry no thinking signature the upstream did
// not issue. A Gemini client whose earlier turn Claude answered holds a
// thoughtSignature tagged cliproxy-claude:; sent on to a Gemini upstream it
// leaves that tag behind (so does a Code Assist client to a Code Assist
// account; a function call's foreign signature becomes Gemini's documented
// skip value, which Gemini 3 wants there). A Claude client's thinking blocks signed by Gemini
// (cliproxy-gemini:) or Codex (cliproxy-enc:) never reach Claude — also when
// the body is large enough to be parsed in the worker, where Claude Code's
// `role: "system"` messages are folded as on the main thread.
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI, type Content } from '@google/genai';
import t from 'tap';
import { CLAUDE_MOCK_SIGNATURE, CLAUDE_MOCK_THINKING } from '../mocks/claude-upstream.js';
import { CODEX_MOCK_ENCRYPTED } from '../mocks/codex-upstream.js';
import { GEMINI_MOCK_SIGNATURE } from '../mocks/gemini-upstream.js';

// Read once when the gateway's modules load: set before importing them.
const THRESHOLD = 64 * 1024;
process.env['CLIPROXY_OFFLOAD_THRESHOLD'] = String(THRESHOLD);
const { alias, only, startMatrix } = await import('../helpers/matrix.js');

const m = await startMatrix();
t.teardown(() => m.close());

const anthropic = new Anthropic({ baseURL: m.gw.url, apiKey: 'client-key', maxRetries: 0 });
const genai = new GoogleGenAI({ apiKey: 'client-key', httpOptions: { baseUrl: m.gw.url, retryOptions: { attempts: 1 } } });
const PAD = 'p'.repeat(THRESHOLD * 2);
const TAGGED_CLAUDE = `cliproxy-claude:${CLAUDE_MOCK_SIGNATURE}`;

const signaturesIn = (body: unknown): string[] => [...JSON.stringify(body).matchAll(/"thought_?[sS]ignature":"([^"]*)"/g)].map((x) => x[1]!);

t.test('Gemini SDK: a Claude-served thought, then a piped Gemini turn (small and offloaded)', async (t) => {
  const config = { thinkingConfig: { includeThoughts: true, thinkingBudget: 2048 } };
  const first = await genai.models.generateContent({ model: alias('claude', 'think'), contents: 'think first', config });
  const turn1 = first.candidates![0]!.content!;
  t.ok(turn1.parts!.some((p) => p.thoughtSignature === TAGGED_CLAUDE), 'the Claude signature reaches the Gemini client tagged');
  for (const last of ['and now?', `and now? ${PAD}`]) {
    const label = last.length > THRESHOLD ? 'offloaded' : 'small';
    const history: Content[] = [{ role: 'user', parts: [{ text: 'think first' }] }, turn1, { role: 'user', parts: [{ text: last }] }];
    const { result, requests } = await m.seen('gemini', () => genai.models.generateContent({ model: alias('gemini', 'echo'), contents: history, config }));
    t.match(result.text, /^echo: and now\?/, `${label}: answered`);
    const up = only(t, requests).body;
    t.same(signaturesIn(up).filter((s) => s.startsWith('cliproxy-')), [], `${label}: no gateway-tagged signature reaches Gemini`);
    t.match(up.contents[1], { role: 'model', parts: [{ text: CLAUDE_MOCK_THINKING, thought: true }] }, `${label}: the thought text stays, unsigned`);
    t.notOk('thoughtSignature' in up.contents[1].parts[0], `${label}: its foreign signature is gone`);
  }
  // Gemini's own signatures are untouched on the piped path.
  const own = await genai.models.generateContent({ model: alias('gemini', 'think'), contents: 'think first', config });
  const { requests } = await m.seen('gemini', () =>
    genai.models.generateContent({ model: alias('gemini', 'echo'), contents: [{ role: 'user', parts: [{ text: 'think first' }] }, own.candidates![0]!.content!, { role: 'user', parts: [{ text: 'more' }] }], config }),
  );
  t.ok(signaturesIn(only(t, requests).body).includes(GEMINI_MOCK_SIGNATURE), "Gemini's own thoughtSignature goes back as it came");
});

t.test('Anthropic SDK: Gemini- and Codex-signed thinking, then a piped Claude turn over the offload threshold', async (t) => {
  const thinking = { type: 'enabled' as const, budget_tokens: 2048 };
  const question = { role: 'user' as const, content: 'think first' };
  const fromGemini = await anthropic.messages.create({ model: alias('gemini', 'think'), max_tokens: 4096, thinking, messages: [question] });
  const fromCodex = await anthropic.messages.create({ model: alias('codex', 'think'), max_tokens: 4096, thinking, messages: [question] });
  t.match(fromGemini.content, [{ type: 'thinking', signature: `cliproxy-gemini:${GEMINI_MOCK_SIGNATURE}` }]);
  t.match(fromCodex.content, [{ type: 'thinking', signature: `cliproxy-enc:${CODEX_MOCK_ENCRYPTED}` }]);
  const messages = [
    question,
    { role: 'assistant', content: fromGemini.content },
    { role: 'user', content: 'go on' },
    { role: 'assistant', content: fromCodex.content },
    // Claude Code 2.1 puts reminders in as system messages; the Messages API refuses them there.
    { role: 'system', content: 'Reminder: be brief.' },
    { role: 'user', content: `and now? ${PAD}` },
  ] as unknown as Anthropic.MessageParam[];
  t.ok(JSON.stringify(messages).length > THRESHOLD, 'over the offload threshold');
  for (const stream of [false, true]) {
    const params: Anthropic.MessageCreateParams = { model: alias('claude', 'echo'), max_tokens: 4096, thinking, system: 'Be helpful.', messages };
    const { result, requests } = await m.seen('claude', async () =>
      (stream ? anthropic.messages.stream(params).finalMessage() : anthropic.messages.create(params)).catch((e: unknown) => e),
    );
    t.notOk(result instanceof Error, `stream=${stream}: Claude accepts the conversation (${result instanceof Error ? result.message : 'ok'})`);
    const up = only(t, requests).body;
    const blocks = JSON.stringify(up.messages);
    t.notOk(blocks.includes('"type":"thinking"'), `stream=${stream}: no foreign thinking block reaches Claude`);
    t.notOk(blocks.includes('cliproxy-'), `stream=${stream}: no gateway tag reaches Claude`);
    t.notOk((up.messages as any[]).some((x) => x.role === 'system'), `stream=${stream}: no system message inside messages`);
    t.equal(up.system, 'Be helpful.', `stream=${stream}: the top-level system as sent`);
    const lastTurn = (up.messages as any[]).at(-1);
    t.match(lastTurn, { role: 'user', content: [{ type: 'text', text: /Reminder: be brief\./ }] }, `stream=${stream}: the later system message rides in the user turn as a note`);
  }
});

t.test('Anthropic SDK: a Claude-signed thought in an offloaded piped body keeps its signature', async (t) => {
  const thinking = { type: 'enabled' as const, budget_tokens: 2048 };
  const own = await anthropic.messages.create({ model: alias('claude', 'think'), max_tokens: 4096, thinking, messages: [{ role: 'user', content: 'think first' }] });
  const { requests } = await m.seen('claude', () =>
    anthropic.messages.create({
      model: alias('claude', 'echo'),
      max_tokens: 4096,
      thinking,
      messages: [{ role: 'user', content: 'think first' }, { role: 'assistant', content: own.content }, { role: 'user', content: `more ${PAD}` }],
    }),
  );
  t.match(only(t, requests).body.messages[1].content, [{ type: 'thinking', thinking: CLAUDE_MOCK_THINKING, signature: CLAUDE_MOCK_SIGNATURE }]);
});

t.test('Code Assist (Gemini CLI) client to a Code Assist account: tags left behind, small and offloaded', async (t) => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const { startMockGemini } = await import('../mocks/gemini-upstream.js');
  const { gatewayFromYaml } = await import('../helpers/gateway.js');
  const FAR = new Date(Date.now() + 30 * 86400_000).toISOString();
  const dir = mkdtempSync(path.join(tmpdir(), 'cliproxy-piped-sig-'));
  writeFileSync(path.join(dir, 'gemini.json'), JSON.stringify({ type: 'gemini', email: 'g@x.test', project_id: 'proj-9', token: { access_token: 'gat', refresh_token: 'r', expiry: FAR } }), { mode: 0o600 });
  const upstream = await startMockGemini();
  const gw = await gatewayFromYaml([`auth-dir: "${dir}"`, `oauth-endpoints: { gemini-cli: { api-url: "${upstream.url}" } }`].join('\n'));
  t.teardown(async () => {
    await gw.close();
    await upstream.close();
  });
  for (const last of ['and now?', `and now? ${PAD}`]) {
    const label = last.length > THRESHOLD ? 'offloaded' : 'small';
    const body = {
      model: 'gemini-2.5-pro',
      project: 'client-proj',
      request: {
        contents: [
          { role: 'user', parts: [{ text: 'think first' }] },
          { role: 'model', parts: [{ text: 'hm', thought: true, thoughtSignature: TAGGED_CLAUDE }, { functionCall: { name: 'ls', args: {} }, thoughtSignature: 'cliproxy-enc:abc' }] },
          { role: 'user', parts: [{ functionResponse: { name: 'ls', response: { files: [] } } }] },
          { role: 'model', parts: [{ text: 'ok', thoughtSignature: GEMINI_MOCK_SIGNATURE }] },
          { role: 'user', parts: [{ text: last }] },
        ],
      },
    };
    const before = upstream.requests.length;
    const res = await fetch(`${gw.url}/v1internal:generateContent`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await res.arrayBuffer();
    t.equal(res.status, 200, `${label}: answered`);
    const up = upstream.requests.slice(before).find((r) => r.url.includes(':generateContent'))!.body;
    t.match(up, { project: 'proj-9', model: 'gemini-2.5-pro' }, `${label}: the account's project`);
    t.same(signaturesIn(up), ['skip_thought_signature_validator', GEMINI_MOCK_SIGNATURE], `${label}: the call's foreign signature replaced by the skip value, Gemini's own kept`);
    t.match(up.request.contents[1].parts[0], { text: 'hm', thought: true }, `${label}: the thought text stays`);
  }
});
