// The command line with a store configured, as a deployment runs it: the
// gateway starts from the store's mirror; an unreachable store is a clear
// error (exit 1, the store named, secrets masked); the variables are read
// with CLIProxyAPI's names and precedence.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import t from 'tap';
import { runCli } from '../helpers/cli-process.js';
import { playBrowser } from '../auth/helpers.js';
import { endpointsYaml, startMockOAuth } from '../mocks/oauth-server.js';
import { storeFromEnv } from '../../lib/store/env.js';
import { SEED_YAML, api, tmp } from './helpers.js';

const DSN = 'postgres://postgres@127.0.0.1:5432/test';

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

t.test('a store that is down at start-up: exit 1 with a clear, masked error', async (t) => {
  const dir = tmp('pgstore-cli-down-');
  const port = await closedPort();
  const run = runCli(['-port', '0'], dir, { PGSTORE_DSN: `postgres://postgres:pw-very-secret@127.0.0.1:${port}/test`, PGSTORE_LOCAL_PATH: dir });
  const out = await run.output;
  t.equal(out.code, 1);
  t.match(out.stderr, new RegExp(`store error: postgres store postgres://postgres:\\*\\*\\*\\*@127\\.0\\.0\\.1:${port}/test: cannot connect: .*ECONNREFUSED`));
  t.notOk(out.stderr.includes('pw-very-secret') || out.stdout.includes('pw-very-secret'), 'no password anywhere');
  t.notOk(/listening on/.test(out.stdout), 'never served');
});

t.test('PGSTORE_* set: the gateway runs from <PGSTORE_LOCAL_PATH>/pgstore, seeded from -config', async (t) => {
  const schema = `cliproxy_store_cli_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const db = new pg.Client({ connectionString: DSN });
  await db.connect();
  t.teardown(async () => {
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.end();
  });
  const dir = tmp('pgstore-cli-');
  const seed = path.join(dir, 'seed.yaml');
  writeFileSync(seed, `${SEED_YAML}request-retry: 5\nauth-dir: /nonexistent/elsewhere\n`);
  const run = runCli(['-config', seed, '-port', '0', '-host', '127.0.0.1'], dir, { PGSTORE_DSN: DSN, PGSTORE_SCHEMA: schema, PGSTORE_LOCAL_PATH: path.join(dir, 'state') });
  t.teardown(() => run.stop());
  const url = (await run.waitFor(/listening on (http:\/\/[0-9.:]+)/))[1]!;
  const mirror = path.join(dir, 'state', 'pgstore');
  t.ok(existsSync(path.join(mirror, 'config', 'config.yaml')), 'mirror config');
  t.ok(existsSync(path.join(mirror, 'auths')), 'mirror auth-dir');
  const row = (await db.query(`SELECT content FROM "${schema}".config_store WHERE id = 'config'`)).rows[0]?.content as string;
  t.match(row, /request-retry: 5/, 'the store was seeded from -config');
  t.match(readFileSync(path.join(mirror, 'config', 'config.yaml'), 'utf8'), /request-retry: 5/);
  const st = await api(url, 'GET', '/store');
  t.equal(st.status, 200);
  t.match(st.json, { store: 'postgres', state: 'ok', mirror });
  const cfg = await api(url, 'GET', '/config');
  t.equal(cfg.json['auth-dir'], path.join(mirror, 'auths'), 'auth-dir is the mirror, not the config value');
  run.stop();
  const out = await run.output;
  t.equal(out.code, 0, 'stops cleanly on SIGTERM');
});

t.test('object storage or Git down at start-up: exit 1, the store named, no secret', async (t) => {
  const port = await closedPort();
  const dir = tmp('store-cli-down-');
  const s3 = runCli(['-port', '0'], dir, {
    OBJECTSTORE_ENDPOINT: `http://127.0.0.1:${port}`,
    OBJECTSTORE_BUCKET: 'cli-bucket',
    OBJECTSTORE_ACCESS_KEY: 'AKIDCLI',
    OBJECTSTORE_SECRET_KEY: 's3-secret-never-shown',
    OBJECTSTORE_LOCAL_PATH: dir,
  });
  const g = runCli(['-port', '0'], dir, {
    GITSTORE_GIT_URL: `http://127.0.0.1:${port}/repo.git`,
    GITSTORE_GIT_USERNAME: 'me',
    GITSTORE_GIT_TOKEN: 'git-token-never-shown',
    GITSTORE_LOCAL_PATH: dir,
  });
  const [o1, o2] = await Promise.all([s3.output, g.output]);
  t.equal(o1.code, 1);
  t.match(o1.stderr, new RegExp(`store error: object store http://127\\.0\\.0\\.1:${port} bucket cli-bucket: cannot reach the bucket: .*ECONNREFUSED`));
  t.notOk(o1.stderr.includes('s3-secret-never-shown') || o1.stdout.includes('s3-secret-never-shown'));
  t.equal(o2.code, 1);
  t.match(o2.stderr, new RegExp(`store error: git store http://127\\.0\\.0\\.1:${port}/repo\\.git: cannot reach the remote: .*ECONNREFUSED`));
  t.notOk(o2.stderr.includes('git-token-never-shown') || o2.stdout.includes('git-token-never-shown'));
});

