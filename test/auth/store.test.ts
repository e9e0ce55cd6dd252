// auth-dir as a live credential source: load, watch, refresh ahead of
// expiry on an injected clock, and failures that mark a credential without
// blocking the others.
import { chmodSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { authStoreFor, listAuthFiles } from '../../lib/auth/store.js';
import { parseConfig } from '../../lib/config/load.js';
import { startGateway, type Gateway } from '../../lib/gateway.js';
import { log } from '../../lib/logging/logger.js';
import { startMockClaude } from '../mocks/claude-upstream.js';
import { startMockOAuth } from '../mocks/oauth-server.js';
import { accountsYaml, eventually, loginFile, tempDir } from './helpers.js';

process.env.LOG_LEVEL ??= 'error';
log.level = process.env.LOG_LEVEL;

const claudeApi = await startMockClaude();
t.teardown(() => claudeApi.close());

async function gateway(yaml: string, now: () => number): Promise<Gateway> {
  return startGateway({ config: parseConfig(yaml, 't.yaml').config, port: 0, host: '127.0.0.1', now, authRefreshCheckMs: 0 });
}

async function ask(gw: Gateway, model = 'claude-sonnet-4-5-20250929'): Promise<{ status: number; auth?: string }> {
  const before = claudeApi.requests.length;
  const res = await fetch(`${gw.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.arrayBuffer();
  const r = claudeApi.requests[before];
  return { status: res.status, auth: (r?.headers['authorization'] as string | undefined) ?? (r?.headers['x-api-key'] as string | undefined) };
}

t.test('files load at start, broken ones are listed with a reason; add, change and delete apply live', async (t) => {
  const oauth = await startMockOAuth({ flavour: 'claude', email: 'a@x.test' });
  t.teardown(() => oauth.close());
  const dir = tempDir();
  const first = await loginFile('claude', oauth, dir, claudeApi.url);
  writeFileSync(path.join(dir, 'broken.json'), '{ not json');
  writeFileSync(path.join(dir, 'other.json'), JSON.stringify({ type: 'mystery', access_token: 'x' }));
  writeFileSync(path.join(dir, 'notes.txt'), 'ignored');
  let now = Date.now();
  const gw = await gateway(accountsYaml(dir, [['claude', oauth, claudeApi.url]]), () => now);
  t.teardown(() => gw.close());

  const files = listAuthFiles(gw.context);
  t.same(files.map((f) => f.name), ['broken.json', 'claude-a@x.test.json', 'other.json']);
  t.match(files[0], { status: 'error', status_message: /not a valid token file/ });
  t.match(files[1], { status: 'active', provider: 'claude', type: 'claude', email: 'a@x.test', account_type: 'oauth', disabled: false, unavailable: false });
  t.match(files[2], { status: 'error', status_message: /unknown token file type "mystery"/ });
  t.notMatch(JSON.stringify(files), /claude-at-1|claude-rt-1/, 'no token in the listing');

  t.same(await ask(gw), { status: 200, auth: 'Bearer claude-at-1' });

  // change: a new access token in the file is used on the next request
  const data = JSON.parse(readFileSync(first, 'utf8'));
  writeFileSync(first, JSON.stringify({ ...data, access_token: 'claude-at-edited' }));
  t.ok(await eventually(async () => (await ask(gw)).auth === 'Bearer claude-at-edited'), 'edit picked up');

  // add: a second account joins the rotation
  const second = path.join(dir, 'claude-b@x.test.json');
  writeFileSync(second, JSON.stringify({ ...data, email: 'b@x.test', access_token: 'claude-at-b' }));
  t.ok(await eventually(() => listAuthFiles(gw.context).length === 4));
  const seen = new Set<string | undefined>();
  for (let i = 0; i < 4; i++) seen.add((await ask(gw)).auth);
  t.same([...seen].sort(), ['Bearer claude-at-b', 'Bearer claude-at-edited']);

  // delete: gone from rotation and listing; with no file left the model is unserved
  rmSync(second);
  rmSync(first);
  t.ok(await eventually(() => listAuthFiles(gw.context).every((f) => !f.name.startsWith('claude-'))));
  t.equal((await ask(gw)).status, 404);
  void now;
});

t.test('refresh ahead of expiry, in the background; the file is rewritten (0600) and used', async (t) => {
  const oauth = await startMockOAuth({ flavour: 'claude', email: 'r@x.test', expiresIn: 8 * 3600 });
  t.teardown(() => oauth.close());
  const dir = tempDir();
  const file = await loginFile('claude', oauth, dir, claudeApi.url);
  let now = Date.now();
  const gw = await gateway(accountsYaml(dir, [['claude', oauth, claudeApi.url]]), () => now);
  t.teardown(() => gw.close());
  const store = authStoreFor(gw.context)!;

  await store.checkRefreshes();
  t.equal(oauth.refreshes, 0, '8 h left: no refresh yet (lead is 4 h)');
  now += 3.5 * 3600_000;
  await store.checkRefreshes();
  t.equal(oauth.refreshes, 0, '4.5 h left: still none');
  now += 1 * 3600_000;
  await store.checkRefreshes();
  t.equal(oauth.refreshes, 1, '3.5 h left: refreshed');
  const data = JSON.parse(readFileSync(file, 'utf8'));
  t.match(data, { access_token: 'claude-at-2', refresh_token: 'claude-rt-2', email: 'r@x.test', type: 'claude' });
  t.equal(statSync(file).mode & 0o777, 0o600);
  t.ok(Date.parse(data.expired) > now + 7 * 3600_000, 'new expiry computed from the clock');
  t.match(listAuthFiles(gw.context)[0], { status: 'active', status_message: '', last_refresh: new Date(now).toISOString() });
  t.equal((await ask(gw)).auth, 'Bearer claude-at-2', 'requests use the refreshed token');
  await store.checkRefreshes();
  t.equal(oauth.refreshes, 1, 'no second refresh right after the first');
});

t.test('a failing refresh marks the credential; others keep serving; an expired one is taken out', async (t) => {
  const good = await startMockOAuth({ flavour: 'claude', email: 'good@x.test', expiresIn: 8 * 3600 });
  const bad = await startMockOAuth({ flavour: 'claude', email: 'bad@x.test', expiresIn: 2 * 3600 });
  t.teardown(async () => {
    await good.close();
    await bad.close();
  });
  const dir = tempDir();
  await loginFile('claude', good, dir, claudeApi.url);
  const badFile = await loginFile('claude', bad, dir, claudeApi.url);
  bad.opts.failRefresh = 400;
  // The bad account refreshes against its own (failing) server; token files carry no endpoint, so
  // point the gateway's claude endpoints at the failing server and give the good file a far expiry.
  let now = Date.now();
  const gw = await gateway(accountsYaml(dir, [['claude', bad, claudeApi.url]]), () => now);
  t.teardown(() => gw.close());
  const store = authStoreFor(gw.context)!;
  const list = () => Object.fromEntries(listAuthFiles(gw.context).map((f) => [f.email, f]));
  now += 1.5 * 3600_000; // 30 min left on the 2 h token: due (lead capped at half its life); the 8 h one is not
  await store.checkRefreshes();
  t.equal(bad.refreshes, 1);
  t.equal(good.refreshes, 0);
  t.match(list()['bad@x.test'], { status: 'error', status_message: /token refresh failed: .*invalid_grant/, unavailable: false });
  t.notMatch(list()['bad@x.test']!.status_message, /claude-rt/, 'no token in the message');
  t.match(list()['good@x.test'], { status: 'active' });
  t.equal(gw.runtime().credentials.filter((c) => !c.disabled).length, 2, 'a token that still works keeps serving');
  t.equal((await ask(gw)).status, 200);

  await store.checkRefreshes();
  t.equal(bad.refreshes, 1, 'backs off after a failure');
  now += 3600_000; // the bad token expired; the backoff has passed
  await store.checkRefreshes();
  t.equal(bad.refreshes, 2);
  t.match(list()['bad@x.test'], { status: 'error', unavailable: true });
  const creds = gw.runtime().credentials.filter((c) => c.provider === 'claude');
  t.same(creds.map((c) => [c.label.replace(/ .*/, ''), c.disabled]).sort(), [[path.basename(badFile), true], ['claude-good@x.test.json', false]]);
  for (let i = 0; i < 3; i++) t.equal((await ask(gw)).status, 200, 'requests go to the working account');

  // The operator fixes the file (e.g. logs in again): it serves again at once.
  bad.opts.failRefresh = false;
  const fixed = JSON.parse(readFileSync(badFile, 'utf8'));
  const tmp = `${badFile}.tmp`;
  writeFileSync(tmp, JSON.stringify({ ...fixed, access_token: 'claude-at-fixed', expired: new Date(now + 8 * 3600_000).toISOString() }));
  chmodSync(tmp, 0o600);
  renameSync(tmp, badFile);
  t.ok(await eventually(() => list()['bad@x.test']?.status === 'active' && !gw.runtime().credentials.some((c) => c.disabled)));
});

t.test('an upstream 401 suspends the account and refreshes its token; the new token serves at once', async (t) => {
  const oauth = await startMockOAuth({ flavour: 'claude', email: 'u@x.test' });
  t.teardown(() => oauth.close());
  const dir = tempDir();
  const file = await loginFile('claude', oauth, dir, claudeApi.url);
  const data = JSON.parse(readFileSync(file, 'utf8'));
  writeFileSync(file, JSON.stringify({ ...data, access_token: 'invalid' })); // revoked upstream
  const gw = await gateway(accountsYaml(dir, [['claude', oauth, claudeApi.url]]), Date.now);
  t.teardown(() => gw.close());
  const first = await ask(gw);
  t.same(first, { status: 401, auth: 'Bearer invalid' }, 'the only account failed: its error reaches the client');
  t.ok(await eventually(() => oauth.refreshes === 1 && listAuthFiles(gw.context)[0]!.status === 'active'), 'refreshed in the background');
  t.same(await ask(gw), { status: 200, auth: 'Bearer claude-at-2' }, 'suspension lifted by the refresh');
});

t.test('a Gemini CLI file without a project gets one discovered at load; a new auth-dir on reload swaps the files', async (t) => {
  const { startMockGemini } = await import('../mocks/gemini-upstream.js');
  const ca = await startMockGemini({ project: 'found-at-load' });
  t.teardown(() => ca.close());
  const dir = tempDir();
  writeFileSync(path.join(dir, 'g.json'), JSON.stringify({ type: 'gemini', email: 'g@x.test', token: { access_token: 'ya29.g', refresh_token: 'r', expiry: new Date(Date.now() + 3600_000).toISOString() } }));
  const yaml = (d: string) => `auth-dir: "${d}"\noauth-endpoints: { gemini-cli: { api-url: "${ca.url}" }, claude: { api-url: "${claudeApi.url}" } }\n`;
  const gw = await gateway(yaml(dir), Date.now);
  t.teardown(() => gw.close());
  await authStoreFor(gw.context)!.checkRefreshes();
  t.equal(JSON.parse(readFileSync(path.join(dir, 'g.json'), 'utf8')).project_id, 'found-at-load', 'written back to the file');
  t.equal(gw.runtime().credentials.find((c) => c.provider === 'gemini-cli')?.projectId, 'found-at-load');

  const other = tempDir();
  writeFileSync(path.join(other, 'claude-z.json'), JSON.stringify({ type: 'claude', email: 'z@x.test', access_token: 'tok-z', expired: new Date(Date.now() + 86400_000).toISOString() }));
  gw.reload(parseConfig(yaml(other)).config);
  t.ok(await eventually(() => listAuthFiles(gw.context).map((f) => f.name).join() === 'claude-z.json'));
  t.same(gw.runtime().credentials.map((c) => c.provider), ['claude']);
  t.equal((await ask(gw)).auth, 'Bearer tok-z');
});
