// One HTTP request/response pair on uWebSockets.js. uWS's HttpRequest dies
// when the route handler returns, so everything needed later is copied here;
// its HttpResponse dies on abort, so every write checks `aborted` first.
import type { HttpRequest, HttpResponse } from './uws.js';

export interface StreamWriter {
  /** Queue bytes; they go out coalesced with whatever else arrives this tick. */
  write(chunk: Buffer | string): void;
  /** Flush and finish the response. */
  end(tail?: Buffer | string): void;
  /** Called when the client's socket is full (pause the source) and drained again. */
  onPressure(pause: () => void, resume: () => void): void;
  readonly bytesWritten: number;
}

/** Sees what goes in and out of an exchange (the request log). */
export interface ExchangeTap {
  requestBody?(body: Buffer): void;
  response?(status: number, headers: Record<string, string>, chunk: Buffer | string, done: boolean): void;
}

const textDecoder = new TextDecoder();

export class Exchange {
  readonly method: string;
  readonly url: string;
  readonly query: string;
  readonly headers: Record<string, string> = {};
  private remote?: string;
  readonly startedAt = performance.now();
  aborted = false;
  /** Set once status and headers went out: no retry, no other status possible. */
  committed = false;
  finished = false;
  private abortHandlers: Array<() => void> = [];
  tap?: ExchangeTap;
  /** An allow-listed browser origin: answers carry the CORS header that lets its page read them. */
  corsOrigin?: string;

  constructor(
    readonly res: HttpResponse,
    req: HttpRequest,
  ) {
    this.method = req.getMethod().toUpperCase();
    this.url = req.getUrl();
    this.query = req.getQuery() ?? '';
    req.forEach((k, v) => {
      this.headers[k] = v;
    });
    res.onAborted(() => {
      this.aborted = true;
      const handlers = this.abortHandlers;
      this.abortHandlers = [];
      for (const h of handlers) h();
    });
  }

  /** Run `fn` when the client goes away before we finished. */
  onAbort(fn: () => void): () => void {
    if (this.aborted) {
      fn();
      return () => {};
    }
    this.abortHandlers.push(fn);
    return () => {
      const i = this.abortHandlers.indexOf(fn);
      if (i >= 0) this.abortHandlers.splice(i, 1);
    };
  }

  queryParam(name: string): string | undefined {
    if (!this.query) return undefined;
    return new URLSearchParams(this.query).get(name) ?? undefined;
  }

  /** The client's IP as text (read lazily: most requests never need it). */
  get remoteAddress(): string {
    if (this.remote === undefined) this.remote = this.aborted ? '' : textDecoder.decode(this.res.getRemoteAddressAsText());
    return this.remote;
  }

  isLoopback(): boolean {
    const a = this.remoteAddress;
    return (
      a === '127.0.0.1' || a === '::1' || a.startsWith('127.') || a === '0000:0000:0000:0000:0000:0000:0000:0001' || a.startsWith('::ffff:127.') ||
      // IPv4 loopback on a dual-stack (::) listener: uWS spells it ::ffff:7f00:1 in full.
      a.startsWith('0000:0000:0000:0000:0000:ffff:7f')
    );
  }

  /** Send a whole response at once. */
  send(status: number, body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }): void {
    if (this.aborted || this.finished) return;
    this.finished = true;
    this.committed = true;
    this.res.cork(() => {
      this.res.writeStatus(statusLine(status));
      for (const k in headers) this.res.writeHeader(k, headers[k]!);
      if (this.corsOrigin !== undefined) writeCors(this.res, this.corsOrigin);
      this.res.end(body);
    });
    this.tap?.response?.(status, headers, body, true);
  }

  json(status: number, body: unknown, headers?: Record<string, string>): void {
    this.send(status, JSON.stringify(body), { 'content-type': 'application/json', ...headers });
  }

  /** Start a streamed response: status and headers go out with the first flush. */
  stream(status: number, headers: Record<string, string>): StreamWriter {
    this.committed = true;
    return new CoalescingWriter(this, status, headers);
  }
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK', 201: 'Created', 204: 'No Content', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden',
  404: 'Not Found', 405: 'Method Not Allowed', 408: 'Request Timeout', 409: 'Conflict', 413: 'Payload Too Large',
  422: 'Unprocessable Entity', 429: 'Too Many Requests', 500: 'Internal Server Error', 501: 'Not Implemented',
  502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout', 529: 'Site Overloaded',
};

function writeCors(res: HttpResponse, origin: string): void {
  res.writeHeader('access-control-allow-origin', origin);
  res.writeHeader('vary', 'Origin');
}

export function statusLine(status: number): string {
  return `${status} ${STATUS_TEXT[status] ?? 'Status'}`;
}

// Writers with queued bytes, flushed together once per event-loop turn so the
// many small chunks an upstream delivers in one read become one socket write.
const pending = new Set<CoalescingWriter>();
let flushScheduled = false;

function flushAll(): void {
  flushScheduled = false;
  for (const w of pending) w.flush();
  pending.clear();
}

class CoalescingWriter implements StreamWriter {
  private chunks: Array<Buffer | string> = [];
  private headersSent = false;
  private ending = false;
  private blocked = false;
  private pause?: () => void;
  private resume?: () => void;
  bytesWritten = 0;

  constructor(
    private readonly ex: Exchange,
    private readonly status: number,
    private readonly headers: Record<string, string>,
  ) {}

  onPressure(pause: () => void, resume: () => void): void {
    this.pause = pause;
    this.resume = resume;
  }

  write(chunk: Buffer | string): void {
    if (this.ex.aborted || this.ex.finished) return;
    this.chunks.push(chunk);
    this.schedule();
  }

  end(tail?: Buffer | string): void {
    if (this.ex.aborted || this.ex.finished) return;
    if (tail !== undefined) this.chunks.push(tail);
    this.ending = true;
    this.schedule();
  }

  private schedule(): void {
    pending.add(this);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flushAll);
    }
  }

  flush(): void {
    const ex = this.ex;
    if (ex.aborted || ex.finished) return;
    const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)));
    this.chunks = [];
    let ok = true;
    ex.res.cork(() => {
      if (!this.headersSent) {
        this.headersSent = true;
        ex.res.writeStatus(statusLine(this.status));
        for (const k in this.headers) ex.res.writeHeader(k, this.headers[k]!);
        if (ex.corsOrigin !== undefined) writeCors(ex.res, ex.corsOrigin);
      }
      if (this.ending) {
        ex.finished = true;
        ex.res.end(body);
      } else if (body.length > 0) {
        ok = ex.res.write(body);
      }
    });
    this.bytesWritten += body.length;
    ex.tap?.response?.(this.status, this.headers, body, this.ending);
    if (!ok && !this.blocked && !ex.finished) {
      // uWS kept the bytes but the socket is full: stop reading upstream until it drains.
      this.blocked = true;
      this.pause?.();
      ex.res.onWritable(() => {
        this.blocked = false;
        this.resume?.();
        return true;
      });
    }
  }
}
