// Per credential+model cooldowns after 429/quota errors. Lives outside the
// config snapshot so a reload does not forget which keys are exhausted.

const DEFAULT_BACKOFF_MS = 60_000;

export class Cooldowns {
  private readonly until = new Map<string, number>();
  constructor(private readonly now: () => number = Date.now) {}

  private key(credId: string, model: string): string {
    return `${credId}|${model}`;
  }

  cool(credId: string, model: string, retryAfterMs?: number): number {
    const ms = retryAfterMs && retryAfterMs > 0 ? retryAfterMs : DEFAULT_BACKOFF_MS;
    const t = this.now() + ms;
    this.until.set(this.key(credId, model), t);
    return t;
  }

  /** Remaining cooldown in ms, 0 when usable. */
  remaining(credId: string, model: string): number {
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
