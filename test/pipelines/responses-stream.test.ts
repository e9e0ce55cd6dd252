import t from 'tap';
import type { Test } from 'tap';
import { readFileSync } from 'node:fs';
import OpenAI from 'openai';
import { codec, sseFrames } from '../../pipelines/formats/openai-responses/index.js';
import type { IREvent, IRRequest } from '../../pipelines/ir.js';

const read = (path: string): string => readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8');
const codexCliRequest = (): IRRequest => codec.decodeRequest(JSON.parse(read('openai-responses/codex-cli-request.json')));
const plainRequest = (): IRRequest => codec.decodeRequest({ model: 'gpt-5.1', input: 'hi', stream: true });

interface Sent { event: string; data: Record<string, any> }

/** Parses encoder output, checking the SSE framing on the way. */
function parse(t: Test, text: string): Sent[] {
  const out: Sent[] = [];
  for (const block of text.split('\n\n')) {
    if (!block) continue;
    const lines = block.split('\n');
    t.equal(lines.length, 2, 'one event line and one data line');
    t.ok(lines[0]!.startsWith('event: ') && lines[1]!.startsWith('data: '));
    out.push({ event: lines[0]!.slice(7), data: JSON.parse(lines[1]!.slice(6)) });
  }
  t.ok(text.endsWith('\n\n'));
  return out;
}

function encodeAll(req: IRRequest, events: IREvent[], end = true): string {
  const enc = codec.createStreamEncoder(req);
  let s = '';
  for (const e of events) s += enc.push(e);
  return end ? s + enc.end() : s;
}

function decodeAll(text: string): IREvent[] {
  const dec = codec.createStreamDecoder();
  const out: IREvent[] = [];
  for (const f of sseFrames(text)) out.push(...dec.push(f));
  return out.concat(dec.end());
}

/** The official SDK's streaming helper reading `text` as the HTTP answer. */
function sdkStream(text: string, params: Record<string, unknown> = { model: 'gpt-5.1', input: 'hi' }) {
  const client = new OpenAI({
    apiKey: 'test',
    baseURL: 'http://gateway.test/v1',
    maxRetries: 0,
    fetch: async () => new Response(text, { status: 200, headers: { 'content-type': 'text/event-stream' } }),
  });
  return client.responses.stream(params as any);
}

function fold(events: IREvent[]): IREvent[] {
  const out: IREvent[] = [];
  for (const e of events) {
    const last = out.at(-1);
    if (last && e.type === last.type && 'index' in e && 'index' in last && e.index === last.index) {
      if (e.type === 'text-delta' && last.type === 'text-delta') { last.text += e.text; continue; }
      if (e.type === 'tool-call-delta' && last.type === 'tool-call-delta') { last.args += e.args; continue; }
      if (e.type === 'reasoning-delta' && last.type === 'reasoning-delta' && e.text && last.text) { last.text += e.text; continue; }
    }
    out.push({ ...e });
  }
  return out;
}

const irAnswer: IREvent[] = [
  { type: 'start', id: 'resp_abc123', model: 'gpt-5.1-codex', created: 1762600000 },
  { type: 'reasoning-delta', index: 0, text: '**Plan**' },
  { type: 'reasoning-delta', index: 0, text: ' check the weather' },
  { type: 'reasoning-delta', index: 0, encrypted: 'enc-state' },
  { type: 'block-end', index: 0 },
  { type: 'text-delta', index: 1, text: 'Looking ' },
  { type: 'text-delta', index: 1, text: 'it up.' },
  { type: 'block-end', index: 1 },
  { type: 'tool-call-start', index: 2, id: 'call_1', name: 'shell_command' },
  { type: 'tool-call-delta', index: 2, args: '{"command":' },
  { type: 'tool-call-delta', index: 2, args: '"ls"}' },
  { type: 'block-end', index: 2 },
  { type: 'tool-call-start', index: 3, id: 'call_2', name: 'mcp__node_repl__js' },
  { type: 'tool-call-delta', index: 3, args: '{"code":"1+1"}' },
  { type: 'block-end', index: 3 },
  { type: 'finish', reason: 'tool_calls', usage: { inputTokens: 100, outputTokens: 40, cachedTokens: 64, reasoningTokens: 12 } },
];

