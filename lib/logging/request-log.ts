// request-log: one file per inference request under logs/, holding the
// inbound request, every upstream request and response (one per attempt),
// and the final response, with secret headers and URL keys masked.
//
// It is an interceptor around the upstream send (RequestLog.intercept): the
// first upstream call of a request opens its entry, which travels on the
// request context and watches the exchange's response. So only requests
// that went upstream are written: refusals (bad key, bad JSON, unknown
// model, too large) would let anyone fill the disk. The folder is capped by
// request-log-max-files and request-log-max-size, oldest out first, through
// an index kept in memory (one readdir when the folder is first used).
import { chmod, mkdir, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/types.js';
import type { UpstreamRequest, UpstreamSink } from '../providers/upstream.js';
import type { Exchange } from '../server/exchange.js';
import type { RequestContext, UpstreamInterceptor, UpstreamLog } from '../routing/types.js';
import { log, mask } from './logger.js';

/** Bytes kept per body section; the rest is cut with a marker. */
const MAX_SECTION = 4 * 1024 * 1024;

const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'x-api-key', 'x-goog-api-key', 'api-key', 'x-management-key', 'cookie', 'set-cookie']);

export function maskHeaderValue(name: string, value: string): string {
  if (!SECRET_HEADERS.has(name.toLowerCase())) return value;
  const m = /^(\s*\w+\s+)(.+)$/.exec(value);
  return m && /^(bearer|basic|token)\s+$/i.test(m[1]!) ? `${m[1]}${mask(m[2]!)}` : mask(value);
}

const SECRET_PARAMS = new Set(['key', 'api_key', 'apikey', 'access_token', 'token', 'auth_token']);

/** Mask key-bearing query parameters. Names are compared after decoding, as the
 *  gateway reads them (`?%6Bey=K` is `key`); each parameter is judged whole. */
export function maskUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const hash = url.indexOf('#', q);
  const query = url.slice(q + 1, hash < 0 ? undefined : hash);
  const parts = query.split('&').map((pair) => {
    const eq = pair.indexOf('=');
    if (eq < 0) return pair;
    let name: string;
    try {
      name = decodeURIComponent(pair.slice(0, eq).replace(/\+/g, ' '));
    } catch {
      name = pair.slice(0, eq);
    }
    if (!SECRET_PARAMS.has(name.toLowerCase())) return pair;
    let value: string;
    try {
      value = decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, ' '));
    } catch {
      value = pair.slice(eq + 1);
    }
    return `${pair.slice(0, eq)}=${mask(value)}`;
  });
  return `${url.slice(0, q)}?${parts.join('&')}${hash < 0 ? '' : url.slice(hash)}`;
}

function headerLines(headers: Record<string, string | string[] | undefined>): string {
  const out: string[] = [];
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) out.push(`${k}: ${maskHeaderValue(k, one)}`);
  }
  return out.join('\n');
}

class Section {
  private parts: Buffer[] = [];
  private size = 0;
  private cut = false;
  add(chunk: Buffer | string): void {
    if (this.cut) return;
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (this.size + b.length > MAX_SECTION) {
      this.parts.push(b.subarray(0, MAX_SECTION - this.size));
      this.cut = true;
      this.size = MAX_SECTION;
      return;
    }
    this.parts.push(Buffer.from(b));
    this.size += b.length;
  }
  text(): string {
    return Buffer.concat(this.parts).toString('utf8') + (this.cut ? '\n[… truncated]' : '');
  }
}

interface Upstream {
  request: UpstreamRequest;
  status?: number;
  headers?: Record<string, string | string[] | undefined>;
  body: Section;
  error?: string;
}

/** One request's log file: the exchange's request and response, and every upstream call between. */
export class RequestLogEntry implements UpstreamLog {
  private readonly started = new Date();
  private readonly body = new Section();
  private readonly upstreams: Upstream[] = [];
  private status?: number;
  private headers?: Record<string, string>;
  private readonly response = new Section();
  private written = false;
  /** Read now: an aborted exchange can no longer tell its socket's address. */
  private readonly client: string;

  constructor(
    private readonly ex: Exchange,
    requestBody: Buffer,
    private readonly folder: RequestLogFolder,
    private readonly limits: RequestLogLimits,
  ) {
    this.body.add(requestBody);
    this.client = ex.client.address;
    ex.tap({
      response: (status, headers, chunk, done) => {
        this.status ??= status;
        this.headers ??= headers;
        this.response.add(chunk);
        if (done) this.write();
      },
    });
    ex.onAbort(() => this.write('client disconnected'));
  }

