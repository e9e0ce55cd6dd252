// Cooldowns and suspensions shared between instances through a real Redis:
// two (and three) Cooldowns tables, each joined to the cluster as a gateway
// joins it, see each other's changes; a late joiner loads the live ones; a
// Redis outage leaves every instance serving on its own and resyncs after.
import t from 'tap';
import { startCluster, type Cluster } from '../../lib/cluster/index.js';
import { parseWire } from '../../lib/cluster/shared-cooldowns.js';
import { redisUrlProblem } from '../../lib/cluster/config.js';
import { parseConfig } from '../../lib/config/load.js';
import { Readiness } from '../../lib/health/readiness.js';
import { log } from '../../lib/logging/logger.js';
import { Cooldowns } from '../../lib/routing/cooldown.js';
import { cuttableProxy, dropPrefix, eventually, REDIS_URL, uniquePrefix } from './helpers.js';

process.env.LOG_LEVEL ??= 'error';
log.level = process.env.LOG_LEVEL;

async function join(prefix: string, url = REDIS_URL, readiness?: Readiness): Promise<{ cd: Cooldowns; cluster: Cluster }> {
  const cd = new Cooldowns();
  const cluster = (await startCluster({ config: { redisUrl: url, redisPrefix: prefix }, cooldowns: cd, readiness, env: {} }))!;
  return { cd, cluster };
}

t.test('a 429 cooldown, a suspension and a resume made on one instance apply on the others', async (t) => {
  const prefix = uniquePrefix('cd');
  t.teardown(() => dropPrefix(prefix));
  const a = await join(prefix);
  const b = await join(prefix);
  const c = await join(prefix);
  t.teardown(() => Promise.all([a, b, c].map((x) => x.cluster.close())));
  t.ok(a.cluster.link.up && b.cluster.link.up && c.cluster.link.up, 'all three linked');

  a.cd.cool('openai-compat:mock:abc123', 'gpt-x', 60_000);
  t.ok(await eventually(() => b.cd.quotaRemaining('openai-compat:mock:abc123', 'gpt-x') > 0 && c.cd.quotaRemaining('openai-compat:mock:abc123', 'gpt-x') > 0), 'B and C cool the key');
  const left = b.cd.quotaRemaining('openai-compat:mock:abc123', 'gpt-x');
  t.ok(left > 55_000 && left <= 60_000, `same deadline (absolute time on the wire): ${left} ms left`);
  t.equal(b.cd.quotaRemaining('openai-compat:mock:abc123', 'other-model'), 0, 'per model');

  b.cd.suspend('claude:file:a.json', 300_000, 'unauthorized (401)');
  t.ok(await eventually(() => !!a.cd.suspension('claude:file:a.json', 'any') && !!c.cd.suspension('claude:file:a.json', 'any')), 'A and C suspend it');
  t.equal(a.cd.suspension('claude:file:a.json', 'm')!.reason, 'unauthorized (401)');

  c.cd.resume('claude:file:a.json');
  t.ok(await eventually(() => !a.cd.suspension('claude:file:a.json', 'm') && !b.cd.suspension('claude:file:a.json', 'm')), 'a resume lifts it everywhere');

  a.cd.clear('openai-compat:mock:abc123', 'gpt-x');
  t.ok(await eventually(() => b.cd.quotaRemaining('openai-compat:mock:abc123', 'gpt-x') === 0), 'a clear reaches the others');

  // Applied changes are not sent on again (no echo storm).
  const published = a.cluster.link.counts.published + b.cluster.link.counts.published + c.cluster.link.counts.published;
  t.equal(published, 4, 'one message per local change');
});

