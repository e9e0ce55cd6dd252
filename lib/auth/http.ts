// The few HTTP calls logins and refreshes make (token, device, user info,
// Code Assist set-up), through the same proxy-aware pools as upstream traffic.
import { request } from 'undici';
import { dispatcherFor } from '../providers/upstream.js';
import { OAuthHttpError, summarizeBody } from './errors.js';

export interface CallOptions {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** application/x-www-form-urlencoded body */
  form?: Record<string, string>;
  /** application/json body */
  json?: unknown;
  proxyUrl?: string;
  timeoutMs?: number;
}

export interface CallResult {
  status: number;
  text: string;
}

export async function call(url: string, o: CallOptions = {}): Promise<CallResult> {
  const headers: Record<string, string> = { accept: 'application/json', ...o.headers };
  let body: string | undefined;
  if (o.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(o.form).toString();
  } else if (o.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(o.json);
  }
  const res = await request(url, {
    method: o.method ?? (body !== undefined ? 'POST' : 'GET'),
    headers,
    body,
    dispatcher: dispatcherFor(o.proxyUrl ?? ''),
    signal: AbortSignal.timeout(o.timeoutMs ?? 30_000),
  });
  return { status: res.statusCode, text: await res.body.text() };
}

/** Call and parse a JSON answer; any non-2xx status throws an OAuthHttpError. */
export async function callJson<T = Record<string, unknown>>(what: string, url: string, o: CallOptions = {}): Promise<T> {
  const r = await call(url, o);
  if (r.status < 200 || r.status >= 300) {
    const { summary, code } = summarizeBody(r.text);
    throw new OAuthHttpError(r.status, `${what} failed with status ${r.status}${summary ? `: ${summary}` : ''}`, code);
  }
  try {
    return JSON.parse(r.text) as T;
  } catch {
    throw new OAuthHttpError(r.status, `${what}: the answer is not JSON`);
  }
}

/** Seconds from now as an RFC 3339 timestamp, the way token files store expiry. */
export function expiryFromNow(expiresIn: unknown, now = Date.now()): string {
  const secs = typeof expiresIn === 'number' && Number.isFinite(expiresIn) ? expiresIn : Number(expiresIn) || 3600;
  return new Date(now + secs * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function isoNow(now = Date.now()): string {
  return new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export const str = (v: unknown): string => (typeof v === 'string' ? v : '');
