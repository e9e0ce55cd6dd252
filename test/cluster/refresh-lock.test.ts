// One token refresh per token file across instances: two gateways on one
// auth-dir and one Redis namespace, a Claude token due for refresh, and a mock
// OAuth server that rotates refresh tokens (an old one is refused, as the
// real providers do). Without the lock both would refresh and one would fail.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { authStoreFor, listAuthFiles } from '../../lib/auth/store.js';
import { parseConfig } from '../../lib/config/load.js';
import { startGateway, type Gateway } from '../../lib/gateway.js';
import { log } from '../../lib/logging/logger.js';
import { startMockClaude } from '../mocks/claude-upstream.js';
import { startMockOAuth, type MockOAuth } from '../mocks/oauth-server.js';
import { accountsYaml, loginFile, tempDir } from '../auth/helpers.js';
import { dropPrefix, eventually, REDIS_URL, uniquePrefix } from './helpers.js';

process.env.LOG_LEVEL ??= 'error';
log.level = process.env.LOG_LEVEL;

const claudeApi = await startMockClaude();
t.teardown(() => claudeApi.close());

async function pair(t: Test, oauth: MockOAuth, redis = true): Promise<{ a: Gateway; b: Gateway; file: string; clock: { now: number } }> {
  const prefix = uniquePrefix('refresh');
  t.teardown(() => dropPrefix(prefix));
  const dir = tempDir();
  const file = await loginFile('claude', oauth, dir, claudeApi.url);
  const clock = { now: Date.now() };
  const extra = redis ? `redis-url: "${REDIS_URL}"\nredis-prefix: "${prefix}"` : '';
  const config = parseConfig(accountsYaml(dir, [['claude', oauth, claudeApi.url]], extra), 't.yaml').config;
  const start = () => startGateway({ config, port: 0, host: '127.0.0.1', now: () => clock.now, authRefreshCheckMs: 0 });
  const a = await start();
  const b = await start();
  t.teardown(() => Promise.all([a.close(), b.close()]));
  return { a, b, file, clock };
}

