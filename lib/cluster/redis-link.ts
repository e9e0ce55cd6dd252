// The Redis connection several instances share live state through: one
// connection for commands and publishing, one for subscriptions (a connection
// in subscribe mode can run nothing else). Nothing on the request path waits
// on it: commands fail fast while Redis is away (no offline queue), the link
// warns once, keeps reconnecting, and tells its users when it is back so they
// can resync.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';
import { log } from '../logging/logger.js';

export interface RedisLinkOptions {
  url: string;
  /** Namespace of every key and channel, so several clusters can share one Redis. */
  prefix: string;
  /** Longest pause between reconnection attempts (ms). Default 2 s. */
  maxReconnectDelayMs?: number;
}

export type LinkState = 'connecting' | 'up' | 'down';

/** A URL safe to print: the password (and a user name) masked. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable redis-url)';
  }
}

/** `text` with the URL's password cut out, should a driver message ever carry it. */
function withoutPassword(text: string, url: string): string {
  try {
    const pw = decodeURIComponent(new URL(url).password);
    return pw ? text.split(pw).join('***') : text;
  } catch {
    return text;
  }
}

export class RedisLink extends EventEmitter {
  /** Who sent a message: an instance ignores its own. */
  readonly origin = randomBytes(8).toString('hex');
  readonly prefix: string;
  readonly cmd: Redis;
  private readonly sub: Redis;
  private readonly handlers = new Map<string, (message: string) => void>();
  private stateNow: LinkState = 'connecting';
  private closed = false;
  private warned = false;
  /** The latest connection error, for the warning (ioredis messages name host and port, not the password). */
  private lastError = '';
  /** Messages sent and received (metrics). */
  readonly counts = { published: 0, received: 0, dropped: 0 };

  constructor(readonly opts: RedisLinkOptions) {
    super();
    this.prefix = opts.prefix;
    const max = opts.maxReconnectDelayMs ?? 2000;
    const common = {
      lazyConnect: true,
      // Keep trying for as long as the gateway runs; the request path never waits for it.
      retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 10), max),
      connectTimeout: 2000,
      maxRetriesPerRequest: 1,
    };
    // Commands while Redis is away fail at once rather than pile up in memory.
    this.cmd = new Redis(opts.url, { ...common, enableOfflineQueue: false, connectionName: 'cliproxy-cmd' });
    // Subscriptions are re-sent by ioredis after a reconnect.
    this.sub = new Redis(opts.url, { ...common, enableOfflineQueue: true, connectionName: 'cliproxy-sub' });
    for (const c of [this.cmd, this.sub]) {
      c.on('ready', () => this.check());
      c.on('close', () => this.check());
      c.on('end', () => this.check());
      // ioredis reports every failed attempt; the state change below is logged once.
      c.on('error', (err: Error) => (this.lastError = withoutPassword(err.message, opts.url).slice(0, 200)));
    }
    this.sub.on('message', (channel: string, message: string) => {
      const h = this.handlers.get(channel);
      if (!h) return;
      this.counts.received++;
      try {
        h(message);
      } catch (err) {
        log.warn({ channel, err: (err as Error).message }, 'redis: a shared-state message could not be applied');
      }
    });
  }

  get state(): LinkState {
    return this.stateNow;
  }

  get up(): boolean {
    return this.stateNow === 'up';
  }

  /** Full name of a key or channel in this cluster's namespace. */
  key(name: string): string {
    return this.prefix + name;
  }

  /** Connect; resolves when up or after `waitMs` (then it keeps trying in the background). */
  async start(waitMs = 2000): Promise<void> {
    this.cmd.connect().catch(() => {});
    this.sub.connect().catch(() => {});
    if (this.up) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, waitMs);
      timer.unref();
      this.once('up', done);
      function done() {
        clearTimeout(timer);
        resolve();
      }
    });
    if (!this.up) this.lost();
  }

  /** Receive the messages of one channel (a name inside the namespace). */
  subscribe(channel: string, handler: (message: string) => void): void {
    const full = this.key(channel);
    this.handlers.set(full, handler);
    this.sub.subscribe(full).catch(() => {}); // re-sent on reconnect by ioredis
  }

  /** Send a message to every instance; dropped (and counted) while Redis is away. */
  publish(channel: string, message: string): void {
    if (!this.up) {
      this.counts.dropped++;
      return;
    }
    this.counts.published++;
    this.cmd.publish(this.key(channel), message).catch(() => this.counts.dropped++);
  }

  private check(): void {
    if (this.closed) return;
    const ready = this.cmd.status === 'ready' && this.sub.status === 'ready';
    if (ready && this.stateNow !== 'up') {
      const was = this.stateNow;
      this.stateNow = 'up';
      if (was === 'down') log.info({ redis: redactRedisUrl(this.opts.url) }, 'redis: connection back; resyncing shared state');
      this.warned = false;
      this.emit('up');
    } else if (!ready && this.stateNow === 'up') this.lost();
  }

  private lost(): void {
    this.stateNow = 'down';
    if (this.warned || this.closed) return;
    this.warned = true;
    log.warn(
      { redis: redactRedisUrl(this.opts.url), error: this.lastError || undefined },
      'redis: unreachable; serving on this instance\'s own state (cooldowns and token refreshes are not shared) until it is back',
    );
    this.emit('down');
  }

  async close(): Promise<void> {
    this.closed = true;
    this.removeAllListeners();
    await Promise.allSettled([quit(this.cmd), quit(this.sub)]);
  }
}

async function quit(c: Redis): Promise<void> {
  if (c.status === 'ready') {
    await Promise.race([c.quit().catch(() => {}), new Promise((r) => setTimeout(r, 500).unref())]);
  }
  c.disconnect();
}
