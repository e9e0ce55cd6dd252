// Three gateway processes on loopback, started as a deployment starts them
// (the CLI with PGSTORE_DSN for durable state and redis-url for live state),
// behind a load balancer played by this test: round-robin over the
// instances, and on a connection error or a 503 the request goes to the
// next one. Against a mock upstream with three keys:
//  - a token file uploaded on A serves on B and C;
//  - a token due for refresh is refreshed once, and all three use the new one;
//  - round-robin spreads evenly over the keys across instances;
//  - a 429 seen on A cools that key on B and C (the upstream sees no more of it);
//  - one instance stopped (SIGTERM) mid-load: no request fails;
//  - usage totals across the cluster are exact, and survive restarting all three
//    (the restarted instances also load the live cooldown from Redis);
//  - one instance killed (SIGKILL) mid-load: no request fails.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import t from 'tap';
import { startMockClaude } from '../mocks/claude-upstream.js';
import { startMockOAuth } from '../mocks/oauth-server.js';
import { loginFile } from '../auth/helpers.js';
import { dropPrefix, eventually, REDIS_URL, startCliGateway, uniquePrefix, type GatewayProcess } from './helpers.js';
import { startKeyedUpstream, USAGE } from './keyed-upstream.js';

const DSN = process.env.TEST_PG_DSN ?? 'postgres://postgres@127.0.0.1:5432/test';
const MGMT = 'cluster-test-management-key';
const KEYS = ['sk-cluster-k1', 'sk-cluster-k2', 'sk-cluster-k3'];

const upstream = await startKeyedUpstream();
const claude = await startMockClaude();
// Rotates refresh tokens: a second refresh with the same one would fail.
const oauth = await startMockOAuth({ flavour: 'claude', email: 'rf@x.test', expiresIn: 8 * 3600 });
const prefix = uniquePrefix('e2e');
const schema = `cluster_e2e_${process.pid}_${Math.floor(Math.random() * 1e6)}`;
const work = mkdtempSync(path.join(tmpdir(), 'cliproxy-cluster-'));
const seed = path.join(work, 'seed.yaml');
writeFileSync(
  seed,
  [
    'host: 127.0.0.1',
    'port: 0',
    'request-retry: 3',
    'usage-statistics-enabled: true',
    'metrics: public',
    `redis-url: "${REDIS_URL}"`,
    `redis-prefix: "${prefix}"`,
    'oauth-endpoints:',
    '  claude:',
    `    api-url: "${claude.url}"`,
    `    token-url: "${oauth.url}/token"`,
    'openai-compatibility:',
    '  - name: mock',
    `    base-url: "${upstream.url}"`,
    '    api-key-entries:',
    ...KEYS.map((k) => `      - api-key: "${k}"`),
    '    models:',
    '      - name: "up-model"',
    '        alias: "m1"',
  ].join('\n'),
);

const procs: GatewayProcess[] = [];
t.teardown(async () => {
  for (const p of procs) p.kill();
  await Promise.all(procs.map((p) => p.output));
  await upstream.close();
  await claude.close();
  await oauth.close();
  await dropPrefix(prefix);
  const c = new pg.Client({ connectionString: DSN });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await c.end();
  rmSync(work, { recursive: true, force: true });
});

interface Instance {
  name: string;
  url: string;
  run: GatewayProcess;
}

async function startInstance(name: string): Promise<Instance> {
  const dir = path.join(work, name);
  mkdirSync(dir, { recursive: true });
  const run = await startCliGateway(['-config', seed, '-port', '0'], dir, { PGSTORE_DSN: DSN, PGSTORE_SCHEMA: schema, PGSTORE_LOCAL_PATH: dir, MANAGEMENT_PASSWORD: MGMT, LOG_LEVEL: 'info' });
  procs.push(run);
  return { name, url: run.url, run };
}

/** What a load balancer does: try the given instance, then the next live ones on a connection error or 503. */
async function viaBalancer(pool: Instance[], first: number, send: (base: string) => Promise<Response>): Promise<{ status: number; body: any; served: string }> {
  let last: unknown;
  for (let i = 0; i < pool.length * 2; i++) {
    const inst = pool[(first + i) % pool.length]!;
    try {
      const res = await send(inst.url);
      const text = await res.text();
      if (res.status === 503) {
        last = new Error(`503 from ${inst.name}: ${text}`);
        continue;
      }
      return { status: res.status, body: text ? JSON.parse(text) : undefined, served: inst.name };
    } catch (err) {
      last = err;
    }
  }
  throw last;
}

const chat = (base: string) =>
  fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm1', messages: [{ role: 'user', content: 'hi' }] }),
  });

const mgmt = (base: string, p: string, init: RequestInit = {}) => fetch(`${base}/v0/management${p}`, { ...init, headers: { authorization: `Bearer ${MGMT}`, ...(init.headers ?? {}) } });

interface Totals {
  total_requests: number;
  failure_count: number;
  chat_tokens: number;
}

