// Each provider's login flow against a mock OAuth server: the authorize URL
// carries the public client parameters, PKCE and state; the local callback
// server checks state and closes; the token file lands in auth-dir (0600),
// shaped and named as the reference writes it.
import { readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import t from 'tap';
import { LoginError } from '../../lib/auth/errors.js';
import { startLogin } from '../../lib/auth/login.js';
import { startMockGemini } from '../mocks/gemini-upstream.js';
import { startMockOAuth } from '../mocks/oauth-server.js';
import { waitFor } from '../helpers/wait.js';
import { accountsConfig, playBrowser, tempDir } from './helpers.js';

const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(true));
  });

const fileOf = (p: string) => ({ mode: statSync(p).mode & 0o777, data: JSON.parse(readFileSync(p, 'utf8')) });

t.test('claude: PKCE + state, code#state split, JSON token exchange, claude-<email>.json', async (t) => {
  const mock = await startMockOAuth({ flavour: 'claude', email: 'ann@example.com' });
  t.teardown(() => mock.close());
  const dir = tempDir();
  const login = await startLogin('claude', { config: accountsConfig(dir, [['claude', mock, 'http://127.0.0.1:9']]) });
  const u = new URL(login.url);
  t.equal(u.origin + u.pathname, `${mock.url}/authorize`);
  t.equal(u.searchParams.get('client_id'), '9d1c250a-e61b-44d9-88ed-5944d1962f5e');
  t.equal(u.searchParams.get('scope'), 'org:create_api_key user:profile user:inference');
  t.equal(u.searchParams.get('code_challenge_method'), 'S256');
  t.equal(u.searchParams.get('state'), login.state);
  t.match(u.searchParams.get('redirect_uri'), /^http:\/\/localhost:\d+\/callback$/);
  const page = await playBrowser(login.url);
  t.equal(page.status, 200);
  t.match(page.text, /Authentication successful/);
  const saved = await login.wait;
  t.equal(saved.fileName, 'claude-ann@example.com.json');
  const f = fileOf(saved.path);
  t.equal(f.mode, 0o600, 'token file readable by its owner only');
  t.match(f.data, { type: 'claude', email: 'ann@example.com', access_token: 'claude-at-1', refresh_token: 'claude-rt-1' });
  t.ok(Date.parse(f.data.expired) > Date.now(), 'expired is an RFC 3339 time ahead');
  const tokenCall = mock.requests.find((r) => r.path === '/token')!;
  t.match(tokenCall.body, { grant_type: 'authorization_code', code: 'code-claude-1', state: login.state });
  t.ok(await refused(Number(new URL(page.callback).port)), 'the callback server closed after use');
});

t.test('codex: form exchange; the id_token names email and ChatGPT account', async (t) => {
  const mock = await startMockOAuth({ flavour: 'codex', email: 'bob@example.com', accountId: 'acct-42' });
  t.teardown(() => mock.close());
  const dir = tempDir();
  const login = await startLogin('codex', { config: accountsConfig(dir, [['codex', mock, 'http://127.0.0.1:9']]) });
  const u = new URL(login.url);
  t.equal(u.searchParams.get('client_id'), 'app_EMoamEEZ73f0CkXaXp7hrann');
  t.equal(u.searchParams.get('codex_cli_simplified_flow'), 'true');
  t.match(u.searchParams.get('redirect_uri'), /^http:\/\/localhost:\d+\/auth\/callback$/);
  await playBrowser(login.url);
  const saved = await login.wait;
  t.equal(saved.fileName, 'codex-bob@example.com.json');
  t.match(fileOf(saved.path).data, { type: 'codex', email: 'bob@example.com', account_id: 'acct-42', access_token: 'codex-at-1' });
});

