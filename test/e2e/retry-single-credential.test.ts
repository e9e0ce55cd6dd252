// One credential for the model: transient failures (5xx, 408, a dropped
// connection) are retried on it after a short pause, up to request-retry
// times, before the first byte; and a request whose only key is cooling waits
// for it when the cooldown ends within max-retry-interval.
import OpenAI from 'openai';
import t, { type Test } from 'tap';
import { eventually } from '../auth/helpers.js';
import { compatYaml, gatewayFromYaml } from '../helpers/gateway.js';
import { startMockOpenAI } from '../mocks/openai-upstream.js';

const mock = await startMockOpenAI();
t.teardown(() => mock.close());

async function oneKey(t: Test, extra = '') {
  const gw = await gatewayFromYaml(compatYaml(mock.url, { keys: ['sk-only'], retry: 2, extra }));
  t.teardown(() => gw.close());
  return { gw, client: new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'x', maxRetries: 0 }) };
}

const ask = (client: OpenAI, content: string) => client.chat.completions.create({ model: 'gpt-mock', messages: [{ role: 'user', content }] });

t.test('503 twice, then 200: the one key is tried three times and the client gets the answer', async (t) => {
  const { client } = await oneKey(t);
  const before = mock.requests.length;
  mock.failNext(503, 2);
  const res = await ask(client, 'third time');
  t.equal(res.choices[0]!.message.content, 'echo: third time');
  t.equal(mock.requests.length - before, 3, 'two failed tries and one good one');
});

t.test('a stream is retried the same way before its first byte', async (t) => {
  const { client } = await oneKey(t);
  const before = mock.requests.length;
  mock.failNext(502);
  const final = await client.chat.completions.stream({ model: 'gpt-mock', messages: [{ role: 'user', content: 'streamed' }] }).finalChatCompletion();
  t.equal(final.choices[0]!.message.content, 'echo: streamed');
  t.equal(mock.requests.length - before, 2);
});

t.test('a dropped connection, then 200', async (t) => {
  const { client } = await oneKey(t);
  const before = mock.requests.length;
  mock.dropNext();
  const res = await ask(client, 'after a drop');
  t.equal(res.choices[0]!.message.content, 'echo: after a drop');
  t.equal(mock.requests.length - before, 2);
});

t.test('request-retry bounds the retries: 503 three times with request-retry 2 reaches the client', async (t) => {
  const { client } = await oneKey(t);
  const before = mock.requests.length;
  mock.failNext(503, 3);
  const err = await ask(client, 'x').catch((e: unknown) => e);
  t.type(err, OpenAI.APIError);
  t.equal((err as InstanceType<typeof OpenAI.APIError>).status, 503);
  t.equal(mock.requests.length - before, 3, 'the first try and two retries');
});

t.test('a client error is not retried', async (t) => {
  const { client } = await oneKey(t);
  const before = mock.requests.length;
  mock.failNext(400);
  const err = await ask(client, 'x').catch((e: unknown) => e);
  t.equal((err as InstanceType<typeof OpenAI.APIError>).status, 400);
  t.equal(mock.requests.length - before, 1);
});

t.test('max-retry-interval 2: a key cooling for 1 s is waited for, and serves', async (t) => {
  const { client } = await oneKey(t, 'max-retry-interval: 2');
  const before = mock.requests.length;
  mock.failNext(429, 1, { 'retry-after': '1' });
  const res = await ask(client, 'waited');
  t.equal(res.choices[0]!.message.content, 'echo: waited');
  t.equal(mock.requests.length - before, 2, 'the 429, then the same key after its cooldown');
});

t.test('max-retry-interval 0: the client gets 429 model_cooldown at once', async (t) => {
  const { gw } = await oneKey(t, 'max-retry-interval: 0');
  const before = mock.requests.length;
  mock.failNext(429, 1, { 'retry-after': '1' });
  const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'gpt-mock', messages: [{ role: 'user', content: 'x' }] }) });
  t.equal(res.status, 429);
  t.match(await res.json(), { error: { code: 'model_cooldown', model: 'gpt-mock', reset_seconds: 1 } });
  t.equal(res.headers.get('retry-after'), '1');
  t.equal(mock.requests.length - before, 1);
});

t.test('a cooldown longer than max-retry-interval is not waited for', async (t) => {
  const { gw } = await oneKey(t, 'max-retry-interval: 2');
  mock.failNext(429, 1, { 'retry-after': '30' });
  const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'gpt-mock', messages: [{ role: 'user', content: 'x' }] }) });
  t.equal(res.status, 429);
  t.match(await res.json(), { error: { code: 'model_cooldown', reset_seconds: 30 } });
});

t.test('a client that leaves while the gateway waits for a cooldown ends the wait', async (t) => {
  const { gw, client } = await oneKey(t, 'max-retry-interval: 600');
  const before = mock.requests.length;
  mock.failNext(429, 1, { 'retry-after': '300' });
  const abort = new AbortController();
  const pending = client.chat.completions.create({ model: 'gpt-mock', messages: [{ role: 'user', content: 'x' }] }, { signal: abort.signal }).catch((e: unknown) => e);
  t.ok(await eventually(() => mock.requests.length > before), 'the first try reached the upstream');
  abort.abort();
  t.type(await pending, Error);
  // The request is counted as finished (499) once the wait ends: at once, not after the 300 s cooldown.
  t.ok(await eventually(async () => /cliproxy_requests_total\{[^}]*status="499"[^}]*\} 1/.test(await gw.management.metrics.text())), 'the wait ended with the client');
  t.equal(mock.requests.length - before, 1, 'no second try');
});
