// Bodies over the offload threshold are parsed and rewritten in a worker
// thread; what reaches the upstream must be identical to the small-body path.
import OpenAI from 'openai';
import t from 'tap';
import { compatYaml, gatewayFromYaml } from '../helpers/gateway.js';
import { startMockOpenAI } from '../mocks/openai-upstream.js';

const mock = await startMockOpenAI();
const gw = await gatewayFromYaml(compatYaml(mock.url));
const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'k', maxRetries: 0 });
t.teardown(async () => {
  await gw.close();
  await mock.close();
});

const image = 'data:image/png;base64,' + Buffer.alloc(3 * 1024 * 1024, 7).toString('base64');

t.test('a 4 MB request is rewritten off the main thread, byte-faithful', async (t) => {
  const before = mock.requests.length;
  const res = await client.chat.completions.create({
    model: 'gpt-mock',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'describe' }, { type: 'image_url', image_url: { url: image } }] }],
  });
  t.equal(res.choices[0]!.message.content, 'echo: describe');
  const seen = mock.requests[before]!.body;
  t.equal(seen.model, 'mock-model', 'model renamed in the worker');
  t.equal(seen.messages[0].content[1].image_url.url, image, 'the image arrived intact');
});

t.test('a large stream request works the same', async (t) => {
  const final = await client.chat.completions
    .stream({ model: 'gpt-mock', messages: [{ role: 'user', content: [{ type: 'text', text: 'big stream' }, { type: 'image_url', image_url: { url: image } }] }] })
    .finalChatCompletion();
  t.equal(final.choices[0]!.message.content, 'echo: big stream');
});

t.test('large malformed JSON: a clear 400', async (t) => {
  const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', body: '{"model":"gpt-mock","messages":"' + 'x'.repeat(2 * 1024 * 1024) });
  t.equal(res.status, 400);
  t.match(((await res.json()) as any).error.message, /not valid JSON/);
});
