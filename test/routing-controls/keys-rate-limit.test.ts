// The per-key limiter: a fixed one-minute window per key, O(1), and a table
// bounded by the configured keys (windows of keys gone from the config expire).
import t from 'tap';
import { ClientKeys, KeyRules } from '../../lib/access/client-keys.js';
import { KeyRateLimiter } from '../../lib/access/rate-limit.js';

t.test('fixed window', async (t) => {
  let now = 1_000_000;
  const l = new KeyRateLimiter(() => now);
  const r = new KeyRules('k', [], 3);
  t.same([l.take(r), l.take(r), l.take(r)], [0, 0, 0], 'three admitted');
  now += 15_000;
  t.equal(l.take(r), 45_000, 'the fourth waits for the window end');
  t.equal(l.take(r), 45_000, 'refusals do not extend the window');
  now += 45_000;
  t.equal(l.take(r), 0, 'a new window');
  t.equal(l.take(new KeyRules('other', [], 1)), 0, 'keys are counted apart');
  t.equal(l.take(new KeyRules('unlimited', [], 0)), 0);
});

t.test('the table stays bounded', async (t) => {
  let now = 0;
  const l = new KeyRateLimiter(() => now);
  for (let i = 0; i < 20_000; i++) {
    now += 61_000; // each earlier window has expired
    l.take(new KeyRules(`k${i}`, [], 1));
  }
  t.ok((l as unknown as { windows: Map<string, unknown> }).windows.size <= 4097, 'expired windows are dropped');
});

t.test('ClientKeys: settings only where an entry restricts something', async (t) => {
  const keys = new ClientKeys(['a', 'b', 'c'], [
    { key: 'b', models: ['gpt-*'], maxRequestsPerMinute: 0 },
    { key: 'c', models: [], maxRequestsPerMinute: 0 },
  ]);
  const a = keys.check({ headers: { authorization: 'Bearer a' } });
  const b = keys.check({ headers: { 'x-api-key': 'b' } });
  const c = keys.check({ headers: {}, queryKey: 'c' });
  t.same(a, { ok: true, key: 'a' }, 'a plain key: as before');
  t.ok(b.ok && b.rules?.allows('GPT-5') && !b.rules.allows('claude-x'));
  t.same(c, { ok: true, key: 'c' }, 'an object entry without limits is a plain key');
  t.same(keys.check({ headers: {} }).ok, false);
});