t.test('encoder: the exact event lifecycle, sequence numbers and indexes', async (t) => {
  const sent = parse(t, encodeAll(codexCliRequest(), irAnswer));
  t.same(sent.map((s) => s.event), [
    'response.created', 'response.in_progress',
    'response.output_item.added', 'response.reasoning_summary_part.added',
    'response.reasoning_summary_text.delta', 'response.reasoning_summary_text.delta',
    'response.reasoning_summary_text.done', 'response.reasoning_summary_part.done', 'response.output_item.done',
    'response.output_item.added', 'response.content_part.added',
    'response.output_text.delta', 'response.output_text.delta',
    'response.output_text.done', 'response.content_part.done', 'response.output_item.done',
    'response.output_item.added', 'response.function_call_arguments.delta', 'response.function_call_arguments.delta',
    'response.function_call_arguments.done', 'response.output_item.done',
    'response.output_item.added', 'response.function_call_arguments.delta',
    'response.function_call_arguments.done', 'response.output_item.done',
    'response.completed',
  ]);
  sent.forEach((s, i) => {
    t.equal(s.data.type, s.event);
    t.equal(s.data.sequence_number, i);
  });
  const created = sent[0]!.data.response;
  t.match(created, { id: 'resp_abc123', object: 'response', status: 'in_progress', model: 'gpt-5.1-codex', output: [] });

  // Every item event points at the item its output_item.added announced.
  const items = new Map<number, string>();
  for (const s of sent) {
    if (s.event === 'response.output_item.added') {
      t.equal(s.data.output_index, items.size);
      items.set(s.data.output_index, s.data.item.id);
    } else if ('item_id' in s.data) {
      t.equal(s.data.item_id, items.get(s.data.output_index), `${s.event} item_id`);
    }
  }
  const done = sent.filter((s) => s.event === 'response.output_item.done').map((s) => s.data.item);
  t.match(done[0], { type: 'reasoning', summary: [{ type: 'summary_text', text: '**Plan** check the weather' }], encrypted_content: 'enc-state' });
  t.match(done[1], { type: 'message', status: 'completed', content: [{ type: 'output_text', text: 'Looking it up.' }] });
  t.match(done[2], { type: 'function_call', call_id: 'call_1', name: 'shell_command', arguments: '{"command":"ls"}', status: 'completed' });
  // Back in the client's terms: the namespaced tool is named as the client declared it.
  t.match(done[3], { type: 'function_call', call_id: 'call_2', name: 'js', namespace: 'mcp__node_repl' });

  const final = sent.at(-1)!.data.response;
  t.equal(final.status, 'completed');
  t.same(final.output, done);
  t.same(final.usage, { input_tokens: 100, input_tokens_details: { cached_tokens: 64 }, output_tokens: 40, output_tokens_details: { reasoning_tokens: 12 }, total_tokens: 140 });
});

t.test('encoder output passes the official SDK stream helper', async (t) => {
  const stream = sdkStream(encodeAll(codexCliRequest(), irAnswer));
  const deltas: string[] = [];
  stream.on('response.output_text.delta', (e) => deltas.push(e.delta));
  const final = await stream.finalResponse();
  t.same(deltas, ['Looking ', 'it up.']);
  t.equal(final.output_text, 'Looking it up.');
  t.equal(final.status, 'completed');
  t.same(final.output.map((o) => o.type), ['reasoning', 'message', 'function_call', 'function_call']);
  t.equal(final.usage?.total_tokens, 140);
});

