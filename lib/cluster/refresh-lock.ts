// One token refresh per token file across the cluster. OAuth providers rotate
// refresh tokens, so two instances refreshing the same file would leave one
// of them (and the file) holding a dead token. The instance that takes the
// lock (SET NX PX) refreshes and writes the file; the others wait for the
// lock to go, then for the new file to reach them (through the shared store
// or a shared auth-dir) and use it. A failed refresh is remembered for the
// backoff, so the others do not retry it against the provider meanwhile.
// Without Redis (or while it is away) every instance refreshes on its own.
import { createHash, randomBytes } from 'node:crypto';
import { canonical } from '../store/content.js';
import type { RedisLink } from './redis-link.js';

/** What lib/auth/store.ts needs from a refresh lock. */
export interface TokenRefreshLock {
  /**
   * Run `work` (refresh the token file `name`, whose current content is
   * `current`) on one instance at a time. Resolves with work's result, or
   * with undefined when another instance refreshed it and `adopt()` (true
   * once this instance has loaded the new file) saw the result. Rejects with
   * work's error, or with the error another instance met refreshing the same
   * content.
   */
  run<T>(name: string, current: string, work: () => Promise<T>, adopt: () => boolean): Promise<T | undefined>;
  /**
   * Another instance failed to refresh `name`: `applies(current)` tells
   * whether that was this content. The store then runs its refresh, which
   * takes the remembered error instead of asking the provider again.
   */
  onRemoteFailure?(listener: (name: string, applies: (current: string) => boolean) => void): void;
}

export interface RefreshLockOptions {
  /** Longest a refresh may hold the lock (ms). Default 60 s. */
  lockMs?: number;
  /** How long a finished or failed refresh is remembered (ms). Default 5 min (the store's failure backoff). */
  rememberMs?: number;
  /** How long to wait for another instance's new file to arrive (ms). Default 10 s. */
  adoptWaitMs?: number;
  /** Poll interval while waiting (ms). Default 100. */
  pollMs?: number;
}

/** Deletes the lock only if this instance still holds it. */
const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

const FAILED_CHANNEL = 'refresh-failed';
/** Which content a refresh started from. Token files are compared as JSON with
 *  sorted keys: a store may hand the same file to each instance spelled
 *  differently (PostgreSQL's jsonb reorders keys and drops spacing). */
const digest = (s: string) => createHash('sha256').update(canonicalJson(s)).digest('hex').slice(0, 32);

