// In-memory tables keyed by client-chosen model names stay bounded: selector
// cursors, cooldowns and suspensions, usage statistics and metric labels.
// Each test inserts 100k distinct names (what a client sending claude-<random>
// produces) and checks the table against its cap, and that honest use — a
// known model's rotation, a live cooldown, a known model's statistics — is
// unaffected.
import t from 'tap';
import { Cooldowns, MAX_COOLDOWN_ENTRIES } from '../../lib/routing/cooldown.js';
import type { Credential } from '../../lib/routing/credentials.js';
import { isListedModel, ModelRegistry, type Target } from '../../lib/routing/registry.js';
import { MAX_CURSORS, Selector } from '../../lib/routing/selector.js';
import { OTHER } from '../../lib/usage/labels.js';
import { GatewayMetrics, MAX_LABEL_VALUES } from '../../lib/usage/metrics.js';
import { MAX_DETAILS_PER_MODEL, MAX_MODELS_PER_API, UsageStats } from '../../lib/usage/stats.js';
import type { RequestRecord } from '../../lib/routing/types.js';

const N = 100_000;
const name = (i: number) => `claude-made-up-${i}`;

const cred = (id: string, models: Array<[string, string]> = []): Credential => ({
  id,
  provider: 'claude',
  label: id,
  baseUrl: 'http://up.test',
  apiKey: '',
  proxyUrl: '',
  headers: {},
  models: new Map(models),
  disabled: false,
  acceptsUnknownModels: true,
});

t.test('selector: cursors for 100k one-off names stay under the cap; a known model still rotates evenly', async (t) => {
  const sel = new Selector(new Cooldowns());
  const known: Target[] = [
    { credential: cred('a'), upstreamModel: 'm' },
    { credential: cred('b'), upstreamModel: 'm' },
  ];
  const picks: string[] = [];
  for (let i = 0; i < N; i++) {
    const junk = [
      { credential: cred('a'), upstreamModel: name(i) },
      { credential: cred('b'), upstreamModel: name(i) },
    ];
    sel.pick(name(i), junk, new Set(), 'round-robin', true);
    if (i % 10 === 0) picks.push(sel.pick('known', known, new Set(), 'round-robin', true)!.credential.id);
  }
  t.ok(sel.size <= MAX_CURSORS, `${sel.size} cursors ≤ ${MAX_CURSORS}`);
  t.ok(picks.every((id, i) => id === (i % 2 === 0 ? 'a' : 'b')), `strict alternation over ${picks.length} picks in between`);

  const single = new Selector(new Cooldowns());
  for (let i = 0; i < 1000; i++) single.pick(name(i), [{ credential: cred('a'), upstreamModel: name(i) }], new Set(), 'round-robin', true);
  t.equal(single.size, 0, 'one target needs no cursor');
});

t.test('cooldowns: 100k distinct 429s and suspensions stay under the cap; expired entries go', async (t) => {
  let now = 1_000_000;
  const cd = new Cooldowns(() => now);
  for (let i = 0; i < N; i++) {
    cd.cool('key-1', name(i), 60_000);
    cd.suspend('oauth-1', 60_000, 'forbidden', name(i));
  }
  t.ok(cd.size.cooling <= MAX_COOLDOWN_ENTRIES, `${cd.size.cooling} cooldowns ≤ ${MAX_COOLDOWN_ENTRIES}`);
  t.ok(cd.size.suspended <= MAX_COOLDOWN_ENTRIES, `${cd.size.suspended} suspensions ≤ ${MAX_COOLDOWN_ENTRIES}`);
  t.ok(cd.remaining('key-1', name(N - 1)) > 0, 'the newest cooldown holds');
  t.ok(cd.suspension('oauth-1', name(N - 1)), 'the newest suspension holds');

  now += 120_000; // everything above has expired
  cd.cool('key-2', 'claude-sonnet-4-5-20250929', 5_000);
  cd.suspend('oauth-2', 5_000, 'unauthorized');
  t.same(cd.size, { cooling: 1, suspended: 1 }, 'expired entries are dropped on the next insert');
  t.equal(cd.remaining('key-2', 'claude-sonnet-4-5-20250929'), 5_000, 'a live cooldown is kept');
  t.equal(cd.suspension('oauth-2', 'any')?.reason, 'unauthorized', 'a whole-credential suspension still covers every model');
  now += 5_001;
  t.equal(cd.remaining('key-2', 'claude-sonnet-4-5-20250929'), 0);
  t.same(cd.size, { cooling: 0, suspended: 1 }, 'an expired cooldown is dropped when read');
  t.equal(cd.suspension('oauth-2', 'any'), undefined);
  t.same(cd.size, { cooling: 0, suspended: 0 });
});

t.test('cooldowns: a re-cooled key moves to the young end and outlives one-off names', async (t) => {
  const cd = new Cooldowns(() => 0);
  cd.cool('key', 'busy', 1_000_000);
  for (let i = 0; i < MAX_COOLDOWN_ENTRIES * 3; i++) {
    cd.cool('key', name(i), 1_000_000);
    if (i % 1000 === 0) cd.cool('key', 'busy', 1_000_000);
  }
  t.ok(cd.quotaRemaining('key', 'busy') > 0);
});

const known = (m: string) => m === 'claude-sonnet-4-5-20250929';

