// The local mirror of a durable store: the folder the gateway runs from
// (config/config.yaml and auths/*.json, CLIProxyAPI's layout). At start the
// store's content is copied down (an empty store is seeded from the local
// config and token files); then local writes (management edits, uploads,
// deletes, logins, token refreshes — all land in this folder) are pushed up,
// and changes the store reports are written down, where the gateway's own
// config and auth-dir watchers reload them.
//
// Loops are cut by content hashes: `synced` holds, per key, the hash of what
// the store and the folder agree on; a local event whose content has that
// hash came from the store and is not pushed back. Token files compare as
// canonical JSON, because PostgreSQL's jsonb rewrites their formatting.
//
// A failing store never stops the gateway: writes wait in `pending` (the
// latest content per key, so the queue is bounded by the number of files)
// and are retried with backoff; status() reports the state.
import { existsSync, mkdirSync, readFileSync, readdirSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { atomicWriteFile } from '../config/writeback.js';
import { log } from '../logging/logger.js';
import { PendingJournal, contentHash, isTokenName, validTokenJson } from './content.js';
import { AUTH_PREFIX, CONFIG_KEY, reason, type StateStore } from './types.js';

export interface MirrorOptions {
  /** The mirror folder (…/pgstore, …/objectstore, …/gitstore). */
  root: string;
  /** Config to seed an empty store with when the mirror has none yet (the -config file). */
  seedConfig?: string;
  /** Full re-read of the store even without a change signal (ms). Default 10 s. */
  resyncMs?: number;
  retryMinMs?: number;
  retryMaxMs?: number;
}

export interface StoreStatus {
  store: string;
  target: string;
  state: 'ok' | 'degraded';
  /** Why degraded (no secrets). */
  reason?: string;
  /** Local changes not yet in the store. */
  pending_writes: number;
  last_sync?: string;
  mirror: string;
}

export class Mirror {
  readonly configPath: string;
  readonly authDir: string;
  private readonly synced = new Map<string, string>();
  private readonly pending = new Map<string, string | null>();
  private lock: Promise<unknown> = Promise.resolve();
  private watcher?: FSWatcher;
  private resync?: NodeJS.Timeout;
  private retry?: NodeJS.Timeout;
  private draining = false;
  private pullQueued = false;
  private pulling?: Promise<void>;
  private wait: number;
  private pushProblem?: string;
  private pullProblem?: string;
  private feedProblem?: string;
  private lastSync?: number;
  private closed = false;
  private idle: Array<() => void> = [];
  /** Keys with local changes not yet stored, kept on disk so a restart does not lose them. */
  private readonly journal: PendingJournal;

  constructor(
    readonly store: StateStore,
    private readonly opts: MirrorOptions,
  ) {
    this.configPath = path.join(opts.root, 'config', 'config.yaml');
    this.authDir = path.join(opts.root, 'auths');
    this.wait = opts.retryMinMs ?? 200;
    this.journal = new PendingJournal(path.join(opts.root, '.pending-writes.json'));
  }

  /** Open the store, copy it down (or seed it), then follow changes both ways. Throws StoreError. */
  async start(): Promise<void> {
    mkdirSync(path.dirname(this.configPath), { recursive: true, mode: 0o700 });
    mkdirSync(this.authDir, { recursive: true, mode: 0o700 });
    await this.store.open();
    await this.initialSync();
    this.lastSync = Date.now();
    this.startLocalWatcher();
    this.store.watch(
      () => this.schedulePull(),
      (problem) => {
        this.feedProblem = problem;
        if (problem) log.warn(`${this.store.kind} store: ${problem}; serving from the local mirror`);
      },
    );
    const every = this.opts.resyncMs ?? 10_000;
    if (every > 0) {
      this.resync = setInterval(() => this.schedulePull(), every);
      this.resync.unref();
    }
  }

  /** Writes that had not landed when the last run stopped go first: the mirror still has them. */
  private async replayJournal(): Promise<void> {
    const keys = this.journal.read();
    for (const key of keys) {
      if (this.localPath(key) === undefined) continue;
      const content = this.readLocal(key);
      if (content === undefined) {
        if (key !== CONFIG_KEY) await this.store.remove(key);
      } else if (key === CONFIG_KEY || validTokenJson(content)) await this.store.put(key, content);
    }
    if (keys.length > 0) log.info({ store: this.store.kind, writes: keys.length }, 'stored the writes left over from the last run');
    this.journal.save([]);
  }

  private async initialSync(): Promise<void> {
    await this.replayJournal();
    const snap = await this.store.snapshot();
    let remoteConfig = snap.get(CONFIG_KEY);
    if (remoteConfig === undefined) {
      remoteConfig = this.seedText();
      await this.store.put(CONFIG_KEY, remoteConfig);
      log.info({ store: this.store.kind }, 'store has no config yet: seeded it from the local config');
    }
    if (this.readLocal(CONFIG_KEY) !== remoteConfig) await this.writeLocal(CONFIG_KEY, remoteConfig);
    this.synced.set(CONFIG_KEY, contentHash(CONFIG_KEY, remoteConfig)!);
    const remoteAuths = [...snap.keys()].filter((k) => k.startsWith(AUTH_PREFIX));
    if (remoteAuths.length === 0 && !snap.has(CONFIG_KEY)) {
      // A new store: the token files already in the mirror go up with the config.
      for (const name of this.localTokenNames()) {
        const text = this.readLocal(AUTH_PREFIX + name);
        if (text === undefined || !validTokenJson(text)) continue;
        await this.store.put(AUTH_PREFIX + name, text);
        this.synced.set(AUTH_PREFIX + name, contentHash(AUTH_PREFIX + name, text)!);
      }
      return;
    }
    // The store is the truth: the mirror's token files become exactly its own.
    for (const key of remoteAuths) {
      const text = snap.get(key)!;
      if (this.localPath(key) === undefined) continue;
      if (contentHash(key, this.readLocal(key)) !== contentHash(key, text)) await this.writeLocal(key, text);
      this.synced.set(key, contentHash(key, text)!);
    }
    for (const name of this.localTokenNames()) if (!snap.has(AUTH_PREFIX + name)) this.removeLocal(AUTH_PREFIX + name);
  }

  /** The config an empty store starts with: the mirror's own, else the -config file, else empty. */
  private seedText(): string {
    for (const file of [this.configPath, this.opts.seedConfig]) {
      if (file && existsSync(file)) return readFileSync(file, 'utf8');
    }
    return '';
  }

  private localTokenNames(): string[] {
    try {
      return readdirSync(this.authDir).filter(isTokenName);
    } catch {
      return [];
    }
  }

  // ---- local files ----

  /** The file a key lives in, or undefined for a key that would leave the mirror. */
  private localPath(key: string): string | undefined {
    if (key === CONFIG_KEY) return this.configPath;
    if (!key.startsWith(AUTH_PREFIX)) return undefined;
    const rel = key.slice(AUTH_PREFIX.length);
    const file = path.resolve(this.authDir, rel);
    if (!rel || path.isAbsolute(rel) || !file.startsWith(this.authDir + path.sep)) return undefined;
    return file;
  }

  private keyOf(file: string): string | undefined {
    const abs = path.resolve(file);
    if (abs === this.configPath) return CONFIG_KEY;
    if (path.dirname(abs) === this.authDir && isTokenName(path.basename(abs))) return AUTH_PREFIX + path.basename(abs);
    return undefined;
  }

  private readLocal(key: string): string | undefined {
    const file = this.localPath(key);
    if (!file) return undefined;
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  }

  private async writeLocal(key: string, content: string): Promise<void> {
    const file = this.localPath(key);
    if (!file) return;
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    await atomicWriteFile(file, content, {}, 0o600);
  }

  private removeLocal(key: string): void {
    const file = this.localPath(key);
    if (!file) return;
    try {
      unlinkSync(file);
    } catch {
      /* already gone */
    }
  }

  private startLocalWatcher(): void {
    const w = watch([path.dirname(this.configPath), this.authDir], {
      ignoreInitial: true,
      depth: 0,
      awaitWriteFinish: { stabilityThreshold: 40, pollInterval: 20 },
    });
    const touched = (file: string) => {
      const key = this.keyOf(file);
      if (key) this.localChanged(key);
    };
    w.on('add', touched).on('change', touched).on('unlink', touched);
    w.on('error', (err) => log.error({ err }, 'store mirror watcher error'));
    this.watcher = w;
  }

  /** A file in the mirror changed: queue it for the store unless the store is where it came from. */
  localChanged(key: string): void {
    if (this.closed) return;
    const content = this.readLocal(key);
    // A deleted config is a mistake or an editor's save dance, not a wish to empty the shared store.
    if (content === undefined && key === CONFIG_KEY) return;
    if (content !== undefined && key !== CONFIG_KEY && !validTokenJson(content)) {
      log.warn({ file: key }, 'token file is not a JSON object: not copied to the store');
      return;
    }
    if (!this.pending.has(key) && contentHash(key, content) === this.synced.get(key)) return;
    this.pending.set(key, content ?? null);
    this.journal.save([...this.pending.keys()]);
    void this.drain();
  }

  /** Queue every difference between the mirror folder and the store (after writes the watcher may not have seen). */
  pushLocalChanges(): void {
    const keys = new Set([CONFIG_KEY, ...this.synced.keys(), ...this.localTokenNames().map((n) => AUTH_PREFIX + n)]);
    for (const key of keys) this.localChanged(key);
  }

  // ---- pushing local changes ----

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => {});
    return run;
  }

  private async drain(): Promise<void> {
    if (this.draining || this.retry) return;
    this.draining = true;
    try {
      while (this.pending.size > 0 && !this.closed) {
        const [key, content] = this.pending.entries().next().value as [string, string | null];
        try {
          await this.exclusive(() => (content === null ? this.store.remove(key) : this.store.put(key, content)));
        } catch (err) {
          this.pushProblem = `${this.pending.size} change(s) not yet stored: ${reason(err, [])}`;
          log.warn(`${this.store.kind} store: ${this.pushProblem}; retrying`);
          this.retry = setTimeout(() => {
            this.retry = undefined;
            void this.drain();
          }, this.wait);
          this.retry.unref();
          this.wait = Math.min(this.opts.retryMaxMs ?? 5000, this.wait * 2);
          return;
        }
        if (content === null) this.synced.delete(key);
        else this.synced.set(key, contentHash(key, content)!);
        // A newer write of the same file may have arrived meanwhile: keep it queued.
        if (this.pending.get(key) === content) {
          this.pending.delete(key);
          this.journal.save([...this.pending.keys()]);
        }
        this.pushProblem = undefined;
        this.wait = this.opts.retryMinMs ?? 200;
        this.lastSync = Date.now();
      }
    } finally {
      this.draining = false;
      if (this.pending.size === 0) this.settle();
    }
  }

  private settle(): void {
    const waiting = this.idle;
    this.idle = [];
    for (const w of waiting) w();
  }

  /** Resolves when every queued local change is in the store (or after `timeoutMs`); true when all landed. */
  flush(timeoutMs = 10_000): Promise<boolean> {
    if (this.pending.size === 0 && !this.draining) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.idle.push(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }

  // ---- pulling remote changes ----

  private schedulePull(): void {
    if (this.closed) return;
    if (this.pulling) {
      this.pullQueued = true;
      return;
    }
    this.pulling = this.exclusive(() => this.pull()).finally(() => {
      this.pulling = undefined;
      if (this.pullQueued) {
        this.pullQueued = false;
        this.schedulePull();
      }
    });
  }

  private async pull(): Promise<void> {
    if (this.closed) return;
    let snap: Map<string, string>;
    try {
      snap = await this.store.snapshot();
    } catch (err) {
      if (!this.pullProblem) log.warn(`${this.store.kind} store: cannot read it: ${reason(err, [])}; serving from the local mirror`);
      this.pullProblem = `cannot read the store: ${reason(err, [])}`;
      return;
    }
    if (this.pullProblem) log.info(`${this.store.kind} store: reachable again`);
    this.pullProblem = undefined;
    this.lastSync = Date.now();
    // A failed write may succeed now: do not wait out the whole backoff.
    if (this.retry && this.pending.size > 0) {
      clearTimeout(this.retry);
      this.retry = undefined;
      void this.drain();
    }
    const keys = new Set([...snap.keys(), ...this.synced.keys()]);
    for (const key of keys) {
      if (this.pending.has(key) || this.closed) continue; // a local change waits to go up: it wins
      const text = snap.get(key);
      const remote = contentHash(key, text);
      const base = this.synced.get(key);
      if (remote === base) continue;
      if (text === undefined && key === CONFIG_KEY) continue;
      const local = contentHash(key, this.readLocal(key));
      if (local === remote) {
        if (remote === undefined) this.synced.delete(key);
        else this.synced.set(key, remote);
        continue;
      }
      // The local file changed too and its event has not come yet: it goes up when it does.
      // (A config file deleted by hand is not such a change: the store's copy comes back.)
      if (local !== base && !(key === CONFIG_KEY && local === undefined)) continue;
      if (this.localPath(key) === undefined) continue;
      if (text === undefined) {
        this.synced.delete(key);
        this.removeLocal(key);
        log.info({ file: key }, 'removed in the store: removed from the mirror');
      } else {
        this.synced.set(key, remote!);
        await this.writeLocal(key, text);
        log.info({ file: key }, 'changed in the store: updated in the mirror');
      }
    }
  }

  // ---- state ----

  /** undefined when in step with the store, else why not. */
  problem(): string | undefined {
    const parts = [this.feedProblem, this.pullProblem, this.pushProblem].filter((p): p is string => !!p);
    if (parts.length === 0 && this.pending.size > 0 && this.retry) parts.push(`${this.pending.size} change(s) not yet stored`);
    return parts.length > 0 ? parts.join('; ') : undefined;
  }

  status(): StoreStatus {
    const problem = this.problem();
    return {
      store: this.store.kind,
      target: this.store.target,
      state: problem ? 'degraded' : 'ok',
      ...(problem ? { reason: problem } : {}),
      pending_writes: this.pending.size,
      ...(this.lastSync ? { last_sync: new Date(this.lastSync).toISOString() } : {}),
      mirror: this.opts.root,
    };
  }

  /** Stop following changes; queued writes get up to `flushMs` to land first. */
  async close(flushMs = 3000): Promise<void> {
    if (this.closed) return;
    if (this.pending.size > 0) {
      const landed = await this.flush(flushMs);
      if (!landed) log.warn(`${this.store.kind} store: closing with ${this.pending.size} change(s) not stored; they stay in the mirror folder`);
    }
    this.closed = true;
    if (this.resync) clearInterval(this.resync);
    if (this.retry) clearTimeout(this.retry);
    await this.watcher?.close();
    await this.pulling?.catch(() => {});
    await this.store.close();
  }
}

