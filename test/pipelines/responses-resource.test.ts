// The Responses response resource, checked with the schema written from the
// public specification: every terminal kind (completed, incomplete, failed,
// a failure mid-item), the Codex CLI request's echo (namespace and custom
// tools, json_schema format), the message-phase side channel from a Codex
// stream to the client's encoder, and the gateway's own compaction output.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { codec as codex, encodeCodexCompactRequest } from '../../pipelines/formats/codex/index.js';
import { codec, sseFrames } from '../../pipelines/formats/openai-responses/index.js';
import { compactedResponse, isGatewayCompaction, summaryRequest, transcript } from '../../pipelines/formats/openai-responses/compaction.js';
import { decodeStreamBody, translateEvents, StreamTranslator } from '../../pipelines/index.js';
import type { IREvent, IRRequest } from '../../pipelines/ir.js';
import { checkCompacted, checkEventSequence, checkResponse } from '../helpers/responses-schema.js';

const read = (path: string): string => readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8');

function streamed(req: IRRequest, events: IREvent[]): any[] {
  const enc = codec.createStreamEncoder(req);
  let s = '';
  for (const e of events) s += enc.push(e);
  s += enc.end();
  return sseFrames(s).map((f) => JSON.parse(f.data));
}

const start: IREvent = { type: 'start', id: 'up-1', model: 'm', created: 1_700_000_000 };

t.test('terminal kinds: completed, incomplete, failed — each event conforms', async (t) => {
  const req = codec.decodeRequest({ model: 'gpt-5.1', input: 'hi', stream: true });
  const text: IREvent[] = [start, { type: 'text-delta', index: 0, text: 'hel' }, { type: 'text-delta', index: 0, text: 'lo' }];
  const cases: Array<[string, IREvent[], string]> = [
    ['completed', [...text, { type: 'block-end', index: 0 }, { type: 'finish', reason: 'stop', usage: { inputTokens: 3, outputTokens: 2 } }], 'response.completed'],
    ['incomplete (length)', [...text, { type: 'finish', reason: 'length' }], 'response.incomplete'],
    ['incomplete (content filter)', [...text, { type: 'finish', reason: 'content_filter' }], 'response.incomplete'],
    ['failed mid-message', [...text, { type: 'error', status: 500, message: 'boom' }], 'response.failed'],
    ['failed mid-call', [start, { type: 'tool-call-start', index: 0, id: 'c1', name: 'f' }, { type: 'tool-call-delta', index: 0, args: '{"a"' }, { type: 'error', status: 502, message: 'cut', code: 'upstream_stream_truncated' }], 'response.failed'],
    ['failed before anything', [{ type: 'error', status: 429, message: 'slow down', code: 'rate_limit_exceeded' }], 'response.failed'],
    ['no finish at all', [...text], 'response.completed'],
  ];
  for (const [name, events, last] of cases) {
    const evs = streamed(req, events);
    t.same(checkEventSequence(evs), [], `${name}: conforms`);
    t.equal(evs.at(-1).type, last, `${name}: ends with ${last}`);
  }
  const failed = streamed(req, cases[3]![1]).at(-1).response;
  t.match(failed.output, [{ type: 'message', status: 'incomplete', content: [{ text: 'hello' }] }], 'the cut message stays, incomplete');
  t.match(streamed(req, cases[1]![1]).at(-1).response.incomplete_details, { reason: 'max_output_tokens' });
  const done = streamed(req, cases[0]![1]);
  t.equal(done.at(-1).response.created_at, 1_700_000_000, 'created_at from the upstream');
  t.ok(done.at(-1).response.completed_at >= 1_700_000_000);
});

t.test('non-stream answers conform, with and without usage', async (t) => {
  const req = codec.decodeRequest({ model: 'gpt-5.1', input: 'hi' });
  for (const finish of [{ type: 'finish', reason: 'stop' }, { type: 'finish', reason: 'tool_calls', usage: { inputTokens: 1, outputTokens: 1 } }, { type: 'finish', reason: 'length' }] as IREvent[]) {
    const r = translateEvents(codec, [start, { type: 'text-delta', index: 0, text: 'x' }, finish], req);
    t.same(checkResponse(r.body), [], `${(finish as any).reason}: conforms`);
  }
});

t.test("Codex CLI's own request is echoed in a conforming shape", async (t) => {
  const body = JSON.parse(read('openai-responses/codex-cli-request.json'));
  const req = codec.decodeRequest(body);
  const evs = streamed(req, [start, { type: 'text-delta', index: 0, text: 'ok' }, { type: 'finish', reason: 'stop' }]);
  t.same(checkEventSequence(evs), [], 'conforms');
  const r = evs.at(-1).response;
  t.equal(r.tools.length, body.tools.length, 'every tool echoed, in order');
  t.equal(r.prompt_cache_key, body.prompt_cache_key);
  t.equal(r.instructions, body.instructions);
  t.same(evs[0].response.tools, r.tools, 'response.created carries them too');
});