t.test('usage statistics: 100k unknown names count under one "other" model; known ones keep their name', async (t) => {
  const stats = new UsageStats(() => 0, known);
  for (let i = 0; i < N; i++) stats.record({ api: 'POST /v1/messages', model: name(i), ok: true });
  stats.record({ api: 'POST /v1/messages', model: 'claude-sonnet-4-5-20250929', ok: true, usage: { inputTokens: 1, outputTokens: 2 } });
  const snap = stats.snapshot();
  const models = snap.apis['POST /v1/messages']!.models;
  t.same(Object.keys(models).sort(), ['claude-sonnet-4-5-20250929', OTHER]);
  t.equal(models[OTHER]!.total_requests, N, 'aggregates keep counting');
  t.equal(models[OTHER]!.details.length, MAX_DETAILS_PER_MODEL, 'details are capped');
  t.equal(models['claude-sonnet-4-5-20250929']!.total_tokens, 3);
  t.equal(snap.total_requests, N + 1);
});

t.test('usage statistics: even known names are capped per API', async (t) => {
  const stats = new UsageStats(() => 0, () => true);
  for (let i = 0; i < N; i++) stats.record({ api: 'POST /v1/messages', model: name(i), ok: true });
  const models = stats.snapshot().apis['POST /v1/messages']!.models;
  t.equal(Object.keys(models).length, MAX_MODELS_PER_API + 1, 'the cap plus the overflow bucket');
  t.equal(models[OTHER]!.total_requests, N - MAX_MODELS_PER_API);
});

t.test('usage statistics: details keep the newest records, oldest first', async (t) => {
  let now = Date.UTC(2025, 0, 1);
  const stats = new UsageStats(() => now, known);
  for (let i = 0; i < MAX_DETAILS_PER_MODEL + 7; i++) {
    now += 1000;
    stats.record({ api: 'POST /v1/messages', model: 'claude-sonnet-4-5-20250929', ok: i % 2 === 0 });
  }
  const details = stats.snapshot().apis['POST /v1/messages']!.models['claude-sonnet-4-5-20250929']!.details;
  t.equal(details.length, MAX_DETAILS_PER_MODEL);
  t.equal(details[0]!.timestamp, new Date(Date.UTC(2025, 0, 1) + 8000).toISOString(), 'the seven oldest went');
  t.equal(details.at(-1)!.timestamp, new Date(now).toISOString());
  t.ok(details.every((d, i) => i === 0 || d.timestamp > details[i - 1]!.timestamp), 'in order');
});

const rec = (model: string, status = 200): RequestRecord => ({
  api: 'POST /v1/messages',
  model,
  provider: 'claude',
  status,
  ok: status < 400,
  stream: false,
  latencyMs: 12,
  usage: () => undefined,
});

t.test('metrics: 100k unknown names add no series; known names keep their label', async (t) => {
  const m = new GatewayMetrics({ defaultMetrics: false, known });
  m.observe(rec('claude-sonnet-4-5-20250929'), { inputTokens: 3, outputTokens: 4 });
  for (let i = 0; i < 5; i++) m.observe(rec(name(i)), { inputTokens: 3, outputTokens: 4 });
  const small = (await m.text()).length;
  for (let i = 5; i < N; i++) m.observe(rec(name(i)), { inputTokens: 3, outputTokens: 4 });
  const end = m.streamStarted('claude', name(N));
  const text = await m.text();
  end();
  t.ok(text.length < small * 1.2 + 512, `${small} → ${text.length} bytes`);
  t.notOk(text.includes('claude-made-up-'), 'no client-made name in a label');
  t.match(text, 'model="claude-sonnet-4-5-20250929"');
  t.match(text, `cliproxy_requests_total{api="POST /v1/messages",provider="claude",model="${OTHER}",status="200"} ${N}`);
  t.match(text, `cliproxy_active_streams{provider="claude",model="${OTHER}"} 1`);
});

t.test('metrics: distinct values per label are capped even for names that count as known', async (t) => {
  const m = new GatewayMetrics({ defaultMetrics: false, known: () => true });
  for (let i = 0; i < 5_000; i++) m.observe(rec(name(i), 100 + (i % 900)), undefined);
  const text = await m.text();
  const values = (label: string) => new Set([...text.matchAll(new RegExp(`^cliproxy_requests_total\\{.*${label}="([^"]*)"`, 'gm'))].map((x) => x[1]));
  t.equal(values('model').size, MAX_LABEL_VALUES + 1, 'the cap plus "other"');
  t.ok(values('status').size <= MAX_LABEL_VALUES + 1);
});

t.test('registry: listed names are known, prefix-routed ones are not; its fallback table is bounded', async (t) => {
  const reg = new ModelRegistry([cred('k', [['my-alias', 'upstream-x']])], () => 'anthropic');
  t.ok(isListedModel('my-alias'), 'a configured alias');
  t.ok(isListedModel('claude-sonnet-4-5-20250929'), 'a catalogue entry');
  t.ok(isListedModel('gemini-2.5-pro'));
  t.notOk(isListedModel('upstream-x'), 'an upstream name behind an alias is not listed');
  t.equal(reg.targets(name(1)).length, 1, 'an unknown claude-* name still routes');
  t.notOk(isListedModel(name(1)), '…but is not listed');
  for (let i = 0; i < 20_000; i++) reg.targets(name(i));
  t.ok((reg as unknown as { fallback: Map<string, unknown> }).fallback.size <= 1001);
});
