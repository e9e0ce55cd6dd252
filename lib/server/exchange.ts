// One HTTP request/response pair on uWebSockets.js. uWS's HttpRequest dies
// when the route handler returns, so everything needed later is copied here;
// its HttpResponse dies on abort, so every write checks the state first.
import type { HttpRequest, HttpResponse } from './uws.js';
import type { ClientAddress } from '../access/client-address.js';

/** Who the client is, from the socket peer and the headers (trusted proxies: lib/access/client-address.ts). */
export type ClientResolver = (peer: string, headers: Record<string, string>) => ClientAddress;

/**
 * Where an exchange is in its life. Only this module moves it on:
 *   reading ──► dispatching ──► streaming ──► done
 *      └────────────┴──────────────────────────► done     (a whole answer at once)
 *   any state but done ──► aborted                        (the client went away, or the connection was cut)
 */
export type ExchangeState = 'reading' | 'dispatching' | 'streaming' | 'done' | 'aborted';

export interface StreamWriter {
  /** Queue bytes; they go out coalesced with whatever else arrives this tick. */
  write(chunk: Buffer | string): void;
  /** Flush and finish the response. */
  end(tail?: Buffer | string): void;
  /** Called when the client's socket is full (pause the source) and drained again. */
  onPressure(pause: () => void, resume: () => void): void;
}

/** Sees what goes out of an exchange (the request log). */
export interface ExchangeTap {
  response(status: number, headers: Record<string, string>, chunk: Buffer | string, done: boolean): void;
}

const textDecoder = new TextDecoder();

export class Exchange {
  readonly method: string;
  readonly url: string;
  readonly query: string;
  readonly headers: Record<string, string> = {};
  private remote?: string;
  private resolved?: ClientAddress;
  readonly startedAt = performance.now();
  private current: ExchangeState = 'reading';
  private abortHandlers: Array<() => void> = [];
  private observer?: ExchangeTap;
  /** An allow-listed browser origin: answers carry the CORS header that lets its page read them. */
  corsOrigin?: string;
  /** Set by whoever streams the answer: ends it with an error event in the client's format (gateway shutdown). */
  interrupt?: (message: string) => void;

  constructor(
    readonly res: HttpResponse,
    req: HttpRequest,
    /** In-flight exchanges of the app (shutdown drain): this one is in it until done or aborted. */
    private readonly live?: Set<Exchange>,
    /** Absent: the client is the socket peer. */
    private readonly resolveClient?: ClientResolver,
  ) {
    live?.add(this);
    this.method = req.getMethod().toUpperCase();
    this.url = req.getUrl();
    this.query = req.getQuery() ?? '';
    req.forEach((k, v) => {
      this.headers[k] = v;
    });
    res.onAborted(() => this.abort());
  }

  get state(): ExchangeState {
    return this.current;
  }

  get aborted(): boolean {
    return this.current === 'aborted';
  }

  /** Status and headers went out (or are queued to): no retry, no other status possible. */
  get committed(): boolean {
    return this.current === 'streaming' || this.current === 'done';
  }

  get finished(): boolean {
    return this.current === 'done';
  }

  /** The request is read and goes to routing. */
  beginDispatch(): void {
    if (this.current === 'reading') this.current = 'dispatching';
  }

  /** Cut the connection (a stream that cannot be finished in its format). */
  close(): void {
    if (this.current === 'done' || this.current === 'aborted') return;
    this.res.close(); // uWS runs onAborted, which lands in abort()
    this.abort();
  }

  private abort(): void {
    if (this.current === 'done' || this.current === 'aborted') return;
    this.current = 'aborted';
    this.live?.delete(this);
    const handlers = this.abortHandlers;
    this.abortHandlers = [];
    for (const h of handlers) h();
  }

