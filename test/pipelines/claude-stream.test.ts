// Claude codec, answer side: non-stream bodies, the SSE decoder and encoder
// (checked with the official SDK's stream parser), and errors.
import Anthropic from '@anthropic-ai/sdk';
import t from 'tap';
import { codec } from '../../pipelines/formats/claude/index.js';
import type { IREvent, IRRequest } from '../../pipelines/ir.js';
import { eventTypes, fixture, fixtureJson, fold, parseSse, sdkFinalMessage } from './claude-helpers.js';

type J = Record<string, any>;

const REQ: IRRequest = { model: 'claude-opus-4-8', system: [], messages: [], stream: true, extras: {} };

function decodeAll(sse: string): IREvent[] {
  const dec = codec.createStreamDecoder();
  const events: IREvent[] = [];
  for (const f of parseSse(sse)) events.push(...dec.push(f));
  events.push(...dec.end());
  return events;
}

function encodeAll(events: IREvent[], end = true): string {
  const enc = codec.createStreamEncoder(REQ);
  let out = '';
  for (const e of events) out += enc.push(e);
  if (end) out += enc.end();
  return out;
}

t.test('non-stream response: decode → fold → encode', async (t) => {
  const body = fixtureJson('response-message.json');
  const events = codec.decodeResponse(body);
  t.same(
    events.map((e) => e.type),
    ['start', 'reasoning-delta', 'block-end', 'text-delta', 'block-end', 'tool-call-start', 'tool-call-delta', 'block-end', 'finish'],
  );
  t.match(events.at(-1), { type: 'finish', reason: 'tool_calls', rawReason: 'tool_use', usage: { inputTokens: 1496, outputTokens: 89, cachedTokens: 1024, cacheCreationTokens: 0 } });
  const out = codec.encodeResponse(fold(events), REQ);
  t.strictSame(out, body, 'lossless');
});

