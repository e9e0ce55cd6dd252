// A request that arrived as a WebSocket message, run through the ordinary
// HTTP route handler: a synthetic uWS request/response pair stands behind a
// real Exchange, so access checks, routing, retries, translation, usage and
// request logs behave exactly as for POST. What the handler writes — status,
// headers, body chunks — goes to a sink instead of a socket.
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { Exchange } from '../server/exchange.js';

export interface ExchangeSink {
  /** Status and headers, once, before the first body bytes. */
  head(status: number, headers: Record<string, string>): void;
  /** Body bytes; false asks the writer to wait for `writable()`. */
  data(chunk: Buffer): boolean;
  /** The response is complete (also after an abort). */
  end(): void;
}

export interface SyntheticRequest {
  method: string;
  url: string;
  query: string;
  headers: Record<string, string>;
  body: Buffer;
  remote: string;
}

export interface SyntheticExchange {
  ex: Exchange;
  /** The client went away: what a closed connection does to an HTTP exchange. */
  abort(): void;
  /** The sink has room again after data() returned false. */
  writable(): void;
}

type Recognized = string | ArrayBuffer | ArrayBufferView;

function bytes(v: Recognized | undefined): Buffer {
  if (v === undefined) return Buffer.alloc(0);
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (v instanceof ArrayBuffer) return Buffer.from(v);
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

const text = (v: Recognized): string => (typeof v === 'string' ? v : bytes(v).toString('utf8'));

export function syntheticExchange(r: SyntheticRequest, sink: ExchangeSink): SyntheticExchange {
  let status = 200;
  const headers: Record<string, string> = {};
  let started = false;
  let finished = false;
  let written = 0;
  let onAborted: (() => void) | undefined;
  let onWritable: ((offset: number) => boolean) | undefined;

  const start = () => {
    if (started) return;
    started = true;
    sink.head(status, headers);
  };
  const finish = () => {
    if (finished) return;
    finished = true;
    sink.end();
  };
  const push = (v: Recognized | undefined): boolean => {
    const b = bytes(v);
    written += b.length;
    return b.length === 0 || finished ? true : sink.data(b);
  };

  const res = {
    cork(cb: () => void) {
      cb();
      return res;
    },
    writeStatus(s: Recognized) {
      status = Number.parseInt(text(s), 10) || 200;
      return res;
    },
    writeHeader(k: Recognized, v: Recognized) {
      headers[text(k).toLowerCase()] = text(v);
      return res;
    },
    write(chunk: Recognized) {
      start();
      return push(chunk);
    },
    end(body?: Recognized) {
      start();
      push(body);
      finish();
      return res;
    },
    endWithoutBody() {
      start();
      finish();
      return res;
    },
    tryEnd(chunk: Recognized) {
      res.end(chunk);
      return [true, true];
    },
    close() {
      abort();
      return res;
    },
    getWriteOffset: () => written,
    onWritable(h: (offset: number) => boolean) {
      onWritable = h;
      return res;
    },
    onAborted(h: () => void) {
      onAborted = h;
      return res;
    },
    onData(h: (chunk: ArrayBuffer, isLast: boolean) => void) {
      // The whole message is the body: hand it over once, as uWS would after the handler returns.
      const copy = r.body.buffer.slice(r.body.byteOffset, r.body.byteOffset + r.body.byteLength) as ArrayBuffer;
      queueMicrotask(() => {
        if (!finished) h(copy, true);
      });
      return res;
    },
    getRemoteAddressAsText: () => new TextEncoder().encode(r.remote).buffer,
    pause() {},
    resume() {},
  };

  const req = {
    getMethod: () => r.method.toLowerCase(),
    getCaseSensitiveMethod: () => r.method,
    getUrl: () => r.url,
    getQuery: () => r.query,
    getHeader: (k: string) => r.headers[k.toLowerCase()] ?? '',
    forEach(cb: (k: string, v: string) => void) {
      for (const k of Object.keys(r.headers)) cb(k, r.headers[k]!);
    },
    setYield: () => req,
  };

  const abort = () => {
    if (finished) return;
    const h = onAborted;
    onAborted = undefined;
    h?.();
    finish();
  };

  const ex = new Exchange(res as unknown as HttpResponse, req as unknown as HttpRequest);
  return {
    ex,
    abort,
    writable() {
      const h = onWritable;
      onWritable = undefined;
      if (h && !finished && !h(written)) onWritable = h;
    },
  };
}