  /** Run `fn` when the client goes away before we finished. */
  onAbort(fn: () => void): () => void {
    if (this.current === 'aborted') {
      fn();
      return () => {};
    }
    this.abortHandlers.push(fn);
    return () => {
      const i = this.abortHandlers.indexOf(fn);
      if (i >= 0) this.abortHandlers.splice(i, 1);
    };
  }

  /** Let `observer` see every response byte that goes out (one observer at most). */
  tap(observer: ExchangeTap): void {
    this.observer = observer;
  }

  queryParam(name: string): string | undefined {
    if (!this.query) return undefined;
    return new URLSearchParams(this.query).get(name) ?? undefined;
  }

  /** The socket peer's IP as text (read lazily: most requests never need it). Behind a load balancer that is the balancer: use `client`. */
  get remoteAddress(): string {
    if (this.remote === undefined) this.remote = this.aborted ? '' : textDecoder.decode(this.res.getRemoteAddressAsText());
    return this.remote;
  }

  /** The client as every address-based decision sees it (bans, caps, local-only APIs, logs); computed once, on first use. */
  get client(): ClientAddress {
    this.resolved ??= this.resolveClient ? this.resolveClient(this.remoteAddress, this.headers) : { address: this.remoteAddress, local: this.peerIsLoopback(), forwarded: false };
    return this.resolved;
  }

  /** The client is on this host (behind a trusted proxy: only if the forwarded client is loopback too). */
  isLoopback(): boolean {
    return this.client.local;
  }

  private peerIsLoopback(): boolean {
    const a = this.remoteAddress;
    return (
      a === '127.0.0.1' || a === '::1' || a.startsWith('127.') || a === '0000:0000:0000:0000:0000:0000:0000:0001' || a.startsWith('::ffff:127.') ||
      // IPv4 loopback on a dual-stack (::) listener: uWS spells it ::ffff:7f00:1 in full.
      a.startsWith('0000:0000:0000:0000:0000:ffff:7f')
    );
  }

  /** Send a whole response at once. */
  send(status: number, body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }): void {
    if (this.current === 'aborted' || this.current === 'done') return;
    this.current = 'done';
    this.live?.delete(this);
    this.res.cork(() => {
      this.res.writeStatus(statusLine(status));
      for (const k in headers) this.res.writeHeader(k, headers[k]!);
      if (this.corsOrigin !== undefined) writeCors(this.res, this.corsOrigin);
      // uWS writes a body for HEAD too: a client reusing the connection would read it as the next answer.
      if (this.method === 'HEAD') this.res.endWithoutBody(Buffer.byteLength(body));
      else this.res.end(body);
    });
    this.observer?.response(status, headers, body, true);
  }

  json(status: number, body: unknown, headers?: Record<string, string>): void {
    this.send(status, JSON.stringify(body), { 'content-type': 'application/json', ...headers });
  }

  /** Start a streamed response: status and headers go out with the first flush. */
  stream(status: number, headers: Record<string, string>): StreamWriter {
    if (this.current === 'reading' || this.current === 'dispatching') this.current = 'streaming';
    return new CoalescingWriter(this, status, headers);
  }

  /** The stream writer put `chunk` on the wire; `last`: it ended the response. */
  streamFlushed(status: number, headers: Record<string, string>, chunk: Buffer | string, last: boolean): void {
    if (last && this.current === 'streaming') {
      this.current = 'done';
      this.live?.delete(this);
    }
    this.observer?.response(status, headers, chunk, last);
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
    if (this.ex.state !== 'streaming') return;
    this.chunks.push(chunk);
    this.schedule();
  }

  end(tail?: Buffer | string): void {
    if (this.ex.state !== 'streaming') return;
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
    if (ex.state !== 'streaming') return;
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
        ex.res.end(body);
      } else if (body.length > 0) {
        ok = ex.res.write(body);
      }
    });
    ex.streamFlushed(this.status, this.headers, body, this.ending);
    if (!ok && !this.blocked && ex.state === 'streaming') {
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
