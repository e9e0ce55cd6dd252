// Per credential+model cooldowns after 429/quota errors. Lives outside the
// config snapshot so a reload does not forget which keys are exhausted.

const DEFAULT_BACKOFF_MS = 60_000;

export class Cooldowns {
  private readonly until = new Map<string, number>();
  /** Suspensions for account faults (401, 402, banned), per credential or credential+model; not quota. */
  private readonly suspended = new Map<string, { until: number; reason: string }>();
  constructor(readonly now: () => number = Date.now) {}

  /** Take a credential (or one model of it) out of rotation, e.g. after a 401. */
  suspend(credId: string, ms: number, reason: string, model = '*'): void {
    this.suspended.set(this.key(credId, model), { until: this.now() + ms, reason });
  }

  /** Lift every suspension of a credential (its token was refreshed, its file changed). */
  resume(credId: string): void {
    for (const k of this.suspended.keys()) if (k.startsWith(`${credId}|`)) this.suspended.delete(k);
  }

  /** Why a credential is out of rotation for a model, if it is. */
  suspension(credId: string, model: string): { until: number; reason: string } | undefined {
    for (const k of [this.key(credId, '*'), this.key(credId, model)]) {
      const s = this.suspended.get(k);
      if (!s) continue;
      if (s.until > this.now()) return s;
      this.suspended.delete(k);
    }
    return undefined;
  }

  private key(credId: string, model: string): string {
    return `${credId}|${model}`;
  }

  cool(credId: string, model: string, retryAfterMs?: number): number {
    const ms = retryAfterMs && retryAfterMs > 0 ? retryAfterMs : DEFAULT_BACKOFF_MS;
    const t = this.now() + ms;
    this.until.set(this.key(credId, model), t);
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
