// Client keys and body limits on the real gateway.
import OpenAI from 'openai';
import t from 'tap';
import { compatYaml, gatewayFromYaml } from '../helpers/gateway.js';
import { startMockOpenAI } from '../mocks/openai-upstream.js';

const mock = await startMockOpenAI();
const gw = await gatewayFromYaml(compatYaml(mock.url, { clientKeys: ['client-key-1'], extra: 'max-body-size: 4KiB' }));
t.teardown(async () => {
  await gw.close();
  await mock.close();
});
const chat = (headers: Record<string, string>, query = '') =>
  fetch(`${gw.url}/v1/chat/completions${query}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'gpt-mock', messages: [{ role: 'user', content: 'k' }] }),
  });

t.test('wrong or missing key: 401 in OpenAI shape through the SDK', async (t) => {
  const bad = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'wrong', maxRetries: 0 });
  const err = await bad.chat.completions.create({ model: 'gpt-mock', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
  t.type(err, OpenAI.AuthenticationError);
  t.equal(err.status, 401);
  t.notMatch(err.message, /client-key-1/, 'the real key is never echoed');
  const none = await chat({});
  t.equal(none.status, 401);
  t.match(((await none.json()) as any).error.message, /Missing API key/);
});

t.test('the key is accepted as Bearer, x-api-key, x-goog-api-key and ?key=', async (t) => {
  const good = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'client-key-1', maxRetries: 0 });
  const res = await good.chat.completions.create({ model: 'gpt-mock', messages: [{ role: 'user', content: 'ok' }] });
  t.equal(res.choices[0]!.message.content, 'echo: ok');
  for (const [headers, q] of [[{ 'x-api-key': 'client-key-1' }, ''], [{ 'x-goog-api-key': 'client-key-1' }, ''], [{}, '?key=client-key-1']] as const) {
    const r = await chat(headers, q);
    t.equal(r.status, 200, JSON.stringify(headers) + q);
    await r.arrayBuffer();
  }
});

t.test('the models list needs the key too', async (t) => {
  t.equal((await fetch(`${gw.url}/v1/models`)).status, 401);
  t.equal((await fetch(`${gw.url}/v1/models`, { headers: { authorization: 'Bearer client-key-1' } })).status, 200);
});

t.test('a body over max-body-size: 413, and the gateway keeps serving', async (t) => {
  const big = JSON.stringify({ model: 'gpt-mock', messages: [{ role: 'user', content: 'x'.repeat(10_000) }] });
  const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer client-key-1' }, body: big });
  t.equal(res.status, 413);
  t.match(((await res.json()) as any).error.message, /limit of 4096 bytes/);
  // Chunked upload without content-length is caught while reading.
  const chunked = new ReadableStream({
    start(c) {
      for (let i = 0; i < 10; i++) c.enqueue(new TextEncoder().encode('x'.repeat(1000)));
      c.close();
    },
  });
  const res2 = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer client-key-1' }, body: chunked, duplex: 'half' } as RequestInit);
  t.equal(res2.status, 413);
  await res2.arrayBuffer();
  const after = await chat({ authorization: 'Bearer client-key-1' });
  t.equal(after.status, 200);
  await after.arrayBuffer();
});
