// The behaviour every store must show, run against each real backend:
// an empty store is seeded from the local config; a second instance starts
// from the store; a management edit, an uploaded and a deleted token file on
// one instance reach the other; a change written to the store by anyone
// reaches the mirrors; an outage after start leaves the gateway serving, is
// reported (management API, /metrics), and the writes made meanwhile land
// once the store is back.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Test } from 'tap';
import { writeTokenFile } from '../../lib/auth/files.js';
import type { StoreEnv } from '../../lib/store/env.js';
import { startGatewayWithStore, type StoreGateway } from '../../lib/store/index.js';
import { KEY, SEED_YAML, api, claudeToken, eventually, tmp } from './helpers.js';

export interface StoreHarness {
  kind: 'postgres' | 'object' | 'git';
  /** Mirror folder name under the local path. */
  folder: string;
  /** The environment of an instance whose mirror lives under `localPath`; `outage` = one whose store the test can cut. */
  env(localPath: string, outage?: boolean): StoreEnv;
  /** Read a key straight from the store ("config/config.yaml", "auths/<name>"). */
  remote(key: string): Promise<string | undefined>;
  /** Write (or delete) a key straight in the store, as another program would; absent when the backend makes that awkward. */
  writeRemote?(key: string, content: string | undefined): Promise<void>;
  /** Cut and restore the store the `outage` instance uses. */
  down(): Promise<void>;
  up(): Promise<void>;
  /** A secret of the outage instance that must never be shown. */
  secret: string;
}

const gwOpts = (dir: string) => ({ port: 0, host: '127.0.0.1', resyncMs: 0, management: { defaultMetrics: false, env: {}, logDir: path.join(dir, 'logs') } });

