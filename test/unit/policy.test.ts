// The retry/rotation policy as a table: each failure × credential × setting →
// what happens next, whether it spends a retry, and what is recorded.
import t from 'tap';
import type { Credential } from '../../lib/routing/credentials.js';
import { backoffMs, classify, cooldownWait, finalReply, replyStatus, SUSPEND_MS, type Decision, type Failure, type RetryConfig } from '../../lib/routing/policy.js';
import type { AttemptFailure } from '../../lib/routing/types.js';

const NOW = 1_700_000_000_000;

function cred(kind: 'key' | 'oauth' | 'gemini-cli', extra: Partial<Credential> = {}): Credential {
  const base: Credential = { id: kind, provider: 'openai-compat', label: kind, baseUrl: '', apiKey: 'k', proxyUrl: '', headers: {}, models: new Map(), disabled: false };
  if (kind === 'oauth') return { ...base, provider: 'claude', apiKey: '', accessToken: 'tok', ...extra };
  if (kind === 'gemini-cli') return { ...base, provider: 'gemini-cli', apiKey: '', accessToken: 'tok', group: 'acct', projectId: 'p1', ...extra };
  return { ...base, ...extra };
}

const cfg = (over: Partial<RetryConfig> = {}): RetryConfig => ({
  requestRetry: 3,
  disableCooling: false,
  quotaExceeded: { switchProject: true, switchPreviewModel: true },
  maxRetryInterval: 30,
  ...over,
});

const http = (status: number, headers: Record<string, string> = {}): AttemptFailure => ({ kind: 'http-error', status, body: '{"error":{"message":"x"}}', headers });
const refused: AttemptFailure = { kind: 'network-error', message: 'connect ECONNREFUSED' };
const gone: AttemptFailure = { kind: 'network-error', message: 'relay closed', gone: true };

/** The facts of one failure: by default other untried credentials exist and retries remain. */
function facts(outcome: AttemptFailure, c: Credential, over: Partial<Failure> = {}): Failure {
  return { outcome, credential: c, model: 'm', format: 'openai-chat', retriesLeft: 3, sameRetries: 0, canRotate: true, alone: false, fresh: () => true, now: NOW, ...over };
}

const only = { canRotate: false, alone: true };
const othersTried = { canRotate: false, alone: false };