async function authOf(gw: Gateway): Promise<string | undefined> {
  const before = claudeApi.requests.length;
  const res = await fetch(`${gw.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model: 'claude-sonnet-4-5-20250929', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.arrayBuffer();
  return claudeApi.requests[before]?.headers['authorization'] as string | undefined;
}

const refreshCalls = (oauth: MockOAuth) => oauth.requests.filter((r) => r.path === '/token' && r.body['grant_type'] === 'refresh_token').length;

t.test('two instances due at once: one refresh request, both use the new token', async (t) => {
  const oauth = await startMockOAuth({ flavour: 'claude', email: 'r@x.test', expiresIn: 8 * 3600 });
  t.teardown(() => oauth.close());
  const { a, b, file, clock } = await pair(t, oauth);
  clock.now += 5 * 3600_000; // 3 h left: due (lead 4 h)
  await Promise.all([authStoreFor(a.context)!.checkRefreshes(), authStoreFor(b.context)!.checkRefreshes()]);
  t.equal(refreshCalls(oauth), 1, 'exactly one refresh request reached the OAuth server');
  t.match(JSON.parse(readFileSync(file, 'utf8')), { access_token: 'claude-at-2', refresh_token: 'claude-rt-2' });
  for (const gw of [a, b]) {
    t.match(listAuthFiles(gw.context)[0], { status: 'active', status_message: '', unavailable: false });
    t.ok(await eventually(async () => (await authOf(gw)) === 'Bearer claude-at-2'), 'serves with the new token');
  }
});

t.test('an instance that comes to refresh just after another did waits for its file instead', async (t) => {
  const oauth = await startMockOAuth({ flavour: 'claude', email: 's@x.test', expiresIn: 8 * 3600 });
  t.teardown(() => oauth.close());
  const { a, b, clock } = await pair(t, oauth);
  clock.now += 5 * 3600_000;
  await authStoreFor(a.context)!.checkRefreshes();
  t.equal(refreshCalls(oauth), 1);
  // B checks before its watcher has necessarily seen A's write: it must not refresh the stale copy.
  await authStoreFor(b.context)!.checkRefreshes();
  t.equal(refreshCalls(oauth), 1, 'still one refresh');
  t.match(listAuthFiles(b.context)[0], { status: 'active' });
  t.equal(await authOf(b), 'Bearer claude-at-2');
});

t.test('each instance holds its own copy, spelled differently (a store that rewrites JSON): still one refresh', async (t) => {
  const oauth = await startMockOAuth({ flavour: 'claude', email: 'j@x.test', expiresIn: 8 * 3600 });
  t.teardown(() => oauth.close());
  const prefix = uniquePrefix('refresh-copies');
  t.teardown(() => dropPrefix(prefix));
  const dirA = tempDir();
  const dirB = tempDir();
  const fileA = await loginFile('claude', oauth, dirA, claudeApi.url);
  const name = path.basename(fileA);
  // PostgreSQL's jsonb hands B the same object with its keys reordered and no spacing.
  const respell = (text: string) => JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(text) as Record<string, unknown>).reverse()));
  writeFileSync(path.join(dirB, name), respell(readFileSync(fileA, 'utf8')));
  const clock = { now: Date.now() };
  const extra = `redis-url: "${REDIS_URL}"\nredis-prefix: "${prefix}"`;
  const start = (dir: string) =>
    startGateway({ config: parseConfig(accountsYaml(dir, [['claude', oauth, claudeApi.url]], extra), 't.yaml').config, port: 0, host: '127.0.0.1', now: () => clock.now, authRefreshCheckMs: 0 });
  const a = await start(dirA);
  const b = await start(dirB);
  t.teardown(() => Promise.all([a.close(), b.close()]));
  clock.now += 5 * 3600_000;
  await authStoreFor(a.context)!.checkRefreshes();
  t.equal(refreshCalls(oauth), 1);
  // B comes to refresh before the "store" has brought it A's file, which then arrives respelled.
  const sync = eventually(() => listAuthFiles(b.context)[0]!.status === 'refreshing').then((ok) => ok && writeFileSync(path.join(dirB, name), respell(readFileSync(fileA, 'utf8'))));
  await Promise.all([authStoreFor(b.context)!.checkRefreshes(), sync]);
  t.equal(refreshCalls(oauth), 1, 'still one refresh request: B saw that its copy was the content A refreshed');
  t.match(listAuthFiles(b.context)[0], { status: 'active' });
  t.ok(await eventually(async () => (await authOf(b)) === 'Bearer claude-at-2'), 'B uses the new token');
});

t.test('a failed refresh is not repeated by the others: they take its error', async (t) => {
  const oauth = await startMockOAuth({ flavour: 'claude', email: 'f@x.test', expiresIn: 8 * 3600, failRefresh: 400 });
  t.teardown(() => oauth.close());
  const { a, b, clock } = await pair(t, oauth);
  clock.now += 5 * 3600_000;
  await Promise.all([authStoreFor(a.context)!.checkRefreshes(), authStoreFor(b.context)!.checkRefreshes()]);
  t.equal(refreshCalls(oauth), 1, 'one refresh request');
  const states = [listAuthFiles(a.context)[0]!, listAuthFiles(b.context)[0]!];
  for (const s of states) t.match(s, { status: 'error', status_message: /token refresh failed: .*invalid_grant/, unavailable: false });
  t.ok(states.some((s) => /another instance failed to refresh/.test(s.status_message)), 'one of them learned it from the other');
  t.notMatch(JSON.stringify(states), /claude-rt-|claude-at-/, 'no token in the messages');
  // A token that still works keeps serving on both.
  for (const gw of [a, b]) t.equal(await authOf(gw), 'Bearer claude-at-1');
});

t.test('a failed refresh of an expired token on A takes the file out on B at once, with no request of its own', async (t) => {
  const oauth = await startMockOAuth({ flavour: 'claude', email: 'x@x.test', expiresIn: 8 * 3600, failRefresh: 400 });
  t.teardown(() => oauth.close());
  const { a, b, clock } = await pair(t, oauth);
  clock.now += 9 * 3600_000; // expired
  await authStoreFor(a.context)!.checkRefreshes(); // only A's refresh check runs
  t.equal(refreshCalls(oauth), 1);
  t.match(listAuthFiles(a.context)[0], { status: 'error', unavailable: true });
  t.ok(await eventually(() => listAuthFiles(b.context)[0]!.unavailable === true), 'B took it out too');
  t.match(listAuthFiles(b.context)[0], { status: 'error', status_message: /another instance failed to refresh this token: .*invalid_grant/ });
  t.equal(refreshCalls(oauth), 1, 'B did not ask the OAuth server');
});

t.test('without Redis each instance refreshes on its own (the behaviour the lock prevents)', async (t) => {
  const oauth = await startMockOAuth({ flavour: 'claude', email: 'n@x.test', expiresIn: 8 * 3600 });
  t.teardown(() => oauth.close());
  const { a, b, clock } = await pair(t, oauth, false);
  clock.now += 5 * 3600_000;
  await Promise.all([authStoreFor(a.context)!.checkRefreshes(), authStoreFor(b.context)!.checkRefreshes()]);
  t.equal(refreshCalls(oauth), 2, 'two refresh requests');
  const statuses = [listAuthFiles(a.context)[0]!.status, listAuthFiles(b.context)[0]!.status].sort();
  t.same(statuses, ['active', 'error'], 'the rotated refresh token fails the second one');
});