  /** Record an upstream call: returns the sink that sees its answer on the way. */
  record(req: UpstreamRequest, sink: UpstreamSink): UpstreamSink {
    const rec: Upstream = { request: req, body: new Section() };
    this.upstreams.push(rec);
    return {
      onStart(status, headers) {
        rec.status = status;
        rec.headers = headers;
        sink.onStart(status, headers);
      },
      onData(chunk) {
        rec.body.add(chunk);
        sink.onData(chunk);
      },
      onEnd: () => sink.onEnd(),
      onError(err) {
        rec.error = err.message;
        sink.onError(err);
      },
    };
  }

  render(note?: string): string {
    const ex = this.ex;
    const out: string[] = [
      '=== REQUEST INFO ===',
      `URL: ${maskUrl(ex.query ? `${ex.url}?${ex.query}` : ex.url)}`,
      `Method: ${ex.method}`,
      `Client: ${this.client}`,
      `Timestamp: ${this.started.toISOString()}`,
      '',
      '=== HEADERS ===',
      headerLines(ex.headers),
      '',
      '=== REQUEST BODY ===',
      this.body.text(),
      '',
    ];
    for (const u of this.upstreams) {
      const body = u.request.body === undefined ? '' : typeof u.request.body === 'string' ? u.request.body : u.request.body.toString('utf8');
      out.push('=== API REQUEST ===', `URL: ${maskUrl(u.request.url)}`, `Method: ${u.request.method ?? 'POST'}`, headerLines(u.request.headers), '', body.length > MAX_SECTION ? `${body.slice(0, MAX_SECTION)}\n[… truncated]` : body, '');
      out.push('=== API RESPONSE ===');
      if (u.status !== undefined) out.push(`Status: ${u.status}`, headerLines(u.headers ?? {}), '', u.body.text());
      if (u.error) out.push(`Error: ${u.error}`);
      out.push('');
    }
    out.push('=== RESPONSE ===');
    if (this.status !== undefined) out.push(`Status: ${this.status}`, headerLines(this.headers ?? {}), '', this.response.text());
    if (note) out.push(`(${note})`);
    out.push('');
    return out.join('\n');
  }

  private write(note?: string): void {
    if (this.written) return;
    this.written = true;
    if (this.upstreams.length === 0) return; // never reached an upstream: refused or answered locally
    this.folder.add(requestLogName(this.ex.url, this.started), Buffer.from(this.render(note)), this.limits);
  }
}

export type RequestLogLimits = Pick<Config, 'requestLogMaxFiles' | 'requestLogMaxSize'>;

interface LogFile {
  name: string;
  size: number;
  /** Settles once the write finished (or failed): removal waits for it. */
  written: Promise<void>;
}

const LOG_NAME = /-(\d{4}-\d\d-\d\dT\d{9})-(\d{6})\.log$/;

/** The request-log files of one folder, oldest first, and their total size. */
export class RequestLogFolder {
  private files: Array<LogFile | undefined> = [];
  private head = 0;
  private bytes = 0;
  private seeded = false;
  /** Names written while the first readdir runs (it may see them too). */
  private fresh: Set<string> | undefined = new Set();
  private limits?: RequestLogLimits;
  private readonly ready: Promise<void>;
  private tooBigWarned = false;

  constructor(readonly dir: string) {
    this.ready = this.prepareDir();
    void this.ready.then(() => this.seed());
  }

  get count(): number {
    return this.files.length - this.head;
  }

  get size(): number {
    return this.bytes;
  }

  /** Write one log file and drop the oldest ones past the limits. */
  add(name: string, data: Buffer, limits: RequestLogLimits): void {
    this.limits = limits;
    if (data.length > limits.requestLogMaxSize) {
      if (!this.tooBigWarned) log.warn({ bytes: data.length, limit: limits.requestLogMaxSize }, 'request log larger than request-log-max-size: not written');
      this.tooBigWarned = true;
      return;
    }
    this.fresh?.add(name);
    this.files.push({ name, size: data.length, written: this.ready.then(() => this.writeOne(name, data)) });
    this.bytes += data.length;
    this.trim();
  }

