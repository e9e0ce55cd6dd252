// /readyz follows the real Redis link and the real store: when Redis or
// PostgreSQL stops (a loopback proxy in front of 127.0.0.1:6379 / 5432 closes
// and cuts its connections) /readyz turns 503 naming it, and when it is back
// /readyz is 200 again. /healthz stays 200 and inference keeps serving on the
// instance's own state meanwhile.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import pg from 'pg';
import t from 'tap';
import { startGatewayWithStore } from '../../lib/store/index.js';
import { compatYaml, gatewayFromYaml } from '../helpers/gateway.js';
import { startGatedUpstream } from './gated-upstream.js';
import { startTcpProxy } from './tcp-proxy.js';

const REDIS_PORT = 6379;
const PG_PORT = 5432;

/** Poll `url` until its status is `want` (bounded, generously: the machine is shared). */
async function untilStatus(url: string, want: number, ms = 60_000): Promise<{ status: number; body: any }> {
  let last = { status: 0, body: undefined as any };
  for (let i = 0; i < ms / 100; i++) {
    const res = await fetch(url);
    last = { status: res.status, body: await res.json() };
    if (res.status === want) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  return last;
}

t.test('/readyz turns 503 when Redis stops and 200 when it is back', async (t) => {
  const proxy = await startTcpProxy(REDIS_PORT);
  t.teardown(() => proxy.close());
  const prefix = `test-deploy-${process.pid}:`;
  t.teardown(async () => {
    // Leave nothing behind in the shared Redis.
    const r = new Redis(REDIS_PORT, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1 });
    await r.connect();
    const keys = await r.keys(`${prefix}*`);
    if (keys.length) await r.del(...keys);
    r.disconnect();
  });
  const mock = await startGatedUpstream();
  mock.release();
  t.teardown(() => mock.close());
  const gw = await gatewayFromYaml(compatYaml(mock.url, { models: [['gated', 'gated']], extra: `redis-url: "redis://127.0.0.1:${proxy.port}/0"\nredis-prefix: "${prefix}"` }));
  t.teardown(() => gw.close());

  const up = await untilStatus(`${gw.url}/readyz`, 200);
  t.equal(up.status, 200, 'ready with Redis reachable');

  await proxy.stop();
  const down = await untilStatus(`${gw.url}/readyz`, 503);
  t.equal(down.status, 503, '503 while Redis is away');
  t.match(down.body, { status: 'unavailable', reasons: [/^redis: /] }, 'the reason names redis');
  t.notMatch(JSON.stringify(down.body), /127\.0\.0\.1|6379|redis:\/\//, 'no address or URL in the public answer');
  t.equal((await fetch(`${gw.url}/healthz`)).status, 200, '/healthz: the process is still up');
  const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'any', maxRetries: 0 });
  const answer = await openai.chat.completions.create({ model: 'gated', messages: [{ role: 'user', content: 'x' }] });
  t.equal(answer.choices[0]?.message.content, 'whole answer', 'requests are still served from local state');

  await proxy.resume();
  const back = await untilStatus(`${gw.url}/readyz`, 200);
  t.equal(back.status, 200, 'ready again once Redis is back');
  t.same(back.body, { status: 'ready' });
});

t.test('/readyz turns 503 when PostgreSQL (the store) stops and 200 when it is back', async (t) => {
  const proxy = await startTcpProxy(PG_PORT);
  t.teardown(() => proxy.close());
  const schema = `cliproxy_deploy_ready_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  t.teardown(async () => {
    const db = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${PG_PORT}/test` });
    await db.connect();
    await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.end();
  });
  const dir = mkdtempSync(path.join(tmpdir(), 'deploy-pg-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const gw = await startGatewayWithStore(
    { kind: 'postgres', dsn: `postgres://postgres@127.0.0.1:${proxy.port}/test`, schema, localPath: dir },
    { port: 0, host: '127.0.0.1', cwd: dir, retryMinMs: 50, retryMaxMs: 500, resyncMs: 500 },
  );
  t.teardown(() => gw.close());

  t.equal((await untilStatus(`${gw.url}/readyz`, 200)).status, 200, 'ready with the store reachable');
  await proxy.stop();
  const down = await untilStatus(`${gw.url}/readyz`, 503, 30_000);
  t.equal(down.status, 503, '503 while PostgreSQL is away');
  t.match(down.body, { status: 'unavailable', reasons: [/^store: /] }, 'the reason names the store');
  t.notMatch(JSON.stringify(down.body), /postgres:\/\/|127\.0\.0\.1/, 'no DSN or address in the public answer');
  t.equal((await fetch(`${gw.url}/healthz`)).status, 200, '/healthz: the process is still up');
  await proxy.resume();
  const back = await untilStatus(`${gw.url}/readyz`, 200);
  t.equal(back.status, 200, 'ready again once PostgreSQL is back');
});