async function usageOf(inst: Instance): Promise<Totals> {
  const res = await mgmt(inst.url, '/usage');
  const { usage } = (await res.json()) as { usage: { total_requests: number; failure_count: number; apis: Record<string, { total_tokens: number }> } };
  return { total_requests: usage.total_requests, failure_count: usage.failure_count, chat_tokens: usage.apis['POST /v1/chat/completions']?.total_tokens ?? 0 };
}

async function appliedOn(inst: Instance): Promise<number> {
  const text = await (await fetch(`${inst.url}/metrics`)).text();
  const m = /cliproxy_cluster_messages_total\{event="applied"\} (\d+)/.exec(text);
  return m ? Number(m[1]) : -1;
}

/** Inference answers with status 200 the client received (each must be counted once in usage),
 *  and the OpenAI ones among them (each carries USAGE from the mock). */
let answered = 0;
let chatAnswers = 0;
function tally(r: { status: number; body: any }): void {
  if (r.status !== 200) return;
  answered++;
  if (r.body?.object === 'chat.completion') chatAnswers++;
}

/** `count` requests, `concurrency` at a time, spread round-robin over `pool`. */
async function load(pool: () => Instance[], count: number, concurrency: number, onDone?: (n: number) => void): Promise<{ failures: string[]; served: Record<string, number> }> {
  const failures: string[] = [];
  const served: Record<string, number> = {};
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      try {
        const r = await viaBalancer(pool(), i, chat);
        tally(r);
        served[r.served] = (served[r.served] ?? 0) + 1;
        if (r.status !== 200) failures.push(`request ${i}: ${r.status} ${JSON.stringify(r.body)}`);
      } catch (err) {
        failures.push(`request ${i}: ${(err as Error).message}`);
      }
      onDone?.(++done);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { failures, served };
}

const a = await startInstance('a');
const [b, c] = await Promise.all([startInstance('b'), startInstance('c')]);
let all = [a, b, c];

t.test('a token file uploaded on A serves on B and C', async (t) => {
  const token = { type: 'claude', email: 'up@x.test', access_token: 'claude-at-uploaded', refresh_token: 'claude-rt-up', expired: new Date(Date.now() + 86400_000).toISOString() };
  const t0 = Date.now();
  const up = await mgmt(a.url, '/auth-files?name=claude-up.json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(token) });
  t.equal(up.status, 200, 'uploaded on A');
  const ask = async (inst: Instance) => {
    const before = claude.requests.length;
    const res = await fetch(`${inst.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5-20250929', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const body = await res.json();
    if (res.status === 200) tally({ status: 200, body });
    return res.status === 200 && claude.requests[before]?.headers['authorization'] === 'Bearer claude-at-uploaded';
  };
  const seen: Record<string, number> = {};
  await Promise.all(
    [b, c].map(async (inst) => {
      t.ok(await eventually(() => ask(inst), 20_000, 20), `serves on ${inst.name}`);
      seen[inst.name] = Date.now() - t0;
    }),
  );
  t.comment(`upload on A → serving on B after ${seen['b']} ms, on C after ${seen['c']} ms (target 1 s)`);
});

t.test('a token due for refresh is refreshed once across the cluster, and every instance uses the new token', async (t) => {
  // A real login against the mock gives a refresh token it knows; the copy uploaded is due (expires in 30 min, lead 4 h).
  const loginDir = path.join(work, 'login');
  mkdirSync(loginDir, { recursive: true });
  const file = await loginFile('claude', oauth, loginDir, claude.url);
  // (last_refresh 8 h ago: a token refreshed moments ago would count as short-lived and wait for half its life.)
  const token = { ...JSON.parse(readFileSync(file, 'utf8')), expired: new Date(Date.now() + 30 * 60_000).toISOString(), last_refresh: new Date(Date.now() - 8 * 3600_000).toISOString() };
  const refreshes = () => oauth.requests.filter((r) => r.path === '/token' && r.body['grant_type'] === 'refresh_token').length;
  t.equal(refreshes(), 0);
  const up = await mgmt(a.url, '/auth-files?name=claude-rf.json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(token) });
  t.equal(up.status, 200);
  // Each instance checks every 5 s; whichever comes first refreshes, the others get its file through the store.
  const usesNewToken = async (inst: Instance) => {
    for (let i = 0; i < 4; i++) {
      const before = claude.requests.length;
      const res = await fetch(`${inst.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ model: 'claude-sonnet-4-5-20250929', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }),
      });
      const body = await res.json();
      tally({ status: res.status, body });
      if (claude.requests[before]?.headers['authorization'] === 'Bearer claude-at-2') return true;
    }
    return false;
  };
  for (const inst of [a, b, c]) t.ok(await eventually(() => usesNewToken(inst), 30_000, 200), `${inst.name} serves with the refreshed token`);
  t.equal(refreshes(), 1, 'one refresh request for the three instances');
  const listed = await Promise.all([a, b, c].map(async (i) => ((await (await mgmt(i.url, '/auth-files')).json()) as { files: Array<{ name: string; status: string }> }).files.find((f) => f.name === 'claude-rf.json')));
  t.same(listed.map((f) => f?.status), ['active', 'active', 'active']);
});

