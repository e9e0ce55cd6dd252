// Token-file names come FROM the store: a row id of PostgreSQL's auth_store
// is a path in the mirror folder. Rows named to climb out of it (`../x`,
// absolute paths) must never be written outside the mirror, neither at start
// nor when they arrive through the change feed; a store failure must not
// show the DSN's password.
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import t from 'tap';
import { log, setLogSink } from '../../lib/logging/logger.js';
import { openStore, StoreError } from '../../lib/store/index.js';
import { eventually, tmp } from '../store/helpers.js';

const DSN = 'postgres://postgres@127.0.0.1:5432/test';
const schema = `cliproxy_sec_store_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
const db = new pg.Client({ connectionString: DSN });
await db.connect();
const dirs: string[] = [];
const tmpDir = () => {
  const d = tmp('cliproxy-sec-store-');
  dirs.push(d);
  return d;
};
t.teardown(async () => {
  await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await db.end();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const token = (n: number) => JSON.stringify({ type: 'claude', email: `u${n}@example.com`, access_token: `tok-${n}` });
/** Ids that resolve outside <mirror>/auths; `escaped/` is a sibling folder they would land in. */
const HOSTILE = ['../escaped.json', '../../escaped.json', '../../../escaped/x.json', '/tmp/escaped-abs.json', 'sub/../../escaped2.json', '..', '.', './..'];

/** Every file under `dir`, relative. */
function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

t.test('hostile row ids stay out of the filesystem, at start and through the change feed', async (t) => {
  const base = tmpDir();
  // The mirror sits two levels down so a climb has somewhere to land that we can see.
  const local = path.join(base, 'a', 'b');
  mkdirSync(local, { recursive: true });
  const env = { kind: 'postgres' as const, dsn: DSN, schema, localPath: local };
  const first = await openStore(env);
  t.teardown(() => first.close());
  for (const [i, id] of HOSTILE.entries()) {
    await db.query(`INSERT INTO "${schema}".auth_store (id, content) VALUES ($1, $2::jsonb)`, [id, token(i)]);
  }
  await db.query(`INSERT INTO "${schema}".auth_store (id, content) VALUES ('fine.json', $1::jsonb)`, [token(99)]);
  const mirror = path.join(local, 'pgstore');
  t.ok(await eventually(() => existsSync(path.join(mirror, 'auths', 'fine.json'))), 'a normal row arrives through the change feed');

  // A second instance starting on the same rows (the initial sync path).
  const local2 = path.join(base, 'c', 'd');
  mkdirSync(local2, { recursive: true });
  const second = await openStore({ ...env, localPath: local2 });
  t.teardown(() => second.close());
  t.ok(existsSync(path.join(local2, 'pgstore', 'auths', 'fine.json')), 'the second mirror has the normal row');

  const outside = files(base).filter((f) => !f.startsWith(path.join('a', 'b', 'pgstore')) && !f.startsWith(path.join('c', 'd', 'pgstore')));
  t.same(outside, [], 'nothing written outside either mirror folder');
  t.notOk(existsSync('/tmp/escaped-abs.json'), 'no absolute path written');
  for (const m of [mirror, path.join(local2, 'pgstore')]) {
    const written = files(m).filter((f) => f.startsWith('auths'));
    t.same(written, [path.join('auths', 'fine.json')], `${path.relative(base, m)}: only the normal token file`);
  }
});

t.test('a store that cannot be reached names no password (error and log)', async (t) => {
  const PW = 'pg-pw-Hx72kQv9sLw3';
  const lines: string[] = [];
  const prev = setLogSink({ write: (l) => lines.push(l) });
  const level = log.level;
  log.level = 'debug';
  t.teardown(() => {
    setLogSink(prev);
    log.level = level;
  });
  const err = await openStore({ kind: 'postgres', dsn: `postgres://postgres:${PW}@127.0.0.1:1/test?connect_timeout=2`, schema, localPath: tmpDir() }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(err instanceof StoreError, 'a StoreError');
  t.notMatch(String((err as Error).message), PW, 'not in the message');
  t.notMatch(lines.join(''), PW, 'not in the log');
});