t.test('how long a cooldown takes to reach another instance (reported, not asserted)', async (t) => {
  const prefix = uniquePrefix('lat');
  t.teardown(() => dropPrefix(prefix));
  const a = await join(prefix);
  const b = await join(prefix);
  t.teardown(() => Promise.all([a.cluster.close(), b.cluster.close()]));
  const samples: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    a.cd.cool(`k${i}`, 'm', 60_000);
    t.ok(await eventually(() => b.cd.quotaRemaining(`k${i}`, 'm') > 0, 15_000, 1));
    samples.push(performance.now() - t0);
  }
  samples.sort((x, y) => x - y);
  t.comment(`cooldown on A → applied on B: median ${samples[10]!.toFixed(2)} ms, max ${samples[19]!.toFixed(2)} ms over 20 (target 100 ms)`);
});

t.test('an instance that joins later loads the live cooldowns before it serves', async (t) => {
  const prefix = uniquePrefix('late');
  t.teardown(() => dropPrefix(prefix));
  const a = await join(prefix);
  t.teardown(() => a.cluster.close());
  a.cd.cool('gemini:key:1', 'gemini-2.5-pro', 120_000);
  a.cd.suspend('codex:file:x.json', 120_000, 'payment required (402)', 'gpt-5');
  a.cd.cool('gemini:key:2', 'gemini-2.5-pro', 1); // expires at once: not loaded
  // The hash write is asynchronous; a second instance reads it once it is there.
  t.ok(await eventually(async () => (await a.cluster.link.cmd.hlen(a.cluster.link.key('cooldowns'))) >= 2));
  await new Promise((r) => setTimeout(r, 5));
  const late = await join(prefix);
  t.teardown(() => late.cluster.close());
  t.ok(late.cd.quotaRemaining('gemini:key:1', 'gemini-2.5-pro') > 100_000, 'cooldown loaded at start');
  t.match(late.cd.suspension('codex:file:x.json', 'gpt-5'), { reason: 'payment required (402)' }, 'suspension loaded at start');
  t.equal(late.cd.quotaRemaining('gemini:key:2', 'gemini-2.5-pro'), 0, 'expired entries are not');
});

t.test('Redis lost: each instance keeps its own state, warns once, and resyncs when Redis is back', async (t) => {
  const prefix = uniquePrefix('down');
  t.teardown(() => dropPrefix(prefix));
  const proxy = await cuttableProxy();
  t.teardown(() => proxy.close());
  const warnings: string[] = [];
  const origWarn = log.warn.bind(log);
  (log as { warn: unknown }).warn = (...args: unknown[]) => {
    warnings.push(args.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(' '));
    return (origWarn as (...a: unknown[]) => void)(...args);
  };
  t.teardown(() => void ((log as { warn: unknown }).warn = origWarn));

  const readiness = new Readiness();
  const a = await join(prefix, proxy.url, readiness);
  const b = await join(prefix); // straight to Redis: stays connected
  t.teardown(() => Promise.all([a.cluster.close(), b.cluster.close()]));
  t.same(readiness.problems(), [], 'ready while linked');

  await proxy.cut();
  t.ok(await eventually(() => !a.cluster.link.up), 'A notices');
  t.same(readiness.problems(), ['redis: unreachable'], 'readiness says why');
  // Local changes still work (nothing throws, nothing waits), and stay local.
  a.cd.cool('k1', 'm', 60_000);
  a.cd.suspend('k2', 60_000, 'unauthorized (401)');
  t.ok(a.cd.remaining('k1', 'm') > 0 && a.cd.suspension('k2', 'm'), 'A keeps its own state');
  b.cd.cool('k3', 'm', 60_000);
  await new Promise((r) => setTimeout(r, 200));
  t.equal(b.cd.quotaRemaining('k1', 'm'), 0, 'B did not hear of it');
  t.equal(warnings.filter((w) => /redis: unreachable/.test(w)).length, 1, 'one warning');
  t.notMatch(warnings.join('\n'), /password|secret/i);

  await proxy.restore();
  t.ok(await eventually(() => a.cluster.link.up, 20_000), 'A reconnects');
  t.ok(await eventually(() => b.cd.quotaRemaining('k1', 'm') > 0 && !!b.cd.suspension('k2', 'm')), "A's changes made while away reach B");
  t.ok(await eventually(() => a.cd.quotaRemaining('k3', 'm') > 0), "B's changes made meanwhile reach A");
  t.same(readiness.problems(), [], 'ready again');
  t.equal(warnings.filter((w) => /redis: unreachable/.test(w)).length, 1, 'still one warning');
});

