// Who may use the management API: the access rules of the spec, with an
// injected clock for the 30-minute ban, and end to end on a real gateway.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { BAN_MS, hashSecret, isBcryptHash, ManagementAccess, type AccessRequest } from '../../lib/management/access.js';
import type { RemoteManagement } from '../../lib/config/types.js';
import { KEY, mgmtGateway } from './helpers.js';

const PLAIN = 'operator-key';
const hash = await hashSecret(PLAIN);
const rm = (over: Partial<RemoteManagement> = {}): RemoteManagement => ({ allowRemote: true, secretKey: hash, disableControlPanel: false, ...over });
const remote = (headers: Record<string, string> = {}, ip = '203.0.113.7'): AccessRequest => ({ ip, local: false, headers });
const local = (headers: Record<string, string> = {}): AccessRequest => ({ ip: '127.0.0.1', local: true, headers });

t.test('no secret-key: the API does not exist (404), for everyone', async (t) => {
  const a = new ManagementAccess();
  t.same(await a.check(local({ authorization: `Bearer ${PLAIN}` }), rm({ secretKey: '' })), { ok: false, status: 404 });
  t.same(await a.check(remote(), rm({ secretKey: '' })), { ok: false, status: 404 });
});

t.test('the key as Bearer or X-Management-Key, from localhost too', async (t) => {
  const a = new ManagementAccess();
  t.same(await a.check(local(), rm()), { ok: false, status: 401, body: { error: 'missing management key' } });
  t.same(await a.check(local({ authorization: 'Bearer nope' }), rm()), { ok: false, status: 401, body: { error: 'invalid management key' } });
  t.same(await a.check(local({ authorization: `Bearer ${PLAIN}` }), rm()), { ok: true });
  t.same(await a.check(local({ 'x-management-key': PLAIN }), rm()), { ok: true });
  t.same(await a.check(local({ authorization: PLAIN }), rm()), { ok: true }, 'a bare Authorization value counts too (reference)');
  t.same(await a.check(local({ authorization: `Bearer ${hash}` }), rm()), { ok: false, status: 401, body: { error: 'invalid management key' } }, 'the hash itself is not the key');
});

t.test('remote clients need allow-remote', async (t) => {
  const a = new ManagementAccess();
  t.same(await a.check(remote({ authorization: `Bearer ${PLAIN}` }), rm({ allowRemote: false })), { ok: false, status: 403, body: { error: 'remote management disabled' } });
  t.same(await a.check(remote({ authorization: `Bearer ${PLAIN}` }), rm()), { ok: true });
});

t.test('5 failures in a row from a remote IP ban it for 30 minutes', async (t) => {
  let now = 1_000_000;
  const a = new ManagementAccess({ now: () => now });
  const bad = remote({ authorization: 'Bearer wrong' });
  for (let i = 0; i < 4; i++) t.equal((await a.check(bad, rm())).ok, false);
  t.same(await a.check(remote({ authorization: `Bearer ${PLAIN}` }), rm()), { ok: true }, 'a success resets the count');
  for (let i = 0; i < 4; i++) t.match(await a.check(bad, rm()), { status: 401 });
  t.match(await a.check(remote(), rm()), { status: 401, body: { error: 'missing management key' } }, 'a missing key is a failure too (the 5th)');
  const banned = await a.check(remote({ authorization: `Bearer ${PLAIN}` }), rm());
  t.match(banned, { ok: false, status: 403 }, 'even the right key is refused while banned');
  t.match((banned as { body: { error: string } }).body.error, /^IP banned due to too many failed attempts\. Try again in 30m0s$/);
  t.same(await a.check(remote({ authorization: `Bearer ${PLAIN}` }, '203.0.113.8'), rm()), { ok: true }, 'other IPs are not affected');
  t.same(await a.check(local({ authorization: `Bearer ${PLAIN}` }), rm()), { ok: true }, 'localhost is never banned');
  now += BAN_MS - 1000;
  t.match(await a.check(remote({ authorization: `Bearer ${PLAIN}` }), rm()), { status: 403 }, 'still banned a second before the end');
  now += 1000;
  t.same(await a.check(remote({ authorization: `Bearer ${PLAIN}` }), rm()), { ok: true }, 'allowed again after 30 minutes');
});

