// Credential priority: requests go to the highest tier that has a usable
// credential; round-robin / fill-first rotate within it; a lower tier serves
// only while every higher credential is cooling, suspended, disabled or
// already tried, and traffic returns to the top tier once it recovers.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import t from 'tap';
import { fileControls } from '../../lib/auth/credential.js';
import { parseConfig } from '../../lib/config/load.js';
import { startGateway, type Gateway } from '../../lib/gateway.js';
import { log } from '../../lib/logging/logger.js';
import { Cooldowns } from '../../lib/routing/cooldown.js';
import { credentialsFromConfig } from '../../lib/routing/credentials.js';
import { ModelRegistry } from '../../lib/routing/registry.js';
import { Selector } from '../../lib/routing/selector.js';
import { tempDir } from '../auth/helpers.js';
import { startMockClaude } from '../mocks/claude-upstream.js';

process.env.LOG_LEVEL ??= 'error';
log.level = process.env.LOG_LEVEL;

const FAR = new Date(Date.now() + 30 * 86400_000).toISOString();

/** An OpenAI-compatible upstream that counts requests per key and answers 429 for the keys it is told to. */
async function keyedUpstream() {
  const counts = new Map<string, number>();
  const limited = new Map<string, Record<string, string>>();
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const key = String(req.headers['authorization'] ?? '').replace(/^Bearer /, '');
      counts.set(key, (counts.get(key) ?? 0) + 1);
      const lim = limited.get(key);
      if (lim) {
        res.writeHead(429, { 'content-type': 'application/json', ...lim });
        return res.end(JSON.stringify({ error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } }));
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'c1', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: `ok ${key}` }, finish_reason: 'stop' }] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    counts,
    limited,
    reset: () => counts.clear(),
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

async function gw(yaml: string, now?: () => number): Promise<Gateway> {
  const g = await startGateway({ config: parseConfig(yaml, 't.yaml').config, port: 0, host: '127.0.0.1', now, authRefreshCheckMs: 0 });
  t.teardown(() => g.close());
  return g;
}

const client = (g: Gateway) => new OpenAI({ baseURL: `${g.url}/v1`, apiKey: 'unused', maxRetries: 0 });

t.test('selector: the top tier rotates alone; lower tiers only when it is tried, cooling or disabled', async (t) => {
  const cfg = parseConfig(`
openai-compatibility:
  - name: p
    base-url: http://127.0.0.1:1/v1
    priority: 1
    api-key-entries:
      - { api-key: low-a }
      - { api-key: hi-a, priority: 10 }
      - { api-key: neg-a, priority: -5 }
      - { api-key: hi-b, priority: 10 }
      - { api-key: low-b }
    models: [{ name: up, alias: m }]
`).config;
  const creds = credentialsFromConfig(cfg);
  const targets = new ModelRegistry(creds, () => 'x', cfg).targets('m');
  t.same(targets.map((x) => x.credential.priority), [10, 10, 1, 1, -5], 'tiers highest first, config order within a tier');
  const cd = new Cooldowns();
  const sel = new Selector(cd);
  const pick = (tried: string[] = [], strategy: 'round-robin' | 'fill-first' = 'round-robin') => sel.pick('m', targets, new Set(tried), strategy, true)?.credential.id;
  const first = Array.from({ length: 6 }, () => pick());
  t.same(new Set(first).size, 2, 'round-robin over the two top keys only');
  t.same(first.filter((id) => id === first[0]).length, 3, 'evenly');
  const [hiA, hiB, lowA, lowB, neg] = targets.map((x) => x.credential.id) as [string, string, string, string, string];
  t.ok([lowA, lowB].includes(pick([hiA, hiB])!), 'both top keys tried: the next tier serves');
  cd.cool(hiA, 'up', 60_000);
  t.same(new Set(Array.from({ length: 4 }, () => pick())), new Set([hiB]), 'one top key cooling: the other top key takes everything');
  cd.cool(hiB, 'up', 60_000);
  t.same(new Set(Array.from({ length: 4 }, () => pick())), new Set([lowA, lowB]), 'top tier cooling: the middle tier rotates');
  t.equal(pick([lowA, lowB]), neg, 'then the lowest');
  t.equal(pick([lowA, lowB, neg]), undefined, 'nothing left');
  t.equal(pick([], 'fill-first'), lowA, 'fill-first sticks to the first usable of the best tier');
  t.equal(sel.pick('m', targets, new Set(), 'round-robin', false)?.credential.priority, 10, 'with cooling off, 429s do not demote the top tier');
});