t.test('upstream stream → IR → client stream keeps the answer and satisfies the SDK', async (t) => {
  const upstream = read('openai-responses/stream-reasoning-text-two-calls.sse');
  const ir = decodeAll(upstream);
  t.same(ir.map((e) => e.type).filter((x, i, a) => x !== a[i - 1]), [
    'start', 'reasoning-delta', 'block-end', 'text-delta', 'block-end',
    'tool-call-start', 'tool-call-delta', 'block-end', 'tool-call-start', 'tool-call-delta', 'block-end', 'finish',
  ]);
  // Two summary parts of one reasoning item become one text with a paragraph break.
  t.ok(ir.some((e) => e.type === 'reasoning-delta' && e.text === '\n\n'));
  const client = encodeAll(codexCliRequest(), ir);
  const again = decodeAll(client);
  t.same(fold(again), fold(ir));

  const final = await sdkStream(client).finalResponse();
  t.equal(final.id, 'resp_68f0c1d2e3a4b5c6');
  t.equal(final.output_text, "I'll look up the weather in Lyon and compute the average.");
  const calls = final.output.filter((o) => o.type === 'function_call');
  t.match(calls, [{ name: 'get_weather', arguments: '{"city":"Lyon"}' }, { name: 'js', namespace: 'mcp__node_repl', arguments: '{"code":"(21+17)/2"}' }]);
  t.match(final.output[0], { type: 'reasoning', encrypted_content: 'gAAAAABpK3N0cmVhbWVkLXJlYXNvbmluZy1zdGF0ZQ==' });
  t.match(final.usage, { input_tokens: 1200, output_tokens: 230, input_tokens_details: { cached_tokens: 1024 } });
});

t.test('Codex backend stream: freeform apply_patch call and a hosted web search', async (t) => {
  const ir = decodeAll(read('codex/stream-custom-tool.sse'));
  const folded = fold(ir);
  t.same(folded.map((e) => e.type), ['start', 'reasoning-delta', 'block-end', 'tool-call-start', 'tool-call-delta', 'block-end', 'finish']);
  const patch = '*** Begin Patch\n*** Update File: src/sum.js\n@@\n-  return a - b;\n+  return a + b;\n*** End Patch\n';
  t.match(folded[3], { id: 'call_patch9', name: 'apply_patch' });
  t.same(JSON.parse((folded[4] as { args: string }).args), { input: patch });
  t.match(folded.at(-1), { reason: 'tool_calls', usage: { inputTokens: 5100, cachedTokens: 4864, reasoningTokens: 320 } });

  // To a Codex CLI client (which declared apply_patch as a custom tool) it is a custom_tool_call again.
  const sent = parse(t, encodeAll(codexCliRequest(), ir));
  const kinds = sent.map((s) => s.event);
  t.ok(kinds.includes('response.custom_tool_call_input.delta'));
  t.ok(kinds.includes('response.custom_tool_call_input.done'));
  t.notOk(kinds.includes('response.function_call_arguments.delta'));
  const final = await sdkStream(encodeAll(codexCliRequest(), ir)).finalResponse();
  t.match(final.output.find((o) => o.type === 'custom_tool_call'), { name: 'apply_patch', call_id: 'call_patch9', input: patch });
  t.match(final.output[0], { type: 'reasoning', summary: [], encrypted_content: 'gAAAAABpY29kZXgtb25seS1lbmNyeXB0ZWQ=' });
});

t.test('encoder closes the stream itself: end() without finish, length, errors', async (t) => {
  const partial = encodeAll(plainRequest(), [{ type: 'start', id: 'chatcmpl-9', model: 'x' }, { type: 'text-delta', index: 0, text: 'Hel' }]);
  const sent = parse(t, partial);
  t.same(sent.slice(-4).map((s) => s.event), ['response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed']);
  t.equal(sent[0]!.data.response.id, 'resp_chatcmpl-9');
  t.equal((await sdkStream(partial).finalResponse()).output_text, 'Hel');

  // No events at all still makes a complete, empty response.
  const empty = parse(t, codec.createStreamEncoder(plainRequest()).end());
  t.same(empty.map((s) => s.event), ['response.created', 'response.in_progress', 'response.completed']);

  const cut = parse(t, encodeAll(plainRequest(), [{ type: 'text-delta', index: 0, text: 'abc' }, { type: 'finish', reason: 'length' }]));
  t.match(cut.at(-1), { event: 'response.incomplete', data: { response: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } } } });

  const failed = encodeAll(plainRequest(), [{ type: 'text-delta', index: 0, text: 'abc' }, { type: 'error', status: 429, message: 'quota', code: 'rate_limit_exceeded' }]);
  const fsent = parse(t, failed);
  t.match(fsent.at(-1), { event: 'response.failed', data: { response: { status: 'failed', error: { code: 'rate_limit_exceeded', message: 'quota' } } } });
  t.equal(failed.split('response.failed').length, 3, 'nothing after the failure, not even from end()');
  t.equal((await sdkStream(failed).finalResponse()).status, 'failed');

  // An error after streaming began, shaped by encodeStreamError, makes the SDK reject.
  const begun = encodeAll(plainRequest(), [{ type: 'text-delta', index: 0, text: 'abc' }], false);
  const broken = begun + codec.encodeStreamError({ status: 502, message: 'upstream went away' });
  await t.rejects(sdkStream(broken).finalResponse(), /upstream went away/);
});

