// Connection failures count as retryable, like 5xx answers.
import OpenAI from 'openai';
import t from 'tap';
import { gatewayFromYaml } from '../helpers/gateway.js';
import { startMockOpenAI } from '../mocks/openai-upstream.js';

const mock = await startMockOpenAI();
t.teardown(() => mock.close());

const yaml = (retry: number) => `
request-retry: ${retry}
openai-compatibility:
  - name: dead
    base-url: http://127.0.0.1:1/v1
    api-key-entries: [{ api-key: sk-dead }]
    models: [{ name: mock-model, alias: m }]
  - name: live
    base-url: ${mock.url}
    api-key-entries: [{ api-key: sk-live }]
    models: [{ name: mock-model, alias: m }]
`;

t.test('a refused connection moves on to the next credential', async (t) => {
  const gw = await gatewayFromYaml(yaml(1));
  t.teardown(() => gw.close());
  const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'x', maxRetries: 0 });
  for (let i = 0; i < 4; i++) {
    const res = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: `n${i}` }] });
    t.equal(res.choices[0]!.message.content, `echo: n${i}`);
  }
  const s = await client.chat.completions.stream({ model: 'm', messages: [{ role: 'user', content: 'st' }] }).finalChatCompletion();
  t.equal(s.choices[0]!.message.content, 'echo: st');
});

t.test('with request-retry 0 the client gets a 502 naming the failure, in its format', async (t) => {
  const gw = await gatewayFromYaml(yaml(0));
  t.teardown(() => gw.close());
  const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'x', maxRetries: 0 });
  // Round-robin starts at the dead provider.
  const err = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
  t.type(err, OpenAI.APIError);
  t.equal(err.status, 502);
  t.match(err.message, /upstream unreachable/);
  t.notMatch(err.message, /sk-dead/);
});