t.test('priority in a token file: a number or a numeric string; anything else is ignored', async (t) => {
  t.equal(fileControls({ priority: 7 }).priority, 7);
  t.equal(fileControls({ priority: ' -3 ' }).priority, -3);
  t.equal(fileControls({ priority: 'high' }).priority, undefined);
  t.equal(fileControls({ priority: 1.5 }).priority, undefined);
});

t.test('end to end: the high tier serves until it answers 429, the low tier meanwhile, then the high tier again', async (t) => {
  const up = await keyedUpstream();
  t.teardown(() => up.close());
  let now = Date.now();
  const g = await gw(
    `openai-compatibility:
  - name: pool
    base-url: "${up.url}"
    priority: 1
    api-key-entries:
      - { api-key: k-low }
      - { api-key: k-hi1, priority: 5 }
      - { api-key: k-hi2, priority: 5 }
    models: [{ name: up-model, alias: pooled }]
`,
    () => now,
  );
  const ai = client(g);
  const ask = async () => (await ai.chat.completions.create({ model: 'pooled', messages: [{ role: 'user', content: 'x' }] })).choices[0]!.message.content;
  for (let i = 0; i < 10; i++) await ask();
  t.same([up.counts.get('k-hi1'), up.counts.get('k-hi2'), up.counts.get('k-low') ?? 0], [5, 5, 0], 'only the high tier, round-robin within it');

  up.reset();
  up.limited.set('k-hi1', { 'retry-after': '30' });
  up.limited.set('k-hi2', { 'retry-after': '30' });
  t.equal(await ask(), 'ok k-low', 'both high keys answer 429: the low key answers within the same request');
  for (let i = 0; i < 5; i++) t.equal(await ask(), 'ok k-low');
  t.same([up.counts.get('k-hi1'), up.counts.get('k-hi2'), up.counts.get('k-low')], [1, 1, 6], 'each high key was asked once, then left to cool');

  up.reset();
  up.limited.clear();
  now += 31_000;
  for (let i = 0; i < 4; i++) await ask();
  t.same([up.counts.get('k-hi1'), up.counts.get('k-hi2'), up.counts.get('k-low') ?? 0], [2, 2, 0], 'cooldown over: back to the high tier');
});

t.test('end to end: a token file with a higher priority takes the traffic from a Claude API key', async (t) => {
  const claude = await startMockClaude();
  t.teardown(() => claude.close());
  const dir = tempDir();
  writeFileSync(path.join(dir, 'acct.json'), JSON.stringify({ type: 'claude', email: 'a@x.test', access_token: 'tok-prio', refresh_token: 'rt', expired: FAR, priority: 3 }), { mode: 0o600 });
  const g = await gw(`auth-dir: "${dir}"\noauth-endpoints: { claude: { api-url: "${claude.url}" } }\nclaude-api-key:\n  - api-key: sk-ant-low\n    base-url: "${claude.url}"\n`);
  const ai = client(g);
  const before = claude.requests.length;
  for (let i = 0; i < 4; i++) await ai.chat.completions.create({ model: 'claude-sonnet-4-5-20250929', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] });
  const who = claude.requests.slice(before).map((r) => String(r.headers['authorization'] ?? r.headers['x-api-key']));
  t.same(who, Array(4).fill('Bearer tok-prio'), 'the account (priority 3) serves every request; the key (priority 0) none');
});

t.test('config errors for priority', async (t) => {
  const err = (yaml: string) => {
    try {
      parseConfig(yaml, 'c.yaml');
      return '';
    } catch (e) {
      return (e as Error).message;
    }
  };
  t.match(err('claude-api-key:\n  - api-key: k\n    priority: high\n'), /c\.yaml:3:15: claude-api-key\[0\]\.priority: expected a whole number, got "high"/);
  t.match(err('gemini-api-key:\n  - api-key: k\n    priority: 1.5\n'), /gemini-api-key\[0\]\.priority: expected a whole number/);
  t.match(err('codex-api-key:\n  - api-key: k\n    priority: 2000000\n'), /codex-api-key\[0\]\.priority: must be at most 1000000/);
  t.match(err('openai-compatibility:\n  - name: p\n    base-url: http://127.0.0.1:1\n    api-key-entries: [{ api-key: k, priority: [1] }]\n'), /openai-compatibility\[0\]\.api-key-entries\[0\]\.priority: expected a single value/);
  t.equal(err('openai-compatibility:\n  - name: p\n    base-url: http://127.0.0.1:1\n    priority: -3\n'), '', 'negative priorities are fine');
});
