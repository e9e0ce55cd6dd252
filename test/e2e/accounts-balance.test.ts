// Load balancing over accounts and keys: even round-robin (and fill-first),
// per credential+model cooldowns from 429s and the providers' reset hints,
// the model_cooldown answer, and broken accounts that never block the others.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { listAuthFiles } from '../../lib/auth/store.js';
import { parseConfig } from '../../lib/config/load.js';
import { startGateway, type Gateway } from '../../lib/gateway.js';
import { log } from '../../lib/logging/logger.js';
import { eventually, tempDir } from '../auth/helpers.js';
import { startMockClaude } from '../mocks/claude-upstream.js';
import { startMockCodex } from '../mocks/codex-upstream.js';
import { startMockGemini } from '../mocks/gemini-upstream.js';

process.env.LOG_LEVEL ??= 'error';
log.level = process.env.LOG_LEVEL;

const FAR = new Date(Date.now() + 30 * 86400_000).toISOString();
const claude = await startMockClaude();
const codex = await startMockCodex();
const gemini = await startMockGemini();
t.teardown(async () => {
  await claude.close();
  await codex.close();
  await gemini.close();
});

/** An OpenAI-compatible upstream that counts requests per key and rate-limits the keys it is told to. */
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

async function chat(g: Gateway, model: string): Promise<{ status: number; body: any; retryAfter: string | null }> {
  const res = await fetch(`${g.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'x' }] }) });
  return { status: res.status, body: await res.json(), retryAfter: res.headers.get('retry-after') };
}

function claudeFile(dir: string, name: string, token: string, extra: Record<string, unknown> = {}) {
  writeFileSync(path.join(dir, name), JSON.stringify({ type: 'claude', email: `${name}@x.test`, access_token: token, refresh_token: `rt-${token}`, expired: FAR, ...extra }), { mode: 0o600 });
}

t.test('two Claude accounts and one API key share 300 requests evenly; fill-first sticks to the first', async (t) => {
  const dir = tempDir();
  claudeFile(dir, 'a.json', 'tok-a');
  claudeFile(dir, 'b.json', 'tok-b');
  claudeFile(dir, 'c.json', 'tok-c', { disabled: true });
  const yaml = `auth-dir: "${dir}"\noauth-endpoints: { claude: { api-url: "${claude.url}" } }\nclaude-api-key:\n  - api-key: sk-ant-key-1\n    base-url: "${claude.url}"\n`;
  const g = await gw(yaml);
  const counts = new Map<string, number>();
  const before = claude.requests.length;
  for (let batch = 0; batch < 30; batch++) {
    const results = await Promise.all(Array.from({ length: 10 }, () => chat(g, 'claude-sonnet-4-5-20250929')));
    for (const r of results) t.equal(r.status, 200);
  }
  for (const r of claude.requests.slice(before)) {
    const who = String(r.headers['authorization'] ?? r.headers['x-api-key']);
    counts.set(who, (counts.get(who) ?? 0) + 1);
  }
  t.same([...counts.keys()].sort(), ['Bearer tok-a', 'Bearer tok-b', 'sk-ant-key-1'], 'the disabled account gets nothing');
  for (const [who, n] of counts) t.ok(n >= 90 && n <= 110, `${who}: ${n} of 300 (±10%)`);

  const ff = await gw(`${yaml}routing:\n  strategy: fill-first\n`);
  const start = claude.requests.length;
  for (let i = 0; i < 6; i++) await chat(ff, 'claude-sonnet-4-5-20250929');
  t.equal(new Set(claude.requests.slice(start).map((r) => String(r.headers['authorization'] ?? r.headers['x-api-key']))).size, 1);
});

t.test('a key answering 429 stops receiving traffic until its cooldown ends (injected clock)', async (t) => {
  const up = await keyedUpstream();
  t.teardown(() => up.close());
  let now = Date.now();
  const g = await gw(
    `openai-compatibility:\n  - name: pool\n    base-url: "${up.url}"\n    api-key-entries: [{ api-key: k1 }, { api-key: k2 }, { api-key: k3 }]\n    models: [{ name: up-model, alias: pooled }]\n`,
    () => now,
  );
  up.limited.set('k2', { 'retry-after': '30' });
  for (let i = 0; i < 30; i++) t.equal((await chat(g, 'pooled')).status, 200, 'clients never see the 429 while others can serve');
  t.equal(up.counts.get('k2'), 1, 'k2 was asked once, then shed');
  t.equal((up.counts.get('k1') ?? 0) + (up.counts.get('k3') ?? 0), 30);

  up.limited.delete('k2');
  up.reset();
  now += 29_000;
  for (let i = 0; i < 9; i++) await chat(g, 'pooled');
  t.equal(up.counts.get('k2') ?? 0, 0, 'still cooling at 29 s');
  now += 2_000;
  for (let i = 0; i < 9; i++) await chat(g, 'pooled');
  t.equal(up.counts.get('k2'), 3, 'back in rotation after 30 s, with its fair share');
});

// These two look at the immediate model_cooldown answer on a frozen clock: no waiting for the cooldown.
const NO_WAIT = 'max-retry-interval: 0\n';

t.test('all keys limited: one try each, then 429 model_cooldown with the soonest Retry-After', async (t) => {
  const up = await keyedUpstream();
  t.teardown(() => up.close());
  let now = Date.now();
  const g = await gw(
    `${NO_WAIT}openai-compatibility:\n  - name: pool\n    base-url: "${up.url}"\n    api-key-entries: [{ api-key: k1 }, { api-key: k2 }, { api-key: k3 }]\n    models: [{ name: up-model, alias: pooled }]\n`,
    () => now,
  );
  up.limited.set('k1', { 'retry-after': '50' });
  up.limited.set('k2', { 'retry-after': '20' });
  up.limited.set('k3', { 'x-ratelimit-reset-requests': '1m30s' });
  const first = await chat(g, 'pooled');
  t.equal(first.status, 429);
  t.same([...up.counts.values()], [1, 1, 1], 'each limited key tried exactly once');
  const second = await chat(g, 'pooled');
  t.equal(second.status, 429);
  t.equal(second.retryAfter, '20');
  t.match(second.body, { error: { code: 'model_cooldown', model: 'pooled', reset_seconds: 20 } });
  t.same([...up.counts.values()], [1, 1, 1], 'no upstream call while all cool');
  now += 21_000;
  up.limited.clear();
  t.equal((await chat(g, 'pooled')).status, 200, 'k2 serves again after its reset');
});

t.test('provider reset hints: Codex resets_in_seconds, Gemini RetryInfo, Claude anthropic-ratelimit-*-reset', async (t) => {
  const now = Date.now();
  const g = await gw(
    [
      NO_WAIT,
      'codex-api-key:',
      `  - api-key: sk-codex\n    base-url: "${codex.url}"\n    models: [{ name: fail-429, alias: codex-limited }]`,
      'gemini-api-key:',
      `  - api-key: g-key\n    base-url: "${gemini.url}"\n    models: [{ name: fail-429, alias: gemini-limited }]`,
      'claude-api-key:',
      `  - api-key: sk-ant\n    base-url: "${claude.url}"\n    models: [{ name: claude-limited-up, alias: claude-limited }]`,
    ].join('\n'),
    () => now,
  );
  t.equal((await chat(g, 'codex-limited')).status, 429);
  t.match((await chat(g, 'codex-limited')).body, { error: { code: 'model_cooldown', reset_seconds: 3600 } });
  t.equal((await chat(g, 'gemini-limited')).status, 429);
  t.match((await chat(g, 'gemini-limited')).body, { error: { code: 'model_cooldown', reset_seconds: 2 } });
  claude.failNext(429, 1, {
    'anthropic-ratelimit-requests-remaining': '10',
    'anthropic-ratelimit-requests-reset': new Date(now + 5_000).toISOString(),
    'anthropic-ratelimit-tokens-remaining': '0',
    'anthropic-ratelimit-tokens-reset': new Date(now + 300_000).toISOString(),
  });
  t.equal((await chat(g, 'claude-limited')).status, 429);
  const c = await chat(g, 'claude-limited');
  t.match(c.body, { error: { code: 'model_cooldown' } });
  t.ok(c.body.error.reset_seconds >= 299 && c.body.error.reset_seconds <= 300, `the exhausted limit's reset wins (${c.body.error.reset_seconds}s)`);
});