// [name, failure facts, config, expected decision]
const table: Array<[string, Failure, RetryConfig, Decision]> = [
  // Transient answers: rotate while others are untried; on a lone credential retry it after a growing pause.
  ['503, others untried → rotate, spends a retry', facts(http(503), cred('key')), cfg(), { next: { kind: 'rotate' }, spendsRetry: true }],
  ['500, lone credential → same again after 100 ms', facts(http(500), cred('key'), only), cfg(), { next: { kind: 'retry', delayMs: 100 }, spendsRetry: true }],
  ['502, lone credential, second retry → 200 ms', facts(http(502), cred('key'), { ...only, sameRetries: 1 }), cfg(), { next: { kind: 'retry', delayMs: 200 }, spendsRetry: true }],
  ['504, lone credential, many retries → capped at 1 s', facts(http(504), cred('key'), { ...only, sameRetries: 9 }), cfg(), { next: { kind: 'retry', delayMs: 1000 }, spendsRetry: true }],
  ['408, lone OAuth credential → same again', facts(http(408), cred('oauth'), only), cfg(), { next: { kind: 'retry', delayMs: 100 }, spendsRetry: true }],
  ['503, every other credential tried → stop', facts(http(503), cred('key'), othersTried), cfg(), { next: { kind: 'stop' }, spendsRetry: false }],
  ['503, no retries left → stop', facts(http(503), cred('key'), { retriesLeft: 0 }), cfg(), { next: { kind: 'stop' }, spendsRetry: false }],
  ['503, lone credential, request-retry 0 → stop', facts(http(503), cred('key'), { ...only, retriesLeft: 0 }), cfg({ requestRetry: 0 }), { next: { kind: 'stop' }, spendsRetry: false }],
  ['connection refused, others untried → rotate', facts(refused, cred('key')), cfg(), { next: { kind: 'rotate' }, spendsRetry: true }],
  ['connection refused, lone credential → same again', facts(refused, cred('key'), only), cfg(), { next: { kind: 'retry', delayMs: 100 }, spendsRetry: true }],
  ['relay gone → rotate freely', facts(gone, cred('key'), { retriesLeft: 0, ...only }), cfg(), { next: { kind: 'rotate' }, spendsRetry: false }],

  // Client faults are the client's: stop at once.
  ['400 → stop', facts(http(400), cred('key')), cfg(), { next: { kind: 'stop' }, spendsRetry: false }],
  ['404 → stop', facts(http(404), cred('oauth')), cfg(), { next: { kind: 'stop' }, spendsRetry: false }],

  // Rate limits rotate freely and cool the key, with the upstream's hint.
  ['429 with Retry-After → cool for it, rotate freely', facts(http(429, { 'retry-after': '7' }), cred('key'), { retriesLeft: 0 }), cfg(), { next: { kind: 'rotate' }, spendsRetry: false, cool: { model: 'm', ms: 7000 } }],
  ['429 without a hint → cool for the default', facts(http(429), cred('key')), cfg(), { next: { kind: 'rotate' }, spendsRetry: false, cool: { model: 'm', ms: undefined } }],
  ['429 with disable-cooling → rotate, nothing cooled', facts(http(429), cred('key')), cfg({ disableCooling: true }), { next: { kind: 'rotate' }, spendsRetry: false }],
  [
    '429 on Gemini CLI 2.5 Pro → its preview on the same account',
    facts(http(429), cred('gemini-cli'), { model: 'gemini-2.5-pro', format: 'gemini-cli' }),
    cfg(),
    { next: { kind: 'fallback', model: 'gemini-2.5-pro-preview-06-05' }, spendsRetry: false, cool: { model: 'gemini-2.5-pro', ms: undefined } },
  ],
  [
    '429 on Gemini CLI, preview already tried → rotate',
    facts(http(429), cred('gemini-cli'), { model: 'gemini-2.5-pro', format: 'gemini-cli', fresh: () => false }),
    cfg(),
    { next: { kind: 'rotate' }, spendsRetry: false, cool: { model: 'gemini-2.5-pro', ms: undefined } },
  ],
  [
    '429 on Gemini CLI, switch-preview-model off → rotate',
    facts(http(429), cred('gemini-cli'), { model: 'gemini-2.5-pro', format: 'gemini-cli' }),
    cfg({ quotaExceeded: { switchProject: true, switchPreviewModel: false } }),
    { next: { kind: 'rotate' }, spendsRetry: false, cool: { model: 'gemini-2.5-pro', ms: undefined } },
  ],
  [
    '429 on Gemini CLI, switch-project off → the account’s other projects sit out',
    facts(http(429), cred('gemini-cli'), { model: 'gemini-2.5-flash', format: 'gemini-cli' }),
    cfg({ quotaExceeded: { switchProject: false, switchPreviewModel: true } }),
    { next: { kind: 'rotate' }, spendsRetry: false, cool: { model: 'gemini-2.5-flash', ms: undefined }, benchGroup: 'acct' },
  ],
  ['429 on an API key, switch-project off → nothing to bench', facts(http(429), cred('key')), cfg({ quotaExceeded: { switchProject: false, switchPreviewModel: true } }), { next: { kind: 'rotate' }, spendsRetry: false, cool: { model: 'm', ms: undefined } }],

  // Account faults suspend the credential and tell its source.
  ['401 → suspend the credential, refresh, rotate freely', facts(http(401), cred('oauth'), { retriesLeft: 0 }), cfg(), { next: { kind: 'rotate' }, spendsRetry: false, suspend: { model: '*', ms: SUSPEND_MS, reason: 'unauthorized' }, notify: 401 }],
  ['402 → suspend the credential, rotate freely', facts(http(402), cred('key')), cfg(), { next: { kind: 'rotate' }, spendsRetry: false, suspend: { model: '*', ms: SUSPEND_MS, reason: 'payment required' }, notify: 402 }],
  ['403 on an OAuth account → off that model, rotate', facts(http(403), cred('oauth')), cfg(), { next: { kind: 'rotate' }, spendsRetry: true, suspend: { model: 'm', ms: SUSPEND_MS, reason: 'forbidden' }, notify: 403 }],
  ['403 on an OAuth account, alone → off that model, stop', facts(http(403), cred('oauth'), only), cfg(), { next: { kind: 'stop' }, spendsRetry: false, suspend: { model: 'm', ms: SUSPEND_MS, reason: 'forbidden' }, notify: 403 }],
  ['403 on an API key → rotate', facts(http(403), cred('key')), cfg(), { next: { kind: 'rotate' }, spendsRetry: true }],
  ['403 on a lone API key → stop (it would be refused again)', facts(http(403), cred('key'), only), cfg(), { next: { kind: 'stop' }, spendsRetry: false }],
  ['403, no retries left → stop', facts(http(403), cred('key'), { retriesLeft: 0 }), cfg(), { next: { kind: 'stop' }, spendsRetry: false }],
];

