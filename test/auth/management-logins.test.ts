// The management API drives the same login flows as the CLI flags, and
// lists token files with their live state.
import t from 'tap';
import { startMockClaude } from '../mocks/claude-upstream.js';
import { endpointsYaml, startMockOAuth } from '../mocks/oauth-server.js';
import { eventually, mgmtGateway } from '../management/helpers.js';
import { playBrowser } from './helpers.js';

t.test('anthropic-auth-url → browser → get-auth-status ok → auth-files lists the account; qwen device flow too', async (t) => {
  const claudeOAuth = await startMockOAuth({ flavour: 'claude', email: 'm@x.test' });
  const qwenOAuth = await startMockOAuth({ flavour: 'qwen' });
  const api = await startMockClaude();
  t.teardown(async () => {
    await claudeOAuth.close();
    await qwenOAuth.close();
    await api.close();
  });
  const gw = await mgmtGateway(['oauth-endpoints:', endpointsYaml('claude', claudeOAuth, api.url), endpointsYaml('qwen', qwenOAuth, 'http://127.0.0.1:9')].join('\n'));
  t.teardown(() => gw.close());

  const start = await gw.api('GET', '/anthropic-auth-url');
  t.equal(start.status, 200);
  t.match(start.json, { status: 'ok', url: new RegExp(`^${claudeOAuth.url}/authorize\\?`), state: /^[0-9a-f]{32}$/ });
  t.same((await gw.api('GET', `/get-auth-status?state=${start.json.state}`)).json, { status: 'wait' });
  await playBrowser(start.json.url);
  t.ok(await eventually(async () => (await gw.api('GET', `/get-auth-status?state=${start.json.state}`)).json.status === 'ok'));
  t.ok(await eventually(async () => (await gw.api('GET', '/auth-files')).json.files.length === 1));
  const files = (await gw.api('GET', '/auth-files')).json.files;
  t.match(files[0], { name: 'claude-m@x.test.json', provider: 'claude', email: 'm@x.test', status: 'active', account_type: 'oauth' });
  t.notMatch(JSON.stringify(files), /claude-at-|claude-rt-/);
  // The gateway serves the account at once.
  t.ok(await eventually(async () => (await fetch(`${gw.url}/v1/models`).then((r) => r.json()) as any).data.some((m: any) => m.id === 'claude-sonnet-4-5-20250929')));

  const q = await gw.api('GET', '/qwen-auth-url');
  t.match(q.json, { status: 'ok', url: new RegExp(`^${qwenOAuth.url}/device\\?user_code=`) });
  await fetch(q.json.url);
  t.ok(await eventually(async () => (await gw.api('GET', `/get-auth-status?state=${q.json.state}`)).json.status === 'ok'));

  const denied = await gw.api('GET', '/get-auth-status?state=nope');
  t.match(denied.json, { status: 'error' });
});

t.test('a failed login reports its reason; a new login replaces a pending one of the same provider', async (t) => {
  const oauth = await startMockOAuth({ flavour: 'codex', tamperState: true });
  t.teardown(() => oauth.close());
  const gw = await mgmtGateway(['oauth-endpoints:', endpointsYaml('codex', oauth, 'http://127.0.0.1:9')].join('\n'));
  t.teardown(() => gw.close());
  const first = (await gw.api('GET', '/codex-auth-url')).json;
  const second = (await gw.api('GET', '/codex-auth-url')).json;
  t.match((await gw.api('GET', `/get-auth-status?state=${first.state}`)).json, { status: 'error', error: /replaced/ });
  // A callback with a forged state is ignored: the login keeps waiting for its own.
  t.equal((await playBrowser(second.url)).status, 400);
  t.same((await gw.api('GET', `/get-auth-status?state=${second.state}`)).json, { status: 'wait' });
  const denying = await startMockOAuth({ flavour: 'claude', deny: true });
  t.teardown(() => denying.close());
  const gw2 = await mgmtGateway(['oauth-endpoints:', endpointsYaml('claude', denying, 'http://127.0.0.1:9')].join('\n'));
  t.teardown(() => gw2.close());
  const third = (await gw2.api('GET', '/anthropic-auth-url')).json;
  await playBrowser(third.url);
  t.ok(await eventually(async () => (await gw2.api('GET', `/get-auth-status?state=${third.state}`)).json.status === 'error'));
  t.match((await gw2.api('GET', `/get-auth-status?state=${third.state}`)).json.error, /access_denied/);
});
