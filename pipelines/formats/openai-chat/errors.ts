// Error bodies. Upstreams that claim to speak OpenAI answer errors in every
// shape there is (OpenAI, Anthropic, Google, FastAPI `detail`, bare strings,
// HTML from a proxy in front), so decoding reads them all and never throws.
import { htmlText, htmlTitle, squeezeSpaces } from '../../html-text.js';
import type { IRError } from '../../ir.js';
import { isObject, str, type Json } from './common.js';

const MAX_MESSAGE = 1000;

function validStatus(s: number): boolean {
  return Number.isInteger(s) && s >= 400 && s <= 599;
}

interface Found {
  message?: string;
  type?: string;
  code?: string;
}

function messageOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v || undefined;
  if (Array.isArray(v)) {
    // FastAPI: detail: [{msg, loc, …}]; others: errors: [{message}]
    for (const item of v) {
      const m = isObject(item) ? (str(item.message) ?? str(item.msg)) : messageOf(item);
      if (m) return m;
    }
  }
  return undefined;
}

function fromJson(v: unknown, depth = 0): Found {
  if (depth > 3) return {};
  if (Array.isArray(v)) return v.length > 0 ? fromJson(v[0], depth + 1) : {};
  if (!isObject(v)) return typeof v === 'string' && v ? { message: v } : {};
  const e = v.error;
  if (isObject(e)) {
    const found: Found = { ...fromNested(e) };
    if (!found.message && isObject(e.error)) return fromJson(e, depth + 1);
    return found;
  }
  const found: Found = {};
  if (typeof e === 'string' && e) found.message = e;
  found.message ??= messageOf(v.message) ?? messageOf(v.detail) ?? str(v.msg) ?? str(v.error_description) ?? messageOf(v.errors);
  const type = str(v.type);
  if (type && type !== 'error') found.type = type;
  if (typeof v.code === 'string') found.code = v.code;
  return found;
}

function fromNested(e: Json): Found {
  const found: Found = {};
  const m = messageOf(e.message) ?? str(e.msg) ?? messageOf(e.detail);
  if (m) found.message = m;
  // OpenAI and Anthropic put a snake_case type; Google an upper-case status.
  const type = str(e.type) ?? str(e.status);
  if (type) found.type = type;
  if (typeof e.code === 'string' && e.code) found.code = e.code;
  return found;
}

function plainText(text: string): string {
  if (text.startsWith('<')) {
    // One pass each, as /<title[^>]*>([^<]*)<\/title>/i and
    // /<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>|<[^>]*>/gi would read
    // the page: those regexes are quadratic on a hostile one ('<title' or '<'
    // repeated), and an error body is whatever the upstream sends.
    const title = htmlTitle(text);
    const stripped = title !== undefined ? squeezeSpaces(title, MAX_MESSAGE) : htmlText(text, MAX_MESSAGE, { dropBlocks: true, emptyTag: true });
    if (stripped) return stripped;
  }
  return text;
}

function clip(s: string): string {
  return s.length > MAX_MESSAGE ? s.slice(0, MAX_MESSAGE) + '…' : s;
}

export function decodeError(status: number, body: string): IRError {
  const st = validStatus(status) ? status : 502;
  let text = '';
  try {
    text = (typeof body === 'string' ? body : String(body ?? '')).trim();
  } catch {
    text = '';
  }
  let found: Found = {};
  const c = text.charCodeAt(0);
  if (c === 123 /* { */ || c === 91 /* [ */ || c === 34 /* " */) {
    try {
      found = fromJson(JSON.parse(text));
    } catch {
      found = {};
    }
  }
  const err: IRError = {
    status: st,
    message: clip(found.message ?? (text ? plainText(text) : `upstream returned HTTP ${st}`)),
  };
  if (found.type) err.type = found.type;
  if (found.code) err.code = found.code;
  return err;
}

function typeFor(status: number): string {
  switch (status) {
    case 400:
    case 413:
    case 422:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 429:
      return 'rate_limit_error';
    default:
      return status >= 500 ? 'server_error' : 'invalid_request_error';
  }
}

function errorObject(err: IRError, status: number): Json {
  // Keep a provider's snake_case type (rate_limit_error, overloaded_error);
  // Google's RESOURCE_EXHAUSTED and the like mean nothing to OpenAI clients.
  const type = err.type && /^[a-z][a-z0-9_]*$/.test(err.type) ? err.type : typeFor(status);
  return { error: { message: err.message, type, code: err.code ?? null } };
}

export function encodeError(err: IRError): { status: number; body: unknown } {
  const status = validStatus(err.status) ? err.status : 500;
  return { status, body: errorObject(err, status) };
}

/** The SDK's stream reader throws an APIError on a data frame carrying `error`. */
export function encodeStreamError(err: IRError): string {
  const status = validStatus(err.status) ? err.status : 500;
  return 'data: ' + JSON.stringify(errorObject(err, status)) + '\n\n';
}