t.test('json_schema formats and IR tool choices are echoed in the documented shape', async (t) => {
  const schema = { type: 'object', properties: { a: { type: 'string' } } };
  const req = codec.decodeRequest({ model: 'm', input: 'x', text: { format: { type: 'json_schema', name: 'out', schema } }, tool_choice: { type: 'function', name: 'f' }, tools: [{ type: 'function', name: 'f', parameters: schema }] });
  const r = translateEvents(codec, [start, { type: 'text-delta', index: 0, text: '{}' }, { type: 'finish', reason: 'stop' }], req).body as any;
  t.same(checkResponse(r), []);
  t.match(r.text.format, { type: 'json_schema', name: 'out', schema, description: null, strict: false });
  t.same(r.tool_choice, { type: 'function', name: 'f' });
  // A request that did not come from a Responses client (no extras): the IR tool choice.
  const foreign: IRRequest = { model: 'm', system: [], messages: [], stream: false, extras: {}, toolChoice: { type: 'tool', name: 'g' }, temperature: 0.1, presencePenalty: 0.5 };
  const f = translateEvents(codec, [start, { type: 'finish', reason: 'stop' }], foreign).body as any;
  t.same(checkResponse(f), []);
  t.match(f, { tool_choice: { type: 'function', name: 'g' }, temperature: 0.1, presence_penalty: 0.5, frequency_penalty: 0 });
});

const phasedStream = [
  { type: 'response.created', response: { id: 'resp_u', created_at: 1_700_000_000, model: 'gpt-5.3-codex' } },
  { type: 'response.output_item.added', output_index: 0, item: { type: 'message', phase: 'commentary', content: [] } },
  { type: 'response.output_text.delta', output_index: 0, delta: 'Looking.' },
  { type: 'response.output_item.done', output_index: 0, item: { type: 'message', phase: 'commentary', content: [{ type: 'output_text', text: 'Looking.' }] } },
  { type: 'response.output_item.added', output_index: 1, item: { type: 'function_call', call_id: 'c1', name: 'f', arguments: '' } },
  { type: 'response.output_item.done', output_index: 1, item: { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{}' } },
  { type: 'response.output_item.added', output_index: 2, item: { type: 'message', phase: 'final_answer', content: [] } },
  { type: 'response.output_text.delta', output_index: 2, delta: 'Done.' },
  { type: 'response.output_item.done', output_index: 2, item: { type: 'message', phase: 'final_answer', content: [{ type: 'output_text', text: 'Done.' }] } },
  { type: 'response.completed', response: { status: 'completed', usage: { input_tokens: 1, output_tokens: 1, total_tokens: 2 } } },
]
  .map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`)
  .join('');

t.test('Codex message phases reach a Responses client, streamed and folded', async (t) => {
  const req = codec.decodeRequest({ model: 'gpt-5.3-codex', input: 'go', stream: true, tools: [{ type: 'function', name: 'f', parameters: {} }] });
  const tr = new StreamTranslator({ upstream: codex, inbound: codec, req, framing: 'sse' });
  const evs = sseFrames(tr.push(phasedStream) + tr.end()).map((f) => JSON.parse(f.data));
  t.same(checkEventSequence(evs), [], 'conforms');
  t.same(evs.at(-1).response.output.map((o: any) => [o.type, o.phase]), [['message', 'commentary'], ['function_call', undefined], ['message', 'final_answer']]);

  const whole = translateEvents(codec, decodeStreamBody(codex, 'sse', phasedStream, req), req).body as any;
  t.same(checkResponse(whole), [], 'non-stream conforms');
  t.same(whole.output.map((o: any) => [o.type, o.phase]), [['message', 'commentary'], ['function_call', undefined], ['message', 'final_answer']], 'folded: each message its own item, with its phase');

  // Another client of the same Codex answer gets no Responses-only fields.
  const chat = codec.decodeRequest({ model: 'm', input: 'go' });
  delete (chat.extras as Record<string, unknown>)['openai-responses'];
  const plain = translateEvents(codec, decodeStreamBody(codex, 'sse', phasedStream, chat), chat).body as any;
  t.notOk(plain.output.some((o: any) => 'phase' in o), 'no phase recorded for a non-Responses request');
});

t.test('compaction without a compact endpoint: summary request and compacted output', async (t) => {
  const conv = codec.decodeRequest({
    model: 'claude-x',
    input: [
      { role: 'user', content: 'fix the bug' },
      { type: 'function_call', call_id: 'c1', name: 'read_file', arguments: '{"path":"a.ts"}' },
      { type: 'function_call_output', call_id: 'c1', output: 'const a = 1' },
      { role: 'assistant', content: [{ type: 'output_text', text: 'Fixed.' }] },
    ],
  });
  const text = transcript(conv.messages);
  for (const s of ['User: fix the bug', 'read_file', '{"path":"a.ts"}', 'const a = 1', 'Assistant: Fixed.']) t.ok(text.includes(s), `transcript has ${s}`);
  const sreq = summaryRequest(conv);
  t.equal(sreq.tools, undefined, 'no tools needed');
  t.equal(sreq.messages.length, 1);
  const out = compactedResponse([{ role: 'user', content: 'fix the bug' }, { type: 'function_call_output', call_id: 'c1', output: 'x' }], 'The bug is fixed.', { inputTokens: 5, outputTokens: 3 });
  t.same(checkCompacted(out), [], 'conforms');
  const items = out.output as any[];
  t.equal(items.length, 3, 'user message, summary, compaction');
  t.ok(isGatewayCompaction(items[2]));
  t.equal(Buffer.from(items[2].encrypted_content.split(':').at(-1), 'base64').toString(), 'The bug is fixed.');
  t.notOk(isGatewayCompaction({ type: 'compaction', encrypted_content: 'gAAAA-real' }), "OpenAI's own items are not the gateway's");
  const up = encodeCodexCompactRequest(codec.decodeRequest({ model: 'gpt-5', input: [items[0], items[1], items[2], { type: 'compaction', encrypted_content: 'gAAAA-real' }] }));
  t.notOk('stream' in up, 'the compact body has no stream field');
  t.same((up.input as any[]).filter((i) => i.type === 'compaction').map((i) => i.encrypted_content), ['gAAAA-real'], "only the backend's own compaction item goes to Codex");
});