  private async prepareDir(): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      // Prompts and answers live here; the folder may predate this gateway (main.log shares it).
      await chmod(this.dir, 0o700);
    } catch (err) {
      log.warn({ err, dir: this.dir }, 'cannot prepare the request log folder');
    }
  }

  private async writeOne(name: string, data: Buffer): Promise<void> {
    const file = path.join(this.dir, name);
    // Written aside and renamed, so a reader never sees a half-written log.
    const tmp = path.join(this.dir, `.${name}.tmp`);
    const put = async () => {
      await writeFile(tmp, data, { mode: 0o600 });
      await rename(tmp, file);
    };
    try {
      await put().catch(async (err: unknown) => {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        await this.prepareDir(); // the folder was removed while we ran: make it again, once
        await put();
      });
    } catch (err) {
      log.warn({ err, file }, 'cannot write request log');
      await unlink(tmp).catch(() => {});
    }
  }

  /** Learn what earlier runs left, once; files appear in name (time) order. */
  private async seed(): Promise<void> {
    const fresh = this.fresh!;
    const found: LogFile[] = [];
    try {
      const all = await readdir(this.dir);
      const keys = all.flatMap((n) => (fresh.has(n) ? [] : logOrder(n) ?? [])).sort();
      // Half-written leftovers of a run that stopped mid-write.
      for (const n of all) if (n.startsWith('.') && n.endsWith('.log.tmp') && !fresh.has(n.slice(1, -4))) void unlink(path.join(this.dir, n)).catch(() => {});
      for (const key of keys) {
        const name = key.slice(key.indexOf('|') + 1);
        const st = await stat(path.join(this.dir, name)).catch(() => undefined);
        if (st?.isFile()) found.push({ name, size: st.size, written: Promise.resolve() });
      }
    } catch (err) {
      log.warn({ err, dir: this.dir }, 'cannot list the request log folder');
    }
    this.fresh = undefined;
    this.files = [...found, ...this.files.slice(this.head)];
    this.head = 0;
    for (const f of found) this.bytes += f.size;
    this.seeded = true;
    this.trim();
  }

  private trim(): void {
    const limits = this.limits;
    if (!this.seeded || !limits) return;
    while (this.count > 0 && (this.count > limits.requestLogMaxFiles || this.bytes > limits.requestLogMaxSize)) {
      const f = this.files[this.head]!;
      this.files[this.head++] = undefined;
      this.bytes -= f.size;
      const file = path.join(this.dir, f.name);
      void f.written.then(() => unlink(file)).catch(() => {}); // gone already: fine
    }
    // Compact now and then rather than shift() per file.
    if (this.head > 1024 && this.head * 2 > this.files.length) {
      this.files = this.files.slice(this.head);
      this.head = 0;
    }
  }
}

/** "x-2025-03-04T053007123-000042.log" → "2025-03-04T053007123-000042|x-…log", which sorts by time; undefined for other files. */
function logOrder(name: string): string | undefined {
  const m = LOG_NAME.exec(name);
  return m ? `${m[1]}-${m[2]}|${name}` : undefined;
}

let seq = 0;
export function requestLogName(url: string, at: Date): string {
  const base = url.split('?')[0]!.replace(/^\/+/, '').replace(/[/:<>"|?*\s\\]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '') || 'root';
  const stamp = at.toISOString().replace(/[:.]/g, '').replace('Z', '');
  seq = (seq + 1) % 1_000_000;
  return `${base}-${stamp}-${String(seq).padStart(6, '0')}.log`;
}

/** The request log of one gateway: its folder, and the interceptor that opens an entry per request. */
export class RequestLog {
  private folder?: RequestLogFolder;

  constructor(
    private readonly dir: string,
    /** The live config: request-log may be switched on and off while running. */
    private readonly config: () => Pick<Config, 'requestLog'> & RequestLogLimits,
  ) {}

  /** The entry for a request about to go upstream, while request-log is on. */
  open(ctx: RequestContext): RequestLogEntry | undefined {
    const cfg = this.config();
    if (!cfg.requestLog) return undefined;
    this.folder ??= new RequestLogFolder(this.dir);
    return new RequestLogEntry(ctx.ex, ctx.body, this.folder, cfg);
  }

  /** Around the upstream send: each call of a logged request is recorded in its entry. */
  readonly intercept: UpstreamInterceptor = (next) => (ctx, req, sink) => {
    let entry = ctx.log;
    if (!entry && (entry = this.open(ctx))) ctx.log = entry;
    return next(ctx, req, entry ? entry.record(req, sink) : sink);
  };
}
