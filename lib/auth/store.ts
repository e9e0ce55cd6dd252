// auth-dir as a credential source: every *.json token file is loaded at
// start and watched (add, change, delete take effect live); tokens refresh
// in the background ahead of expiry; failures mark the file's credentials
// with a status instead of throwing. The management API reads the live
// state through AuthStore.list(), handed to it as authFileState() (auth/
// management.ts); logins are started in login.ts, not here.
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Config } from '../config/types.js';
import { log } from '../logging/logger.js';
import type { Credential } from '../routing/credentials.js';
import type { GatewayContext } from '../runtime.js';
import { parseExpiry } from './credential.js';
import { summarizeBody } from './errors.js';
import { writeTokenFile, type TokenFile } from './files.js';
import { authProviderForType, endpointsFor } from './providers.js';
import type { AuthProviderModule, RefreshContext } from './types.js';
import type { TokenRefreshLock } from '../cluster/refresh-lock.js';

export type AuthStatus = 'active' | 'refreshing' | 'error' | 'disabled';

export interface AuthFileInfo {
  id: string;
  name: string;
  type: string;
  provider: string;
  label: string;
  email?: string;
  status: AuthStatus;
  status_message: string;
  disabled: boolean;
  unavailable: boolean;
  runtime_only: boolean;
  source: 'file';
  size: number;
  modtime: string;
  path: string;
  created_at: string;
  updated_at: string;
  last_refresh?: string;
  expires_at?: string;
  account_type?: string;
  account?: string;
}

interface Entry {
  name: string;
  file: string;
  raw: string;
  data: TokenFile;
  mod?: AuthProviderModule;
  size: number;
  modtime: number;
  createdAt: number;
  updatedAt: number;
  status: AuthStatus;
  message: string;
  /** Token expired and cannot be refreshed (or upstream said 401): serve nothing. */
  unavailable: boolean;
  lastRefresh?: number;
  nextAttempt: number;
  busy?: Promise<void>;
  credIds: string[];
}

export interface AuthStoreOptions {
  now?: () => number;
  /** Background refresh check interval; 0 = only on demand (tests). Default 5 s. */
  refreshCheckMs?: number;
  /** Wait after a failed refresh before the next try. Default 5 min. */
  refreshFailureBackoffMs?: number;
  watch?: boolean;
  /** Several instances (lib/cluster): one refresh per file across them; the others load the file it writes. */
  refreshLock?: TokenRefreshLock;
}

const stores = new WeakMap<GatewayContext, AuthStore>();

/** The auth store serving a gateway (tests; the gateway keeps its own reference). */
export function authStoreFor(gw: GatewayContext): AuthStore | undefined {
  return stores.get(gw);
}

/** Live state of every token file: status, messages, last refresh, account (tests). */
export function listAuthFiles(gw: GatewayContext): AuthFileInfo[] {
  return stores.get(gw)?.list() ?? [];
}

const SOURCE = 'auth-dir';
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

export class AuthStore {
  private entries = new Map<string, Entry>();
  private watcher?: FSWatcher;
  private ticker?: NodeJS.Timeout;
  private pending = new Set<string>();
  private debounce?: NodeJS.Timeout;
  private readonly now: () => number;
  private closed = false;

  constructor(
    private readonly gw: GatewayContext,
    private config: Config,
    private readonly opts: AuthStoreOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    stores.set(gw, this);
  }

  get dir(): string {
    return this.config.authDir;
  }

  async start(): Promise<void> {
    this.loadAll();
    // Several instances: a refresh another one failed is taken at once, without asking the provider again.
    this.opts.refreshLock?.onRemoteFailure?.((name, applies) => {
      const e = this.entries.get(name);
      if (e?.mod && !e.busy && !this.closed && applies(e.raw)) void this.run(e, 'refresh');
    });
    if (this.opts.watch !== false) this.startWatcher();
    const every = this.opts.refreshCheckMs ?? 5000;
    if (every > 0) {
      this.ticker = setInterval(() => void this.checkRefreshes(), every);
      this.ticker.unref();
    }
    void this.checkRefreshes();
  }

