// Cooldowns (429) and suspensions (401, 402, banned) shared by every instance
// on one Redis: a local change is published at once and also written to a
// hash of live entries, so an instance that starts (or reconnects) later
// loads what is current. Received changes are applied to the local tables,
// which the request path reads as before: no Redis round trip per request.
//
// Credential ids are the same on every instance for the same credential (a
// hash of the key for config keys, the file name for token files), so they
// go on the wire as they are; raw keys never do.
import type { Cooldowns, CooldownChange } from '../routing/cooldown.js';
import { log } from '../logging/logger.js';
import type { RedisLink } from './redis-link.js';

const CHANNEL = 'cooldowns';
const HASH = 'cooldowns';
/** How often expired entries are dropped from the hash (each instance does it). */
const PRUNE_EVERY_MS = 60_000;
/** Longest credential id or model name accepted from the wire. */
const MAX_NAME = 1024;
/** Longest channel message parsed (two names, a time and a capped reason fit many times over). */
const MAX_MESSAGE = 16 * 1024;

interface Wire {
  /** Sending instance. */
  o: string;
  c: CooldownChange;
}

/** Hash field of an entry: unambiguous whatever the names hold. */
const field = (kind: 'cool' | 'suspend', credId: string, model: string) => JSON.stringify([kind, credId, model]);

/** Deletes the suspensions of one credential from the hash (fields starting with ARGV[1]). */
const RESUME_SCRIPT = `local n = 0
for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(f, 1, #ARGV[1]) == ARGV[1] then redis.call('HDEL', KEYS[1], f); n = n + 1 end
end
return n`;

export class SharedCooldowns {
  private prune?: NodeJS.Timeout;
  private syncing?: Promise<void>;
  /** Changes received from other instances (tests, metrics). */
  applied = 0;

  constructor(
    private readonly link: RedisLink,
    private readonly cooldowns: Cooldowns,
  ) {}

  /** Hook into the local tables and the link; loads current state when Redis is up. */
  start(): void {
    this.cooldowns.onChange = (c) => this.share(c);
    this.link.subscribe(CHANNEL, (m) => this.receive(m));
    this.link.on('up', () => void (this.syncing = this.resync()));
    if (this.link.up) this.syncing = this.resync();
    this.prune = setInterval(() => void this.pruneExpired(), PRUNE_EVERY_MS);
    this.prune.unref();
  }

  /** Resolves once the latest (re)connection's state load is done. */
  synced(): Promise<void> {
    return this.syncing ?? Promise.resolve();
  }

  stop(): void {
    if (this.cooldowns.onChange) this.cooldowns.onChange = undefined;
    if (this.prune) clearInterval(this.prune);
  }

  private share(c: CooldownChange): void {
    if (!this.link.up) return; // pushed at the next resync (cooldowns and suspensions; a resume is lost)
    const wire: Wire = { o: this.link.origin, c };
    this.link.publish(CHANNEL, JSON.stringify(wire));
    const hash = this.link.key(HASH);
    const cmd = this.link.cmd;
    const fail = () => {}; // the link reports the outage; the next resync repairs the hash
    switch (c.kind) {
      case 'cool':
        cmd.hset(hash, field('cool', c.credId, c.model), JSON.stringify({ until: c.until })).catch(fail);
        return;
      case 'suspend':
        cmd.hset(hash, field('suspend', c.credId, c.model), JSON.stringify({ until: c.until, reason: c.reason })).catch(fail);
        return;
      case 'clear':
        cmd.hdel(hash, field('cool', c.credId, c.model)).catch(fail);
        return;
      case 'resume':
        cmd.eval(RESUME_SCRIPT, 1, hash, JSON.stringify(['suspend', c.credId]).slice(0, -1) + ',').catch(fail);
        return;
    }
  }

  private receive(message: string): void {
    const w = parseWire(message);
    if (!w || w.o === this.link.origin) return;
    this.cooldowns.apply(w.c);
    this.applied++;
  }

