// /v0/management/*: one uWS route, access control first (before the body is
// read), then a table of handlers keyed by "METHOD /path". Also
// /management.html and /metrics (access by the `metrics` setting).
import { log } from '../logging/logger.js';
import type { Route } from '../server/app.js';
import { BodyTooLarge, readBody } from '../server/body.js';
import type { Exchange } from '../server/exchange.js';
import type { AccessDecision, Refusal } from './access.js';
import type { Ctx, Handler, Register } from './handlers/context.js';
import { registerAuthFiles } from './handlers/auth-files.js';
import { registerBasics } from './handlers/basics.js';
import { registerLists } from './handlers/lists.js';
import { registerLogins } from './handlers/logins.js';
import { registerLogs } from './handlers/logs.js';
import { registerUsage } from './handlers/usage.js';
import { registerStore } from './handlers/store.js';
import { servePanel } from './panel.js';
import type { Management } from './service.js';

export const BASE = '/v0/management';
/** Config files and token files are small: cap what an unauthenticated client can make us buffer. */
const MAX_BODY = 10 * 1024 * 1024;

const table = new Map<string, Handler>();
const add: Register = (method, path, handler) => table.set(`${method} ${path}`, handler);
registerBasics(add);
registerLists(add);
registerAuthFiles(add);
registerLogins(add);
registerLogs(add);
registerUsage(add);
registerStore(add);

/** "METHOD /path" of every endpoint the API serves: the security fuzz test
 *  (test/security/fuzz.test.ts) walks them all, so a new endpoint is covered
 *  by its key and junk-body checks without a list to keep in step. */
export function managementEndpoints(): string[] {
  return [...table.keys()];
}

function notFound(ex: Exchange): void {
  ex.json(404, { error: { message: `Unknown endpoint: ${ex.method} ${ex.url}`, type: 'invalid_request_error', code: 'not_found' } });
}

/** A known endpoint asked with another method: 405 naming what it accepts; else 404. */
function noHandler(ex: Exchange, sub: string): void {
  const allow = [...table.keys()].filter((k) => k.slice(k.indexOf(' ') + 1) === sub).map((k) => k.slice(0, k.indexOf(' ')));
  if (allow.length === 0) return ex.json(404, { error: 'not found' });
  const methods = allow.sort().join(', ');
  ex.json(405, { error: `method ${ex.method} not allowed on ${ex.url}; it accepts ${methods}` }, { allow: methods, 'cache-control': 'no-store' });
}

/** Answer a refusal; the request body is never read for it. */
function refuse(ex: Exchange, d: Refusal): void {
  if (d.status === 404) return notFound(ex);
  const headers: Record<string, string> = { 'cache-control': 'no-store' };
  if (d.retryAfter !== undefined) headers['retry-after'] = String(d.retryAfter);
  ex.json(d.status, d.body, headers);
}

async function handle(m: Management, ex: Exchange, access: Promise<AccessDecision>, body: Promise<Buffer | Error>): Promise<void> {
  const decision = await access;
  if (ex.aborted) return;
  if (!decision.ok) return refuse(ex, decision);
  const sub = ex.url.slice(BASE.length).replace(/\/+$/, '') || '/';
  const handler = table.get(`${ex.method} ${sub}`);
  if (!handler) return noHandler(ex, sub);
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

/**
 * Access is decided before the body is read. uWS hands the body only to a
 * reader attached before this handler returns, so:
 *  - every cheap check (API enabled, remote allowed, ban, in-flight limits,
 *    key present, cached or env key) runs now; a refusal is answered at once
 *    and no reader is attached, so uWS discards the body as it arrives;
 *  - a key that still needs bcrypt is compared while the socket is paused:
 *    the reader keeps only what already arrived (one socket read, ~128 KB),
 *    and at most MAX_WAITING requests can be in that state;
 *  - only an allowed request has its body read, up to MAX_BODY.
 * Pausing needs the native uWS build; on the JS fallback the wait is still
 * bounded by MAX_WAITING × MAX_BODY.
 */
function api(m: Management, ex: Exchange): void {
  const gate = m.access.gate(m.client(ex), m.config().remoteManagement);
  let access: Promise<AccessDecision>;
  if ('pending' in gate) {
    const res = ex.res as { pause?: () => void; resume?: () => void };
    const paused = typeof res.pause === 'function' && typeof res.resume === 'function';
    if (paused) res.pause!();
    access = gate.pending.then((d) => {
      // Resumed for a refusal too: uWS then drains and drops the rest, and the connection stays usable.
      if (paused && !ex.aborted) res.resume!();
      return d;
    });
  } else if (!gate.ok) {
    return refuse(ex, gate);
  } else {
    access = Promise.resolve(gate);
  }
  const body = readBody(ex, Math.min(m.config().maxBodySize, MAX_BODY)).catch((err: Error) => err);
  handle(m, ex, access, body).catch((err: unknown) => {
    if (ex.aborted || ex.committed) return;
    if (err instanceof BodyTooLarge) return ex.json(413, { error: err.message });
    // Logged, not echoed: an error's text may carry paths or values a client should not see.
    log.error({ err, url: ex.url }, 'management handler failed');
    ex.json(500, { error: 'internal error' });
  });
}

/**
 * /metrics by the `metrics` setting: off → 404; public → anyone; management
 * (default) → the management API's rules, except that loopback clients need
 * no key, so an operator can scrape from the same host even when no
 * secret-key is set. Remote clients need the API enabled, allow-remote and
 * the management key (Bearer or X-Management-Key); their failures count
 * toward the same ban.
 */
function metrics(m: Management, ex: Exchange): void {
  const serve = () =>
    m.metrics.text().then(
      (text) => ex.send(200, text, { 'content-type': m.metrics.contentType, 'cache-control': 'no-store' }),
      (err: Error) => {
        log.error({ err }, 'metrics failed');
        ex.json(500, { error: 'metrics unavailable' });
      },
    );
  const cfg = m.config();
  if (cfg.metrics === 'off') return notFound(ex);
  const client = m.client(ex);
  if (cfg.metrics === 'public' || client.local) return void serve();
  const gate = m.access.gate(client, cfg.remoteManagement);
  const decided = (d: AccessDecision) => {
    if (ex.aborted) return;
    if (d.ok) void serve();
    else refuse(ex, d);
  };
  if ('pending' in gate) void gate.pending.then(decided);
  else decided(gate);
}

export function managementRoutes(m: Management): Route[] {
  return [
    { method: 'any', path: `${BASE}/*`, handler: (ex) => api(m, ex) },
    { method: 'get', path: '/management.html', handler: (ex) => servePanel(m, ex) },
    { method: 'get', path: '/metrics', handler: (ex) => metrics(m, ex) },
  ];
}