t.test('non-stream edge cases', async (t) => {
  t.match(codec.decodeResponse('nope'), [{ type: 'error', status: 502 }]);
  t.match(codec.decodeResponse({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }), [{ type: 'error', status: 529, message: 'Overloaded', code: 'overloaded_error' }]);
  const server = codec.decodeResponse({
    id: 'msg_1',
    model: 'm',
    content: [
      { type: 'server_tool_use', id: 'srvtoolu_1', name: 'web_search', input: { query: 'q' } },
      { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_1', content: [] },
      { type: 'text', text: 'answer' },
    ],
    stop_reason: 'end_turn',
    usage: { input_tokens: 1, output_tokens: 2 },
  });
  t.same(server.filter((e) => e.type.startsWith('tool')), [], 'server-side tool blocks are not client tool calls');
  t.match(server, [{ type: 'start' }, { type: 'text-delta', index: 2, text: 'answer' }, { type: 'block-end', index: 2 }, { type: 'finish', reason: 'stop' }]);

  // A foreign answer: Gemini says STOP while calling functions, no ids.
  const res = codec.encodeResponse(
    { id: '', model: 'gemini-2.5-pro', created: 0, content: [{ type: 'reasoning', text: 'hmm' }, { type: 'tool-call', id: '', name: 'f', arguments: 'broken' }], finishReason: 'stop' },
    { ...REQ, model: 'claude-alias' },
  ) as J;
  t.equal(res.stop_reason, 'tool_use');
  t.equal(res.model, 'claude-alias', "the client's model name");
  t.match(res.id, /^msg_/);
  t.match(res.content[1], { type: 'tool_use', id: /^toolu_/, input: {} });
  t.same(res.content[0], { type: 'thinking', thinking: 'hmm', signature: '' });
  t.same(res.usage, { input_tokens: 0, output_tokens: 0 });
  for (const [reason, want] of [['length', 'max_tokens'], ['pause', 'pause_turn'], ['refusal', 'refusal'], ['content_filter', 'refusal']] as const) {
    const r = codec.encodeResponse({ id: 'x', model: 'm', created: 0, content: [], finishReason: reason }, REQ) as J;
    t.equal(r.stop_reason, want, reason);
  }
});

t.test('stream decoder on a streamed answer with thinking, text and two parallel tool calls', async (t) => {
  const events = decodeAll(fixture('stream-thinking-tools.sse'));
  t.same(events[0], { type: 'start', id: 'msg_01XFDUDYJgAACzvnptvVoYEL', model: 'claude-opus-4-8' });
  t.match(events[1], { type: 'usage', usage: { inputTokens: 2095 + 512 + 14336, cachedTokens: 14336, cacheCreationTokens: 512, outputTokens: 3 } });
  t.equal(events.filter((e) => e.type === 'reasoning-delta' && e.signature).length, 1, 'signature delta');
  t.same(events.filter((e) => e.type === 'tool-call-start'), [
    { type: 'tool-call-start', index: 2, id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'Bash' },
    { type: 'tool-call-start', index: 3, id: 'toolu_01WmbxHBbQs2ZLKJ1s5G3Ndd', name: 'Grep' },
  ]);
  t.same(events.filter((e) => e.type === 'block-end').map((e) => (e as J).index), [0, 1, 2, 3]);
  t.match(events.at(-1), { type: 'finish', reason: 'tool_calls', rawReason: 'tool_use', usage: { outputTokens: 187, inputTokens: 16943 } });
  const res = fold(events);
  t.same(JSON.parse((res.content[2] as J).arguments), { command: 'npm test -- parse', description: 'Run the parser tests' });
  t.same(JSON.parse((res.content[3] as J).arguments), { pattern: 'parse\\(', path: 'src', output_mode: 'content' });
});

t.test('stream decoder: errors, truncation, pings, unknown events', async (t) => {
  const dec = codec.createStreamDecoder();
  t.same(dec.push({ event: 'ping', data: '{"type":"ping"}' }), []);
  t.same(dec.push({ data: 'not json' }), []);
  t.same(dec.push({ event: 'error', data: '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}' }), [
    { type: 'error', status: 529, message: 'Overloaded', code: 'overloaded_error' },
  ]);
  t.same(dec.end(), [], 'nothing after an error');

  const cut = decodeAll('event: message_start\ndata: {"type":"message_start","message":{"id":"m","model":"x","usage":{"input_tokens":1,"output_tokens":0}}}\n\nevent: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n');
  t.match(cut.slice(-2), [{ type: 'block-end', index: 0 }, { type: 'error', status: 502 }], 'truncated stream ends in an error');

  const noStop = decodeAll('event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{"output_tokens":9}}\n\n');
  t.match(noStop.at(-1), { type: 'finish', reason: 'length', usage: { outputTokens: 9 } }, 'message_stop lost after message_delta');
});

t.test('stream encoder output is accepted by the official SDK (decoder → encoder round trip)', async (t) => {
  const sse = fixture('stream-thinking-tools.sse');
  const out = encodeAll(decodeAll(sse));
  const { message, events } = await sdkFinalMessage(out);
  const original = await sdkFinalMessage(sse);
  t.strictSame(message.content, original.message.content, 'same content blocks as the upstream stream');
  // The same sequence, less the fixture's empty input_json_delta (nothing to carry).
  const upstream = parseSse(sse).filter((f) => f.event !== 'ping' && !f.data.includes('"partial_json":""'));
  t.same(events, upstream.map((f) => f.event), 'same event sequence');
  t.equal(original.events.length, upstream.length + 1);
  t.equal(message.stop_reason, 'tool_use');
  t.equal(message.id, 'msg_01XFDUDYJgAACzvnptvVoYEL');
  t.equal(message.model, 'claude-opus-4-8');
  t.same(message.usage, { input_tokens: 2095, output_tokens: 187, cache_creation_input_tokens: 512, cache_read_input_tokens: 14336 });
  t.match(message.content[0], { type: 'thinking', signature: /^EqQB/ });
  t.same((message.content[3] as J).input, { pattern: 'parse\\(', path: 'src', output_mode: 'content' });
  t.match(out, /^event: message_start\ndata: \{"type":"message_start"/, 'SSE framing');
});

t.test('stream encoder remaps sparse, interleaved IR indices into contiguous Claude blocks', async (t) => {
  const events: IREvent[] = [
    { type: 'start', id: 'chatcmpl-1', model: 'gpt-5' },
    { type: 'reasoning-delta', index: 5, text: 'think ' },
    { type: 'text-delta', index: 2, text: 'Hello' },
    { type: 'reasoning-delta', index: 5, text: 'again' }, // reopens: a new thinking block
    { type: 'tool-call-start', index: 7, id: 'call_a', name: 'a' },
    { type: 'tool-call-start', index: 9, id: 'call_b', name: 'b' }, // queued behind call_a
    { type: 'tool-call-delta', index: 9, args: '{"y":' },
    { type: 'tool-call-delta', index: 7, args: '{"x":1}' },
    { type: 'block-end', index: 7 },
    { type: 'tool-call-delta', index: 9, args: '2}' },
    { type: 'tool-call-start', index: 11, id: 'call_c', name: 'c' },
    { type: 'tool-call-delta', index: 11, args: '{}' },
    { type: 'usage', usage: { inputTokens: 30, outputTokens: 12 } },
    { type: 'finish', reason: 'tool_calls' },
  ];
  const out = encodeAll(events);
  const frames = parseSse(out).map((f) => JSON.parse(f.data) as J);
  const indices = frames.filter((f) => f.type === 'content_block_start').map((f) => f.index);
  t.same(indices, [0, 1, 2, 3, 4, 5], 'contiguous, 0-based');
  // Every block is stopped before the next one starts.
  let open = -1;
  for (const f of frames) {
    if (f.type === 'content_block_start') {
      t.equal(open, -1, `block ${f.index} starts with none open`);
      open = f.index;
    } else if (f.type === 'content_block_delta') t.equal(f.index, open);
    else if (f.type === 'content_block_stop') {
      t.equal(f.index, open);
      open = -1;
    }
  }
  const { message } = await sdkFinalMessage(out);
  t.same(message.content.map((b) => b.type), ['thinking', 'text', 'thinking', 'tool_use', 'tool_use', 'tool_use']);
  t.same(message.content.slice(3).map((b) => (b as J).input), [{ x: 1 }, { y: 2 }, {}]);
  t.same(message.content.slice(3).map((b) => (b as J).id), ['call_a', 'call_b', 'call_c']);
  t.equal(message.stop_reason, 'tool_use');
  t.same(message.usage, { input_tokens: 30, output_tokens: 12 });
  t.equal(message.model, 'claude-opus-4-8', "the client's model, not the upstream's");
});

t.test('stream encoder: redacted thinking, end() without finish, empty stream', async (t) => {
  const out = encodeAll([
    { type: 'start', id: 'msg_x', model: 'm' },
    { type: 'reasoning-delta', index: 0, redactedData: 'EmwKAhgB' },
    { type: 'text-delta', index: 1, text: 'partial' },
  ]);
  t.same(eventTypes(out), ['message_start', 'content_block_start', 'content_block_stop', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
  const { message } = await sdkFinalMessage(out);
  t.same(message.content, [{ type: 'redacted_thinking', data: 'EmwKAhgB' }, { type: 'text', text: 'partial' }]);
  t.equal(message.stop_reason, 'end_turn');

  const empty = encodeAll([]);
  t.same(eventTypes(empty), ['message_start', 'message_delta', 'message_stop']);
  const e = await sdkFinalMessage(empty);
  t.same(e.message.content, []);

  const enc = codec.createStreamEncoder(REQ);
  enc.push({ type: 'text-delta', index: 0, text: 'x' });
  enc.push({ type: 'finish', reason: 'stop' });
  t.equal(enc.push({ type: 'text-delta', index: 0, text: 'late' }), '', 'nothing after the finish');
  t.equal(enc.end(), '', 'end() after finish adds nothing');
});

t.test('stream errors reach SDK clients as API errors', async (t) => {
  const mid = encodeAll([{ type: 'start', id: 'msg_e', model: 'm' }, { type: 'text-delta', index: 0, text: 'Hel' }, { type: 'error', status: 529, message: 'Overloaded' }]);
  t.match(mid, /event: error\ndata: \{"type":"error","error":\{"type":"overloaded_error","message":"Overloaded"\}\}\n\n$/);
  await t.rejects(sdkFinalMessage(mid), Anthropic.APIError);
  try {
    await sdkFinalMessage(mid);
  } catch (err) {
    t.equal((err as J).type, 'overloaded_error');
  }
  t.equal(codec.encodeStreamError({ status: 500, message: 'boom' }), 'event: error\ndata: {"type":"error","error":{"type":"api_error","message":"boom"}}\n\n');
});

t.test('encodeError maps statuses to Anthropic error types', async (t) => {
  const table: Array<[number, string]> = [
    [400, 'invalid_request_error'],
    [401, 'authentication_error'],
    [403, 'permission_error'],
    [404, 'not_found_error'],
    [413, 'request_too_large'],
    [429, 'rate_limit_error'],
    [500, 'api_error'],
    [502, 'api_error'],
    [529, 'overloaded_error'],
    [422, 'invalid_request_error'],
  ];
  for (const [status, type] of table) {
    t.same(codec.encodeError({ status, message: 'm' }), { status, body: { type: 'error', error: { type, message: 'm' } } }, String(status));
  }
  t.same(codec.encodeError({ status: 0, message: 'x' }).status, 500, 'invalid status → 500');
  t.match(codec.encodeError({ status: 400, message: 'x', type: 'rate_limit_error' }), { body: { error: { type: 'rate_limit_error' } } }, 'Anthropic types pass through');
  t.match(codec.encodeError({ status: 400, message: 'x', type: 'INVALID_ARGUMENT' }), { body: { error: { type: 'invalid_request_error' } } }, 'foreign types do not');
});

t.test('decodeError reads any upstream body and never throws', async (t) => {
  t.same(codec.decodeError(529, '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}'), { status: 529, message: 'Overloaded', type: 'overloaded_error' });
  t.same(codec.decodeError(429, '{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}'), {
    status: 429,
    message: 'Rate limit reached',
    type: 'requests',
    code: 'rate_limit_exceeded',
  });
  t.same(codec.decodeError(429, '[{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED"}}]'), {
    status: 429,
    message: 'Resource has been exhausted',
    code: 'RESOURCE_EXHAUSTED',
  });
  t.same(codec.decodeError(400, '{"error":"bad thing"}'), { status: 400, message: 'bad thing' });
  t.same(codec.decodeError(401, '{"detail":"Unauthorized"}'), { status: 401, message: 'Unauthorized' });
  t.same(codec.decodeError(502, '<html><head><style>p{}</style></head><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>'), { status: 502, message: '502 Bad Gateway nginx' });
  t.same(codec.decodeError(500, 'upstream connect error'), { status: 500, message: 'upstream connect error' });
  t.same(codec.decodeError(503, ''), { status: 503, message: 'upstream returned HTTP 503' });
  t.same(codec.decodeError(500, '{"error":'), { status: 500, message: '{"error":' });
  t.same(codec.decodeError(0, '{"type":"error","error":{"type":"not_found_error","message":"model"}}'), { status: 404, message: 'model', type: 'not_found_error' });
  t.equal(codec.decodeError(500, 'x'.repeat(10000)).message.length, 2001, 'long bodies are cut');
  for (const junk of ['null', '42', '"str"', '[]', '{}', '\u0000\u0001', 'undefined', '{"error":{"message":{"nested":true}}}']) {
    const e = codec.decodeError(500, junk);
    t.equal(typeof e.message, 'string', junk);
    t.ok(e.message.length > 0, junk);
  }
  t.doesNotThrow(() => codec.decodeError(500, undefined as unknown as string));
});
