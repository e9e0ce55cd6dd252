// Usage statistics in PostgreSQL (PGSTORE_DSN): several gateways writing at
// once add up exactly and each shows the cluster's totals; a restart finds
// them; while the database is away requests are served and counted in
// memory, and written once it is back. Each run uses its own schema.
import net from 'node:net';
import pg from 'pg';
import t from 'tap';
import { UsageTables } from '../../lib/usage/pg-usage-sql.js';
import { MAX_DETAILS_PER_MODEL } from '../../lib/usage/tally.js';
import { startMockOpenAI } from '../mocks/openai-upstream.js';
import { configDir, eventually, usageGateway, type UsageGateway } from './helpers.js';

const PG = 'postgres://postgres:sekret-pw@127.0.0.1:5432/test';
const schema = `usage_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
const env = (dsn = PG) => ({ PGSTORE_DSN: dsn, PGSTORE_SCHEMA: schema });
const db = new pg.Client({ connectionString: PG });
await db.connect();
const mock = await startMockOpenAI();
const open: UsageGateway[] = [];
t.teardown(async () => {
  for (const gw of open) await gw.close().catch(() => {});
  await db.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`);
  await db.end();
  await mock.close();
});

async function gateway(dsn = PG): Promise<UsageGateway> {
  const gw = await usageGateway(configDir(mock.url), { env: env(dsn) });
  open.push(gw);
  return gw;
}

async function closeGw(gw: UsageGateway): Promise<void> {
  open.splice(open.indexOf(gw), 1);
  await gw.close();
}

async function dbTotal(): Promise<number> {
  const r = await db.query(`SELECT coalesce(sum(requests), 0)::int AS n FROM ${pg.escapeIdentifier(schema)}.usage_models`).catch(() => ({ rows: [{ n: -1 }] }));
  return r.rows[0].n as number;
}

const usage = async (gw: UsageGateway) => (await gw.api('GET', '/usage')).json.usage;

/** A loopback TCP relay to PostgreSQL that a test can cut and restore. */
async function relay(): Promise<{ port: number; stop(): Promise<void>; start(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const start = () =>
    new Promise<void>((resolve, reject) => {
      server = net.createServer((client) => {
        const up = net.connect(5432, '127.0.0.1');
        for (const s of [client, up]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => {});
        }
        client.pipe(up).pipe(client);
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as net.AddressInfo).port;
        resolve();
      });
    });
  await start();
  return {
    get port() {
      return port;
    },
    start,
    async stop() {
      const closed = new Promise<void>((r) => server!.close(() => r()));
      for (const s of sockets) s.destroy(); // close() waits for open connections: cut them
      await closed;
    },
  };
}

t.test('two gateways recording at once: exact cluster totals, shown by both', async (t) => {
  const [a, b] = [await gateway(), await gateway()];
  const burst = (gw: UsageGateway) =>
    Promise.all([
      ...Array.from({ length: 25 }, () => gw.chat('gpt-mock')),
      ...Array.from({ length: 5 }, () => gw.chat('fail-400')),
      ...Array.from({ length: 5 }, () => gw.chat('gpt-mock', { stream: true })),
    ]);
  // Several rounds, so batches from both overlap in time.
  for (let round = 0; round < 3; round++) {
    const results = (await Promise.all([burst(a), burst(b)])).flat();
    t.equal(results.filter((r) => r.status === 200).length, 60, `round ${round}: served`);
  }
  const settled = async () => {
    const [ua, ub] = [await usage(a), await usage(b)];
    return a.management.usage.state().pending === 0 && b.management.usage.state().pending === 0 && ua.total_requests === 210 && ub.total_requests === 210;
  };
  t.ok(await eventually(settled), 'both show 210 requests, all written');
  t.equal(await dbTotal(), 210, 'the database holds exactly 210');
  for (const gw of [a, b]) {
    const u = await usage(gw);
    t.equal(u.failure_count, 30);
    t.equal(u.success_count, 180);
    t.equal(u.total_tokens, 180 * 17);
    t.equal(u.apis['POST /v1/chat/completions'].models['gpt-mock'].total_requests, 180);
    t.equal(Object.values(u.requests_by_day as Record<string, number>).reduce((x, y) => x + y, 0), 210);
    t.equal(u.apis['POST /v1/chat/completions'].models['gpt-mock'].details.length, 180, 'details of both instances');
  }
  t.same(a.management.usage.state(), { kind: 'postgres', where: schema, problem: undefined, pending: 0 });
  await closeGw(a);
  await closeGw(b);

  // A restart (a new instance) finds the totals.
  const c = await gateway();
  const u = await usage(c);
  t.equal(u.total_requests, 210, 'kept over a restart');
  t.equal(u.failure_count, 30);
  await closeGw(c);
});

