// Upstream HTTP through undici's raw dispatch API: no Response/stream objects
// per request, and pause/resume map straight onto uWS backpressure.
// One pooled dispatcher per proxy URL ('' = direct).
import { Agent, ProxyAgent, Socks5ProxyAgent, type Dispatcher } from 'undici';

const POOL_OPTS = {
  keepAliveTimeout: 30_000,
  keepAliveMaxTimeout: 600_000,
  // Thinking models can stay silent for minutes before the first byte.
  headersTimeout: 600_000,
  bodyTimeout: 600_000,
  connectTimeout: 15_000,
};

const dispatchers = new Map<string, Dispatcher>();

export function dispatcherFor(proxyUrl: string): Dispatcher {
  let d = dispatchers.get(proxyUrl);
  if (d) return d;
  if (!proxyUrl) {
    d = new Agent(POOL_OPTS);
  } else {
    const u = new URL(proxyUrl);
    if (u.protocol === 'socks5:' || u.protocol === 'socks5h:') {
      d = new Socks5ProxyAgent(proxyUrl, {
        ...POOL_OPTS,
        username: u.username ? decodeURIComponent(u.username) : undefined,
        password: u.password ? decodeURIComponent(u.password) : undefined,
      });
    } else {
      d = new ProxyAgent({ uri: proxyUrl, ...POOL_OPTS });
    }
  }
  dispatchers.set(proxyUrl, d);
  return d;
}

export async function closeDispatchers(): Promise<void> {
  const all = [...dispatchers.values()];
  dispatchers.clear();
  await Promise.allSettled(all.map((d) => d.close()));
}

export interface UpstreamRequest {
  /** A non-HTTP transport (the AI Studio WebSocket relay) answers through the same sink. */
  transport?: (req: UpstreamRequest, sink: UpstreamSink) => UpstreamCall;
  url: string;
  method?: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  proxyUrl: string;
}

export interface UpstreamSink {
  onStart(status: number, headers: Record<string, string | string[] | undefined>): void;
  onData(chunk: Buffer): void;
  onEnd(): void;
  onError(err: Error): void;
}

export interface UpstreamCall {
  abort(reason?: Error): void;
  pause(): void;
  resume(): void;
}

/** A credential's few upstream URLs, parsed once rather than on every request
 *  (URL parsing showed in the request path's profile). Cleared when full: model
 *  names in URLs come from clients. */
const parsedUrls = new Map<string, { origin: string; path: string }>();
const MAX_PARSED_URLS = 1024;

function parseUrl(url: string): { origin: string; path: string } {
  let p = parsedUrls.get(url);
  if (p === undefined) {
    const u = new URL(url);
    p = { origin: u.origin, path: u.pathname + u.search };
    if (parsedUrls.size >= MAX_PARSED_URLS) parsedUrls.clear();
    parsedUrls.set(url, p);
  }
  return p;
}

/** Send one upstream request; the sink hears exactly one of onEnd/onError. */
export function callUpstream(req: UpstreamRequest, sink: UpstreamSink): UpstreamCall {
  const u = parseUrl(req.url);
  let controller: Dispatcher.DispatchController | undefined;
  let abortedEarly: Error | undefined;
  let settled = false;
  const settle = () => {
    if (settled) return false;
    settled = true;
    return true;
  };
  const handler: Dispatcher.DispatchHandler = {
    onRequestStart(c) {
      controller = c;
      if (abortedEarly) c.abort(abortedEarly);
    },
    onResponseStart(_c, status, headers) {
      if (!settled) sink.onStart(status, headers as Record<string, string | string[] | undefined>);
    },
    onResponseData(_c, chunk) {
      if (!settled) sink.onData(chunk);
    },
    onResponseEnd() {
      if (settle()) sink.onEnd();
    },
    onResponseError(_c, err) {
      if (settle()) sink.onError(err);
    },
  };
  try {
    dispatcherFor(req.proxyUrl).dispatch(
      {
        origin: u.origin,
        path: u.path,
        method: (req.method ?? 'POST') as Dispatcher.HttpMethod,
        headers: req.headers,
        body: req.body,
      },
      handler,
    );
  } catch (err) {
    queueMicrotask(() => {
      if (settle()) sink.onError(err as Error);
    });
  }
  return {
    abort(reason = new Error('aborted')) {
      if (controller) controller.abort(reason);
      else abortedEarly = reason;
    },
    pause() {
      controller?.pause();
    },
    resume() {
      controller?.resume();
    },
  };
}
