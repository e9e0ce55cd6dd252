// Who may use the management API. The key travels in plaintext (Bearer or
// X-Management-Key) and is checked against the bcrypt hash in the config;
// MANAGEMENT_PASSWORD is a second accepted key. Non-loopback clients need
// allow-remote, and a remote IP that fails 5 times in a row is banned for
// 30 minutes. Loopback is decided from the socket address only: forwarded
// headers are client-controlled and never trusted here.
import bcrypt from 'bcryptjs';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RemoteManagement } from '../config/types.js';

export const MAX_FAILURES = 5;
export const BAN_MS = 30 * 60 * 1000;

export interface AccessRequest {
  ip: string;
  local: boolean;
  headers: Record<string, string>;
}

export type AccessDecision =
  | { ok: true }
  /** status 404: answer as if the API did not exist. */
  | { ok: false; status: 401 | 403 | 404; body?: { error: string } };

export interface AccessOptions {
  now?: () => number;
  /** MANAGEMENT_PASSWORD; also enables the API and remote access, as in the reference. */
  envPassword?: string;
}

export function isBcryptHash(s: string): boolean {
  return /^\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}$/.test(s);
}

export function hashSecret(secret: string): Promise<string> {
  return bcrypt.hash(secret, 10);
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

export class ManagementAccess {
  private readonly failures = new Map<string, { count: number; bannedUntil: number }>();
  /** bcrypt is slow on purpose: remember keys already verified against a hash. */
  private readonly verified = new Map<string, string>();
  private readonly comparing = new Map<string, Promise<boolean>>();
  private readonly now: () => number;

  constructor(private readonly opts: AccessOptions = {}) {
    this.now = opts.now ?? Date.now;
  }

  get envPassword(): string {
    return (this.opts.envPassword ?? '').trim();
  }

  /** Whether the API exists at all. */
  enabled(rm: RemoteManagement): boolean {
    return rm.secretKey !== '' || this.envPassword !== '';
  }

  async check(req: AccessRequest, rm: RemoteManagement): Promise<AccessDecision> {
    if (!this.enabled(rm)) return { ok: false, status: 404 };
    const env = this.envPassword;
    const allowRemote = rm.allowRemote || env !== '';
    if (!req.local) {
      const f = this.failures.get(req.ip);
      if (f && f.bannedUntil > 0) {
        const left = f.bannedUntil - this.now();
        if (left > 0) {
          return { ok: false, status: 403, body: { error: `IP banned due to too many failed attempts. Try again in ${formatDuration(left)}` } };
        }
        this.failures.delete(req.ip);
      }
      if (!allowRemote) return { ok: false, status: 403, body: { error: 'remote management disabled' } };
    }
    const key = presented(req.headers);
    if (!key) {
      this.fail(req);
      return { ok: false, status: 401, body: { error: 'missing management key' } };
    }
    if ((env && safeEqual(key, env)) || (await this.matchesSecret(key, rm.secretKey))) {
      if (!req.local) this.failures.delete(req.ip);
      return { ok: true };
    }
    this.fail(req);
    return { ok: false, status: 401, body: { error: 'invalid management key' } };
  }

  private async matchesSecret(key: string, secret: string): Promise<boolean> {
    if (!secret) return false;
    if (!isBcryptHash(secret)) return safeEqual(key, secret); // not yet hashed (start-up write-back pending or failed)
    const digest = createHash('sha256').update(key).digest('hex');
    const known = this.verified.get(secret);
    if (known !== undefined && safeEqual(known, digest)) return true;
    // Concurrent requests with the same key share one bcrypt run.
    const id = `${secret}\0${digest}`;
    let running = this.comparing.get(id);
    if (!running) {
      running = bcrypt.compare(key, secret).finally(() => this.comparing.delete(id));
      this.comparing.set(id, running);
    }
    const ok = await running;
    if (ok) {
      if (this.verified.size > 16) this.verified.clear();
      this.verified.set(secret, digest);
    }
    return ok;
  }

  private fail(req: AccessRequest): void {
    if (req.local) return;
    const f = this.failures.get(req.ip) ?? { count: 0, bannedUntil: 0 };
    f.count++;
    if (f.count >= MAX_FAILURES) {
      f.bannedUntil = this.now() + BAN_MS;
      f.count = 0;
    }
    this.failures.set(req.ip, f);
    // Bound the table: forget the oldest IPs that are not banned.
    if (this.failures.size > 10_000) {
      for (const [ip, v] of this.failures) {
        if (v.bannedUntil === 0) this.failures.delete(ip);
        if (this.failures.size <= 5_000) break;
      }
    }
  }
}

function formatDuration(ms: number): string {
  const s = Math.ceil(ms / 1000);
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${s % 60}s` : `${s}s`;
}