export async function runScenario(t: Test, h: StoreHarness): Promise<void> {
  const open: StoreGateway[] = [];
  t.teardown(async () => {
    for (const gw of open.reverse()) await gw.close();
  });
  /** Start an instance and wait until its own start-up write (the management key replaced by its
   *  hash) is in the store: config.yaml is stored whole, so a later write of an older copy would
   *  undo the steps below (last writer wins, as in CLIProxyAPI). */
  const start = async (dir: string, extra: Record<string, unknown> = {}, outage = false) => {
    const gw = await startGatewayWithStore(h.env(dir, outage), { ...gwOpts(dir), ...extra });
    open.push(gw);
    await gw.management.settled();
    await eventually(async () => gw.store.status().pending_writes === 0 && (await h.remote('config/config.yaml')) === readFileSync(gw.store.configPath, 'utf8'), 30_000);
    return gw;
  };

  const dirA = tmp(`${h.kind}store-a-`);
  const seed = path.join(dirA, 'seed.yaml');
  writeFileSync(seed, SEED_YAML);
  const a = await start(dirA, { seedConfig: seed });
  let b!: StoreGateway;

  await t.test('an empty store is seeded from the local config; the gateway runs from the mirror', async (t) => {
    t.match(await h.remote('config/config.yaml'), /# seeded from a local file/, 'the store holds the seed');
    t.equal(a.store.configPath, path.join(dirA, h.folder, 'config', 'config.yaml'));
    t.match(readFileSync(a.store.configPath, 'utf8'), /# seeded from a local file/);
    t.equal(a.runtime().config.authDir, path.join(dirA, h.folder, 'auths'), 'auth-dir is the mirror, whatever the config says');
    const s = await api(a, 'GET', '/store');
    t.equal(s.status, 200);
    t.match(s.json, { store: h.kind, state: 'ok', mirror: path.join(dirA, h.folder) });
  });

  await t.test('a second instance starts from the store', async (t) => {
    const dirB = tmp(`${h.kind}store-b-`);
    b = await start(dirB);
    t.match(readFileSync(b.store.configPath, 'utf8'), /# seeded from a local file/);
    t.equal((await api(b, 'GET', '/debug')).json?.debug, false);
  });

  await t.test('a management edit on A shows on B', async (t) => {
    t.equal((await api(a, 'PUT', '/debug', { value: true })).status, 200);
    t.ok(await eventually(async () => (await h.remote('config/config.yaml'))?.includes('debug: true') === true), 'stored');
    t.ok(await eventually(async () => (await api(b, 'GET', '/debug')).json?.debug === true), 'B reloaded it');
    t.ok(readFileSync(b.store.configPath, 'utf8').includes('# seeded from a local file'), 'comments travel with the file');
  });

  await t.test('PUT /config.yaml on A (the whole file) shows on B', async (t) => {
    // The live auth-dir is the mirror, not what the file says: the auth-dir lock must not refuse the file.
    const text = readFileSync(a.store.configPath, 'utf8').replace(/^request-retry:.*$/m, '') + '\nrequest-retry: 4\n';
    const res = await fetch(`${a.url}/v0/management/config.yaml`, { method: 'PUT', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/yaml' }, body: text });
    t.equal(res.status, 200, await res.text());
    t.ok(await eventually(async () => (await api(b, 'GET', '/request-retry')).json?.['request-retry'] === 4), 'B reloaded it');
    const moved = text.replace(/^auth-dir:.*$/m, '') + '\nauth-dir: /tmp/elsewhere\n';
    const refused = await fetch(`${a.url}/v0/management/config.yaml`, { method: 'PUT', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/yaml' }, body: moved });
    t.equal(refused.status, 422, 'moving auth-dir is still refused');
  });

  await t.test('a token file uploaded on A serves on B; deleted on A it is gone on B', async (t) => {
    const name = `claude-${h.kind}@example.com.json`;
    const up = await api(a, 'POST', `/auth-files?name=${encodeURIComponent(name)}`, claudeToken(`${h.kind}@example.com`, 'tok-1'));
    t.equal(up.status, 200);
    t.ok(await eventually(async () => JSON.parse((await h.remote(`auths/${name}`)) ?? '{}').access_token === 'tok-1'), `stored under auths/${name}`);
    t.ok(await eventually(() => b.runtime().credentials.some((c) => c.provider === 'claude')), 'B serves the account');
    const listed = await api(b, 'GET', '/auth-files');
    t.ok(listed.json.files.some((f: { name: string }) => f.name === name), 'B lists it');

    t.equal((await api(a, 'DELETE', `/auth-files?name=${encodeURIComponent(name)}`)).status, 200);
    t.ok(await eventually(async () => (await h.remote(`auths/${name}`)) === undefined), 'deleted in the store');
    t.ok(await eventually(() => !b.runtime().credentials.some((c) => c.provider === 'claude')), 'B dropped the account');
    t.notOk(existsSync(path.join(b.store.authDir, name)));
  });

  await t.test('a token file written straight into the mirror (a login, a refresh) reaches B', async (t) => {
    writeTokenFile(a.store.authDir, 'claude-login.json', claudeToken('login@example.com', 'tok-login'));
    t.ok(await eventually(async () => JSON.parse((await h.remote('auths/claude-login.json')) ?? '{}').access_token === 'tok-login'), 'stored');
    t.ok(await eventually(() => existsSync(path.join(b.store.authDir, 'claude-login.json'))), 'on B');
    // A refresh rewrites the file with a new token.
    writeTokenFile(a.store.authDir, 'claude-login.json', claudeToken('login@example.com', 'tok-refreshed'));
    t.ok(await eventually(() => readFileSync(path.join(b.store.authDir, 'claude-login.json'), 'utf8').includes('tok-refreshed')), 'the refreshed token on B');
    rmSync(path.join(a.store.authDir, 'claude-login.json'));
    t.ok(await eventually(() => !existsSync(path.join(b.store.authDir, 'claude-login.json'))), 'removed on B');
  });

  await t.test('writes on A and B at the same moment both land', async (t) => {
    const [ra, rb] = await Promise.all([
      api(a, 'POST', '/auth-files?name=claude-both-a.json', claudeToken('a@example.com', 'tok-a')),
      api(b, 'POST', '/auth-files?name=claude-both-b.json', claudeToken('b@example.com', 'tok-b')),
    ]);
    t.equal(ra.status, 200);
    t.equal(rb.status, 200);
    for (const gw of [a, b]) {
      t.ok(await eventually(() => existsSync(path.join(gw.store.authDir, 'claude-both-a.json')) && existsSync(path.join(gw.store.authDir, 'claude-both-b.json'))), 'both files on each');
    }
    t.ok(await eventually(async () => (await h.remote('auths/claude-both-a.json')) !== undefined && (await h.remote('auths/claude-both-b.json')) !== undefined), 'both in the store');
    await api(a, 'DELETE', '/auth-files?name=claude-both-a.json');
    await api(b, 'DELETE', '/auth-files?name=claude-both-b.json');
    t.ok(await eventually(async () => (await h.remote('auths/claude-both-a.json')) === undefined && (await h.remote('auths/claude-both-b.json')) === undefined), 'both deleted');
  });

  if (h.writeRemote) {
    const write = h.writeRemote.bind(h);
    await t.test('a change written to the store by anyone reaches the mirrors', async (t) => {
      await write('auths/claude-outside.json', JSON.stringify(claudeToken('outside@example.com', 'tok-outside')));
      for (const gw of [a, b]) {
        t.ok(await eventually(() => existsSync(path.join(gw.store.authDir, 'claude-outside.json'))), 'file appears');
        t.ok(await eventually(() => gw.runtime().credentials.some((c) => c.provider === 'claude')), 'and serves');
      }
      await write('auths/claude-outside.json', undefined);
      t.ok(await eventually(() => !existsSync(path.join(a.store.authDir, 'claude-outside.json'))), 'removed again');
    });
  }

  await t.test('an outage after start: serving goes on, the state is reported, writes land afterwards', async (t) => {
    const dirC = tmp(`${h.kind}store-c-`);
    const c = await start(dirC, { retryMinMs: 50, retryMaxMs: 300, resyncMs: 300 }, true);
    t.equal((await api(c, 'GET', '/store')).json.state, 'ok');
    t.notOk((await api(c, 'GET', '/store')).text.includes(h.secret), 'secrets are masked');

    await h.down();
    let restored = false;
    t.teardown(async () => {
      if (!restored) await h.up();
    });
    t.ok(await eventually(async () => (await api(c, 'GET', '/store')).json.state === 'degraded'), 'reported degraded');
    t.equal((await api(c, 'PUT', '/request-retry', { value: 7 })).status, 200, 'a management edit still works (into the mirror)');
    const token = claudeToken('during@example.com', 'tok-during');
    t.equal((await api(c, 'POST', '/auth-files?name=claude-during.json', token)).status, 200, 'so does an upload');
    t.ok(await eventually(async () => (await api(c, 'GET', '/store')).json.pending_writes >= 2), 'both queued');
    const st = await api(c, 'GET', '/store');
    t.match(st.json.reason, new RegExp(h.kind === 'object' ? 'object' : h.kind));
    t.notOk(st.text.includes(h.secret), 'no secret in the reason');
    const metrics = await (await fetch(`${c.url}/metrics`, { headers: { authorization: `Bearer ${KEY}` } })).text();
    t.match(metrics, /cliproxy_store_up 0/, '/metrics shows the store down');
    t.match(metrics, /cliproxy_store_pending_writes [1-9]/);
    t.equal((await api(c, 'GET', '/request-retry')).json?.['request-retry'], 7, 'the gateway serves from its mirror');
    t.ok(await eventually(() => c.runtime().credentials.some((x) => x.provider === 'claude')), 'and the uploaded account');

    await h.up();
    restored = true;
    t.ok(await eventually(async () => (await h.remote('config/config.yaml'))?.includes('request-retry: 7') === true, 30_000), 'the queued config write landed');
    t.ok(await eventually(async () => JSON.parse((await h.remote('auths/claude-during.json')) ?? '{}').access_token === 'tok-during', 30_000), 'the queued upload landed');
    t.ok(await eventually(async () => (await api(c, 'GET', '/store')).json.state === 'ok', 30_000), 'state back to ok');
    t.ok(await eventually(async () => (await api(a, 'GET', '/request-retry')).json?.['request-retry'] === 7, 30_000), 'and reached A');
    t.ok(await eventually(() => existsSync(path.join(a.store.authDir, 'claude-during.json')), 30_000), 'the token file too');
  });

  await t.test('a write still queued when the instance stops lands when it starts again', async (t) => {
    const dirD = tmp(`${h.kind}store-d-`);
    const d = await startGatewayWithStore(h.env(dirD, true), { ...gwOpts(dirD), retryMinMs: 50, retryMaxMs: 300 });
    await h.down();
    let restored = false;
    t.teardown(async () => {
      if (!restored) await h.up();
    });
    t.equal((await api(d, 'PUT', '/request-retry', { value: 9 })).status, 200);
    t.ok(await eventually(async () => (await api(d, 'GET', '/store')).json.pending_writes >= 1), 'queued');
    await d.close();
    t.ok(existsSync(path.join(dirD, h.folder, '.pending-writes.json')), 'the queue is recorded in the mirror folder');
    await h.up();
    restored = true;
    const again = await startGatewayWithStore(h.env(dirD, true), gwOpts(dirD));
    open.push(again);
    t.match(await h.remote('config/config.yaml'), /request-retry: 9/, 'the write landed at start-up');
    t.equal((await api(again, 'GET', '/request-retry')).json?.['request-retry'], 9, 'and the instance runs with it');
    t.ok(await eventually(async () => (await api(a, 'GET', '/request-retry')).json?.['request-retry'] === 9, 30_000), 'as do the others');
  });
}
