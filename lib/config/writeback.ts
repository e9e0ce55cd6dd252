// Write-back for the management API: a change is made on the YAML Document
// read from the file (comments and key order kept), validated like a file
// load, written atomically (temp file, fsync, rename), and only then handed
// to the same apply path a hand edit takes. Changes run one at a time, each
// on the state the previous one left, so concurrent requests lose nothing.
// A change that fails leaves both the file and the live config as they were.
import { randomBytes } from 'node:crypto';
import { open, readFile, realpath, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Document, parseDocument, stringify } from 'yaml';
import { ConfigError, parseConfig } from './load.js';
import { configToYaml } from './shape.js';
import type { Config } from './types.js';

export interface WriteOps {
  /** Create `file` with `data` and fsync it. */
  writeFile(file: string, data: string, mode: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
}

async function writeSynced(file: string, data: string, mode: number): Promise<void> {
  const fh = await open(file, 'wx', mode);
  try {
    await fh.writeFile(data);
    await fh.chmod(mode);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Replace `file` atomically: readers see the old or the new content, never a mix. */
export async function atomicWriteFile(file: string, data: string, ops: Partial<WriteOps> = {}, mode?: number): Promise<void> {
  // Write through a symlink to its target, not over the link.
  const target = await realpath(file).catch(() => file);
  const dir = path.dirname(target);
  let m = mode;
  if (m === undefined) m = await stat(target).then((s) => s.mode & 0o777, () => 0o600);
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await (ops.writeFile ?? writeSynced)(tmp, data, m);
    await (ops.rename ?? rename)(tmp, target);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  // Persist the rename itself (best effort: not every platform can fsync a directory).
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    /* ignore */
  }
}

/** What an edit may report instead of a change. */
export type EditOutcome = { notFound: true; error?: string } | { invalid: string } | { unchanged: true } | void;

export type SaveResult =
  | { ok: true; config: Config }
  | { ok: false; status: 400 | 404 | 422 | 500; body: Record<string, unknown> };

export interface ConfigStoreOptions {
  /** The YAML file; without one, changes live in memory only (embedded use). */
  file?: string;
  /** The config to start from in memory mode. */
  initial: Config;
  /** Make a validated config live (the gateway's reload). */
  apply(config: Config): void;
  ops?: Partial<WriteOps>;
}

export class ConfigStore {
  private queue: Promise<unknown> = Promise.resolve();
  private memoryText?: string;

  constructor(private readonly opts: ConfigStoreOptions) {
    if (!opts.file) this.memoryText = stringify(configToYaml(opts.initial));
  }

  get file(): string | undefined {
    return this.opts.file;
  }

  /** The raw YAML text (the file, or the in-memory copy). */
  async readText(): Promise<string> {
    if (this.memoryText !== undefined) return this.memoryText;
    return readFile(this.opts.file!, 'utf8');
  }

  /** Change the config through its YAML Document. */
  edit(fn: (doc: Document, current: Config) => EditOutcome): Promise<SaveResult> {
    return this.serial(async () => {
      let text: string;
      try {
        text = await this.readText();
      } catch (err) {
        return saveFailed(`cannot read ${this.opts.file}: ${(err as Error).message}`);
      }
      const doc: Document = parseDocument(text);
      let current: Config;
      try {
        if (doc.errors.length > 0) throw new ConfigError(doc.errors[0]!.message.split('\n')[0]!);
        current = parseConfig(text, this.name()).config;
      } catch (err) {
        return saveFailed(`the config file on disk is invalid, fix it or replace it with PUT /config.yaml: ${(err as Error).message}`);
      }
      if (doc.contents === null) doc.contents = doc.createNode({});
      const outcome = fn(doc, current);
      if (outcome && 'notFound' in outcome) return { ok: false, status: 404, body: { error: outcome.error ?? 'item not found' } };
      if (outcome && 'invalid' in outcome) return { ok: false, status: 400, body: { error: outcome.invalid } };
      if (outcome && 'unchanged' in outcome) return { ok: true, config: current };
      return this.commit(doc.toString(), 400);
    });
  }

  /** Replace the whole file (PUT /config.yaml); `check` may refuse the new config. */
  replace(text: string, check?: (next: Config, current: Config | undefined) => string | undefined): Promise<SaveResult> {
    return this.serial(async () => {
      const doc = parseDocument(text);
      if (doc.errors.length > 0) return { ok: false, status: 400, body: { error: 'invalid_yaml', message: doc.errors[0]!.message.split('\n')[0] } };
      let current: Config | undefined;
      try {
        current = parseConfig(await this.readText(), this.name()).config;
      } catch {
        current = undefined;
      }
      return this.commit(text, 422, (next) => check?.(next, current));
    });
  }

  private async commit(text: string, invalidStatus: 400 | 422, check?: (next: Config) => string | undefined): Promise<SaveResult> {
    let next: Config;
    try {
      next = parseConfig(text, this.name()).config;
    } catch (err) {
      const message = (err as Error).message;
      return invalidStatus === 422
        ? { ok: false, status: 422, body: { error: 'invalid_config', message } }
        : { ok: false, status: 400, body: { error: 'invalid body', message } };
    }
    const refused = check?.(next);
    if (refused) return { ok: false, status: 422, body: { error: 'invalid_config', message: refused } };
    if (this.memoryText !== undefined) {
      this.memoryText = text;
    } else {
      try {
        await atomicWriteFile(this.opts.file!, text, this.opts.ops);
      } catch (err) {
        return saveFailed((err as Error).message);
      }
    }
    this.opts.apply(next);
    return { ok: true, config: next };
  }

  private name(): string {
    return this.opts.file ?? 'config.yaml';
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }
}

function saveFailed(message: string): SaveResult {
  return { ok: false, status: 500, body: { error: `failed to save config: ${message}` } };
}