t.test('encoder: interleaved blocks, foreign reasoning, deltas without a start', async (t) => {
  const sent = parse(t, encodeAll(plainRequest(), [
    { type: 'reasoning-delta', index: 0, signature: 'claude-only' },
    { type: 'text-delta', index: 1, text: 'a' },
    { type: 'tool-call-start', index: 2, id: 'c1', name: 'f' },
    { type: 'tool-call-start', index: 3, id: 'c2', name: 'g' },
    { type: 'tool-call-delta', index: 2, args: '{}' },
    { type: 'tool-call-delta', index: 3, args: '{"x":1}' },
    { type: 'tool-call-delta', index: 9, args: 'lost' },
    { type: 'finish', reason: 'tool_calls' },
  ]));
  const final = sent.at(-1)!.data.response;
  t.same(final.output.map((o: any) => o.type), ['message', 'function_call', 'function_call']);
  t.match(final.output, [{ content: [{ text: 'a' }] }, { name: 'f', arguments: '{}' }, { name: 'g', arguments: '{"x":1}' }]);
  // A completed response always reports usage (zero when the upstream sent none), as non-stream answers do.
  t.match(final.usage, { input_tokens: 0, output_tokens: 0, total_tokens: 0 });
  t.ok((await sdkStream(encodeAll(plainRequest(), [{ type: 'text-delta', index: 5, text: 'z' }])).finalResponse()).output_text === 'z');
});

t.test('decoder: failures, truncation and garbage', async (t) => {
  const dec = codec.createStreamDecoder();
  t.same(dec.push({ data: 'not json' }), []);
  t.same(dec.push({ data: '[DONE]' }), []);
  t.same(dec.push({ event: 'ping', data: '{}' }).filter((e) => e.type !== 'start'), []);
  t.same(dec.push({ data: '"string"' }), []);
  const failed = dec.push({ data: JSON.stringify({ type: 'response.failed', response: { id: 'r', status: 'failed', error: { code: 'context_length_exceeded', message: 'too long' } } }) });
  t.match(failed, [{ type: 'error', status: 400, code: 'context_length_exceeded', message: 'too long' }]);
  t.same(dec.end(), [], 'nothing after a failure');

  const cut = codec.createStreamDecoder();
  cut.push({ data: JSON.stringify({ type: 'response.created', response: { id: 'resp_1', model: 'm' } }) });
  cut.push({ data: JSON.stringify({ type: 'response.output_item.added', output_index: 0, item: { type: 'message' } }) });
  cut.push({ data: JSON.stringify({ type: 'response.output_text.delta', output_index: 0, delta: 'par' }) });
  t.match(cut.end(), [{ type: 'block-end', index: 0 }, { type: 'error', status: 502, message: 'upstream stream ended before completion' }]);

  const err = codec.createStreamDecoder();
  t.match(err.push({ event: 'error', data: JSON.stringify({ type: 'error', code: 'rate_limit_exceeded', message: 'slow', sequence_number: 3 }) }), [
    { type: 'start' }, { type: 'error', status: 429, message: 'slow' },
  ].slice(1));

  // A relay that only sends the final event still yields the answer.
  const only = codec.createStreamDecoder();
  const evs = only.push({ data: JSON.stringify({ type: 'response.completed', response: { id: 'resp_2', model: 'm', status: 'completed', output: [{ type: 'message', content: [{ type: 'output_text', text: 'hi' }] }] } }) });
  t.match(evs, [{ type: 'start' }, { type: 'text-delta', index: 0, text: 'hi' }, { type: 'block-end', index: 0 }, { type: 'finish', reason: 'stop' }]);
});
