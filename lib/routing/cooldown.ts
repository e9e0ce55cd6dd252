// Per credential+model cooldowns after 429/quota errors. Lives outside the
// config snapshot so a reload does not forget which keys are exhausted.
//
// Model names in the keys may be client-chosen (names routed by their
// provider prefix), so both tables are capped: expired entries go first, then
// the oldest. Losing a live entry only means one more upstream try.

const DEFAULT_BACKOFF_MS = 60_000;

/** Entries per table at most. */
export const MAX_COOLDOWN_ENTRIES = 10_000;

export class Cooldowns {
  private readonly until = new Map<string, number>();
  /** Suspensions for account faults (401, 402, banned), per credential or credential+model; not quota. */
  private readonly suspended = new Map<string, { until: number; reason: string }>();
  constructor(readonly now: () => number = Date.now) {}

  /** Take a credential (or one model of it) out of rotation, e.g. after a 401. */
  suspend(credId: string, ms: number, reason: string, model = '*'): void {
    const now = this.now();
    insertCapped(this.suspended, this.key(credId, model), { until: now + ms, reason }, (s) => s.until <= now);
  }

  /** Lift every suspension of a credential (its token was refreshed, its file changed). */
  resume(credId: string): void {
    if (this.suspended.size === 0) return;
    for (const k of this.suspended.keys()) if (k.startsWith(`${credId}|`)) this.suspended.delete(k);
  }

  /** Why a credential is out of rotation for a model, if it is. */
  suspension(credId: string, model: string): { until: number; reason: string } | undefined {
    // The usual case on the request path: nothing suspended, nothing to build.
    if (this.suspended.size === 0) return undefined;
    return this.liveSuspension(this.key(credId, '*')) ?? this.liveSuspension(this.key(credId, model));
  }

  private liveSuspension(k: string): { until: number; reason: string } | undefined {
    const s = this.suspended.get(k);
    if (!s) return undefined;
    if (s.until > this.now()) return s;
    this.suspended.delete(k);
    return undefined;
  }

  private key(credId: string, model: string): string {
    return `${credId}|${model}`;
  }

  cool(credId: string, model: string, retryAfterMs?: number): number {
    const ms = retryAfterMs && retryAfterMs > 0 ? retryAfterMs : DEFAULT_BACKOFF_MS;
    const now = this.now();
    const t = now + ms;
    insertCapped(this.until, this.key(credId, model), t, (u) => u <= now);
    return t;
  }

  /** Remaining cooldown or suspension in ms, 0 when usable. */
  remaining(credId: string, model: string): number {
    const s = this.suspension(credId, model);
    const q = this.quotaRemaining(credId, model);
    return s ? Math.max(q, s.until - this.now()) : q;
  }

  /** Remaining quota cooldown (429) only, in ms. */
  quotaRemaining(credId: string, model: string): number {
    if (this.until.size === 0) return 0;
    const k = this.key(credId, model);
    const t = this.until.get(k);
    if (t === undefined) return 0;
    const left = t - this.now();
    if (left <= 0) {
      this.until.delete(k);
      return 0;
    }
    return left;
  }

  clear(credId: string, model: string): void {
    this.until.delete(this.key(credId, model));
  }

  /** Entries held (tests: the tables stay bounded). */
  get size(): { cooling: number; suspended: number } {
    return { cooling: this.until.size, suspended: this.suspended.size };
  }
}

/** Set `key` as the newest entry. Expired entries at the old end are dropped on
 *  the way, and the oldest live ones while the map is full: each entry is
 *  dropped once, so this stays O(1) amortised. */
export function insertCapped<V>(map: Map<string, V>, key: string, value: V, expired: (v: V) => boolean, cap = MAX_COOLDOWN_ENTRIES): void {
  map.delete(key);
  for (const [k, v] of map) {
    if (map.size < cap && !expired(v)) break;
    map.delete(k);
  }
  map.set(key, value);
}

/** Parse a Retry-After header (seconds or HTTP date) into ms. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  const secs = Number(v);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const date = Date.parse(v);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}
