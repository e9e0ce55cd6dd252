// Logins from the API: *-auth-url starts a flow through the registered
// LoginStarter and /get-auth-status follows it; without one, an explicit 503.
import t from 'tap';
import type { LoginProvider, LoginStartOptions, LoginStatus } from '../../lib/management/types.js';
import { mgmtGateway } from './helpers.js';

const gw = await mgmtGateway('debug: false\n');
t.teardown(() => gw.close());
const m = gw.management;
const original = m.logins;

t.test('no login flows registered: 503 with a clear error', async (t) => {
  m.logins = undefined;
  t.teardown(() => void (m.logins = original));
  for (const p of ['/anthropic-auth-url', '/codex-auth-url', '/gemini-cli-auth-url', '/qwen-auth-url', '/iflow-auth-url', '/get-auth-status?state=x']) {
    const r = await gw.api('GET', p);
    t.same([r.status, r.json], [503, { error: 'login flows not available' }], p);
  }
});

t.test('each endpoint starts its provider; status goes wait → ok or error', async (t) => {
  const started: Array<[LoginProvider, LoginStartOptions]> = [];
  const states = new Map<string, LoginStatus>();
  m.registerLogins({
    async start(provider, opts) {
      started.push([provider, opts]);
      const state = `st-${started.length}`;
      states.set(state, { status: 'wait' });
      if (provider === 'qwen') throw new Error('device code endpoint unreachable');
      return { url: `https://login.example/${provider}?state=${state}`, state };
    },
    status: (state) => states.get(state),
  });
  t.teardown(() => void (m.logins = original));

  const a = await gw.api('GET', '/anthropic-auth-url');
  t.same(a.json, { status: 'ok', url: 'https://login.example/anthropic?state=st-1', state: 'st-1' });
  const g = await gw.api('GET', '/gemini-cli-auth-url?project_id=my-proj&is_webui=true');
  t.equal(g.status, 200);
  t.same(started[1], ['gemini-cli', { projectId: 'my-proj', webui: true, gatewayUrl: gw.url }]);
  t.equal((await gw.api('GET', '/codex-auth-url')).json.state, 'st-3');
  t.equal((await gw.api('GET', '/iflow-auth-url')).json.url, 'https://login.example/iflow?state=st-4');
  const q = await gw.api('GET', '/qwen-auth-url');
  t.equal(q.status, 500);
  t.match(q.json.error, /device code endpoint unreachable/);
  t.same(started.map((s) => s[0]), ['anthropic', 'gemini-cli', 'codex', 'iflow', 'qwen']);

  t.same((await gw.api('GET', '/get-auth-status?state=st-1')).json, { status: 'wait' });
  states.set('st-1', { status: 'ok' });
  t.same((await gw.api('GET', '/get-auth-status?state=st-1')).json, { status: 'ok' });
  states.set('st-3', { status: 'error', error: 'token exchange failed with status 400' });
  t.same((await gw.api('GET', '/get-auth-status?state=st-3')).json, { status: 'error', error: 'token exchange failed with status 400' });
  t.same((await gw.api('GET', '/get-auth-status?state=nope')).json, { status: 'error', error: 'unknown or expired login state' });
  t.equal((await gw.api('GET', '/get-auth-status')).status, 400);
});

t.test('login endpoints need the management key like everything else', async (t) => {
  t.equal((await gw.api('GET', '/anthropic-auth-url', undefined, { authorization: 'Bearer wrong' })).status, 401);
});