t.test('localhost failures never ban', async (t) => {
  const a = new ManagementAccess({ now: () => 0 });
  for (let i = 0; i < 10; i++) await a.check(local({ authorization: 'Bearer wrong' }), rm());
  t.same(await a.check(local({ authorization: `Bearer ${PLAIN}` }), rm()), { ok: true });
});

t.test('MANAGEMENT_PASSWORD is an extra key; it enables the API but not remote access', async (t) => {
  const a = new ManagementAccess({ envPassword: 'from-env' });
  t.same(await a.check(local({ authorization: 'Bearer from-env' }), rm({ secretKey: '' })), { ok: true }, 'works without secret-key');
  t.same(await a.check(remote({ authorization: 'Bearer from-env' }), rm({ allowRemote: false })), { ok: false, status: 403, body: { error: 'remote management disabled' } }, 'allow-remote: false holds');
  t.same(await a.check(remote({ authorization: 'Bearer from-env' }), rm()), { ok: true }, 'remote with allow-remote');
  t.same(await a.check(local({ authorization: `Bearer ${PLAIN}` }), rm()), { ok: true }, 'the configured key still works');
});

t.test('a plaintext key in the file is replaced by its bcrypt hash on start, and still accepted', async (t) => {
  const gw = await mgmtGateway('# keep this comment\ndebug: false\n');
  t.teardown(() => gw.close());
  const text = readFileSync(gw.configPath, 'utf8');
  const m = /secret-key: "([^"]+)"/.exec(text);
  t.ok(m && isBcryptHash(m[1]!), 'hash written back');
  t.notMatch(text, KEY, 'plaintext gone');
  t.match(text, '# keep this comment');
  t.ok(isBcryptHash(gw.runtime().config.remoteManagement.secretKey), 'live config holds the hash');
  t.equal((await gw.api('GET', '/debug')).status, 200, 'Bearer');
  t.equal((await gw.api('GET', '/debug', undefined, { authorization: '', 'x-management-key': KEY })).status, 200, 'X-Management-Key');
  const wrong = await gw.api('GET', '/debug', undefined, { authorization: 'Bearer nope' });
  t.same([wrong.status, wrong.json], [401, { error: 'invalid management key' }]);
  const none = await gw.api('GET', '/debug', undefined, { authorization: '' });
  t.same([none.status, none.json], [401, { error: 'missing management key' }]);
});

t.test('without secret-key every management path answers 404', async (t) => {
  const gw = await mgmtGateway('debug: false\n', { key: null });
  t.teardown(() => gw.close());
  for (const p of ['/config', '/debug', '/api-keys', '/usage', '/nope']) t.equal((await gw.api('GET', p)).status, 404, p);
  t.equal((await gw.api('PUT', '/debug', { value: true })).status, 404);
});

t.test('secret-key and allow-remote cannot be changed through the API', async (t) => {
  const gw = await mgmtGateway('debug: false\n');
  t.teardown(() => gw.close());
  const yaml = (await gw.api('GET', '/config.yaml')).text;
  const changed = yaml.replace(/secret-key: "[^"]+"/, 'secret-key: "new-key"');
  const r = await gw.api('PUT', '/config.yaml', changed, { 'content-type': 'application/yaml' });
  t.equal(r.status, 422);
  t.match(r.json.message, /cannot be changed/);
  const remoteOn = yaml.replace('remote-management:\n', 'remote-management:\n  allow-remote: true\n');
  t.equal((await gw.api('PUT', '/config.yaml', remoteOn)).status, 422);
  t.equal(readFileSync(gw.configPath, 'utf8'), yaml, 'file unchanged');
  t.equal((await gw.api('GET', '/config')).json['remote-management'], undefined, 'GET /config never shows the key');
});

t.test('IPv4 loopback through a dual-stack (::) listener counts as local', async (t) => {
  const gw = await mgmtGateway('debug: false\n', { host: '::' });
  t.teardown(() => gw.close());
  const res = await fetch(`http://127.0.0.1:${gw.port}/v0/management/debug`, { headers: { authorization: `Bearer ${KEY}` } });
  t.equal(res.status, 200);
});