t.test('an account answering 401 is taken out and its token refresh is attempted; requests never fail for it', async (t) => {
  const dir = tempDir();
  claudeFile(dir, 'good.json', 'tok-good');
  claudeFile(dir, 'broken.json', 'invalid'); // the Claude mock answers 401 to this token
  const g = await gw(`auth-dir: "${dir}"\noauth-endpoints: { claude: { api-url: "${claude.url}", token-url: "http://127.0.0.1:9/token" } }\n`);
  const before = claude.requests.length;
  for (let i = 0; i < 6; i++) t.equal((await (await fetch(`${g.url}/v1/messages`, { method: 'POST', headers: { 'anthropic-version': '2023-06-01' }, body: JSON.stringify({ model: 'claude-sonnet-4-5-20250929', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] }) })).status), 200);
  const used = claude.requests.slice(before).map((r) => r.headers['authorization']);
  t.equal(used.filter((a) => a === 'Bearer invalid').length, 1, 'the broken account was asked once');
  t.equal(used.filter((a) => a === 'Bearer tok-good').length, 6);
  const broken = () => listAuthFiles(g.context).find((f) => f.name === 'broken.json')!;
  t.ok(await eventually(() => /token refresh failed/.test(broken().status_message)), 'a refresh was tried after the 401');
  t.match(broken(), { status: 'error' });
  t.match(listAuthFiles(g.context).find((f) => f.name === 'good.json'), { status: 'active' });

  // The operator logs the account in again: the new file lifts the suspension at once.
  claudeFile(dir, 'broken.json', 'tok-fixed');
  t.ok(await eventually(() => broken().status === 'active'));
  const after = claude.requests.length;
  for (let i = 0; i < 4; i++) await fetch(`${g.url}/v1/messages`, { method: 'POST', headers: { 'anthropic-version': '2023-06-01' }, body: JSON.stringify({ model: 'claude-sonnet-4-5-20250929', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] }) }).then((r) => r.arrayBuffer());
  t.equal(claude.requests.slice(after).filter((r) => r.headers['authorization'] === 'Bearer tok-fixed').length, 2, 'back in rotation');
});

