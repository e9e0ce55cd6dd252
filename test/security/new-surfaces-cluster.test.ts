// Messages from Redis are input: whoever can write to the cluster's Redis (or
// a bug in another version) must not be able to crash a gateway, grow its
// memory, or freeze a credential for ever. A real gateway joined to the real
// Redis gets junk on its channels and hash, then a cooldown whose deadline is
// absurdly far away.
import { Redis } from 'ioredis';
import t from 'tap';
import { MAX_SHARED_AHEAD_MS } from '../../lib/cluster/shared-cooldowns.js';
import { log, setLogSink } from '../../lib/logging/logger.js';
import { dropPrefix, eventually, REDIS_URL, uniquePrefix } from '../cluster/helpers.js';
import { compatYaml, gatewayFromYaml } from '../helpers/gateway.js';
import { startMockOpenAI } from '../mocks/openai-upstream.js';

const prefix = uniquePrefix('sec');
const mock = await startMockOpenAI();
const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
const lines: string[] = [];
const level = log.level;
log.level = 'warn';
const prevSink = setLogSink({ write: (l) => lines.push(l) });
const gw = await gatewayFromYaml(compatYaml(mock.url, { retry: 0, extra: `redis-url: "${REDIS_URL}"\nredis-prefix: "${prefix}"\n` }));
t.teardown(async () => {
  await gw.close();
  await mock.close();
  redis.disconnect();
  await dropPrefix(prefix);
  setLogSink(prevSink);
  log.level = level;
});

const chat = async () => {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-mock', messages: [{ role: 'user', content: 'hi' }] }),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
};

t.test('junk on the channels and in the hash: ignored, no warning per message, the gateway serves', async (t) => {
  t.ok(await eventually(async () => (await fetch(`${gw.url}/readyz`)).status === 200), 'joined to Redis');
  const junk = ['null', '42', '"s"', '{', '[]', '{"o":"x","c":null}', '{"o":"x","c":{"kind":"cool","credId":{},"model":"m","until":1}}', '{"o":1}', 'x'.repeat(8 * 1024 * 1024)];
  for (const m of junk) {
    await redis.publish(`${prefix}cooldowns`, m);
    await redis.publish(`${prefix}refresh-failed`, m);
  }
  await redis.hset(`${prefix}cooldowns`, 'not json', 'also not', '["cool",1,2]', '{"until":"soon"}');
  // A marker after the junk: once it is applied, every junk message before it was handled.
  await redis.publish(`${prefix}cooldowns`, JSON.stringify({ o: 'attacker', c: { kind: 'cool', credId: 'marker-cred', model: 'marker', until: Date.now() + 60_000 } }));
  t.ok(await eventually(() => gw.context.routing.cooldowns.quotaRemaining('marker-cred', 'marker') > 0), 'the marker arrived');
  t.equal((await chat()).status, 200, 'the gateway still serves');
  const warned = lines.filter((l) => /could not be applied/.test(l));
  t.same(warned, [], 'no message threw while being applied');
});

t.test('a cooldown with an absurd deadline is bounded; the 429 answer is still well-formed', async (t) => {
  mock.failNext(429, 1, { 'retry-after': '60' });
  const first = await chat();
  t.equal(first.status, 429, 'the upstream 429 cools the key');
  // The shared entry names the credential as every instance knows it.
  let field: string | undefined;
  t.ok(
    await eventually(async () => {
      const all = await redis.hgetall(`${prefix}cooldowns`);
      field = Object.keys(all).find((f) => f.startsWith('["cool"') && f.includes('openai-compat'));
      return field !== undefined;
    }),
    'the cooldown is in the shared hash',
  );
  const [, credId, model] = JSON.parse(field!) as [string, string, string];
  for (const until of [1e300, 8.64e15 + 1, Number.MAX_SAFE_INTEGER]) {
    await redis.publish(`${prefix}cooldowns`, JSON.stringify({ o: 'attacker', c: { kind: 'cool', credId, model, until } }));
    await redis.publish(`${prefix}cooldowns`, JSON.stringify({ o: 'attacker', c: { kind: 'suspend', credId, model, until, reason: 'r'.repeat(100_000) } }));
  }
  await redis.hset(`${prefix}cooldowns`, field!, JSON.stringify({ until: 1e300 }));
  t.ok(await eventually(() => gw.context.routing.cooldowns.quotaRemaining(credId, model) > 120_000), 'the long cooldown was applied');
  const left = gw.context.routing.cooldowns.quotaRemaining(credId, model);
  t.ok(left <= MAX_SHARED_AHEAD_MS, `bounded: ${Math.round(left / 86_400_000)} days at most`);
  const res = await chat();
  t.equal(res.status, 429, 'answered 429, not a crash');
  const body = JSON.parse(res.text);
  t.equal(typeof body.error?.message, 'string', 'in the OpenAI error shape');
  t.ok(Number(res.headers.get('retry-after')) <= MAX_SHARED_AHEAD_MS / 1000, 'Retry-After is bounded too');
  const s = gw.context.routing.cooldowns.suspension(credId, model);
  t.ok(!s || s.reason.length <= 300, 'a suspension reason from Redis is capped');
});