t.test('round-robin spreads evenly over the keys across instances (300 requests, 3 instances, 3 keys)', async (t) => {
  const before = upstream.perKey();
  const { failures, served } = await load(() => all, 300, 6);
  t.same(failures, []);
  t.same(served, { a: 100, b: 100, c: 100 }, 'the balancer gave each instance 100');
  const after = upstream.perKey();
  for (const k of KEYS) {
    const n = (after[k] ?? 0) - (before[k] ?? 0);
    t.ok(n >= 90 && n <= 110, `${k}: ${n} requests (100 ± 10 %)`);
  }
});

t.test('a 429 on A cools the key on B and C', async (t) => {
  const limited = KEYS[1]!;
  const applied = await Promise.all([appliedOn(b), appliedOn(c)]);
  upstream.limit(limited);
  t.teardown(() => upstream.limit(undefined));
  const hits = () => upstream.perKey()[limited] ?? 0;
  const base = hits();
  // Only A gets traffic until it has met the 429 (round-robin reaches the key within three requests).
  for (let i = 0; i < 6 && hits() === base; i++) {
    const r = await viaBalancer([a], 0, chat);
    tally(r);
    t.equal(r.status, 200, 'the client does not see the 429: A rotates to another key');
  }
  t.equal(hits(), base + 1, 'A met the 429 once');
  // Wait for the cooldown to be applied on B and C (they report it on /metrics).
  t.ok(await eventually(async () => (await appliedOn(b)) > applied[0]! && (await appliedOn(c)) > applied[1]!), 'B and C applied the cooldown');
  const { failures } = await load(() => [b, c], 60, 4);
  t.same(failures, []);
  t.equal(hits(), base + 1, 'B and C sent nothing with the cooling key');
});

t.test('one instance stopped mid-load: no request fails, the others serve', async (t) => {
  let stopped = false;
  const { failures, served } = await load(
    () => all,
    240,
    6,
    (n) => {
      if (n === 60 && !stopped) {
        stopped = true;
        b.run.kill('SIGTERM'); // B drains and exits; the balancer moves on
      }
    },
  );
  const exit = await b.run.output;
  t.equal(exit.code, 0, 'B exited cleanly');
  t.same(failures, [], 'every request answered 200');
  t.ok((served['a'] ?? 0) > 60 && (served['c'] ?? 0) > 60, `A and C took over: ${JSON.stringify(served)}`);
  all = [a, c];
});

t.test('usage totals are exact across the cluster, and survive restarting every instance', async (t) => {
  t.ok(answered > 600, `${answered} answers`);
  const expected: Totals = { total_requests: answered, failure_count: 0, chat_tokens: chatAnswers * USAGE.total_tokens };
  let seen: unknown;
  t.ok(
    await eventually(async () => {
      const [ua, uc] = await Promise.all([usageOf(a), usageOf(c)]);
      seen = { a: ua, c: uc };
      return ua.total_requests === answered && uc.total_requests === answered;
    }, 20_000, 100),
    'A and C report the cluster total',
  );
  t.same(seen, { a: expected, c: expected }, `requests and tokens (${USAGE.total_tokens} per OpenAI answer)`);

  a.run.kill('SIGTERM');
  c.run.kill('SIGTERM');
  t.equal((await a.run.output).code, 0);
  t.equal((await c.run.output).code, 0);
  const again = await Promise.all([startInstance('a'), startInstance('b'), startInstance('c')]);
  for (const inst of again) {
    let u: Totals | undefined;
    t.ok(await eventually(async () => (u = await usageOf(inst)).total_requests === answered, 20_000, 100), `${inst.name} after restart: ${JSON.stringify(u)}`);
    t.same(u, expected);
  }
  // And they serve, still sharing the cooldown (it was stored in Redis with its deadline).
  const limitedHits = upstream.perKey()[KEYS[1]!] ?? 0;
  const { failures } = await load(() => again, 30, 3);
  t.same(failures, []);
  t.equal(upstream.perKey()[KEYS[1]!] ?? 0, limitedHits, 'the restarted instances loaded the live cooldown');
  all = again;
});

t.test('an instance killed outright (SIGKILL) mid-load: the others keep serving, no request fails', async (t) => {
  const victim = all[2]!;
  let killed = false;
  const { failures, served } = await load(
    () => all,
    150,
    6,
    (n) => {
      if (n === 40 && !killed) {
        killed = true;
        victim.run.kill('SIGKILL');
      }
    },
  );
  t.equal((await victim.run.output).signal, 'SIGKILL');
  t.same(failures, [], 'every request answered 200 (the balancer retried the ones the dead instance dropped)');
  t.ok((served[all[0]!.name] ?? 0) > 40 && (served[all[1]!.name] ?? 0) > 40, `the others served: ${JSON.stringify(served)}`);
  // Its Redis connections died with it; the survivors still share state.
  const survivors = all.slice(0, 2);
  const ready = await Promise.all(survivors.map(async (i) => (await fetch(`${i.url}/metrics`)).text()));
  for (const text of ready) t.match(text, /cliproxy_redis_up 1/);
});
