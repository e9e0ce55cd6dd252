// Web pages the operator opens must not be able to use the gateway. Three
// checks run before any route reads a body:
// - DNS rebinding: on a loopback bind, a Host that is not a loopback name (or
//   the configured host) means a page on another name resolved to 127.0.0.1;
// - cross-origin use: a request carrying an Origin not in `allowed-origins`
//   is refused, except same-origin calls from the control panel to the
//   management API, which has its own key check;
// - CORS-safelisted bodies: a browser may POST text/plain or form bodies
//   cross-site without a preflight, so JSON routes refuse them from browsers.
// SDKs and CLIs send no Origin and no Sec-Fetch-Site header, so none of this
// touches them; only headers already copied into the Exchange are read.
import type { FormatName } from '../../pipelines/ir.js';
import type { GatewayContext } from '../runtime.js';
import type { Exchange } from '../server/exchange.js';
import { sendError } from './errors.js';

const LOOPBACK_BINDS = new Set(['127.0.0.1', '::1', 'localhost']);

export function isLoopbackBind(host: string): boolean {
  return LOOPBACK_BINDS.has(host.toLowerCase()) || host.startsWith('127.');
}

/** The hostname of a Host header value, lower-cased, without port or IPv6 brackets. */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end > 0 ? h.slice(1, end) : h;
  }
  const colon = h.indexOf(':');
  return colon >= 0 ? h.slice(0, colon) : h;
}

export function isLoopbackName(name: string): boolean {
  if (name === 'localhost' || name.endsWith('.localhost') || name === '::1') return true;
  return /^127(\.\d{1,3}){3}$/.test(name);
}

/** The error shape a path's clients read (the gate runs before any route). */
export function formatForPath(url: string): FormatName {
  if (url.startsWith('/v1/messages')) return 'claude';
  if (url.startsWith('/v1beta')) return 'gemini';
  if (url.startsWith('/v1internal')) return 'gemini-cli';
  if (url.startsWith('/v1/responses')) return 'openai-responses';
  return 'openai-chat';
}

function isManagementPath(url: string): boolean {
  return url.startsWith('/v0/management') || url === '/management.html';
}

function isJsonType(contentType: string): boolean {
  const t = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return t === 'application/json' || t.endsWith('+json');
}

/** Why the request must be refused, or undefined. Pure: tests call it directly. */
export function browserRefusal(
  ex: Pick<Exchange, 'headers' | 'method' | 'url'>,
  opts: { loopbackBind: boolean; configuredHost: string; allowedOrigins: readonly string[] },
): { status: number; message: string } | undefined {
  const h = ex.headers;
  const host = h['host'];
  if (opts.loopbackBind && host !== undefined) {
    const name = hostName(host);
    if (!isLoopbackName(name) && name !== opts.configuredHost.toLowerCase()) {
      return { status: 403, message: `Host "${name.slice(0, 100)}" is not a loopback name: this gateway listens on loopback only` };
    }
  }
  const origin = h['origin'];
  const management = isManagementPath(ex.url);
  if (origin !== undefined && !opts.allowedOrigins.includes(origin)) {
    const sameOrigin = host !== undefined && (origin === `http://${host}` || origin === `https://${host}`);
    if (!(management && sameOrigin)) {
      return { status: 403, message: `Origin "${origin.slice(0, 100)}" is not allowed: add it to allowed-origins to let that web page use the gateway` };
    }
  }
  // Node's fetch sends Sec-Fetch-Mode too, so only Origin and Sec-Fetch-Site mark a browser.
  const fromBrowser = origin !== undefined || h['sec-fetch-site'] !== undefined;
  if (fromBrowser && !management && ex.method === 'POST' && !isJsonType(h['content-type'] ?? '')) {
    return { status: 415, message: 'Content-Type must be application/json' };
  }
  return undefined;
}

/** An allow-listed page's CORS preflight: any method and the headers it asks for. */
function preflight(ex: Exchange): void {
  const asked = ex.headers['access-control-request-headers'];
  ex.send(204, '', {
    'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
    'access-control-allow-headers': asked && /^[\w\-, ]{1,1000}$/.test(asked) ? asked : 'authorization, content-type, x-api-key, x-goog-api-key',
    'access-control-max-age': '600',
  });
}

/** The gate for createApp: answers refused requests in their path's error shape. */
export function browserGate(gw: GatewayContext, bindHost: string): (ex: Exchange) => boolean {
  const loopbackBind = isLoopbackBind(bindHost);
  return (ex) => {
    const h = ex.headers;
    // Fast path: a non-browser client on a non-loopback bind, or a loopback client naming loopback.
    if (h['origin'] === undefined && h['sec-fetch-site'] === undefined && !loopbackBind) return false;
    const cfg = gw.runtime().config;
    const refusal = browserRefusal(ex, { loopbackBind, configuredHost: cfg.host, allowedOrigins: cfg.allowedOrigins });
    if (!refusal) {
      const origin = h['origin'];
      if (origin === undefined || !cfg.allowedOrigins.includes(origin)) return false;
      ex.corsOrigin = origin;
      if (ex.method !== 'OPTIONS') return false;
      preflight(ex);
      return true;
    }
    sendError(ex, formatForPath(ex.url), refusal.status, refusal.message, refusal.status === 415 ? 'unsupported_media_type' : 'forbidden');
    return true;
  };
}