t.test('export and import with PostgreSQL: deduplicated against the database', async (t) => {
  const a = await gateway();
  const exp = (await a.api('GET', '/usage/export')).json;
  t.equal(exp.usage.total_requests, 210);
  t.same((await a.api('POST', '/usage/import', exp)).json, { added: 0, skipped: 210, total_requests: 210, failed_requests: 30 });
  const one = { version: 1, usage: { apis: { 'POST /v1/chat/completions': { models: { 'gpt-mock': { details: [{ timestamp: '2025-01-02T03:04:05Z', source: 'elsewhere', tokens: { input_tokens: 3, output_tokens: 4 }, failed: false }] } } } } } };
  t.same((await a.api('POST', '/usage/import', one)).json, { added: 1, skipped: 0, total_requests: 211, failed_requests: 30 });
  t.same((await a.api('POST', '/usage/import', one)).json, { added: 0, skipped: 1, total_requests: 211, failed_requests: 30 });
  t.equal(await dbTotal(), 211);
  await closeGw(a);
});

t.test('a detail committed after later ones (an older id, committed late) is still read', async (t) => {
  // The database given as an option (an embedder's explicit store) rather than PGSTORE_DSN.
  const gw = await usageGateway(configDir(mock.url), { usageDatabase: { dsn: PG, schema } });
  open.push(gw);
  t.equal(gw.management.usage.state().kind, 'postgres');
  const other = new pg.Client({ connectionString: PG });
  await other.connect();
  t.teardown(() => other.end());
  const details = async () => (await usage(gw)).apis['POST /v1/chat/completions']?.models['gpt-mock']?.details ?? [];
  await other.query('BEGIN');
  await other.query(`INSERT INTO ${pg.escapeIdentifier(schema)}.usage_details (api, model, detail, dedup) VALUES ($1, $2, $3, $4)`, [
    'POST /v1/chat/completions',
    'gpt-mock',
    JSON.stringify({ timestamp: new Date().toISOString(), source: 'committed-late', tokens: { input_tokens: 1, output_tokens: 1, reasoning_tokens: 0, cached_tokens: 0, total_tokens: 2 }, failed: false }),
    'late',
  ]);
  const n = (await details()).length;
  for (let i = 0; i < 2; i++) await gw.chat('gpt-mock');
  t.ok(await eventually(async () => gw.management.usage.state().pending === 0 && (await details()).length === n + 2), 'later ids read first');
  // One more request read back while the early id is still uncommitted.
  await gw.chat('gpt-mock');
  t.ok(await eventually(async () => gw.management.usage.state().pending === 0 && (await details()).length === n + 3));
  await other.query('COMMIT');
  t.ok(await eventually(async () => (await details()).some((d: any) => d.source === 'committed-late')), 'the late commit is read too');
  await closeGw(gw);
});