t.test('iflow: client secret (Basic), then the API key from user info', async (t) => {
  const mock = await startMockOAuth({ flavour: 'iflow', email: 'cy@example.com', apiKey: 'sk-iflow-42' });
  t.teardown(() => mock.close());
  const login = await startLogin('iflow', { config: accountsConfig(tempDir(), [['iflow', mock, 'http://127.0.0.1:9']]) });
  t.match(new URL(login.url).searchParams.get('redirect'), /^http:\/\/localhost:\d+\/oauth2callback$/);
  await playBrowser(login.url);
  const saved = await login.wait;
  t.equal(saved.fileName, 'iflow-cy@example.com.json');
  t.match(fileOf(saved.path).data, { type: 'iflow', api_key: 'sk-iflow-42', email: 'cy@example.com' });
});

t.test('gemini: Google exchange, user info, project discovery, onboarding, API check', async (t) => {
  const mock = await startMockOAuth({ flavour: 'google', email: 'dee@example.com', serviceDisabled: true });
  const ca = await startMockGemini({ project: 'discovered-proj', onboarded: false });
  t.teardown(async () => {
    await mock.close();
    await ca.close();
  });
  const login = await startLogin('gemini-cli', { config: accountsConfig(tempDir(), [['gemini-cli', mock, ca.url]]) });
  const u = new URL(login.url);
  t.equal(u.searchParams.get('access_type'), 'offline');
  t.equal(u.searchParams.get('prompt'), 'consent');
  t.match(u.searchParams.get('scope'), /cloud-platform .*userinfo\.email/);
  await playBrowser(login.url);
  const saved = await login.wait;
  t.equal(saved.fileName, 'dee@example.com-discovered-proj.json');
  const { data } = fileOf(saved.path);
  t.match(data, { type: 'gemini', email: 'dee@example.com', project_id: 'discovered-proj', checked: true, auto: false });
  t.match(data.token, { access_token: 'google-at-1', refresh_token: 'google-rt-1', token_uri: 'https://oauth2.googleapis.com/token' });
  t.ok(ca.requests.some((r) => r.url === '/v1internal:onboardUser' && r.body.tierId === 'free-tier'), 'onboarded to the default tier');
  t.ok(mock.requests.some((r) => r.path.endsWith(':enable')), 'enabled the Gemini for Cloud API');
});

t.test('gemini: --project_id picks the project, several are kept comma-separated', async (t) => {
  const mock = await startMockOAuth({ flavour: 'google', email: 'eve@example.com' });
  const ca = await startMockGemini();
  t.teardown(async () => {
    await mock.close();
    await ca.close();
  });
  const login = await startLogin('gemini-cli', { config: accountsConfig(tempDir(), [['gemini-cli', mock, ca.url]]), projectId: 'p-one,p-two' });
  await playBrowser(login.url);
  const saved = await login.wait;
  t.equal(fileOf(saved.path).data.project_id, 'p-one,p-two');
  const loads = ca.requests.filter((r) => r.url === '/v1internal:loadCodeAssist').map((r) => r.body.cloudaicompanionProject);
  t.same(loads, ['p-one', 'p-two']);
});

t.test('qwen: device code with PKCE, polling through slow_down until approved', async (t) => {
  const mock = await startMockOAuth({ flavour: 'qwen', device: { slowDownOnce: true }, resourceUrl: 'portal.example' });
  t.teardown(() => mock.close());
  const notes: string[] = [];
  const login = await startLogin('qwen', { config: accountsConfig(tempDir(), [['qwen', mock, 'http://127.0.0.1:9']]), alias: 'team-a', note: (l) => notes.push(l) });
  t.match(login.url, `${mock.url}/device?user_code=`);
  t.equal(login.userCode, 'USER-1');
  t.ok(login.deadline > Date.now());
  // Not yet approved: polls stay pending.
  t.ok(await waitFor(() => mock.requests.filter((r) => r.path === '/token').length >= 2), 'polled while pending');
  t.equal((await fetch(login.url)).status, 200, 'the person approves');
  const saved = await login.wait;
  t.equal(saved.fileName, 'qwen-team-a.json');
  t.match(fileOf(saved.path).data, { type: 'qwen', email: 'team-a', resource_url: 'portal.example', access_token: 'qwen-at-1' });
  const polls = mock.requests.filter((r) => r.path === '/token');
  t.ok(polls.every((p) => p.body['grant_type'] === 'urn:ietf:params:oauth:grant-type:device_code' && (p.body['code_verifier'] as string).length >= 43));
});

