// /readyz follows the real Redis link: when Redis stops (a loopback proxy in
// front of 127.0.0.1:6379 closes and cuts its connections) /readyz turns 503
// naming redis, and when it is back /readyz is 200 again. /healthz stays 200
// and inference keeps serving on the instance's own state meanwhile.
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import t from 'tap';
import { compatYaml, gatewayFromYaml } from '../helpers/gateway.js';
import { startGatedUpstream } from './gated-upstream.js';
import { startTcpProxy } from './tcp-proxy.js';

const REDIS_PORT = 6379;

/** Poll `url` until its status is `want` (bounded: 60 s). */
async function untilStatus(url: string, want: number): Promise<{ status: number; body: any }> {
  let last = { status: 0, body: undefined as any };
  for (let i = 0; i < 600; i++) {
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
