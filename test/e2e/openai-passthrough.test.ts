// The OpenAI SDK against the real gateway in front of a mock OpenAI-compatible upstream.
import OpenAI from 'openai';
import t from 'tap';
import { compatYaml, gatewayFromYaml } from '../helpers/gateway.js';
import { startMockOpenAI } from '../mocks/openai-upstream.js';

const mock = await startMockOpenAI();
const gw = await gatewayFromYaml(compatYaml(mock.url, { keys: ['sk-upstream-1', 'sk-upstream-2'] }));
const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0 });
t.teardown(async () => {
  await gw.close();
  await mock.close();
});

t.test('non-stream completion comes back intact, with the upstream model name sent upstream', async (t) => {
  const before = mock.requests.length;
  const res = await client.chat.completions.create({ model: 'gpt-mock', messages: [{ role: 'user', content: 'hi there' }] });
  t.equal(res.choices[0]!.message.content, 'echo: hi there');
  t.equal(res.usage?.total_tokens, 17);
  const seen = mock.requests[before]!;
  t.equal(seen.body.model, 'mock-model', 'alias mapped to the upstream name');
  t.match(seen.headers.authorization, /^Bearer sk-upstream-[12]$/);
  t.same(seen.body.messages, [{ role: 'user', content: 'hi there' }], 'rest of the body untouched');
});

t.test('stream with chat.completions.stream() assembles the full answer', async (t) => {
  const stream = client.chat.completions.stream({ model: 'gpt-mock', messages: [{ role: 'user', content: 'stream me' }] });
  const deltas: string[] = [];
  stream.on('content.delta', ({ delta }) => deltas.push(delta));
  const final = await stream.finalChatCompletion();
  t.equal(final.choices[0]!.message.content, 'echo: stream me');
  t.equal(final.choices[0]!.finish_reason, 'stop');
  t.same(deltas, ['echo: ', 'stream me']);
});

t.test('stream_options.include_usage passes through', async (t) => {
  const stream = await client.chat.completions.create({ model: 'gpt-mock', messages: [{ role: 'user', content: 'u' }], stream: true, stream_options: { include_usage: true } });
  let usage: OpenAI.CompletionUsage | undefined;
  for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
  t.equal(usage?.prompt_tokens, 11);
});

t.test('tool calls pass through, streamed and not', async (t) => {
  const tools: OpenAI.ChatCompletionTool[] = [
    { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
    { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { tz: { type: 'string' } } } } },
  ];
  const res = await client.chat.completions.create({ model: 'tool-call', messages: [{ role: 'user', content: 'weather?' }], tools });
  const calls = res.choices[0]!.message.tool_calls!;
  t.equal(calls.length, 2);
  t.same(calls.map((c) => c.type === 'function' && [c.id, c.function.name, JSON.parse(c.function.arguments)]), [
    ['call_a1', 'get_weather', { city: 'Paris' }],
    ['call_b2', 'get_time', { tz: 'CET' }],
  ]);
  const final = await client.chat.completions.stream({ model: 'tool-call', messages: [{ role: 'user', content: 'weather?' }], tools }).finalChatCompletion();
  const streamed = final.choices[0]!.message.tool_calls!;
  t.same(streamed.map((c) => c.type === 'function' && [c.id, c.function.name, c.function.arguments]), [
    ['call_a1', 'get_weather', '{"city":"Paris"}'],
    ['call_b2', 'get_time', '{"tz":"CET"}'],
  ]);
  t.equal(final.choices[0]!.finish_reason, 'tool_calls');
});

t.test('a 500 from one key is retried on the next key', async (t) => {
  const before = mock.requests.length;
  mock.failNext(500);
  const res = await client.chat.completions.create({ model: 'gpt-mock', messages: [{ role: 'user', content: 'again' }] });
  t.equal(res.choices[0]!.message.content, 'echo: again');
  const tries = mock.requests.slice(before);
  t.equal(tries.length, 2, 'one failed try and one good one');
  t.not(tries[0]!.headers.authorization, tries[1]!.headers.authorization, 'the retry used the other key');
});

t.test('a retried stream still streams correctly', async (t) => {
  mock.failNext(502);
  const final = await client.chat.completions.stream({ model: 'gpt-mock', messages: [{ role: 'user', content: 's' }] }).finalChatCompletion();
  t.equal(final.choices[0]!.message.content, 'echo: s');
});

t.test('a non-retryable upstream error reaches the client in OpenAI shape with its status', async (t) => {
  const err = await client.chat.completions.create({ model: 'fail-400', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
  t.type(err, OpenAI.BadRequestError);
  t.equal(err.status, 400);
  t.match(err.message, /mock upstream error 400/);
});

t.test('when every try fails the client gets the last upstream error', async (t) => {
  mock.failNext(503, 2);
  const before = mock.requests.length;
  const err = await client.chat.completions.create({ model: 'gpt-mock', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
  t.type(err, OpenAI.APIError);
  t.equal(err.status, 503);
  t.equal(mock.requests.length - before, 2, 'two keys, each tried once');
});

t.test('unknown model: 404 naming the model', async (t) => {
  const err = await client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
  t.type(err, OpenAI.NotFoundError);
  t.match(err.message, /no-such-model/);
});

t.test('models list shows the configured aliases', async (t) => {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  t.ok(ids.includes('gpt-mock'));
  t.ok(ids.includes('tool-call'));
  t.notOk(ids.includes('mock-model'), 'upstream names are not listed, aliases are');
});

t.test('malformed JSON: 400 in OpenAI shape', async (t) => {
  const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model": "gpt-mock", "messages": [' });
  t.equal(res.status, 400);
  const body = (await res.json()) as any;
  t.match(body.error.message, /not valid JSON/);
  t.type(body.error.type, 'string');
});

t.test('missing model: 400', async (t) => {
  const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', body: '{"messages": []}' });
  t.equal(res.status, 400);
  t.match(((await res.json()) as any).error.message, /model/);
});

t.test('client abort mid-stream closes the upstream request', async (t) => {
  const before = mock.requests.length;
  const ac = new AbortController();
  const stream = await client.chat.completions.create(
    { model: 'hang-stream', messages: [{ role: 'user', content: 'x' }], stream: true },
    { signal: ac.signal },
  );
  const it = stream[Symbol.asyncIterator]();
  const first = await it.next();
  t.equal(first.value?.choices[0]?.delta.content, 'first');
  ac.abort();
  await it.next().catch(() => undefined);
  t.equal(mock.requests.length, before + 1);
  const rec = mock.requests[before]!;
  await rec.closed;
  t.ok(rec.closedEarly, 'the mock saw its request closed before it finished');
});

t.test('upstream dying mid-stream ends the stream with an OpenAI error event', async (t) => {
  const stream = await client.chat.completions.create({ model: 'break-stream', messages: [{ role: 'user', content: 'x' }], stream: true });
  let text = '';
  const err = await (async () => {
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
  })().catch((e) => e);
  t.equal(text, 'part one, part two', 'everything before the break arrived');
  t.type(err, OpenAI.APIError);
  t.match(err.message, /upstream/);
});

t.test('GET / says hello', async (t) => {
  const res = await fetch(`${gw.url}/`);
  t.equal(res.status, 200);
  t.match(((await res.json()) as any).endpoints, Array);
});

t.test('unknown endpoint: 404 JSON', async (t) => {
  const res = await fetch(`${gw.url}/v1/nope`);
  t.equal(res.status, 404);
  t.match(((await res.json()) as any).error.message, /nope/);
});