t.test('Gemini CLI quota: switch-preview-model tries the preview on the same account; switch-project the next project', async (t) => {
  const dir = tempDir();
  const gfile = (name: string, projects: string) =>
    writeFileSync(path.join(dir, name), JSON.stringify({ type: 'gemini', email: 'g@x.test', project_id: projects, token: { access_token: `gat-${name}`, refresh_token: 'r', expiry: FAR } }));
  gfile('one.json', 'p1,p2');
  const base = `auth-dir: "${dir}"\noauth-endpoints: { gemini-cli: { api-url: "${gemini.url}" } }\n`;
  const g = await gw(base);
  let start = gemini.requests.length;
  gemini.failNext(429);
  t.equal((await chat(g, 'gemini-2.5-pro')).status, 200);
  let sent = gemini.requests.slice(start).map((r) => [r.body.model, r.body.project]);
  t.same(sent, [['gemini-2.5-pro', 'p1'], ['gemini-2.5-pro-preview-06-05', 'p1']], 'preview model on the same project first');

  start = gemini.requests.length;
  gemini.failNext(429);
  t.equal((await chat(g, 'gemini-2.5-pro')).status, 200);
  sent = gemini.requests.slice(start).map((r) => [r.body.model, r.body.project]);
  t.same(sent, [['gemini-2.5-pro', 'p2'], ['gemini-2.5-pro-preview-06-05', 'p2']], 'next request: p2 in turn, and its preview after its own 429');

  const off = await gw(`${base}quota-exceeded:\n  switch-project: false\n  switch-preview-model: false\n`);
  start = gemini.requests.length;
  gemini.failNext(429);
  const r = await chat(off, 'gemini-2.5-flash');
  t.equal(r.status, 429, 'no other project and no preview: the client gets the quota error');
  t.same(gemini.requests.slice(start).map((x) => x.body.project), ['p1'], 'one try only');
  start = gemini.requests.length;
  t.equal((await chat(off, 'gemini-2.5-flash')).status, 200, 'the next request still may use p2');
  t.same(gemini.requests.slice(start).map((x) => x.body.project), ['p2']);
});
