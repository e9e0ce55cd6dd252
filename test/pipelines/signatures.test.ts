// Reasoning signatures keep their issuer across turns (IRSignatureOrigin):
// Claude accepts only its own ("Invalid signature in thinking block"
// otherwise), Gemini only its own. A client whose signature field belongs to
// another provider gets a foreign signature tagged (cliproxy-gemini:,
// cliproxy-enc: for Claude clients; cliproxy-claude: for Gemini clients), and
// the tag tells the request decoder where it goes back to.
import t from 'tap';
import { decodeStreamBody, getCodec, translateEvents } from '../../pipelines/index.js';
import { dropUnsignedThinking, pipedClaudeBody } from '../../pipelines/formats/claude/index.js';
import type { IREvent, IRRequest } from '../../pipelines/ir.js';

type J = Record<string, any>;
const claude = getCodec('claude');
const gemini = getCodec('gemini');

const REQ: IRRequest = { model: 'm', system: [], messages: [], stream: false, extras: {} };

/** A one-thought answer from `upstream`, as the `client` format's non-stream body. */
function answer(upstream: 'claude' | 'gemini' | 'codex', client: 'claude' | 'gemini'): J {
  let events: IREvent[];
  if (upstream === 'claude') {
    events = claude.decodeResponse({ id: 'msg_1', model: 'c', content: [{ type: 'thinking', thinking: 'hmm', signature: 'SIG_C' }, { type: 'text', text: 'hi' }], stop_reason: 'end_turn', usage: { input_tokens: 1, output_tokens: 1 } });
  } else if (upstream === 'gemini') {
    events = gemini.decodeResponse({ candidates: [{ content: { role: 'model', parts: [{ text: 'hmm', thought: true, thoughtSignature: 'SIG_G' }, { text: 'hi' }] }, finishReason: 'STOP' }] });
  } else {
    const ev = (type: string, o: J) => `event: ${type}\ndata: ${JSON.stringify({ type, ...o })}\n\n`;
    const rs = { id: 'rs_1', type: 'reasoning', summary: [{ type: 'summary_text', text: 'hmm' }], encrypted_content: 'ENC_X' };
    const msg = { id: 'msg_1', type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'hi', annotations: [] }] };
    const sse =
      ev('response.created', { response: { id: 'r', status: 'in_progress', output: [] } }) +
      ev('response.output_item.done', { output_index: 0, item: rs }) +
      ev('response.output_item.done', { output_index: 1, item: msg }) +
      ev('response.completed', { response: { id: 'r', status: 'completed', output: [rs, msg], usage: { input_tokens: 1, output_tokens: 1 } } });
    events = decodeStreamBody(getCodec('codex'), 'sse', sse);
  }
  const r = translateEvents(getCodec(client), events, REQ);
  t.equal(r.status, 200);
  return r.body as J;
}

t.test('a Claude client: Claude signatures as issued, others tagged, and each goes back only to its issuer', async (t) => {
  const sig = (b: J) => (b.content as J[]).find((x) => x.type === 'thinking')?.signature;
  t.equal(sig(answer('claude', 'claude')), 'SIG_C');
  t.equal(sig(answer('gemini', 'claude')), 'cliproxy-gemini:SIG_G');
  t.equal(sig(answer('codex', 'claude')), 'cliproxy-enc:ENC_X');
  for (const [from, s] of [['claude', 'SIG_C'], ['gemini', 'cliproxy-gemini:SIG_G'], ['codex', 'cliproxy-enc:ENC_X']] as const) {
    const body = {
      model: 'm',
      max_tokens: 4096,
      thinking: { type: 'enabled', budget_tokens: 2048 },
      messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content: [{ type: 'thinking', thinking: 'hmm', signature: s }, { type: 'text', text: 'hi' }] }, { role: 'user', content: 'more' }],
    };
    const req = claude.decodeRequest(body);
    const toClaude = claude.encodeRequest(req) as J;
    const thoughts = (toClaude.messages[1].content as J[]).filter((b) => b.type === 'thinking');
    t.same(thoughts, from === 'claude' ? [{ type: 'thinking', thinking: 'hmm', signature: 'SIG_C' }] : [], `${from}: to Claude`);
    const toGemini = gemini.encodeRequest(req) as J;
    const sigs = (toGemini.contents[1].parts as J[]).map((p) => p.thoughtSignature).filter(Boolean);
    t.same(sigs, from === 'gemini' ? ['SIG_G'] : [], `${from}: to Gemini`);
    const toCodex = getCodec('codex').encodeRequest(req) as J;
    t.same((toCodex.input as J[]).filter((i) => i.type === 'reasoning').map((i) => i.encrypted_content), from === 'codex' ? ['ENC_X'] : [], `${from}: to Codex`);
  }
});