t.test('Redis not there at start: the instance starts anyway and joins when it comes', async (t) => {
  const prefix = uniquePrefix('late-redis');
  t.teardown(() => dropPrefix(prefix));
  const proxy = await cuttableProxy();
  t.teardown(() => proxy.close());
  await proxy.cut();
  const readiness = new Readiness();
  const cd = new Cooldowns();
  const cluster = (await startCluster({ config: { redisUrl: proxy.url, redisPrefix: prefix }, cooldowns: cd, readiness, env: {}, connectWaitMs: 300 }))!;
  t.teardown(() => cluster.close());
  t.equal(cluster.link.up, false);
  t.same(readiness.problems(), ['redis: unreachable']);
  cd.cool('k', 'm', 1000);
  t.ok(cd.remaining('k', 'm') > 0);
  await proxy.restore();
  t.ok(await eventually(() => cluster.link.up, 20_000), 'joins later');
  t.same(readiness.problems(), []);
});

t.test('wire messages are checked; the URL comes from the config or REDIS_URL', async (t) => {
  t.equal(parseWire('not json'), undefined);
  t.equal(parseWire(JSON.stringify({ o: 'x', c: { kind: 'cool', credId: 'a', model: 'm' } })), undefined, 'no deadline');
  t.equal(parseWire(JSON.stringify({ o: 'x', c: { kind: 'cool', credId: 'a'.repeat(2000), model: 'm', until: 1 } })), undefined, 'oversized id');
  t.equal(parseWire(JSON.stringify({ o: 'x', c: { kind: 'explode' } })), undefined);
  t.same(parseWire(JSON.stringify({ o: 'x', c: { kind: 'resume', credId: 'a', extra: 1 } })), { o: 'x', c: { kind: 'resume', credId: 'a' } });

  const none = await startCluster({ config: { redisUrl: '', redisPrefix: '' }, cooldowns: new Cooldowns(), env: {} });
  t.equal(none, undefined, 'no Redis configured: single instance');
  const prefix = uniquePrefix('env');
  t.teardown(() => dropPrefix(prefix));
  const viaEnv = await startCluster({ config: { redisUrl: '', redisPrefix: prefix }, cooldowns: new Cooldowns(), env: { REDIS_URL } });
  t.teardown(() => viaEnv?.close());
  t.equal(viaEnv?.link.up, true, 'REDIS_URL is used when redis-url is empty');
  await t.rejects(startCluster({ config: { redisUrl: '', redisPrefix: prefix }, cooldowns: new Cooldowns(), env: { REDIS_URL: 'http://:s3cret@127.0.0.1:6379' } }), /^REDIS_URL: must start with redis:\/\/ or rediss:\/\//, 'a bad REDIS_URL stops the start with a clear error');
});

t.test('redis-url and redis-prefix are checked with a clear error that does not echo a password', async (t) => {
  t.equal(parseConfig('redis-url: "redis://127.0.0.1:6379/2"').config.redisUrl, 'redis://127.0.0.1:6379/2');
  t.equal(parseConfig('').config.redisPrefix, 'cliproxy:', 'default namespace');
  t.throws(() => parseConfig('redis-url: "http://127.0.0.1:6379"', 'c.yaml'), /c\.yaml:1:\d+: redis-url: must start with redis:\/\/ or rediss:\/\//);
  try {
    parseConfig('redis-url: "redis://:hunter2@exa mple:6379"', 'c.yaml');
    t.fail('should throw');
  } catch (err) {
    t.match((err as Error).message, /redis-url: not a valid URL/);
    t.notMatch((err as Error).message, /hunter2/, 'no password in the message');
  }
  t.throws(() => parseConfig('redis-prefix: "a b*"', 'c.yaml'), /redis-prefix: must not contain spaces/);
  t.equal(redisUrlProblem('rediss://user:pw@redis.internal:6380'), undefined);
});
