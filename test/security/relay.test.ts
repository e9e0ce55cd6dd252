// Attacks on the AI Studio relay (GET /v1/ws). Whoever holds a relay socket is
// an `aistudio` credential: it reads the prompts routed to it and answers in
// the model's place. Each test plays the attacker against a real gateway:
// a keyless host, a browser page, a host opening socket after socket, an app
// sending huge frames, and a dead app that never answers pings.
import OpenAI from 'openai';
import t, { type Test } from 'tap';
import { parseConfig } from '../../lib/config/load.js';
import { log, setLogSink } from '../../lib/logging/logger.js';
import { gatewayFromYaml, type TestGateway } from '../helpers/gateway.js';
import { listedModels, SimulatedApp, until, type ConnectOptions } from '../helpers/relay-app.js';

const KEY = 'sk-relay-security-1';
const KEY2 = 'sk-relay-security-2';
const MODEL = 'gemini-2.5-flash';
const keys = `api-keys:\n  - "${KEY}"\n  - "${KEY2}"\n`;

async function gateway(t: Test, yaml: string): Promise<TestGateway> {
  const gw = await gatewayFromYaml(`request-retry: 0\n${yaml}`);
  t.teardown(() => gw.close());
  return gw;
}

const ask = (gw: TestGateway, text: string) =>
  new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 }).chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: text }] });

