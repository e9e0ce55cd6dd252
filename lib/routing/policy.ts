// The retry and rotation policy, as pure functions of what happened: after a
// failed try, what comes next (rotate, retry the same credential after a
// pause, fall back to a preview model, or stop) and what to record (a quota
// cooldown, a suspension, a word to the credential's source); when every
// credential is cooling, whether to wait for one; and, when nothing served,
// what the client is told. dispatch.ts carries the decisions out.
import type { FormatName } from '../../pipelines/ir.js';
import type { Config } from '../config/types.js';
import type { Credential } from './credentials.js';
import { parseRetryAfter } from './cooldown.js';
import { previewFallbacks } from './quota.js';
import { resetHintMs } from './reset-hints.js';
import type { AttemptFailure, Reply } from './types.js';

export type RetryConfig = Pick<Config, 'requestRetry' | 'disableCooling' | 'quotaExceeded' | 'maxRetryInterval'>;

/** How long an account fault (401, 402, a banned OAuth account's 403) keeps a credential out. */
export const SUSPEND_MS = 30 * 60_000;

/** Same-credential retries pause 100 ms, 200 ms, 400 ms … up to 1 s. */
export const BACKOFF_BASE_MS = 100;
export const BACKOFF_MAX_MS = 1000;

/** Answers that say "try again" about the upstream, not about the request or the account. */
const TRANSIENT = new Set([408, 500, 502, 503, 504]);

/** What the dispatcher knows when a try failed. */
export interface Failure {
  outcome: AttemptFailure;
  credential: Credential;
  /** The upstream model that was tried. */
  model: string;
  /** The upstream's wire format (its reset hints and error bodies). */
  format: FormatName;
  /** request-retry left for this request. */
  retriesLeft: number;
  /** Same-credential retries this request already made (the backoff grows with them). */
  sameRetries: number;
  /** A credential not yet tried in this request can take it now. */
  canRotate: boolean;
  /** No other credential for the model is usable at all, tried or not. */
  alone: boolean;
  /** This credential may still try `model` in this request (not tried yet, not cooling). */
  fresh(model: string): boolean;
  now: number;
}

export type Next =
  | { kind: 'rotate' }
  | { kind: 'retry'; delayMs: number }
  | { kind: 'fallback'; model: string }
  | { kind: 'stop' };

export interface Decision {
  next: Next;
  /** Counts against request-retry. */
  spendsRetry: boolean;
  /** A quota cooldown for the credential on `model`; ms undefined = the default backoff. */
  cool?: { model: string; ms: number | undefined };
  /** Out of rotation for an account fault: the whole credential ('*') or one model. */
  suspend?: { model: string; ms: number; reason: string };
  /** switch-project off: the other projects of this account sit the request out. */
  benchGroup?: string;
  /** Tell the credential's source about this status (a 401 refreshes the token). */
  notify?: number;
}

const ROTATE: Next = { kind: 'rotate' };
const STOP: Next = { kind: 'stop' };

export function backoffMs(sameRetries: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** sameRetries);
}

export function classify(f: Failure, cfg: RetryConfig): Decision {
  const { outcome, credential: cred } = f;
  if (outcome.kind === 'network-error') {
    // The credential no longer exists (a relay socket closed): nothing reached the client, rotate freely.
    if (outcome.gone) return { next: ROTATE, spendsRetry: false };
    return transient(f);
  }
  const status = outcome.status;
  if (status === 429) {
    // A rate-limited key says nothing about the others: rotate freely.
    const d: Decision = { next: ROTATE, spendsRetry: false };
    if (!cfg.disableCooling) d.cool = { model: f.model, ms: resetHintMs(f.format, outcome.headers, outcome.body, f.now) };
    if (!cfg.quotaExceeded.switchProject && cred.group) d.benchGroup = cred.group;
    // switch-preview-model: the same account may still have quota on a preview variant.
    if (cfg.quotaExceeded.switchPreviewModel && (cred.provider === 'gemini' || cred.provider === 'gemini-cli')) {
      const preview = previewFallbacks(f.model).find((m) => f.fresh(m));
      if (preview) d.next = { kind: 'fallback', model: preview };
    }
    return d;
  }
  if (status === 401 || status === 402) {
    // The account itself is at fault (bad or expired token, unpaid): out of rotation
    // until its token is refreshed or its file or config changes; rotate freely.
    return { next: ROTATE, spendsRetry: false, suspend: { model: '*', ms: SUSPEND_MS, reason: status === 401 ? 'unauthorized' : 'payment required' }, notify: status };
  }
  if (status === 403) {
    // The same credential would be refused again; another one may be allowed.
    const d: Decision = f.retriesLeft > 0 && f.canRotate ? { next: ROTATE, spendsRetry: true } : { next: STOP, spendsRetry: false };
    if (cred.accessToken) {
      // An OAuth account refused a model (banned, no access): keep it off that model for a while.
      d.suspend = { model: f.model, ms: SUSPEND_MS, reason: 'forbidden' };
      d.notify = 403;
    }
    return d;
  }
  if (TRANSIENT.has(status)) return transient(f);
  return { next: STOP, spendsRetry: false };
}

/** A 5xx, 408 or refused connection: another credential if one is left, else
 *  the same one again after a pause when it is the only one serving the model. */
function transient(f: Failure): Decision {
  if (f.retriesLeft <= 0) return { next: STOP, spendsRetry: false };
  if (f.canRotate) return { next: ROTATE, spendsRetry: true };
  if (f.alone) return { next: { kind: 'retry', delayMs: backoffMs(f.sameRetries) }, spendsRetry: true };
  return { next: STOP, spendsRetry: false }; // every other credential already had its try
}

/**
 * No credential can be picked: wait this long for the soonest cooldown and
 * start another round (which spends a retry), or undefined to answer now.
 * max-retry-interval bounds the total wait of one request; 0 never waits.
 */
export function cooldownWait(soonestMs: number, waitedMs: number, retriesLeft: number, cfg: Pick<RetryConfig, 'maxRetryInterval'>): number | undefined {
  if (soonestMs <= 0 || retriesLeft <= 0) return undefined;
  return waitedMs + soonestMs <= cfg.maxRetryInterval * 1000 ? soonestMs : undefined;
}

/** What the client is told when no try served it. */
export function finalReply(last: AttemptFailure | undefined, lastFormat: FormatName, soonestMs: number, model: string, now: number): Reply {
  // A 429 while others merely cool is answered as the pool's cooldown, not as one key's quota error.
  if (last?.kind === 'http-error' && !(last.status === 429 && soonestMs > 0)) {
    const reply: Reply = { kind: 'upstream-error', status: last.status, body: last.body, format: lastFormat };
    // The upstream's own Retry-After goes on to the client (an HTTP date as seconds from now).
    const retryMs = parseRetryAfter(last.headers['retry-after'], now);
    if (retryMs !== undefined) reply.retryAfterSeconds = Math.ceil(retryMs / 1000);
    return reply;
  }
  if (last?.kind === 'network-error') return { kind: 'error', status: 502, message: `upstream unreachable: ${last.message}` };
  if (soonestMs > 0) return { kind: 'cooldown', model, waitMs: soonestMs, now };
  return { kind: 'error', status: 503, message: `no available credential for model ${model}` };
}

export function replyStatus(r: Reply): number {
  return r.kind === 'cooldown' ? 429 : r.status;
}
