// The uWebSockets.js application: a route table of Exchange handlers.
import type { WebSocketBehavior } from 'uWebSockets.js';
import { log } from '../logging/logger.js';
import { Exchange, type ClientResolver } from './exchange.js';
import { uws, type HttpRequest, type HttpResponse, type TemplatedApp, type us_listen_socket } from './uws.js';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'del' | 'head' | 'options' | 'any';

export interface Route {
  method: Method;
  path: string;
  handler: (ex: Exchange) => void;
  /** A WebSocket endpoint on the same path (a GET with Upgrade); `handler`
   *  answers the plain requests. */
  upgrade?: WebSocketBehavior<any>;
}

/** Runs before every route; returns true when it answered the request itself. */
export type Gate = (ex: Exchange) => boolean;

function wrap(handler: (ex: Exchange) => void, gate?: Gate, live?: Set<Exchange>, clientOf?: ClientResolver) {
  return (res: HttpResponse, req: HttpRequest) => {
    const ex = new Exchange(res, req, live, clientOf);
    // Two Content-Length values that differ (request smuggling): uWS frames the body by the first and
    // runs the bytes after it as the next request, where a proxy in front may have used the other one.
    // Only cutting the connection stops that (an answer would still be followed by the smuggled request).
    const length = ex.headers['content-length'];
    if (length !== undefined && req.getHeader('content-length') !== length) {
      res.close();
      return;
    }
    try {
      if (gate?.(ex)) return;
      handler(ex);
    } catch (err) {
      log.error({ err, url: ex.url }, 'route handler threw');
      if (!ex.committed && !ex.aborted) ex.json(500, { error: { message: 'internal gateway error', type: 'server_error' } });
    }
  };
}

/** A WebSocket upgrade route (the AI Studio relay). */
export interface WsRoute {
  path: string;
  /** Each route keeps its own per-socket data type. */
  behavior: WebSocketBehavior<any>;
  /** Answers a plain (non-upgrade) GET on the path. */
  plain?: (ex: Exchange) => void;
}

/** `live`: filled with the exchanges in flight (the shutdown drain waits on it). */
/** `live`: filled with the exchanges in flight (the shutdown drain waits on it).
 *  `notFound` also answers a known path asked with a method it does not serve:
 *  then it gets the path's methods (`allow`, for a 405 and its Allow header).
 *  `clientOf`: who each exchange's client is (trusted proxies); absent: the socket peer. */
export function createApp(routes: Route[], notFound: (ex: Exchange, allow?: string[]) => void, wsRoutes: WsRoute[] = [], gate?: Gate, live?: Set<Exchange>, clientOf?: ClientResolver): TemplatedApp {
  const app = uws.App();
  for (const w of wsRoutes) {
    app.ws(w.path, w.behavior);
    if (w.plain) app.get(w.path, wrap(w.plain, gate, live, clientOf));
  }
  for (const r of routes) {
    if (r.upgrade) app.ws(r.path, r.upgrade);
    app[r.method](r.path, wrap(r.handler, gate, live, clientOf));
  }
  // uWS prefers a route's own method to `any` on the same pattern, so these see only the other methods.
  for (const [path, allow] of methodsByPath(routes, wsRoutes)) app.any(path, wrap((ex) => notFound(ex, allow), gate, live, clientOf));
  app.any('/*', wrap(notFound, gate, live, clientOf));
  return app;
}

/** Each route pattern (parameter names aside: uWS treats `:a` and `:b` alike) and the methods it serves. */
function methodsByPath(routes: Route[], wsRoutes: WsRoute[]): Map<string, string[]> {
  const byShape = new Map<string, { path: string; methods: Set<string> }>();
  const add = (path: string, method: Method) => {
    if (method === 'any' || path.endsWith('*')) return; // serves every method already
    const shape = path.replace(/\/:[^/]+/g, '/:');
    let e = byShape.get(shape);
    if (!e) byShape.set(shape, (e = { path, methods: new Set() }));
    e.methods.add(method === 'del' ? 'DELETE' : method.toUpperCase());
  };
  for (const w of wsRoutes) if (w.plain) add(w.path, 'get');
  for (const r of routes) add(r.path, r.method);
  const out = new Map<string, string[]>();
  for (const { path, methods } of byShape.values()) {
    out.set(path, [...methods].sort());
  }
  return out;
}

export function listen(app: TemplatedApp, host: string, port: number): Promise<{ socket: us_listen_socket; port: number }> {
  return new Promise((resolve, reject) => {
    app.listen(host, port, (socket) => {
      if (!socket) {
        reject(new Error(`cannot listen on ${host}:${port} (address in use or not permitted)`));
        return;
      }
      resolve({ socket, port: uws.us_socket_local_port(socket) });
    });
  });
}

export function closeListen(socket: us_listen_socket): void {
  uws.us_listen_socket_close(socket);
}