  /** After a (re)connection: take the cluster's live entries, then add ours it lacks
   *  (made while Redis was away) and tell the others about them. */
  async resync(): Promise<void> {
    const hash = this.link.key(HASH);
    let all: Record<string, string>;
    try {
      all = await this.link.cmd.hgetall(hash);
    } catch {
      return; // down again; the next 'up' retries
    }
    const now = this.cooldowns.now();
    const known = new Map<string, number>();
    const expired: string[] = [];
    for (const [f, v] of Object.entries(all)) {
      const c = parseEntry(f, v);
      if (!c || c.until <= now) {
        expired.push(f);
        continue;
      }
      known.set(f, c.until);
      const mine = this.localUntil(c);
      if (c.until > mine) this.cooldowns.apply(c);
    }
    if (expired.length > 0) this.link.cmd.hdel(hash, ...expired).catch(() => {});
    let pushed = 0;
    for (const c of this.cooldowns.live()) {
      if (c.kind !== 'cool' && c.kind !== 'suspend') continue;
      const f = field(c.kind, c.credId, c.model);
      if ((known.get(f) ?? 0) >= c.until) continue;
      this.share(c);
      pushed++;
    }
    log.debug({ loaded: known.size, pushed }, 'redis: shared cooldowns in sync');
  }

  private localUntil(c: CooldownChange): number {
    if (c.kind === 'cool') return this.cooldowns.now() + this.cooldowns.quotaRemaining(c.credId, c.model);
    if (c.kind === 'suspend') {
      for (const l of this.cooldowns.live()) if (l.kind === 'suspend' && l.credId === c.credId && l.model === c.model) return l.until;
    }
    return 0;
  }

  private async pruneExpired(): Promise<void> {
    if (!this.link.up) return;
    const hash = this.link.key(HASH);
    try {
      const all: Record<string, string> = await this.link.cmd.hgetall(hash);
      const now = this.cooldowns.now();
      const expired = Object.entries(all)
        .filter(([f, v]) => (parseEntry(f, v)?.until ?? 0) <= now)
        .map(([f]) => f);
      if (expired.length > 0) await this.link.cmd.hdel(hash, ...expired);
    } catch {
      // Redis away: nothing to prune until it is back.
    }
  }
}

const okName = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_NAME;
const okTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
/**
 * The furthest deadline taken from Redis. Its messages are input like any
 * other: an `until` of 1e300 would cool a credential for ever and make every
 * 429 answer for its model throw (no Date that far). No cooldown or
 * suspension the gateway sets comes near a month.
 */
export const MAX_SHARED_AHEAD_MS = 31 * 24 * 3600_000;
const bounded = (until: number): number => Math.min(until, Date.now() + MAX_SHARED_AHEAD_MS);

/** A message from the channel, or undefined when it is not one of ours. */
export function parseWire(message: string): Wire | undefined {
  // Ours are a few hundred bytes; a huge one is not parsed at all.
  if (message.length > MAX_MESSAGE) return undefined;
  let w: { o?: unknown; c?: Record<string, unknown> };
  try {
    w = JSON.parse(message) as typeof w;
  } catch {
    return undefined;
  }
  const c = w?.c;
  if (typeof w?.o !== 'string' || !c || typeof c !== 'object') return undefined;
  switch (c['kind']) {
    case 'cool':
      return okName(c['credId']) && okName(c['model']) && okTime(c['until']) ? { o: w.o, c: { kind: 'cool', credId: c['credId'], model: c['model'], until: bounded(c['until']) } } : undefined;
    case 'suspend':
      return okName(c['credId']) && okName(c['model']) && okTime(c['until'])
        ? { o: w.o, c: { kind: 'suspend', credId: c['credId'], model: c['model'], until: bounded(c['until']), reason: typeof c['reason'] === 'string' ? c['reason'].slice(0, 300) : '' } }
        : undefined;
    case 'resume':
      return okName(c['credId']) ? { o: w.o, c: { kind: 'resume', credId: c['credId'] } } : undefined;
    case 'clear':
      return okName(c['credId']) && okName(c['model']) ? { o: w.o, c: { kind: 'clear', credId: c['credId'], model: c['model'] } } : undefined;
    default:
      return undefined;
  }
}

/** A hash entry back into the change that recreates it. */
function parseEntry(f: string, v: string): (CooldownChange & { until: number }) | undefined {
  try {
    const [kind, credId, model] = JSON.parse(f) as unknown[];
    const val = JSON.parse(v) as { until?: unknown; reason?: unknown };
    if (!okName(credId) || !okName(model) || !okTime(val.until)) return undefined;
    if (kind === 'cool') return { kind, credId, model, until: bounded(val.until) };
    if (kind === 'suspend') return { kind, credId, model, until: bounded(val.until), reason: typeof val.reason === 'string' ? val.reason.slice(0, 300) : '' };
  } catch {
    // not ours
  }
  return undefined;
}
