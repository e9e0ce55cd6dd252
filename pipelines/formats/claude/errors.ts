// Errors in Anthropic's shape, and reading errors of any upstream's shape.
import { dropScriptBlocks, htmlText, looksLikeHtml, squeezeSpaces } from '../../html-text.js';
import type { IRError } from '../../ir.js';
import { isObj, parseJson, str } from './shared.js';
import type { Json } from './shared.js';

const TYPE_STATUS: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

export function statusForType(type: string | undefined): number {
  return (type && TYPE_STATUS[type]) || 500;
}

export function typeForStatus(status: number): string {
  switch (status) {
    case 400:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 402:
      return 'billing_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 503:
    case 529:
      return 'overloaded_error';
    case 504:
      return 'timeout_error';
    default:
      return status >= 400 && status < 500 ? 'invalid_request_error' : 'api_error';
  }
}

function errorBody(err: IRError): Json {
  // A provider type passes through only when it is one of Anthropic's, so
  // clients' error-type switches keep working.
  const type = err.type && err.type in TYPE_STATUS ? err.type : typeForStatus(err.status);
  return { type: 'error', error: { type, message: err.message || 'error' } };
}

export function encodeError(err: IRError): { status: number; body: unknown } {
  const status = Number.isInteger(err.status) && err.status >= 400 && err.status < 600 ? err.status : 500;
  return { status, body: errorBody({ ...err, status }) };
}

export function encodeStreamError(err: IRError): string {
  return `event: error\ndata: ${JSON.stringify(errorBody(err))}\n\n`;
}

const MAX_MESSAGE = 2000;

function clip(t: string): string {
  return t.length > MAX_MESSAGE ? t.slice(0, MAX_MESSAGE) + '…' : t;
}

// Single-pass equivalents of the regex chain this used (detect
// /<\/?[a-z][\s\S]*>/i, drop /<(script|style)[\s\S]*?<\/\1>/gi, strip
// /<[^>]+>/g, decode four entities, squeeze /\s+/g): those regexes were
// quadratic on hostile pages such as 64 KiB of '<a'.
function textOf(body: string): string {
  if (!looksLikeHtml(body)) return clip(squeezeSpaces(body, MAX_MESSAGE));
  // An HTML error page (proxies, CDNs): keep the words, not the markup.
  return clip(htmlText(dropScriptBlocks(body), MAX_MESSAGE, { entities: true }));
}

/** Any upstream error body → IRError: Anthropic's {type:"error", error},
 *  OpenAI's {error:{message,type,code}}, Gemini's {error:{code,message,status}}
 *  (also wrapped in an array), {error:"…"}, {message}, {detail}, text, HTML. */
export function decodeError(status: number, body: string): IRError {
  const st = Number.isInteger(status) && status >= 400 && status < 600 ? status : 0;
  const out: IRError = { status: st || 500, message: '' };
  try {
    let v: unknown = typeof body === 'string' ? parseJson(body.trim()) : undefined;
    if (Array.isArray(v)) v = v[0];
    if (isObj(v)) {
      const e = v.error;
      if (isObj(e)) {
        out.message = clip(str(e.message) ?? '');
        const type = str(e.type) ?? (typeof v.type === 'string' && v.type !== 'error' ? v.type : undefined);
        if (type) out.type = type;
        const code = str(e.status) ?? str(e.code) ?? (typeof e.code === 'number' ? String(e.code) : undefined);
        if (code) out.code = code;
      } else if (typeof e === 'string') {
        out.message = clip(e);
      }
      if (!out.message) out.message = clip(str(v.message) ?? str(v.detail) ?? str(v.error_description) ?? '');
      if (!out.message && Object.keys(v).length) out.message = textOf(JSON.stringify(v));
      if (!st && out.type && out.type in TYPE_STATUS) out.status = statusForType(out.type);
    } else if (typeof body === 'string') {
      out.message = textOf(body);
    }
  } catch {
    // never throw: fall through to the generic message
  }
  if (!out.message) out.message = `upstream returned HTTP ${status}`;
  return out;
}