t.test('classify: the decision table', async (t) => {
  for (const [name, f, c, expected] of table) t.same(classify(f, c), expected, name);
});

t.test('backoff: 100 ms doubling, at most 1 s', async (t) => {
  t.same([0, 1, 2, 3, 4, 5].map(backoffMs), [100, 200, 400, 800, 1000, 1000]);
});

t.test('cooldownWait: wait for the soonest cooldown within max-retry-interval', async (t) => {
  const rows: Array<[string, number, number, number, number, number | undefined]> = [
    // name, soonest ms, waited ms, retries left, max-retry-interval s, expected
    ['soonest within the interval → wait for it', 1000, 0, 3, 2, 1000],
    ['exactly the interval → wait', 2000, 0, 3, 2, 2000],
    ['past the interval → answer now', 2001, 0, 3, 2, undefined],
    ['earlier waits count against the interval', 1000, 1500, 3, 2, undefined],
    ['interval 0 → never wait', 1, 0, 3, 0, undefined],
    ['no retries left → answer now', 1000, 0, 0, 30, undefined],
    ['nothing cooling (suspended or tried) → answer now', 0, 0, 3, 30, undefined],
  ];
  for (const [name, soonest, waited, retries, interval, expected] of rows) t.equal(cooldownWait(soonest, waited, retries, { maxRetryInterval: interval }), expected, name);
});

t.test('finalReply: what the client is told when nothing served', async (t) => {
  const r = (last: AttemptFailure | undefined, soonest: number) => finalReply(last, 'claude', soonest, 'm', NOW);
  t.same(r(http(503), 0), { kind: 'upstream-error', status: 503, body: '{"error":{"message":"x"}}', format: 'claude' }, 'the last upstream error, in its own format');
  t.same(r(http(429), 0), { kind: 'upstream-error', status: 429, body: '{"error":{"message":"x"}}', format: 'claude' }, 'a 429 while nothing cools (switch-project off) is the upstream’s');
  t.same(r(http(429), 5000), { kind: 'cooldown', model: 'm', waitMs: 5000, now: NOW }, 'a 429 while the pool cools → model_cooldown');
  t.same(r(refused, 0), { kind: 'error', status: 502, message: 'upstream unreachable: connect ECONNREFUSED' });
  t.same(r(undefined, 2000), { kind: 'cooldown', model: 'm', waitMs: 2000, now: NOW }, 'no try at all, everything cooling');
  t.same(r(undefined, 0), { kind: 'error', status: 503, message: 'no available credential for model m' }, 'no try at all, everything suspended');
  t.equal(replyStatus(r(undefined, 2000)), 429);
  t.equal(replyStatus(r(http(503), 0)), 503);
});
