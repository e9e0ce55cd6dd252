// Per-key request rates (api-keys `max-requests-per-minute`): a fixed
// one-minute window per key, opened by the key's first request. O(1) per
// request. One limiter per gateway, outliving config reloads and credential
// changes (which rebuild the runtime); only keys configured with a limit get a
// window, so the table is bounded by the config (expired windows of keys that
// left the config are dropped when it grows).
import type { KeyRules } from './client-keys.js';

const WINDOW_MS = 60_000;
const PRUNE_AT = 4096;

interface Window {
  start: number;
  count: number;
}

export class KeyRateLimiter {
  private readonly windows = new Map<string, Window>();
  constructor(private readonly now: () => number = Date.now) {}

  /** Count one request; 0 when admitted, else the milliseconds until the key's window reopens. */
  take(rules: KeyRules): number {
    const limit = rules.maxRequestsPerMinute;
    if (limit <= 0) return 0;
    const now = this.now();
    let w = this.windows.get(rules.key);
    if (!w || now - w.start >= WINDOW_MS || now < w.start) {
      if (!w && this.windows.size >= PRUNE_AT) this.prune(now);
      w = { start: now, count: 0 };
      this.windows.set(rules.key, w);
    }
    if (w.count >= limit) return w.start + WINDOW_MS - now;
    w.count++;
    return 0;
  }

  private prune(now: number): void {
    for (const [k, w] of this.windows) if (now - w.start >= WINDOW_MS) this.windows.delete(k);
  }
}

const limiters = new WeakMap<object, KeyRateLimiter>();

/** The limiter of one gateway (`owner`: an object that lives as long as it, e.g. its routing services). */
export function rateLimiterOf(owner: object, now?: () => number): KeyRateLimiter {
  let l = limiters.get(owner);
  if (!l) {
    l = new KeyRateLimiter(now);
    limiters.set(owner, l);
  }
  return l;
}
