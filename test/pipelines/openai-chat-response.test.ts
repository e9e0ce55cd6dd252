import t from 'tap';
import { readFileSync } from 'node:fs';
import { codec } from '../../pipelines/formats/openai-chat/index.js';
import { foldEvents } from '../../pipelines/fold.js';
import type { IRRequest } from '../../pipelines/ir.js';

const load = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/openai-chat/${name}`, import.meta.url), 'utf8'));
const REQ: IRRequest = { model: 'gpt-4o', system: [], messages: [], stream: false, extras: {} };

for (const name of ['response-tools.json', 'response-text.json']) {
  t.test(`non-stream round trip: ${name}`, async (t) => {
    const body = load(name);
    const out = codec.encodeResponse(foldEvents(codec.decodeResponse(body)), REQ);
    t.same(out, body);
  });
}

t.test('decodeResponse events', async (t) => {
  t.same(codec.decodeResponse(load('response-text.json')), [
    { type: 'start', id: 'chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG', model: 'deepseek-reasoner', created: 1741570283 },
    { type: 'reasoning-delta', index: 0, text: 's-t-r-a-w-b-e-r-r-y: r at positions 3, 8 and 9.' },
    { type: 'block-end', index: 0 },
    { type: 'text-delta', index: 1, text: 'There are three Rs in "strawberry".' },
    { type: 'block-end', index: 1 },
    { type: 'finish', reason: 'stop', rawReason: 'stop', usage: { inputTokens: 1117, outputTokens: 46, totalTokens: 1163, cachedTokens: 1024, reasoningTokens: 30 } },
  ]);
  const legacy = codec.decodeResponse({ id: 'x', model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: null, function_call: { name: 'f', arguments: '{}' } }, finish_reason: 'function_call' }] });
  t.match(legacy, [{ type: 'start' }, { type: 'tool-call-start', name: 'f' }, { type: 'tool-call-delta', args: '{}' }, { type: 'block-end' }, { type: 'finish', reason: 'tool_calls' }]);
  t.match(codec.decodeResponse({ error: { message: 'bad', code: 400 } }), [{ type: 'error', status: 400, message: 'bad' }]);
  t.match(codec.decodeResponse('nope'), [{ type: 'error' }]);
  t.match(codec.decodeResponse({ id: 'e', choices: [] }), [{ type: 'start' }, { type: 'finish', reason: 'stop' }], 'no choices: an empty answer');
});

t.test('encodeResponse from a foreign IR answer', async (t) => {
  const out = codec.encodeResponse(
    {
      id: '',
      model: '',
      created: 0,
      content: [
        { type: 'reasoning', text: '', signature: 'only-a-signature' },
        { type: 'text', text: 'Here: ' },
        { type: 'tool-call', id: 'toolu_x', name: 'run', arguments: '' },
      ],
      finishReason: 'stop',
      rawFinishReason: 'STOP',
      usage: { inputTokens: 3, outputTokens: 5, totalTokens: 8 },
    },
    { ...REQ, model: 'gemini-2.5-pro' },
  ) as Record<string, any>;
  t.match(out.id, /^chatcmpl-/);
  t.equal(out.model, 'gemini-2.5-pro', 'falls back to the requested model');
  t.ok(out.created > 1_600_000_000);
  t.same(out.choices[0].message, {
    role: 'assistant',
    content: 'Here: ',
    tool_calls: [{ id: 'toolu_x', type: 'function', function: { name: 'run', arguments: '{}' } }],
    refusal: null,
  });
  t.equal(out.choices[0].finish_reason, 'tool_calls', "Gemini's STOP after a call becomes tool_calls");
  t.same(out.usage, { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 });
  const refused = codec.encodeResponse({ id: 'a', model: 'm', created: 1, content: [], finishReason: 'refusal' }, REQ) as Record<string, any>;
  t.equal(refused.choices[0].finish_reason, 'content_filter');
  t.equal(refused.choices[0].message.content, '');
  t.notOk('usage' in refused);
});

t.test('encodeError / encodeStreamError shapes', async (t) => {
  t.same(codec.encodeError({ status: 429, message: 'slow down' }), { status: 429, body: { error: { message: 'slow down', type: 'rate_limit_error', code: null } } });
  t.same(codec.encodeError({ status: 401, message: 'bad key', code: 'invalid_api_key' }).body, { error: { message: 'bad key', type: 'authentication_error', code: 'invalid_api_key' } });
  t.same(codec.encodeError({ status: 503, message: 'x', type: 'overloaded_error' }).body, { error: { message: 'x', type: 'overloaded_error', code: null } });
  t.same(codec.encodeError({ status: 429, message: 'x', type: 'RESOURCE_EXHAUSTED' }).body, { error: { message: 'x', type: 'rate_limit_error', code: null } }, 'Google statuses are not OpenAI types');
  t.equal(codec.encodeError({ status: 0, message: 'x' }).status, 500, 'an invalid status becomes 500');
  t.equal(codec.encodeError({ status: 200, message: 'x' }).status, 500);
  const s = codec.encodeStreamError({ status: 500, message: 'boom\nline' });
  t.ok(s.startsWith('data: {') && s.endsWith('}\n\n'));
  t.equal(s.split('\n').length, 3, 'one data line');
  t.same(JSON.parse(s.slice(6)), { error: { message: 'boom\nline', type: 'server_error', code: null } });
});

t.test('decodeError reads every upstream error shape', async (t) => {
  const cases: Array<[number, string, Record<string, unknown>]> = [
    [401, '{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}', { status: 401, message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' }],
    [429, '{"type":"error","error":{"type":"rate_limit_error","message":"Number of requests has exceeded your rate limit"}}', { status: 429, message: 'Number of requests has exceeded your rate limit', type: 'rate_limit_error' }],
    [429, '{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}', { status: 429, message: 'Resource has been exhausted (e.g. check quota).', type: 'RESOURCE_EXHAUSTED' }],
    [400, '[{"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT"}}]', { status: 400, message: 'API key not valid.', type: 'INVALID_ARGUMENT' }],
    [422, '{"detail":[{"loc":["body","messages"],"msg":"field required","type":"value_error.missing"}]}', { status: 422, message: 'field required' }],
    [404, '{"detail":"Not Found"}', { status: 404, message: 'Not Found' }],
    [400, '{"error":"model not supported"}', { status: 400, message: 'model not supported' }],
    [500, '{"message":"Internal error","code":"E500"}', { status: 500, message: 'Internal error', code: 'E500' }],
    [403, '{"errors":[{"message":"forbidden region"}]}', { status: 403, message: 'forbidden region' }],
    [502, '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>', { status: 502, message: '502 Bad Gateway' }],
    [503, '<html><body><p>Service   temporarily\nunavailable</p></body></html>', { status: 503, message: 'Service temporarily unavailable' }],
    [500, 'upstream connect error or disconnect/reset before headers', { status: 500, message: 'upstream connect error or disconnect/reset before headers' }],
    [504, '', { status: 504, message: 'upstream returned HTTP 504' }],
    [500, '{"error":{"message":"truncated', { status: 500, message: '{"error":{"message":"truncated' }],
    [0, 'x', { status: 502, message: 'x' }],
  ];
  for (const [status, body, want] of cases) t.same(codec.decodeError(status, body), want, body.slice(0, 60));
  t.equal(codec.decodeError(500, 'y'.repeat(5000)).message.length, 1001, 'long bodies are clipped');
});

t.test('decodeError never throws on garbage', async (t) => {
  // A deterministic pseudo-random generator keeps failures reproducible.
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const pieces = ['{', '}', '[', ']', '"', ':', ',', 'error', 'message', 'null', '1e999', '\\', '\u0000', '<', '>', 'é', '\uD800', ' '];
  let threw = 0;
  for (let i = 0; i < 2000; i++) {
    let s = '';
    const n = Math.floor(rnd() * 30);
    for (let j = 0; j < n; j++) s += pieces[Math.floor(rnd() * pieces.length)];
    try {
      const e = codec.decodeError(Math.floor(rnd() * 700), s);
      if (typeof e.message !== 'string' || e.status < 400 || e.status > 599) threw++;
    } catch {
      threw++;
    }
  }
  for (const odd of ['null', '[]', '"just a string"', '{"error":null}', '{"error":{"message":{"nested":true}}}', '{"error":{"error":{"message":"deep"}}}', '123']) {
    try {
      const e = codec.decodeError(400, odd);
      if (typeof e.message !== 'string' || !e.message) threw++;
    } catch {
      threw++;
    }
  }
  t.equal(codec.decodeError(400, '{"error":{"error":{"message":"deep"}}}').message, 'deep');
  t.equal(threw, 0);
  // Not even a non-string body (a caller passing a Buffer by mistake) throws.
  t.doesNotThrow(() => codec.decodeError(500, Buffer.from('{"error":"buf"}') as unknown as string));
});