/** A token file's text in canonical form, so the same token spelled differently (jsonb) compares equal. */
function canonicalJson(text: string): string {
  try {
    return canonical(JSON.parse(text));
  } catch {
    return text;
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Remembered {
  /** Digest of the content the refresh started from. */
  from: string;
  ok: boolean;
  message?: string;
}

export class RefreshLock implements TokenRefreshLock {
  private readonly lockMs: number;
  private readonly rememberMs: number;
  private readonly adoptWaitMs: number;
  private readonly pollMs: number;
  /** Refreshes this instance ran under the lock, and ones it left to another instance (tests, metrics). */
  readonly counts = { refreshed: 0, adopted: 0, unlocked: 0 };
  private readonly failureListeners = new Set<(name: string, applies: (current: string) => boolean) => void>();
  private closed = false;

  constructor(
    private readonly link: RedisLink,
    opts: RefreshLockOptions = {},
  ) {
    this.lockMs = opts.lockMs ?? 60_000;
    this.rememberMs = opts.rememberMs ?? 5 * 60_000;
    this.adoptWaitMs = opts.adoptWaitMs ?? 10_000;
    this.pollMs = opts.pollMs ?? 100;
    link.subscribe(FAILED_CHANNEL, (m) => this.remoteFailure(m));
  }

  /** Stop waiting for other instances (shutdown): a waiting refresh ends with an error at once. */
  close(): void {
    this.closed = true;
    this.failureListeners.clear();
  }

  onRemoteFailure(listener: (name: string, applies: (current: string) => boolean) => void): void {
    this.failureListeners.add(listener);
  }

  private remoteFailure(message: string): void {
    // Redis messages are input: a huge one is not parsed, `null` or a number is not ours.
    if (message.length > 16 * 1024) return;
    let w: { o?: unknown; name?: unknown; from?: unknown };
    try {
      w = JSON.parse(message) as typeof w;
    } catch {
      return;
    }
    if (w === null || typeof w !== 'object' || w.o === this.link.origin || typeof w.name !== 'string' || typeof w.from !== 'string' || w.name.length > 1024) return;
    const { name, from } = w as { name: string; from: string };
    for (const l of this.failureListeners) l(name, (current) => digest(current) === from);
  }

  async run<T>(name: string, current: string, work: () => Promise<T>, adopt: () => boolean): Promise<T | undefined> {
    const lockKey = this.link.key(`refresh:lock:${name}`);
    const lastKey = this.link.key(`refresh:last:${name}`);
    const from = digest(current);
    const token = randomBytes(12).toString('hex');
    let got: boolean;
    try {
      if (!this.link.up) throw new Error('redis away');
      got = (await this.link.cmd.set(lockKey, token, 'PX', this.lockMs, 'NX')) === 'OK';
    } catch {
      this.counts.unlocked++;
      return work(); // no Redis: as a single instance
    }
    if (!got) {
      await this.waitForRelease(lockKey);
      return this.afterOthers(name, from, lastKey, adopt);
    }
    try {
      // Someone refreshed this very content a moment ago: ours is stale, theirs is on its way.
      const last = await this.remembered(lastKey);
      if (last?.from === from) return await this.afterOthers(name, from, lastKey, adopt, last);
      let result: T;
      try {
        result = await work();
      } catch (err) {
        await this.remember(lastKey, { from, ok: false, message: (err as Error).message });
        // The others take the same error now rather than at their own next refresh check.
        this.link.publish(FAILED_CHANNEL, JSON.stringify({ o: this.link.origin, name, from }));
        throw err;
      }
      this.counts.refreshed++;
      await this.remember(lastKey, { from, ok: true });
      return result;
    } finally {
      this.link.cmd.eval(RELEASE_SCRIPT, 1, lockKey, token).catch(() => {}); // else it expires
    }
  }

  /** Another instance refreshed (or tried): take its outcome. */
  private async afterOthers(name: string, from: string, lastKey: string, adopt: () => boolean, known?: Remembered): Promise<undefined> {
    const last = known ?? (await this.remembered(lastKey));
    if (last && last.from === from && !last.ok) throw new Error(`another instance failed to refresh this token: ${last.message ?? 'unknown error'}`);
    const deadline = Date.now() + this.adoptWaitMs;
    for (;;) {
      if (adopt()) {
        this.counts.adopted++;
        return undefined;
      }
      if (this.closed) throw new Error('shutting down');
      if (Date.now() >= deadline) break;
      await sleep(this.pollMs);
    }
    if (!last) return undefined; // nothing was refreshed (the holder gave up): leave it for the next check
    throw new Error(`another instance refreshed ${name}, but the new file did not arrive within ${Math.round(this.adoptWaitMs / 1000)} s (is auth-dir shared through a store?)`);
  }

  private async waitForRelease(lockKey: string): Promise<void> {
    const deadline = Date.now() + this.lockMs;
    while (Date.now() < deadline && !this.closed) {
      await sleep(this.pollMs);
      try {
        if ((await this.link.cmd.exists(lockKey)) === 0) return;
      } catch {
        return; // Redis away: stop waiting
      }
    }
  }

  private async remembered(key: string): Promise<Remembered | undefined> {
    try {
      const v = await this.link.cmd.get(key);
      if (!v) return undefined;
      const r = JSON.parse(v) as Remembered;
      return typeof r.from === 'string' && typeof r.ok === 'boolean' ? r : undefined;
    } catch {
      return undefined;
    }
  }

  private async remember(key: string, r: Remembered): Promise<void> {
    // The message comes from the provider's error summary (no tokens); cap it anyway.
    const v = JSON.stringify({ ...r, ...(r.message ? { message: r.message.slice(0, 300) } : {}) });
    await this.link.cmd.set(key, v, 'PX', this.rememberMs).catch(() => {});
  }
}