/** Rejects when `p` takes longer than `ms`, so a missing close fails the test instead of hanging it. */
function within<T>(ms: number, p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** A JSON frame of about `bytes` bytes the gateway answers (a padded ping). */
const paddedPing = (id: string, bytes: number) => JSON.stringify({ id, type: 'ping', payload: { pad: 'x'.repeat(bytes) } });

async function pinged(app: SimulatedApp, id: string, bytes: number): Promise<void> {
  app.send(paddedPing(id, bytes));
  await until(`pong ${id}`, () => app.others.some((f) => f.type === 'pong' && f.id === id));
}

t.test('api-keys set, ws-auth unset: a host without a valid key cannot become a credential', async (t) => {
  const gw = await gateway(t, keys);
  // The attacker stays connected when it gets in, answering like a model would.
  const attacker = await SimulatedApp.connect(gw.url).then(
    (app) => ({ app, status: undefined, body: '' }),
    (err: { status?: number; body?: string }) => ({ app: undefined, status: err.status, body: err.body ?? '' }),
  );
  t.equal(attacker.status, 401, 'no key: 401');
  t.match(JSON.parse(attacker.body || '{}'), { error: { type: 'authentication_error', message: /Missing API key/ } }, 'JSON error body');
  for (const opts of [{ query: 'key=sk-guess' }, { query: 'auth_token=sk-guess' }, { headers: { authorization: 'Bearer sk-guess' } }] as ConnectOptions[]) {
    t.equal((await SimulatedApp.refusal(gw.url, opts))?.status, 401, `wrong key refused: ${JSON.stringify(opts)}`);
  }
  t.same(await listedModels(gw.url, KEY), [], 'no relay credential appeared');
  const victim = await ask(gw, 'my secret prompt').catch((e) => e);
  t.equal(victim.status, 404, 'a user request finds no relay credential');
  t.notOk(attacker.app?.requests.some((r) => r.body.includes('my secret prompt')), "the attacker never read the user's prompt");
  await attacker.app?.close();

  const accepted: ConnectOptions[] = [{ query: `key=${KEY}` }, { query: `auth_token=${KEY}` }, { headers: { authorization: `Bearer ${KEY}` } }, { headers: { 'x-api-key': KEY } }, { headers: { 'x-goog-api-key': KEY2 } }];
  for (const opts of accepted) t.equal(await SimulatedApp.refusal(gw.url, opts), undefined, `accepted: ${JSON.stringify(opts).replace(KEY, 'KEY')}`);
  const app = await SimulatedApp.connect(gw.url, { query: `key=${KEY}` });
  t.equal((await ask(gw, 'hello')).choices[0]!.message.content, 'echo: hello', 'an app with a key serves');
  await app.close();
});

t.test('ws-auth false with api-keys: apps still get in, and the gateway warns loudly at start and on each reload', async (t) => {
  const lines: string[] = [];
  const prevSink = setLogSink({ write: (l) => lines.push(l) });
  const prevLevel = log.level;
  log.level = 'warn';
  t.teardown(() => {
    setLogSink(prevSink);
    log.level = prevLevel;
  });
  const warnings = () => lines.map((l) => JSON.parse(l) as { level: string; msg: string }).filter((l) => l.level === 'warn' && /ws-auth is false/.test(l.msg));
  const open = `ws-auth: false\n${keys}`;

  const gw = await gateway(t, open);
  t.equal(warnings().length, 1, 'warned at start');
  t.match(warnings()[0]!.msg, /ANY host.*become an aistudio credential.*read other users' prompts/);
  const keyless = await SimulatedApp.connect(gw.url);
  t.equal((await ask(gw, 'hi')).choices[0]!.message.content, 'echo: hi', 'the keyless app serves (as configured)');

  gw.reload(parseConfig(`request-retry: 1\n${open}`, 'reload.yaml').config);
  t.equal(warnings().length, 2, 'warned again on a reload where it still holds');
  gw.reload(parseConfig(keys, 'reload.yaml').config);
  t.equal(warnings().length, 2, 'no warning once ws-auth is unset (keys required)');
  t.equal((await within(5000, keyless.closed, 'the keyless app to close')).code, 1008, 'the reload that requires keys closes the keyless app');
  await until('no relay models', async () => (await listedModels(gw.url, KEY)).length === 0);

  const noKeys = await gateway(t, 'ws-auth: false\n');
  t.ok(noKeys, 'ws-auth false without api-keys (an open gateway anyway)');
  t.equal(warnings().length, 2, 'is not warned about');
});

t.test('a browser page (any Origin header) cannot connect unless its origin is allowed', async (t) => {
  const gw = await gateway(t, `${keys}allowed-origins: ["https://my-app.example"]\n`);
  const withKey = (origin: string): ConnectOptions => ({ query: `key=${KEY}`, headers: { origin } });
  for (const origin of ['https://evil.example', 'null', 'http://127.0.0.1', 'https://my-app.example.evil.example']) {
    const r = await SimulatedApp.refusal(gw.url, withKey(origin));
    t.equal(r?.status, 403, `Origin ${origin}: 403, even with a valid key`);
    t.match(JSON.parse(r?.body ?? '{}'), { error: { message: /allowed-origins/ } });
  }
  t.same(await listedModels(gw.url, KEY), [], 'no credential from any of them');
  const allowed = await SimulatedApp.connect(gw.url, withKey('https://my-app.example'));
  const noOrigin = await SimulatedApp.connect(gw.url, { query: `key=${KEY}` });
  t.ok(allowed && noOrigin, 'a listed origin and a non-browser client get in');
  // Dropping the origin from the list closes the page's socket.
  gw.reload(parseConfig(keys, 'reload.yaml').config);
  t.equal((await within(5000, allowed.closed, 'the page to close')).code, 1008, 'a socket whose origin is no longer allowed is closed');
  t.equal(noOrigin.ws.readyState, noOrigin.ws.OPEN, 'the client without Origin stays');
  await noOrigin.close();
});

t.test('an open relay (ws-auth false) still refuses browser pages: no DNS-rebinding or drive-by credential', async (t) => {
  const gw = await gateway(t, 'ws-auth: false\n');
  t.equal((await SimulatedApp.refusal(gw.url, { headers: { origin: 'http://rebind.example:8317' } }))?.status, 403);
  t.same(await listedModels(gw.url), []);
});

t.test('a frame over relay-max-frame-size closes that socket', async (t) => {
  const gw = await gateway(t, 'relay-max-frame-size: 65536\n');
  const app = await SimulatedApp.connect(gw.url);
  await pinged(app, 'small', 60_000);
  t.equal(app.ws.readyState, app.ws.OPEN, 'a frame under the limit is fine');
  app.send(paddedPing('big', 100_000));
  const closed = await within(5000, app.closed, 'close after an oversized frame');
  t.ok(closed.code === 1009 || closed.code === 1006, `closed (${closed.code})`);
  t.notOk(app.others.some((f) => f.id === 'big'), 'the oversized frame was not processed');
  await until('the credential to go', async () => (await listedModels(gw.url)).length === 0);
});

t.test('a reload that lowers relay-max-frame-size applies to connected apps', async (t) => {
  const gw = await gateway(t, 'relay-max-frame-size: 1MiB\n');
  const app = await SimulatedApp.connect(gw.url);
  await pinged(app, 'before', 200_000);
  gw.reload(parseConfig('relay-max-frame-size: 64KiB\n', 'reload.yaml').config);
  await pinged(app, 'small', 60_000);
  app.send(paddedPing('after', 200_000));
  t.equal((await within(5000, app.closed, 'close after an oversized frame')).code, 1009, 'message too big');
  await until('the credential to go', async () => (await listedModels(gw.url)).length === 0);
});

t.test('one address holds at most relay-max-connections-per-ip sockets', async (t) => {
  const gw = await gateway(t, `relay-max-connections-per-ip: 2\n${keys}`);
  const opts = { query: `key=${KEY}` };
  const a = await SimulatedApp.connect(gw.url, opts);
  await SimulatedApp.connect(gw.url, opts);
  const third = await SimulatedApp.refusal(gw.url, opts);
  t.equal(third?.status, 429, 'the third socket from 127.0.0.1 is refused');
  t.match(JSON.parse(third?.body ?? '{}'), { error: { type: 'rate_limit_error', message: /relay-max-connections-per-ip: 2/ } });
  await a.close();
  // The server sees the close a moment after the client: retry until the slot is free.
  let again: SimulatedApp | undefined;
  await until('a freed slot', async () => {
    again = await SimulatedApp.connect(gw.url, opts).catch(() => undefined);
    return again !== undefined;
  });
  t.ok(again, 'closing a socket frees its slot');
  t.equal((await SimulatedApp.refusal(gw.url, opts))?.status, 429, 'and the cap holds again');
});

t.test('the per-address cap holds against upgrades racing in at once', async (t) => {
  const gw = await gateway(t, 'relay-max-connections-per-ip: 2\n');
  const tries = await Promise.allSettled(Array.from({ length: 12 }, () => SimulatedApp.connect(gw.url)));
  const opened = tries.filter((r) => r.status === 'fulfilled');
  t.equal(opened.length, 2, 'exactly the cap got in');
  t.ok(
    tries.every((r) => r.status === 'fulfilled' || (r.reason as { status?: number }).status === 429),
    'the others were refused with 429',
  );
  for (const r of opened) await r.value.close();
});

t.test('an app that answers no pings is closed after relay-idle-timeout-seconds; a live one stays', async (t) => {
  const yaml = 'relay-idle-timeout-seconds: 8\n';
  const [gwDead, gwLive] = await Promise.all([gateway(t, yaml), gateway(t, yaml)]);
  const dead = await SimulatedApp.connect(gwDead.url, { autoPong: false });
  const live = await SimulatedApp.connect(gwLive.url);
  let pings = 0;
  live.ws.on('ping', () => pings++);
  t.ok((await listedModels(gwDead.url)).includes(MODEL), 'the dead app was a credential');
  const started = Date.now();
  const closed = await within(25_000, dead.closed, 'the dead app to be closed');
  t.pass(`closed after ${Math.round((Date.now() - started) / 1000)} s (code ${closed.code})`);
  t.notOk((await listedModels(gwDead.url)).includes(MODEL), 'its credential is gone from /v1/models');
  t.equal(live.ws.readyState, live.ws.OPEN, 'the app that answers pings stays connected');
  t.ok(pings >= 1, `it was pinged (${pings})`);
  t.equal((await ask(gwLive, 'still here')).choices[0]!.message.content, 'echo: still here');
  await live.close();
});
