// /v0/management/*: one uWS route, access control first, then a table of
// handlers keyed by "METHOD /path". Also /management.html and /metrics.
import { log } from '../logging/logger.js';
import type { GatewayContext } from '../runtime.js';
import type { Route } from '../server/app.js';
import { BodyTooLarge, readBody } from '../server/body.js';
import type { Exchange } from '../server/exchange.js';
import { registerAuthFiles } from './handlers/auth-files.js';
import { registerBasics } from './handlers/basics.js';
import { registerLists } from './handlers/lists.js';
import { registerLogins } from './handlers/logins.js';
import { registerLogs } from './handlers/logs.js';
import { servePanel } from './panel.js';
import type { Management } from './service.js';

export const BASE = '/v0/management';
/** Config files and token files are small: cap what an unauthenticated client can make us buffer. */
const MAX_BODY = 10 * 1024 * 1024;

/** What a handler works with. */
export interface Ctx {
  m: Management;
  ex: Exchange;
  /** The raw request body. */
  body(): Promise<Buffer>;
  /** The body as JSON, or undefined when it is not JSON. */
  json(): Promise<unknown>;
  query(name: string): string | undefined;
  reply(status: number, body: unknown): void;
  /** 200 {"status":"ok"} */
  ok(extra?: Record<string, unknown>): void;
}

export type Handler = (c: Ctx) => Promise<void> | void;
export type Register = (method: 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE', path: string, handler: Handler) => void;

const table = new Map<string, Handler>();
const add: Register = (method, path, handler) => table.set(`${method} ${path}`, handler);
registerBasics(add);
registerLists(add);
registerAuthFiles(add);
registerLogins(add);
registerLogs(add);

/** Paths the API serves (for tests and the panel). */
export function managementEndpoints(): string[] {
  return [...table.keys()];
}

function notFound(ex: Exchange): void {
  ex.json(404, { error: { message: `Unknown endpoint: ${ex.method} ${ex.url}`, type: 'invalid_request_error', code: 'not_found' } });
}

async function handle(m: Management, ex: Exchange, body: Promise<Buffer | Error>): Promise<void> {
  const decision = await m.access.check({ ip: ex.remoteAddress, local: ex.isLoopback(), headers: ex.headers }, m.config().remoteManagement);
  if (ex.aborted) return;
  if (!decision.ok) {
    if (decision.status === 404) return notFound(ex);
    return ex.json(decision.status, decision.body);
  }
  const sub = ex.url.slice(BASE.length).replace(/\/+$/, '') || '/';
  const handler = table.get(`${ex.method} ${sub}`);
  if (!handler) return ex.json(404, { error: 'not found' });
  const raw = async (): Promise<Buffer> => {
    const b = await body;
    if (b instanceof Error) throw b;
    return b;
  };
  let params: URLSearchParams | undefined;
  const ctx: Ctx = {
    m,
    ex,
    body: raw,
    async json() {
      const b = await raw();
      try {
        return JSON.parse(b.toString('utf8')) as unknown;
      } catch {
        return undefined;
      }
    },
    query: (name) => (params ??= new URLSearchParams(ex.query)).get(name) ?? undefined,
    reply: (status, b) => ex.json(status, b, { 'cache-control': 'no-store' }),
    ok: (extra) => ex.json(200, { status: 'ok', ...extra }, { 'cache-control': 'no-store' }),
  };
  await handler(ctx);
}

export function managementRoutes(gw: GatewayContext): Route[] {
  const api = (ex: Exchange) => {
    const m = gw.management;
    if (!m) return notFound(ex);
    // uWS delivers the body only to a reader attached now; read it up front, check access after.
    const body = readBody(ex, Math.min(m.config().maxBodySize, MAX_BODY)).catch((err: Error) => err);
    void ex.remoteAddress;
    handle(m, ex, body).catch((err: unknown) => {
      if (ex.aborted || ex.committed) return;
      if (err instanceof BodyTooLarge) return ex.json(413, { error: err.message });
      log.error({ err, url: ex.url }, 'management handler failed');
      ex.json(500, { error: `internal error: ${(err as Error).message}` });
    });
  };
  return [
    { method: 'any', path: `${BASE}/*`, handler: api },
    { method: 'get', path: '/management.html', handler: (ex) => (gw.management ? servePanel(gw.management, ex) : notFound(ex)) },
    {
      method: 'get',
      path: '/metrics',
      handler: (ex) => {
        const m = gw.management;
        if (!m) return notFound(ex);
        m.metrics.text().then(
          (text) => ex.send(200, text, { 'content-type': m.metrics.contentType }),
          (err: Error) => ex.json(500, { error: err.message }),
        );
      },
    },
  ];
}
