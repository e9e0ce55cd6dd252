// Who may use the management API. The key travels in plaintext (Bearer or
// X-Management-Key) and is checked against the bcrypt hash in the config;
// MANAGEMENT_PASSWORD is a second accepted key. Non-loopback clients need
// allow-remote (always: the env password does not lift it), and a remote IP
// that fails 5 times in a row is banned for 30 minutes. `ip` and `local` come
// from the exchange's client (lib/access/client-address.ts): the socket peer,
// unless that peer is listed in trusted-proxies; then the client it forwards
// has its own ban, and is local only if every hop is on this host. Forwarded
// headers from anyone else are client-controlled and never read.
//
// The decision is split so nothing expensive happens for a client that is
// refused anyway: gate() runs every cheap check synchronously (before the
// router reads any body) and only then, if the key still has to be compared
// with the bcrypt hash, starts that compare and returns it as pending.
//
// Attack limits, all per gateway:
//  - an attempt reserves one of its IP's MAX_FAILURES failure slots when it
//    starts and gives it back on success, so parallel guesses cannot outrun
//    the ban (failed + in flight never exceeds MAX_FAILURES);
//  - at most MAX_COMPARES bcrypt compares run at once and at most
//    MAX_WAITING requests wait on them; more get 429 (not counted as
//    failures: nothing was checked);
//  - a key that passed bcrypt is remembered as an HMAC under a random
//    per-process key, so honest calls skip bcrypt and the process holds no
//    plain digest of the key that could be brute-forced offline;
//  - the failure table, the verified cache and the running compares are
//    bounded (see remember() and evict()).
import bcrypt from 'bcryptjs';
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RemoteManagement } from '../config/types.js';
import { compareOffThread } from './bcrypt-worker.js';

export const MAX_FAILURES = 5;
export const BAN_MS = 30 * 60 * 1000;
/** bcrypt compares running at once (distinct keys; the same key shares one run). */
export const MAX_COMPARES = 2;
/**
 * Requests waiting on a compare at once. Generous: a client's first burst
 * with a not-yet-verified key shares one compare (a panel loads several
 * endpoints in parallel); each waiter holds at most one socket read of body.
 */
export const MAX_WAITING = 64;
/** Remote IPs tracked in the failure table before the oldest are forgotten. */
export const MAX_TRACKED = 10_000;

export interface AccessRequest {
  ip: string;
  local: boolean;
  headers: Record<string, string>;
}

export interface Refusal {
  ok: false;
  /** 404: answer as if the API did not exist. */
  status: 401 | 403 | 404 | 429;
  body?: { error: string };
  /** Seconds, for a Retry-After header. */
  retryAfter?: number;
}

export type AccessDecision = { ok: true } | Refusal;

/** gate(): decided now, or a bcrypt compare still running. */
export type Gate = AccessDecision | { pending: Promise<AccessDecision> };

export interface AccessOptions {
  now?: () => number;
  /** MANAGEMENT_PASSWORD: an extra accepted key; it also enables the API (not remote access). */
  envPassword?: string;
  /** Tests: the compare (default: bcrypt in a worker thread). */
  compare?: (key: string, hash: string) => Promise<boolean>;
  /** Tests: limits. */
  maxCompares?: number;
  maxTracked?: number;
}

export function isBcryptHash(s: string): boolean {
  return /^\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}$/.test(s);
}

export function hashSecret(secret: string): Promise<string> {
  return bcrypt.hash(secret, 10);
}

/** Keyed per process: the verified-key cache is useless to anyone who reads memory dumps or logs of it. */
const MAC_KEY = randomBytes(32);

function mac(key: string): Buffer {
  return createHmac('sha256', MAC_KEY).update(key).digest();
}

function safeEqual(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y) && a.length === b.length;
}

function presented(headers: Record<string, string>): string {
  const auth = headers['authorization'];
  if (auth) {
    const m = /^\s*bearer\s+(.*?)\s*$/i.exec(auth);
    return m ? m[1]! : auth.trim();
  }
  return (headers['x-management-key'] ?? '').trim();
}

interface Failures {
  /** Failed attempts in a row. */
  count: number;
  /** Attempts whose key is being compared right now. */
  inFlight: number;
  /** 0: not banned. */
  bannedUntil: number;
}

const OK: AccessDecision = { ok: true };
const NOT_FOUND: Refusal = { ok: false, status: 404 };
const BUSY: Refusal = { ok: false, status: 429, body: { error: 'too many management key checks in progress, retry shortly' }, retryAfter: 1 };
const IN_FLIGHT: Refusal = { ok: false, status: 429, body: { error: 'too many management key attempts in progress from this address' }, retryAfter: 1 };

export class ManagementAccess {
  private readonly failures = new Map<string, Failures>();
  /** secret (bcrypt hash) → HMAC of the key that matched it. */
  private readonly verified = new Map<string, Buffer>();
  /** Running compares by secret and key HMAC: concurrent requests with one key share a run. */
  private readonly comparing = new Map<string, Promise<boolean>>();
  private waiting = 0;
  private readonly now: () => number;
  private readonly compare: (key: string, hash: string) => Promise<boolean>;
  private readonly maxCompares: number;
  private readonly maxTracked: number;

  constructor(private readonly opts: AccessOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.compare = opts.compare ?? compareOffThread;
    this.maxCompares = opts.maxCompares ?? MAX_COMPARES;
    this.maxTracked = opts.maxTracked ?? MAX_TRACKED;
  }

  get envPassword(): string {
    return (this.opts.envPassword ?? '').trim();
  }

