// A gateway joined to a cluster whose Redis goes away: requests keep being
// served from local state, one warning is logged, /readyz and /metrics say
// so, and when Redis is back the instance resyncs (a cooldown it met while
// cut off reaches a peer that stayed connected).
import t from 'tap';
import { startGateway, type Gateway } from '../../lib/gateway.js';
import { parseConfig } from '../../lib/config/load.js';
import { log } from '../../lib/logging/logger.js';
import { compatYaml } from '../helpers/gateway.js';
import { cuttableProxy, dropPrefix, eventually, REDIS_URL, uniquePrefix } from './helpers.js';
import { startKeyedUpstream } from './keyed-upstream.js';

process.env.LOG_LEVEL ??= 'error';

const upstream = await startKeyedUpstream();
t.teardown(() => upstream.close());

async function gateway(redisUrl: string, prefix: string): Promise<Gateway> {
  const yaml = compatYaml(upstream.url, { keys: ['sk-d1', 'sk-d2'], models: [['up-model', 'm1']], extra: `redis-url: "${redisUrl}"\nredis-prefix: "${prefix}"\nmetrics: public` });
  return startGateway({ config: parseConfig(yaml, 't.yaml').config, port: 0, host: '127.0.0.1' });
}

const chat = async (gw: Gateway) => {
  const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm1', messages: [{ role: 'user', content: 'hi' }] }) });
  await res.arrayBuffer();
  return res.status;
};

t.test('Redis cut off: requests still served, one warning, /readyz 503 until it is back, then state resyncs', async (t) => {
  const prefix = uniquePrefix('gw-down');
  t.teardown(() => dropPrefix(prefix));
  const proxy = await cuttableProxy();
  t.teardown(() => proxy.close());
  const warnings: string[] = [];
  const origWarn = log.warn.bind(log);
  (log as { warn: unknown }).warn = (...args: unknown[]) => {
    warnings.push(args.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(' '));
  };
  t.teardown(() => void ((log as { warn: unknown }).warn = origWarn));

  const a = await gateway(proxy.url, prefix); // through the proxy we cut
  const b = await gateway(REDIS_URL, prefix); // a peer that stays connected
  t.teardown(() => Promise.all([a.close(), b.close()]));
  t.equal((await fetch(`${a.url}/readyz`)).status, 200, 'ready while linked');

  await proxy.cut();
  t.ok(await eventually(async () => (await fetch(`${a.url}/readyz`)).status === 503), '/readyz answers 503');
  t.match(await (await fetch(`${a.url}/readyz`)).json(), { reasons: ['redis: unreachable'] });
  t.match(await (await fetch(`${a.url}/metrics`)).text(), /cliproxy_redis_up 0/);

  // Every request is served; a 429 met meanwhile cools the key locally.
  upstream.limit('sk-d1');
  const statuses: number[] = [];
  for (let i = 0; i < 10; i++) statuses.push(await chat(a));
  t.same(statuses, Array(10).fill(200), 'no failed request while Redis is away');
  t.ok(a.context.routing.cooldowns.quotaRemaining(keyIdOf(a, 'sk-d1'), 'up-model') > 0, 'the key cools locally');
  t.equal(b.context.routing.cooldowns.quotaRemaining(keyIdOf(b, 'sk-d1'), 'up-model'), 0, 'the peer has not heard (Redis is cut off)');
  t.equal(warnings.filter((w) => /redis: unreachable/.test(w)).length, 1, 'one warning for the outage');

  await proxy.restore();
  t.ok(await eventually(async () => (await fetch(`${a.url}/readyz`)).status === 200, 20_000), 'ready again');
  t.ok(await eventually(() => b.context.routing.cooldowns.quotaRemaining(keyIdOf(b, 'sk-d1'), 'up-model') > 0), 'the cooldown reaches the peer after the resync');
  const before = upstream.perKey()['sk-d1'] ?? 0;
  for (let i = 0; i < 4; i++) t.equal(await chat(b), 200);
  t.equal(upstream.perKey()['sk-d1'] ?? 0, before, 'the peer no longer sends the cooling key');
  upstream.limit(undefined);
});

/** The credential id a gateway gives one of its config keys (the same on every instance). */
function keyIdOf(gw: Gateway, apiKey: string): string {
  const c = gw.runtime().credentials.find((x) => x.apiKey === apiKey);
  if (!c) throw new Error(`no credential for ${apiKey}`);
  return c.id;
}
