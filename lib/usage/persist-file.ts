// One instance's usage statistics kept over a restart, in a JSON file (the
// export format, so the file can also be imported elsewhere). Written at
// most once a second after a change, atomically (a temporary file renamed
// over the old one, so a crash leaves the old or the new file, never half of
// one), and once more on close.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { log } from '../logging/logger.js';
import { dedupKey, exportPayload } from './export.js';
import { UsageStats, type CountedRequest } from './stats.js';
import type { PersistState, StoreTiming, UsageStore } from './store.js';
import type { MergeResult, UsageEvent, UsageSnapshot } from './types.js';

/** Name of the file, in WRITABLE_PATH or next to the config file. */
export const USAGE_FILE = 'usage-statistics.json';

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A saved snapshot, checked enough that load() cannot throw on it. */
function savedSnapshot(v: unknown): UsageSnapshot | undefined {
  if (!isObj(v) || !isObj(v['usage'])) return undefined;
  const u = v['usage'];
  const num = (x: unknown) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  const numMap = (x: unknown) => isObj(x) && Object.values(x).every(num);
  if (!num(u['failure_count']) || !isObj(u['apis'])) return undefined;
  for (const k of ['requests_by_day', 'requests_by_hour', 'tokens_by_day', 'tokens_by_hour']) if (!numMap(u[k])) return undefined;
  for (const a of Object.values(u['apis'])) {
    if (!isObj(a) || !isObj(a['models'])) return undefined;
    for (const m of Object.values(a['models'])) {
      if (!isObj(m) || !num(m['total_requests']) || !num(m['total_tokens']) || !Array.isArray(m['details'])) return undefined;
      for (const d of m['details']) if (!isObj(d) || typeof d['timestamp'] !== 'string' || !isObj(d['tokens'])) return undefined;
    }
  }
  return u as unknown as UsageSnapshot;
}

export class FileUsage implements UsageStore {
  readonly stats: UsageStats;
  private dirty = false;
  /** Requests counted since the last successful write. */
  private unsaved = 0;
  private timer?: NodeJS.Timeout;
  private writing: Promise<void> = Promise.resolve();
  private problem?: string;
  private closed = false;
  /** Time to the next write: a second, or longer when writing is slow
   *  (large statistics), so saving never takes over 5% of the event loop. */
  private delay: number;

  constructor(
    readonly file: string,
    private readonly opts: StoreTiming & { delayMs?: number } = {},
  ) {
    this.stats = new UsageStats(opts.now);
    this.delay = opts.delayMs ?? 1000;
  }

  async start(): Promise<void> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.warn(`usage statistics: cannot read ${this.file} (${(err as Error).message}); starting from zero`);
      return;
    }
    let saved: UsageSnapshot | undefined;
    try {
      saved = savedSnapshot(JSON.parse(text));
    } catch {
      saved = undefined;
    }
    if (!saved) {
      // Kept aside rather than overwritten: someone may want to look at it.
      const aside = `${this.file}.invalid-${Date.now()}`;
      await fs.rename(this.file, aside).catch(() => {});
      log.warn(`usage statistics: ${this.file} is not a saved usage file; moved to ${aside}, starting from zero`);
      return;
    }
    this.stats.load(saved);
  }

  record(e: UsageEvent): void {
    this.stats.record(e);
    this.unsaved++;
    this.changed();
  }

  snapshot(): UsageSnapshot {
    return this.stats.snapshot();
  }

  async import(requests: CountedRequest[]): Promise<MergeResult> {
    const r = this.stats.merge(requests, dedupKey);
    if (r.added > 0) {
      this.unsaved += r.added;
      this.changed();
    }
    return r;
  }

  private changed(): void {
    this.dirty = true;
    if (this.timer || this.closed) return;
    // At most one write a second, however busy: not a debounce that heavy
    // traffic could postpone forever.
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.delay);
    this.timer.unref();
  }

  flush(): Promise<void> {
    this.writing = this.writing.then(() => this.write());
    return this.writing;
  }

  private async write(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    const writing = this.unsaved;
    const tmp = `${this.file}.tmp-${process.pid}`;
    try {
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      const started = performance.now();
      const text = JSON.stringify(exportPayload(this.stats.snapshot()));
      this.delay = Math.max(this.opts.delayMs ?? 1000, Math.round((performance.now() - started) * 20));
      await fs.writeFile(tmp, text, { mode: 0o600 });
      await fs.rename(tmp, this.file);
      this.unsaved -= writing;
      if (this.problem) log.info(`usage statistics: writing ${this.file} works again`);
      this.problem = undefined;
    } catch (err) {
      this.dirty = true;
      const msg = (err as Error).message;
      if (!this.problem) log.warn(`usage statistics: cannot write ${this.file} (${msg}); counting goes on in memory, retrying`);
      this.problem = msg;
      await fs.rm(tmp, { force: true }).catch(() => {});
      if (!this.closed) this.changed();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }

  state(): PersistState {
    return { kind: 'file', where: this.file, problem: this.problem, pending: this.unsaved };
  }
}
