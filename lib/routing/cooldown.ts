// Per credential+model cooldowns after 429/quota errors. Lives outside the
// config snapshot so a reload does not forget which keys are exhausted.
//
// Model names in the keys may be client-chosen (names routed by their
// provider prefix), so both tables are capped: expired entries go first, then
// the oldest. Losing a live entry only means one more upstream try.

//
// With several instances (lib/cluster), every local change is handed to
// `onChange` to be shared, and changes from elsewhere come in through
// `apply`, which does not hand them on again. Times are absolute (epoch ms
// of `now`), so a change means the same on every instance.

const DEFAULT_BACKOFF_MS = 60_000;

/** One change of the tables, as shared between instances. */
export type CooldownChange =
  | { kind: 'cool'; credId: string; model: string; until: number }
  | { kind: 'suspend'; credId: string; model: string; until: number; reason: string }
  | { kind: 'resume'; credId: string }
  | { kind: 'clear'; credId: string; model: string };

/** Entries per table at most. */
export const MAX_COOLDOWN_ENTRIES = 10_000;

export class Cooldowns {
  private readonly until = new Map<string, number>();
  /** Suspensions for account faults (401, 402, banned), per credential or credential+model; not quota. */
  private readonly suspended = new Map<string, { until: number; reason: string }>();
  /** Called after every local change (not for those given to `apply`); must not throw. */
  onChange?: (change: CooldownChange) => void;
  constructor(readonly now: () => number = Date.now) {}

  /** Take a credential (or one model of it) out of rotation, e.g. after a 401. */
  suspend(credId: string, ms: number, reason: string, model = '*'): void {
    const until = this.now() + ms;
    this.setSuspended(credId, model, until, reason);
    this.onChange?.({ kind: 'suspend', credId, model, until, reason });
  }

  /** Lift every suspension of a credential (its token was refreshed, its file changed). */
  resume(credId: string): void {
    this.dropSuspensions(credId);
    // Shared even when nothing is suspended here: another instance may hold one.
    this.onChange?.({ kind: 'resume', credId });
  }

  /** A change made elsewhere (another instance): applied here, not handed on. */
  apply(c: CooldownChange): void {
    switch (c.kind) {
      case 'cool':
        if (c.until > this.now()) insertCapped(this.until, this.key(c.credId, c.model), c.until, (u) => u <= this.now());
        return;
      case 'suspend':
        if (c.until > this.now()) this.setSuspended(c.credId, c.model, c.until, c.reason);
        return;
      case 'resume':
        return this.dropSuspensions(c.credId);
      case 'clear':
        this.until.delete(this.key(c.credId, c.model));
        return;
    }
  }

  /** Every live cooldown and suspension, as changes that recreate them (sharing state with a new instance). */
  live(): CooldownChange[] {
    const now = this.now();
    const out: CooldownChange[] = [];
    for (const [k, until] of this.until) if (until > now) out.push({ kind: 'cool', ...splitKey(k), until });
    for (const [k, s] of this.suspended) if (s.until > now) out.push({ kind: 'suspend', ...splitKey(k), until: s.until, reason: s.reason });
    return out;
  }

  private setSuspended(credId: string, model: string, until: number, reason: string): void {
    const now = this.now();
    insertCapped(this.suspended, this.key(credId, model), { until, reason }, (s) => s.until <= now);
  }

  private dropSuspensions(credId: string): void {
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
    this.onChange?.({ kind: 'cool', credId, model, until: t });
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
    this.onChange?.({ kind: 'clear', credId, model });
  }

  /** Entries held (tests: the tables stay bounded). */
  get size(): { cooling: number; suspended: number } {
    return { cooling: this.until.size, suspended: this.suspended.size };
  }
}

/** A table key back into its parts. Where either part holds a "|" the split may
 *  fall elsewhere, which does no harm: the receiver joins them back into the same key. */
function splitKey(k: string): { credId: string; model: string } {
  const i = k.lastIndexOf('|');
  return { credId: k.slice(0, i), model: k.slice(i + 1) };
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
