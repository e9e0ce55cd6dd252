// Who may connect an AI Studio app to /v1/ws: `ws-auth: false` lets any app
// in (warned about when api-keys is set); `ws-auth: true`, or leaving it unset
// while api-keys is set, asks for a client key (query ?key= / ?auth_token=, or
// an Authorization / x-api-key / x-goog-api-key header); true refuses everyone
// when no keys exist; turning it on by a reload closes keyless apps. The
// attacks themselves (Origin, caps, idle apps) are in test/security/relay.test.ts.
import OpenAI from 'openai';
import t from 'tap';
import { parseConfig } from '../../lib/config/load.js';
import { gatewayFromYaml } from '../helpers/gateway.js';
import { listedModels, SimulatedApp, until, type ConnectOptions } from '../helpers/relay-app.js';

const KEY = 'sk-client-relay-1';
const keysYaml = (wsAuth: boolean) => `request-retry: 0\nws-auth: ${wsAuth}\napi-keys:\n  - "${KEY}"\n  - "sk-client-relay-2"\n`;

/** The HTTP status (and body) of a refused upgrade; undefined when the app got in. */
async function refused(url: string, opts: ConnectOptions, seen?: { body?: string }): Promise<number | undefined> {
  const r = await SimulatedApp.refusal(url, opts);
  if (seen) seen.body = r?.body;
  return r?.status;
}

t.test('ws-auth false: any app connects, even when clients need keys', async (t) => {
  const gw = await gatewayFromYaml(keysYaml(false));
  t.teardown(() => gw.close());
  const app = await SimulatedApp.connect(gw.url);
  t.ok((await listedModels(gw.url, KEY)).includes('gemini-2.5-flash'), 'the app serves models');
  const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 });
  const r = await openai.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }] });
  t.equal(r.choices[0]!.message.content, 'echo: hi');
  const noKey = await new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'wrong', maxRetries: 0 }).chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
  t.equal(noKey.status, 401, 'HTTP clients still need their key');
  t.equal(app.requests.length, 1);
});

t.test('ws-auth true: a valid client key is required, wherever the reference accepts it', async (t) => {
  const gw = await gatewayFromYaml(keysYaml(true));
  t.teardown(() => gw.close());
  t.equal(await refused(gw.url, {}), 401, 'no key');
  t.equal(await refused(gw.url, { query: 'key=sk-wrong' }), 401, 'wrong key');
  t.equal(await refused(gw.url, { headers: { authorization: 'Bearer sk-wrong' } }), 401, 'wrong bearer');
  const seen: { body?: string } = {};
  t.equal(await refused(gw.url, { query: 'key=sk-wrong-secret' }, seen), 401);
  t.notMatch(seen.body, /sk-wrong-secret/, 'the refusal does not echo the key');
  t.match(JSON.parse(seen.body ?? '{}'), { error: { message: /Invalid API key/, type: 'authentication_error' } });
  const accepted: ConnectOptions[] = [{ query: `key=${KEY}` }, { query: `auth_token=${KEY}` }, { headers: { authorization: `Bearer ${KEY}` } }, { headers: { 'x-api-key': KEY } }, { headers: { 'x-goog-api-key': 'sk-client-relay-2' } }];
  for (const opts of accepted) {
    const app = await SimulatedApp.connect(gw.url, opts);
    t.ok(app, `accepted: ${JSON.stringify(opts).replace(KEY, 'KEY')}`);
    await app.close();
  }
  t.same(await listedModels(gw.url, KEY), [], 'closed apps left no models behind');
});

t.test('ws-auth true without any api-keys refuses every app', async (t) => {
  const gw = await gatewayFromYaml('ws-auth: true\n');
  t.teardown(() => gw.close());
  t.equal(await refused(gw.url, {}), 401);
  t.equal(await refused(gw.url, { query: 'key=anything' }), 401);
});

t.test('turning ws-auth on by a reload closes apps without a valid key, keeps the others', async (t) => {
  const gw = await gatewayFromYaml(keysYaml(false));
  t.teardown(() => gw.close());
  const keyless = await SimulatedApp.connect(gw.url);
  const keyed = await SimulatedApp.connect(gw.url, { query: `key=${KEY}` });
  gw.reload(parseConfig(keysYaml(true), 'reload.yaml').config);
  const closed = await keyless.closed;
  t.equal(closed.code, 1008, 'policy violation close');
  t.equal(keyed.ws.readyState, keyed.ws.OPEN, 'the app with a key stays');
  const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 });
  for (let i = 0; i < 3; i++) await openai.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: `r${i}` }] });
  t.equal(keyed.requests.length, 3, 'every request went to the remaining app');
  t.equal(keyless.requests.length, 0);
  // Dropping that key from api-keys closes it too.
  gw.reload(parseConfig(`ws-auth: true\napi-keys: ["sk-other"]\n`, 'reload.yaml').config);
  t.equal((await keyed.closed).code, 1008);
  await until('no relay models', async () => (await listedModels(gw.url, 'sk-other')).length === 0);
});

t.test('a plain GET /v1/ws (no upgrade) is told to upgrade', async (t) => {
  const gw = await gatewayFromYaml('');
  t.teardown(() => gw.close());
  const res = await fetch(`${gw.url}/v1/ws`);
  t.equal(res.status, 426);
  t.equal(res.headers.get('upgrade'), 'websocket');
  t.match(await res.json(), { error: { code: 'upgrade_required' } });
});

t.test('closing the gateway closes connected apps', async (t) => {
  const gw = await gatewayFromYaml('');
  const app = await SimulatedApp.connect(gw.url);
  await gw.close();
  t.equal((await app.closed).code, 1001, 'going away');
});