  /** A new config: another auth-dir means another set of files; otherwise endpoints and proxies may have changed. */
  async reload(config: Config): Promise<void> {
    const moved = config.authDir !== this.config.authDir;
    this.config = config;
    if (!moved) return this.publish();
    await this.watcher?.close();
    this.watcher = undefined;
    this.entries.clear();
    this.loadAll();
    if (this.opts.watch !== false) this.startWatcher();
    void this.checkRefreshes();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.ticker) clearInterval(this.ticker);
    if (this.debounce) clearTimeout(this.debounce);
    await this.watcher?.close();
    await Promise.allSettled([...this.entries.values()].map((e) => e.busy));
  }

  list(): AuthFileInfo[] {
    return [...this.entries.values()]
      .map((e) => this.info(e))
      .sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
  }

  /** Start every refresh that is due; resolves when those (and any already running) finished.
   *  The request path never waits on this. */
  async checkRefreshes(): Promise<void> {
    const now = this.now();
    const started: Promise<void>[] = [];
    for (const e of this.entries.values()) {
      if (e.busy) started.push(e.busy);
      if (!e.mod || e.busy || e.data['disabled'] === true || now < e.nextAttempt) continue;
      if (e.mod.prepare && !e.unavailable && this.needsPrepare(e)) started.push(this.run(e, 'prepare'));
      else if (this.refreshDue(e, now)) started.push(this.run(e, 'refresh'));
    }
    await Promise.allSettled(started);
  }

  /** Refresh one file now. Nothing calls it at present (onUnauthorized starts its own refresh). */
  refreshNow(name: string): Promise<void> {
    const e = this.entries.get(name);
    if (!e?.mod) return Promise.resolve();
    return e.busy ?? this.run(e, 'refresh');
  }

  /** A file was written or removed by someone who knows (the management API): apply it now. */
  fileChanged(name: string): void {
    if (this.loadFile(name, true)) this.publish();
  }

  /** An upstream answered 401 for one of our credentials (the gateway's credential
   *  feedback from routing, lib/gateway.ts): refresh it. */
  onUnauthorized(credentialId: string): void {
    const e = [...this.entries.values()].find((x) => x.credIds.includes(credentialId));
    if (!e?.mod || e.busy) return;
    e.status = 'error';
    e.message = 'upstream answered 401 (unauthorized): refreshing the token';
    if (this.now() >= e.nextAttempt) void this.run(e, 'refresh');
  }

  // ---- loading ----

  private loadAll(): void {
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      log.warn({ dir: this.dir, err: (err as Error).message }, 'auth-dir cannot be created; no token files loaded');
      return;
    }
    for (const name of readdirSync(this.dir)) if (isTokenFileName(name)) this.loadFile(name, false);
    this.publish();
  }

  private startWatcher(): void {
    const w = watch(this.dir, { ignoreInitial: true, depth: 0, awaitWriteFinish: { stabilityThreshold: 40, pollInterval: 20 } });
    const touched = (file: string) => {
      const name = path.basename(file);
      if (!isTokenFileName(name) || path.dirname(path.resolve(file)) !== path.resolve(this.dir)) return;
      this.pending.add(name);
      if (this.debounce) clearTimeout(this.debounce);
      this.debounce = setTimeout(() => this.flushPending(), 60);
    };
    w.on('add', touched).on('change', touched).on('unlink', touched);
    w.on('error', (err) => log.error({ err }, 'auth-dir watcher error'));
    this.watcher = w;
  }

  private flushPending(): void {
    this.debounce = undefined;
    if (this.closed) return;
    let changed = false;
    for (const name of this.pending) changed = this.loadFile(name, true) || changed;
    this.pending.clear();
    if (changed) this.publish();
  }

  /** (Re)read one file; returns whether anything changed. */
  private loadFile(name: string, logChanges: boolean): boolean {
    const file = path.join(this.dir, name);
    const prev = this.entries.get(name);
    let raw: string;
    let st;
    try {
      raw = readFileSync(file, 'utf8');
      st = statSync(file);
    } catch {
      if (!prev) return false;
      this.entries.delete(name);
      for (const id of prev.credIds) this.gw.routing.cooldowns.resume(id);
      if (logChanges) log.info({ file: name }, 'token file removed: its credentials are gone');
      return true;
    }
    if (prev && prev.raw === raw) return false;
    // New content (a fresh login, a fixed token): earlier account faults no longer apply.
    for (const id of prev?.credIds ?? []) this.gw.routing.cooldowns.resume(id);
    let data: TokenFile = {};
    let mod: AuthProviderModule | undefined;
    let problem = '';
    try {
      const parsed: unknown = raw.trim() ? JSON.parse(raw) : {};
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
      data = parsed as TokenFile;
      mod = authProviderForType(data.type);
      if (!mod) problem = `unknown token file type ${JSON.stringify(data.type ?? null)}`;
    } catch (err) {
      problem = `not a valid token file: ${(err as Error).message}`;
    }
    const now = this.now();
    const e: Entry = {
      name,
      file,
      raw,
      data,
      mod,
      size: st.size,
      modtime: st.mtimeMs,
      createdAt: prev?.createdAt ?? st.birthtimeMs ?? now,
      updatedAt: now,
      status: problem ? 'error' : data['disabled'] === true ? 'disabled' : 'active',
      message: problem,
      unavailable: false,
      lastRefresh: parseExpiry(data['last_refresh']),
      nextAttempt: 0,
      credIds: [],
    };
    this.entries.set(name, e);
    if (problem) log.warn({ file: name }, problem);
    else if (logChanges) log.info({ file: name, provider: mod!.kind }, prev ? 'token file changed' : 'token file added');
    return true;
  }

  // ---- publishing credentials ----

  private publish(): void {
    if (this.closed) return;
    const creds: Credential[] = [];
    for (const e of this.entries.values()) {
      if (!e.mod) continue;
      try {
        const list = e.mod.credentials(e.data, { config: this.config, endpoints: endpointsFor(this.config, e.mod.id), name: e.name });
        e.credIds = list.map((c) => c.id);
        for (const c of list) creds.push(e.unavailable ? { ...c, disabled: true } : c);
      } catch (err) {
        e.status = 'error';
        e.message = `cannot use this token file: ${(err as Error).message}`;
      }
    }
    this.gw.setCredentials(SOURCE, creds);
  }

  // ---- refresh ----

  private needsPrepare(e: Entry): boolean {
    return e.mod?.id === 'gemini-cli' && !String(e.data['project_id'] ?? '').trim();
  }

  private refreshDue(e: Entry, now: number): boolean {
    const exp = e.mod!.expiresAt(e.data);
    if (exp === undefined) return false;
    let lead = e.mod!.refreshLeadMs;
    // Short-lived tokens (shorter than twice the lead) refresh at half their life, not on every check.
    if (e.lastRefresh !== undefined && exp > e.lastRefresh) lead = Math.min(lead, (exp - e.lastRefresh) / 2);
    return now >= exp - lead;
  }

  private rctx(e: Entry): RefreshContext {
    return { endpoints: endpointsFor(this.config, e.mod!.id), proxyUrl: (typeof e.data['proxy_url'] === 'string' && e.data['proxy_url']) || this.config.proxyUrl, now: this.now };
  }

  private run(e: Entry, what: 'refresh' | 'prepare'): Promise<void> {
    const mod = e.mod!;
    const wasStatus = e.status;
    e.status = 'refreshing';
    const p = (async () => {
      try {
        const work = () => (what === 'prepare' ? mod.prepare!(e.data, this.rctx(e)) : mod.refresh(e.data, this.rctx(e)));
        // Under a cluster lock, another instance may do it: then its file has replaced this entry (below).
        const adopt = () => {
          if (this.entries.get(e.name) === e && this.loadFile(e.name, true)) this.publish();
          return this.entries.get(e.name) !== e;
        };
        const next = this.opts.refreshLock ? await this.opts.refreshLock.run(e.name, e.raw, work, adopt) : await work();
        if (this.closed || this.entries.get(e.name) !== e) return; // removed or replaced meanwhile
        if (next) {
          writeTokenFile(this.dir, e.name, next);
          e.raw = readFileSync(e.file, 'utf8');
          e.data = next;
        }
        const now = this.now();
        if (what === 'refresh') e.lastRefresh = now;
        e.status = e.data['disabled'] === true ? 'disabled' : 'active';
        e.message = '';
        e.unavailable = false;
        e.nextAttempt = 0;
        e.updatedAt = now;
        for (const id of e.credIds) this.gw.routing.cooldowns.resume(id);
        log.info({ file: e.name }, what === 'refresh' ? 'token refreshed' : 'account set up');
        this.publish();
      } catch (err) {
        if (this.closed || this.entries.get(e.name) !== e) return;
        const msg = summarizeBody((err as Error).message).summary || String(err);
        const now = this.now();
        const exp = mod.expiresAt(e.data);
        e.status = 'error';
        e.message = `${what === 'refresh' ? 'token refresh' : 'account set-up'} failed: ${msg}`;
        e.nextAttempt = now + (this.opts.refreshFailureBackoffMs ?? 5 * 60_000);
        e.updatedAt = now;
        // A token that still works keeps serving; an expired one is taken out.
        e.unavailable = exp !== undefined && exp <= now;
        log.warn({ file: e.name, unavailable: e.unavailable }, e.message);
        this.publish();
      } finally {
        e.busy = undefined;
        if (e.status === 'refreshing') e.status = wasStatus;
      }
    })();
    e.busy = p;
    return p;
  }

  private info(e: Entry): AuthFileInfo {
    const id = e.mod?.identity(e.data) ?? {};
    return {
      id: e.name,
      name: e.name,
      type: e.mod?.fileType ?? String(e.data.type ?? 'unknown'),
      provider: e.mod?.kind ?? String(e.data.type ?? 'unknown'),
      label: String(e.data['label'] ?? '') || id.email || e.name,
      ...(id.email ? { email: id.email } : {}),
      status: e.status,
      status_message: e.message,
      disabled: e.data['disabled'] === true,
      unavailable: e.unavailable,
      runtime_only: false,
      source: 'file',
      size: e.size,
      modtime: iso(e.modtime)!,
      path: e.file,
      created_at: iso(e.createdAt)!,
      updated_at: iso(e.updatedAt)!,
      ...(e.lastRefresh !== undefined ? { last_refresh: iso(e.lastRefresh) } : {}),
      ...(e.mod && e.mod.expiresAt(e.data) !== undefined ? { expires_at: iso(e.mod.expiresAt(e.data)) } : {}),
      ...(e.mod ? { account_type: 'oauth' } : {}),
      ...(id.account ? { account: id.account } : {}),
    };
  }
}

export function isTokenFileName(name: string): boolean {
  return name.toLowerCase().endsWith('.json') && !name.startsWith('.');
}

/** Build, load and watch the auth-dir of a gateway. */
export async function startAuthStore(gw: GatewayContext, config: Config, opts: AuthStoreOptions = {}): Promise<AuthStore> {
  const store = new AuthStore(gw, config, opts);
  await store.start();
  return store;
}
