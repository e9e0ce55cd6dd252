import t from 'tap';
import { presentedKey, ClientKeys } from '../../lib/access/client-keys.js';
import { parseConfig } from '../../lib/config/load.js';
import { Cooldowns, parseRetryAfter } from '../../lib/routing/cooldown.js';
import { credentialsFromConfig } from '../../lib/routing/credentials.js';
import { ModelRegistry } from '../../lib/routing/registry.js';
import { Selector } from '../../lib/routing/selector.js';

const cfg = parseConfig(`
proxy-url: http://127.0.0.1:3128
openai-compatibility:
  - name: one
    base-url: http://127.0.0.1:1/v1/
    api-key-entries:
      - api-key: sk-one-aaaaaaaaaaaa
      - api-key: sk-one-bbbbbbbbbbbb
        proxy-url: socks5://127.0.0.1:1080
    models:
      - name: up-a
        alias: a
      - name: up-b
  - name: two
    base-url: http://127.0.0.1:2/v1
    api-keys: [sk-two-cccccccccccc]
    models:
      - name: up-a2
        alias: a
`).config;

t.test('credentials: one per key, proxy falls back to global, labels masked', async (t) => {
  const creds = credentialsFromConfig(cfg);
  t.equal(creds.length, 3);
  t.equal(creds[0]!.baseUrl, 'http://127.0.0.1:1/v1', 'trailing slash dropped');
  t.equal(creds[0]!.proxyUrl, 'http://127.0.0.1:3128');
  t.equal(creds[1]!.proxyUrl, 'socks5://127.0.0.1:1080');
  for (const c of creds) t.notMatch(c.label, /aaaaaaaaaaaa|bbbbbbbbbbbb|cccccccccccc/);
  t.equal(new Set(creds.map((c) => c.id)).size, 3);
  t.same(credentialsFromConfig(cfg).map((c) => c.id), creds.map((c) => c.id), 'ids are stable across rebuilds');
});

t.test('registry: aliases, upstream names, providers merged per alias', async (t) => {
  const reg = new ModelRegistry(credentialsFromConfig(cfg), (c) => c.provider);
  t.same(reg.targets('a').map((x) => x.upstreamModel), ['up-a', 'up-a', 'up-a2']);
  t.same(reg.targets('up-b').length, 2, 'a model without alias is served under its own name');
  t.same(reg.targets('up-a'), [], 'upstream names hidden behind an alias are not routable');
  t.same(reg.list().map((m) => m.id), ['a', 'up-b']);
});

t.test('selector: round-robin is even and deterministic; fill-first sticks', async (t) => {
  const reg = new ModelRegistry(credentialsFromConfig(cfg), (c) => c.provider);
  const targets = reg.targets('a');
  const sel = new Selector(new Cooldowns());
  const picks = Array.from({ length: 300 }, () => sel.pick('a', targets, new Set(), 'round-robin', true)!.credential.id);
  const counts = new Map<string, number>();
  for (const p of picks) counts.set(p, (counts.get(p) ?? 0) + 1);
  t.same([...counts.values()], [100, 100, 100]);
  t.same(picks.slice(0, 3), targets.map((x) => x.credential.id), 'config order');
  const ff = new Selector(new Cooldowns());
  t.same(new Set(Array.from({ length: 5 }, () => ff.pick('a', targets, new Set(), 'fill-first', true)!.credential.id)).size, 1);
});

t.test('selector: skips tried, disabled and cooling credentials', async (t) => {
  let now = 1_000_000;
  const cd = new Cooldowns(() => now);
  const sel = new Selector(cd);
  const targets = new ModelRegistry(credentialsFromConfig(cfg), (c) => c.provider).targets('a');
  const [x, y, z] = targets.map((tg) => tg.credential.id);
  cd.cool(x!, 'up-a', 5000);
  const tried = new Set([y!]);
  t.equal(sel.pick('a', targets, tried, 'round-robin', true)!.credential.id, z);
  t.equal(sel.pick('a', targets, new Set([y!, z!]), 'round-robin', true), undefined, 'only the cooling one is left');
  t.equal(sel.soonestReset(targets), 0, 'others are usable');
  t.equal(sel.pick('a', targets, new Set([y!, z!]), 'round-robin', false)!.credential.id, x, 'disable-cooling ignores cooldowns');
  now += 5001;
  t.equal(sel.pick('a', targets, new Set([y!, z!]), 'round-robin', true)!.credential.id, x, 'usable again after the cooldown');
});

t.test('Retry-After parsing', async (t) => {
  t.equal(parseRetryAfter('7'), 7000);
  t.equal(parseRetryAfter(new Date(Date.now() + 60_000).toUTCString())! > 55_000, true);
  t.equal(parseRetryAfter(undefined), undefined);
  t.equal(parseRetryAfter('soon'), undefined);
});

t.test('client keys: every accepted place, and none required when unset', async (t) => {
  t.equal(presentedKey({ headers: { authorization: 'Bearer abc' } }), 'abc');
  t.equal(presentedKey({ headers: { authorization: 'bearer  abc ' } }), 'abc');
  t.equal(presentedKey({ headers: { 'x-api-key': 'k2' } }), 'k2');
  t.equal(presentedKey({ headers: { 'x-goog-api-key': 'k3' } }), 'k3');
  t.equal(presentedKey({ headers: {}, queryKey: 'k4' }), 'k4');
  t.equal(presentedKey({ headers: {} }), undefined);
  t.same(new ClientKeys([]).check({ headers: {} }), { ok: true });
  const keys = new ClientKeys(['good']);
  t.equal(keys.check({ headers: { 'x-api-key': 'good' } }).ok, true);
  t.equal(keys.check({ headers: { 'x-api-key': 'bad' } }).ok, false);
  t.equal(keys.check({ headers: {} }).ok, false);
});