t.test('a Gemini client: Claude signatures come tagged and go back to Claude only', async (t) => {
  const thought = (b: J) => (b.candidates[0].content.parts as J[]).find((p) => p.thought)?.thoughtSignature;
  t.equal(thought(answer('gemini', 'gemini')), 'SIG_G');
  t.equal(thought(answer('claude', 'gemini')), 'cliproxy-claude:SIG_C');
  for (const [from, s] of [['claude', 'cliproxy-claude:SIG_C'], ['gemini', 'SIG_G']] as const) {
    const req = gemini.decodeRequest({
      contents: [{ role: 'user', parts: [{ text: 'q' }] }, { role: 'model', parts: [{ text: 'hmm', thought: true, thoughtSignature: s }, { text: 'hi' }] }, { role: 'user', parts: [{ text: 'more' }] }],
      generationConfig: { thinkingConfig: { thinkingBudget: 2048, includeThoughts: true } },
    });
    const toClaude = claude.encodeRequest({ ...req, model: 'claude-sonnet-4-5' }) as J;
    t.same((toClaude.messages[1].content as J[]).filter((b) => b.type === 'thinking').map((b) => b.signature), from === 'claude' ? ['SIG_C'] : [], `${from}: to Claude`);
    const toGemini = gemini.encodeRequest(req) as J;
    t.same((toGemini.contents[1].parts as J[]).map((p) => p.thoughtSignature).filter(Boolean), from === 'gemini' ? ['SIG_G'] : [], `${from}: to Gemini`);
  }
});

t.test('a Claude client in an open tool loop: a foreign thought left out turns thinking off', async (t) => {
  const loop = (sig: string) => ({
    model: 'claude-sonnet-4-5',
    max_tokens: 4096,
    thinking: { type: 'enabled', budget_tokens: 2048 },
    messages: [
      { role: 'user', content: 'q' },
      { role: 'assistant', content: [{ type: 'thinking', thinking: 'hmm', signature: sig }, { type: 'tool_use', id: 'toolu_1', name: 'f', input: {} }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'ok' }] },
    ],
  });
  const foreign = claude.encodeRequest(claude.decodeRequest(loop('cliproxy-gemini:SIG_G'))) as J;
  t.equal(foreign.thinking, undefined, 'thinking off');
  t.same(foreign.messages[1].content.map((b: J) => b.type), ['tool_use']);
  const own = claude.encodeRequest(claude.decodeRequest(loop('SIG_C'))) as J;
  t.same(own.thinking, { type: 'enabled', budget_tokens: 2048 }, 'a signed thought keeps it on');
  // Piped (Claude → Claude): the same outcome without decoding.
  const piped = pipedClaudeBody(loop('cliproxy-enc:ENC_X')) as J;
  t.equal(piped.thinking, undefined, 'piped: thinking off');
  t.same(piped.messages[1].content.map((b: J) => b.type), ['tool_use'], 'piped: the thought left out');
  t.equal(pipedClaudeBody(loop('SIG_C')), undefined, 'piped: a signed thought leaves the body as it came');
});

t.test('piped Claude bodies: which thinking blocks go', async (t) => {
  const body = (content: unknown[], extra: J = {}) => ({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'q' }, { role: 'assistant', content }, { role: 'user', content: 'r' }], ...extra });
  t.equal(dropUnsignedThinking(body([{ type: 'thinking', thinking: 'a', signature: 'SIG' }, { type: 'text', text: 'x' }])), undefined, 'signed: kept');
  t.equal(dropUnsignedThinking(body([{ type: 'redacted_thinking', data: 'abc' }, { type: 'text', text: 'x' }])), undefined, 'redacted: kept');
  t.same((dropUnsignedThinking(body([{ type: 'thinking', thinking: 'a', signature: '' }, { type: 'text', text: 'x' }])) as J).messages[1], { role: 'assistant', content: [{ type: 'text', text: 'x' }] }, 'empty signature: left out');
  t.same((dropUnsignedThinking(body([{ type: 'thinking', thinking: 'a' }, { type: 'text', text: 'x' }])) as J).messages[1], { role: 'assistant', content: [{ type: 'text', text: 'x' }] }, 'no signature: left out');
  const gone = dropUnsignedThinking(body([{ type: 'thinking', thinking: 'a', signature: 'cliproxy-gemini:G' }], { thinking: { type: 'enabled', budget_tokens: 1024 } }))!;
  t.same(gone.messages, [{ role: 'user', content: 'q' }, { role: 'user', content: 'r' }], 'a turn with nothing left goes');
  t.same(gone.thinking, { type: 'enabled', budget_tokens: 1024 }, 'thinking stays on outside a tool loop');
  const both = pipedClaudeBody({ model: 'm', messages: [{ role: 'system', content: 'S' }, { role: 'user', content: 'q' }, { role: 'assistant', content: [{ type: 'thinking', thinking: 'a', signature: 'cliproxy-enc:E' }, { type: 'text', text: 'x' }] }] })!;
  t.same(both.system, [{ type: 'text', text: 'S' }], 'system messages folded');
  t.same(both.messages, [{ role: 'user', content: 'q' }, { role: 'assistant', content: [{ type: 'text', text: 'x' }] }], 'and the thought left out');
});
