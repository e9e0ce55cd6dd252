// PostgreSQL store against the real server at 127.0.0.1:5432 (a schema of
// its own, dropped at the end): the shared store scenario, with the outage
// made by a loopback TCP proxy in front of the database; the reference's
// table layout; DSN masking.
import pg from 'pg';
import t from 'tap';
import { maskDsn } from '../../lib/store/postgres.js';
import { runScenario } from './scenario.js';
import { TcpProxy } from './helpers.js';

const DSN = 'postgres://postgres@127.0.0.1:5432/test';
const schema = `cliproxy_store_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
const db = new pg.Client({ connectionString: DSN });
await db.connect();
const proxy = new TcpProxy({ host: '127.0.0.1', port: 5432 });
await proxy.up();
t.teardown(async () => {
  await proxy.down();
  await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await db.end();
});
const PW = 'not-a-real-pw';

await t.test('store scenario', (t) =>
  runScenario(t, {
    kind: 'postgres',
    folder: 'pgstore',
    env: (localPath, outage) => ({ kind: 'postgres', dsn: outage ? `postgres://postgres:${PW}@127.0.0.1:${proxy.port}/test` : DSN, schema, localPath }),
    async remote(key) {
      if (key === 'config/config.yaml') return (await db.query(`SELECT content FROM "${schema}".config_store WHERE id = 'config'`)).rows[0]?.content;
      const row = (await db.query(`SELECT content::text AS c FROM "${schema}".auth_store WHERE id = $1`, [key.slice('auths/'.length)])).rows[0];
      return row?.c;
    },
    async writeRemote(key, content) {
      const id = key.slice('auths/'.length);
      if (content === undefined) await db.query(`DELETE FROM "${schema}".auth_store WHERE id = $1`, [id]);
      else await db.query(`INSERT INTO "${schema}".auth_store (id, content) VALUES ($1, $2::jsonb) ON CONFLICT (id) DO UPDATE SET content = EXCLUDED.content`, [id, content]);
    },
    down: () => proxy.down(),
    up: () => proxy.up(),
    secret: PW,
  }),
);

t.test("the reference's tables: config_store(id='config', content text), auth_store(id=file name, content jsonb)", async (t) => {
  const cols = await db.query(
    `SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = $1 ORDER BY table_name, ordinal_position`,
    [schema],
  );
  const shape = cols.rows.map((r) => `${r.table_name}.${r.column_name}:${r.data_type}`);
  t.same(shape, [
    'auth_store.id:text',
    'auth_store.content:jsonb',
    'auth_store.created_at:timestamp with time zone',
    'auth_store.updated_at:timestamp with time zone',
    'config_store.id:text',
    'config_store.content:text',
    'config_store.created_at:timestamp with time zone',
    'config_store.updated_at:timestamp with time zone',
  ]);
  const ids = (await db.query(`SELECT id FROM "${schema}".auth_store ORDER BY id`)).rows.map((r) => r.id);
  t.same(ids, ['claude-during.json'], 'keyed by the path relative to auth-dir');
  t.same((await db.query(`SELECT id FROM "${schema}".config_store`)).rows, [{ id: 'config' }]);
});

t.test('the DSN password is masked', async (t) => {
  t.equal(maskDsn('postgres://u:s3cret@h:5432/db'), 'postgres://u:****@h:5432/db');
  t.equal(maskDsn('host=h user=u password=s3cret dbname=d'), 'host=h user=u password=**** dbname=d');
  t.equal(maskDsn('postgres://u@h/db?password=s3cret'), 'postgres://u@h/db?password=****');
});