t.test('the database goes away and comes back: requests served, counted, then written; nothing lost', async (t) => {
  const proxy = await relay();
  const viaProxy = `postgres://postgres:sekret-pw@127.0.0.1:${proxy.port}/test`;
  const gw = await gateway(viaProxy);
  const watcher = await gateway(); // a second instance, straight to the database
  const base = await dbTotal();
  for (let i = 0; i < 3; i++) t.equal((await gw.chat('gpt-mock')).status, 200);
  t.ok(await eventually(async () => (await dbTotal()) === base + 3), 'written while the database is there');

  await proxy.stop();
  for (let i = 0; i < 5; i++) t.equal((await gw.chat('gpt-mock')).status, 200, 'served without the database');
  t.equal((await usage(gw)).total_requests, base + 8, 'counted in memory meanwhile');
  t.ok(await eventually(() => gw.management.usage.state().problem !== undefined), 'the outage is noticed');
  const problem = gw.management.usage.state().problem!;
  t.notMatch(problem, 'sekret-pw', 'no password in the reported problem');
  t.equal(gw.management.usage.state().pending, 5);
  t.equal(await dbTotal(), base + 3, 'nothing written while away');
  const metrics = await (await fetch(`${gw.url}/metrics`)).text();
  t.match(metrics, /^cliproxy_usage_pending_requests 5$/m, 'the backlog on /metrics');
  t.match(metrics, /^cliproxy_usage_store_up 0$/m, 'the outage on /metrics');

  await proxy.start();
  t.ok(await eventually(async () => (await dbTotal()) === base + 8 && gw.management.usage.state().pending === 0, 20_000), 'written once it is back, exactly once');
  t.equal(gw.management.usage.state().problem, undefined);
  t.match(await (await fetch(`${gw.url}/metrics`)).text(), /^cliproxy_usage_store_up 1$/m);
  t.ok(await eventually(async () => (await usage(watcher)).total_requests === base + 8), 'the other instance sees them');
  t.equal((await usage(gw)).total_requests, base + 8, 'and this one shows no double count');
  await closeGw(gw);
  await closeGw(watcher);
  await proxy.stop();
});

t.test('an unreachable database at start: the gateway starts, serves and counts; close does not hang', async (t) => {
  const closed = net.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
  const port = (closed.address() as net.AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  const gw = await gateway(`postgres://postgres:sekret-pw@127.0.0.1:${port}/test`);
  t.equal((await gw.chat('gpt-mock')).status, 200);
  t.equal((await usage(gw)).total_requests, 1);
  t.ok(await eventually(() => gw.management.usage.state().problem !== undefined));
  t.notMatch(gw.management.usage.state().problem!, 'sekret-pw');
  t.equal(gw.management.usage.state().pending, 1);
  await closeGw(gw);
});

t.test('old details are pruned to the newest per model; counters are untouched', async (t) => {
  const pool = new pg.Pool({ connectionString: PG, max: 1 });
  t.teardown(() => pool.end());
  const tables = new UsageTables(schema);
  const q = pg.escapeIdentifier(schema);
  const models = await db.query(`SELECT sum(requests)::int AS n FROM ${q}.usage_models`);
  await db.query(
    `INSERT INTO ${q}.usage_details (api, model, detail, dedup) SELECT 'POST /x', 'prune-me', jsonb_build_object('n', g), 'p' || g FROM generate_series(1, $1::int) g`,
    [MAX_DETAILS_PER_MODEL + 25],
  );
  await tables.prune(pool);
  const left = await db.query(`SELECT count(*)::int AS n, min((detail->>'n')::int) AS first FROM ${q}.usage_details WHERE model = 'prune-me'`);
  t.same(left.rows[0], { n: MAX_DETAILS_PER_MODEL, first: 26 }, 'the 25 oldest went');
  t.ok((await db.query(`SELECT count(*)::int AS n FROM ${q}.usage_details WHERE model = 'gpt-mock'`)).rows[0].n > 0, 'other models keep theirs');
  t.same((await db.query(`SELECT sum(requests)::int AS n FROM ${q}.usage_models`)).rows, models.rows);
});