t.test('qwen: denial and expiry end the login with a clear error', async (t) => {
  const denied = await startMockOAuth({ flavour: 'qwen', device: { deny: true } });
  const expiring = await startMockOAuth({ flavour: 'qwen', device: { expiresIn: 0.2 } });
  t.teardown(async () => {
    await denied.close();
    await expiring.close();
  });
  const a = await startLogin('qwen', { config: accountsConfig(tempDir(), [['qwen', denied, 'http://127.0.0.1:9']]) });
  const ea = await a.wait.catch((e: unknown) => e);
  t.type(ea, LoginError);
  t.equal((ea as LoginError).reason, 'denied');
  const b = await startLogin('qwen', { config: accountsConfig(tempDir(), [['qwen', expiring, 'http://127.0.0.1:9']]) });
  const eb = await b.wait.catch((e: unknown) => e);
  t.equal((eb as LoginError).reason, 'expired');
  t.match((eb as Error).message, /expired before it was approved/);
});

t.test('denial, forged state, timeout and a busy port fail clearly; no file is written', async (t) => {
  const deny = await startMockOAuth({ flavour: 'claude', deny: true });
  const forge = await startMockOAuth({ flavour: 'codex', tamperState: true });
  t.teardown(async () => {
    await deny.close();
    await forge.close();
  });
  const dir = tempDir();
  const a = await startLogin('claude', { config: accountsConfig(dir, [['claude', deny, 'http://127.0.0.1:9']]) });
  const pageA = await playBrowser(a.url);
  t.equal(pageA.status, 400);
  const ea = (await a.wait.catch((e: unknown) => e)) as LoginError;
  t.equal(ea.reason, 'denied');
  t.match(ea.message, /access_denied/);

  // A forged callback is ignored: the login keeps waiting for its own (here until its timeout).
  const b = await startLogin('codex', { config: accountsConfig(dir, [['codex', forge, 'http://127.0.0.1:9']]), timeoutMs: 1500 });
  const pageB = await playBrowser(b.url);
  t.equal(pageB.status, 400);
  const eb = (await b.wait.catch((e: unknown) => e)) as LoginError;
  t.equal(eb.reason, 'timeout', 'the forged callback neither finished nor cancelled the login');
  t.notOk(forge.requests.some((r) => r.path === '/token'), 'no code exchange after a state mismatch');

  const c = await startLogin('claude', { config: accountsConfig(dir, [['claude', deny, 'http://127.0.0.1:9']]), timeoutMs: 50 });
  const port = Number(new URL(new URL(c.url).searchParams.get('redirect_uri')!).port);
  const ec = (await c.wait.catch((e: unknown) => e)) as LoginError;
  t.equal(ec.reason, 'timeout');
  t.match(ec.message, /timed out/);
  t.ok(await refused(port), 'the callback server closed on timeout');

  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  t.teardown(() => blocker.close());
  const busy = (blocker.address() as net.AddressInfo).port;
  const cfg = accountsConfig(dir, [['claude', deny, 'http://127.0.0.1:9']]);
  cfg.oauthEndpoints.claude.callbackPort = busy;
  const ed = (await startLogin('claude', { config: cfg }).catch((e: unknown) => e)) as LoginError;
  t.equal(ed.reason, 'port-in-use');
  t.match(ed.message, new RegExp(`port ${busy} is in use`));
  const { readdirSync } = await import('node:fs');
  t.same(readdirSync(dir), [], 'no token file from failed logins');
});
