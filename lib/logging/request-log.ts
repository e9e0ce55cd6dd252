// request-log: one file per inference request under logs/, holding the
// inbound request, every upstream request and response (one per attempt),
// and the final response, with secret headers and URL keys masked.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { GatewayContext } from '../runtime.js';
import { callUpstream, type UpstreamRequest } from '../providers/upstream.js';
import type { Route } from '../server/app.js';
import type { Exchange } from '../server/exchange.js';
import { log, mask } from './logger.js';

/** Bytes kept per body section; the rest is cut with a marker. */
const MAX_SECTION = 4 * 1024 * 1024;

const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'x-api-key', 'x-goog-api-key', 'api-key', 'x-management-key', 'cookie', 'set-cookie']);

export function maskHeaderValue(name: string, value: string): string {
  if (!SECRET_HEADERS.has(name.toLowerCase())) return value;
  const m = /^(\s*\w+\s+)(.+)$/.exec(value);
  return m && /^(bearer|basic|token)\s+$/i.test(m[1]!) ? `${m[1]}${mask(m[2]!)}` : mask(value);
}

export function maskUrl(url: string): string {
  return url.replace(/([?&](?:key|api_key|apikey|access_token|token)=)([^&#]*)/gi, (_, k: string, v: string) => `${k}${mask(v)}`);
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

const entries = new WeakMap<Exchange, RequestLogEntry>();

export class RequestLogEntry {
  private readonly started = new Date();
  private readonly body = new Section();
  private readonly upstreams: Upstream[] = [];
  private status?: number;
  private headers?: Record<string, string>;
  private readonly response = new Section();
  private written = false;

  constructor(
    private readonly ex: Exchange,
    private readonly dir: string,
  ) {
    entries.set(ex, this);
    ex.tap = {
      requestBody: (b) => this.body.add(b),
      response: (status, headers, chunk, done) => {
        this.status ??= status;
        this.headers ??= headers;
        this.response.add(chunk);
        if (done) this.write();
      },
    };
    ex.onAbort(() => this.write('client disconnected'));
  }

  /** Record an upstream attempt and see its answer (wraps the transport). */
  upstream(req: UpstreamRequest): UpstreamRequest {
    const rec: Upstream = { request: req, body: new Section() };
    this.upstreams.push(rec);
    const transport = req.transport ?? callUpstream;
    return {
      ...req,
      transport: (_r, sink) =>
        transport(req, {
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
        }),
    };
  }

  render(note?: string): string {
    const ex = this.ex;
    const out: string[] = [
      '=== REQUEST INFO ===',
      `URL: ${maskUrl(ex.query ? `${ex.url}?${ex.query}` : ex.url)}`,
      `Method: ${ex.method}`,
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
    const file = path.join(this.dir, requestLogName(this.ex.url, this.started));
    const text = this.render(note);
    mkdir(this.dir, { recursive: true })
      .then(() => writeFile(file, text, { mode: 0o600 }))
      .catch((err: unknown) => log.warn({ err, file }, 'cannot write request log'));
  }
}

let seq = 0;
export function requestLogName(url: string, at: Date): string {
  const base = url.split('?')[0]!.replace(/^\/+/, '').replace(/[/:<>"|?*\s\\]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '') || 'root';
  const stamp = at.toISOString().replace(/[:.]/g, '').replace('Z', '');
  seq = (seq + 1) % 1_000_000;
  return `${base}-${stamp}-${String(seq).padStart(6, '0')}.log`;
}

/** The upstream request to send: wrapped for the request log when the exchange has one. */
export function tapUpstream(ex: Exchange, req: UpstreamRequest): UpstreamRequest {
  return entries.get(ex)?.upstream(req) ?? req;
}

/** Wrap inference routes: while request-log is on, each request gets a log file. */
export function withRequestLog(gw: GatewayContext, routes: Route[]): Route[] {
  return routes.map((r) => ({
    ...r,
    handler: (ex: Exchange) => {
      const dir = gw.management?.logDir;
      if (dir && gw.runtime().config.requestLog) new RequestLogEntry(ex, dir);
      r.handler(ex);
    },
  }));
}