t.test("CLIProxyAPI's variables and precedence: Postgres, then object storage, then Git", async (t) => {
  const all = {
    PGSTORE_DSN: 'postgres://h/db',
    PGSTORE_SCHEMA: 's',
    PGSTORE_LOCAL_PATH: '/p',
    OBJECTSTORE_ENDPOINT: 'http://s3:9000',
    OBJECTSTORE_BUCKET: 'b',
    OBJECTSTORE_ACCESS_KEY: 'a',
    OBJECTSTORE_SECRET_KEY: 'k',
    OBJECTSTORE_LOCAL_PATH: '/o',
    GITSTORE_GIT_URL: 'https://git/r.git',
    GITSTORE_GIT_USERNAME: 'u',
    GITSTORE_GIT_TOKEN: 't',
    GITSTORE_GIT_BRANCH: 'state',
    GITSTORE_LOCAL_PATH: '/g',
  };
  t.same(storeFromEnv(all), { kind: 'postgres', dsn: 'postgres://h/db', schema: 's', localPath: '/p' });
  const { PGSTORE_DSN: _p, ...noPg } = all;
  t.same(storeFromEnv(noPg), { kind: 'object', endpoint: 'http://s3:9000', bucket: 'b', accessKey: 'a', secretKey: 'k', localPath: '/o' });
  const { OBJECTSTORE_ENDPOINT: _o, ...gitOnly } = noPg;
  t.same(storeFromEnv(gitOnly), { kind: 'git', url: 'https://git/r.git', username: 'u', token: 't', branch: 'state', localPath: '/g' });
  t.equal(storeFromEnv({}), undefined, 'nothing set: the local folder as before');
  t.same(storeFromEnv({ pgstore_dsn: 'postgres://lower/db' })?.kind, 'postgres', 'lower-case names work too, as in the reference');
});

t.test('a login with PGSTORE_* set: the token file goes to the mirror and into the store', async (t) => {
  const schema = `cliproxy_store_login_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const db = new pg.Client({ connectionString: DSN });
  await db.connect();
  const oauth = await startMockOAuth({ flavour: 'claude' });
  t.teardown(async () => {
    await oauth.close();
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.end();
  });
  const dir = tmp('pgstore-login-');
  const seed = path.join(dir, 'seed.yaml');
  writeFileSync(seed, `oauth-endpoints:\n${endpointsYaml('claude', oauth, 'http://127.0.0.1:9')}\n`);
  const p = runCli(['-config', seed, '--claude-login', '--no-browser'], dir, { PGSTORE_DSN: DSN, PGSTORE_SCHEMA: schema, PGSTORE_LOCAL_PATH: dir });
  const m = await p.waitFor(/Visit the following URL to continue authentication:\n(\S+)\n/);
  t.equal((await playBrowser(m[1]!)).status, 200);
  const out = await p.output;
  t.equal(out.code, 0, out.stderr);
  t.ok(existsSync(path.join(dir, 'pgstore', 'auths', 'claude-user@claude.test.json')), 'saved in the mirror');
  const row = (await db.query(`SELECT content FROM "${schema}".auth_store WHERE id = 'claude-user@claude.test.json'`)).rows[0]?.content as Record<string, unknown> | undefined;
  t.match(row, { type: 'claude', access_token: 'claude-at-1' }, 'and in auth_store before the command exits');
});
