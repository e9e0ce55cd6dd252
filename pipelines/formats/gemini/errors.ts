// Google API errors: {"error":{"code","message","status","details"}}.
import { htmlText } from '../../html-text.js';
import type { IRError } from '../../ir.js';
import { isObj, num, str } from './util.js';
import type { Json } from './util.js';

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  408: 'DEADLINE_EXCEEDED',
  409: 'ABORTED',
  413: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** The google.rpc.Code name Google pairs with an HTTP status. */
export function statusName(status: number): string {
  return STATUS_NAMES[status] ?? (status >= 500 ? 'INTERNAL' : status >= 400 ? 'FAILED_PRECONDITION' : 'UNKNOWN');
}

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 };

/** "34s", "0.5s" (protobuf Duration), "1h2m3.5s", "250ms" (Go durations in
 *  quota metadata and messages) → milliseconds. */
export function parseDurationMs(text: string): number | undefined {
  const t = text.trim();
  if (!/^(\d+(\.\d+)?(h|ms|m|s|us|µs|ns))+$/.test(t)) return undefined;
  let total = 0;
  for (const m of t.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g)) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  return Math.ceil(total);
}

// Where Google hides the retry hint: RetryInfo.retryDelay, then
// ErrorInfo.metadata.quotaResetDelay (Code Assist), then the message text
// ("Please retry in 34.2s.", "Your quota will reset after 1h2m3s.").
function retryHint(err: Json): number | undefined {
  const details = Array.isArray(err.details) ? err.details : [];
  for (const d of details) {
    if (!isObj(d)) continue;
    const delay = str(d.retryDelay) ?? (isObj(d.retryDelay) ? `${num(d.retryDelay.seconds) ?? 0}s` : undefined);
    if (delay) {
      const ms = parseDurationMs(delay);
      if (ms !== undefined) return ms;
    }
  }
  for (const d of details) {
    if (!isObj(d) || !isObj(d.metadata)) continue;
    const delay = str(d.metadata.quotaResetDelay);
    const ms = delay ? parseDurationMs(delay) : undefined;
    if (ms !== undefined) return ms;
  }
  const msg = str(err.message) ?? '';
  const m = /(?:retry in|reset after|retry after)\s+([\d.]+(?:h|ms|m|s)(?:[\d.]+(?:h|ms|m|s))*)/i.exec(msg);
  return m ? parseDurationMs(m[1]!) : undefined;
}

const MAX_MESSAGE = 2000;

// An upstream's message is passed on to clients and logs: bounded, like the
// text of an error page.
function clip(message: string): string {
  return message.length > MAX_MESSAGE ? message.slice(0, MAX_MESSAGE) + '…' : message;
}

/** An HTTP error status, or undefined for anything else (0, 200, 302, a code that is no status). */
function errorStatus(n: number | undefined): number | undefined {
  return n !== undefined && Number.isInteger(n) && n >= 400 && n <= 599 ? n : undefined;
}

/** An already parsed error body (object, or Gemini CLI's one-element array). */
export function decodeErrorObject(body: unknown, status: number): IRError {
  const root = Array.isArray(body) ? body.find(isObj) : body;
  const e = isObj(root) ? root.error : undefined;
  const st = errorStatus(status);
  if (isObj(e)) {
    const code = num(e.code);
    const out: IRError = { status: st ?? errorStatus(code) ?? 500, message: clip(str(e.message) || str(e.status) || 'upstream error') };
    const name = str(e.status);
    if (name) {
      out.code = name;
      out.type = name;
    }
    const retry = retryHint(e);
    if (retry !== undefined) out.retryAfterMs = retry;
    return out;
  }
  if (typeof e === 'string' && e) return { status: st ?? 500, message: clip(e) };
  if (isObj(root) && typeof root.message === 'string' && root.message) return { status: st ?? 500, message: clip(root.message) };
  return { status: st ?? 500, message: `upstream returned status ${status || 500}` };
}

/** Any upstream error text → IRError; never throws. */
export function decodeError(status: number, body: string): IRError {
  const text = typeof body === 'string' ? body.trim() : '';
  if (text) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (isObj(parsed) || Array.isArray(parsed)) return decodeErrorObject(parsed, status);
    } catch {
      // not JSON: an HTML error page or a proxy's plain text
    }
  }
  // Tags become spaces as /<[^>]*>/g would, in one pass (that regex is quadratic on a run of '<').
  const message = text ? htmlText(text, MAX_MESSAGE, { emptyTag: true }).slice(0, MAX_MESSAGE) : '';
  return { status: errorStatus(status) ?? 500, message: message || `upstream returned status ${status || 500}` };
}

const GOOGLE_CODE = /^[A-Z][A-Z_]+$/;

export function errorBody(err: IRError): { status: number; body: Json } {
  const status = err.status >= 400 && err.status <= 599 ? err.status : 500;
  const e: Json = {
    code: status,
    message: err.message,
    status: err.code && GOOGLE_CODE.test(err.code) ? err.code : statusName(status),
  };
  if (err.retryAfterMs !== undefined && err.retryAfterMs >= 0) {
    // Gemini CLI and the Google SDKs read this to schedule their own retry.
    e.details = [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${Math.ceil(err.retryAfterMs / 1000)}s` }];
  }
  return { status, body: { error: e } };
}

export function encodeStreamError(err: IRError): string {
  return `data: ${JSON.stringify(errorBody(err).body)}\r\n\r\n`;
}