  /** Whether the API exists at all. */
  enabled(rm: RemoteManagement): boolean {
    return rm.secretKey !== '' || this.envPassword !== '';
  }

  /** Sizes of the bounded tables (tests). */
  get sizes(): { tracked: number; verified: number; comparing: number; waiting: number } {
    return { tracked: this.failures.size, verified: this.verified.size, comparing: this.comparing.size, waiting: this.waiting };
  }

  async check(req: AccessRequest, rm: RemoteManagement): Promise<AccessDecision> {
    const g = this.gate(req, rm);
    return 'pending' in g ? g.pending : g;
  }

  /** Every check that costs nothing, now; the bcrypt compare, if still needed, as pending. */
  gate(req: AccessRequest, rm: RemoteManagement): Gate {
    if (!this.enabled(rm)) return NOT_FOUND;
    if (!req.local) {
      const f = this.failures.get(req.ip);
      if (f && f.bannedUntil > 0) {
        const left = f.bannedUntil - this.now();
        if (left > 0) {
          return { ok: false, status: 403, body: { error: `IP banned due to too many failed attempts. Try again in ${formatDuration(left)}` }, retryAfter: Math.ceil(left / 1000) };
        }
        f.bannedUntil = 0;
        f.count = 0;
      }
      if (!rm.allowRemote) return { ok: false, status: 403, body: { error: 'remote management disabled' } };
      if (f && f.count + f.inFlight >= MAX_FAILURES) return IN_FLIGHT;
    }
    const key = presented(req.headers);
    if (!key) return this.failed(req, 'missing management key');
    const env = this.envPassword;
    if (env && safeEqual(key, env)) return this.succeeded(req);
    const secret = rm.secretKey;
    if (!secret) return this.failed(req, 'invalid management key');
    // Not yet hashed (start-up write-back pending or failed): a plain comparison.
    if (!isBcryptHash(secret)) return safeEqual(key, secret) ? this.succeeded(req) : this.failed(req, 'invalid management key');
    const digest = mac(key);
    const known = this.verified.get(secret);
    if (known && timingSafeEqual(known, digest)) return this.succeeded(req);

    if (this.waiting >= MAX_WAITING) return BUSY;
    const id = `${secret}\0${digest.toString('base64')}`;
    let running = this.comparing.get(id);
    if (!running) {
      if (this.comparing.size >= this.maxCompares) return BUSY;
      running = this.compare(key, secret)
        .catch(() => false)
        .then((ok) => {
          if (ok) this.remember(secret, digest);
          return ok;
        })
        .finally(() => this.comparing.delete(id));
      this.comparing.set(id, running);
    }
    this.reserve(req);
    this.waiting++;
    return {
      pending: running.then((ok) => {
        this.waiting--;
        this.release(req);
        return ok ? this.succeeded(req) : this.failed(req, 'invalid management key');
      }),
    };
  }

  private remember(secret: string, digest: Buffer): void {
    // One entry per secret; more than a handful only if secrets keep changing.
    if (this.verified.size >= 16 && !this.verified.has(secret)) this.verified.clear();
    this.verified.set(secret, digest);
  }

  private reserve(req: AccessRequest): void {
    if (req.local) return;
    const f = this.failures.get(req.ip) ?? { count: 0, inFlight: 0, bannedUntil: 0 };
    f.inFlight++;
    this.touch(req.ip, f);
  }

  private release(req: AccessRequest): void {
    const f = req.local ? undefined : this.failures.get(req.ip);
    if (f && f.inFlight > 0) f.inFlight--;
  }

  private succeeded(req: AccessRequest): AccessDecision {
    if (req.local) return OK;
    const f = this.failures.get(req.ip);
    if (f) {
      f.count = 0;
      if (f.inFlight === 0 && f.bannedUntil === 0) this.failures.delete(req.ip);
    }
    return OK;
  }

  private failed(req: AccessRequest, error: string): Refusal {
    const refusal: Refusal = { ok: false, status: 401, body: { error } };
    if (req.local) return refusal;
    const f = this.failures.get(req.ip) ?? { count: 0, inFlight: 0, bannedUntil: 0 };
    // Failures that land while already banned (attempts that were in flight) do not extend the ban.
    if (f.bannedUntil === 0 && ++f.count >= MAX_FAILURES) {
      f.bannedUntil = this.now() + BAN_MS;
      f.count = 0;
    }
    this.touch(req.ip, f);
    return refusal;
  }

  /** Insert or move to the newest end (the Map's order is the eviction order). */
  private touch(ip: string, f: Failures): void {
    this.failures.delete(ip);
    this.failures.set(ip, f);
    if (this.failures.size > this.maxTracked) this.evict();
  }

  /**
   * Shrink the table to 90% of its cap, oldest first: expired bans and plain
   * failure counts go first; if banned IPs alone fill it (an attacker with
   * that many addresses), the oldest bans go too. Entries with a compare in
   * flight stay (at most MAX_WAITING of them exist).
   */
  private evict(): void {
    const target = Math.floor(this.maxTracked * 0.9);
    const now = this.now();
    for (const pass of ['idle', 'banned'] as const) {
      for (const [ip, f] of this.failures) {
        if (this.failures.size <= target) return;
        if (f.inFlight > 0) continue;
        if (pass === 'banned' || f.bannedUntil <= now) this.failures.delete(ip);
      }
    }
  }
}

function formatDuration(ms: number): string {
  const s = Math.ceil(ms / 1000);
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${s % 60}s` : `${s}s`;
}
