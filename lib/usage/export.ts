// /usage/export and /usage/import payloads, CLIProxyAPI's shape:
//   export: {version: 1, exported_at, usage: <snapshot>}
//   import: {version: 0|1, usage: <snapshot>}; each request detail is one
//   request, merged unless an equal one (same dedup key) is already counted,
//   so importing the same export twice adds nothing. Totals in an import are
//   not trusted: they are rebuilt from its details, as the reference does.
import { counted, type CountedRequest } from './stats.js';
import type { RequestDetail, TokenStats, UsageSnapshot } from './types.js';

export const EXPORT_VERSION = 1;
/** Longest API or model name an import may carry. */
const MAX_NAME = 256;

export interface ExportPayload {
  version: number;
  exported_at: string;
  usage: UsageSnapshot;
}

export function exportPayload(usage: UsageSnapshot, now = Date.now()): ExportPayload {
  return { version: EXPORT_VERSION, exported_at: new Date(now).toISOString(), usage };
}

/** The reference's key: API, model, time, source, credential index, failed, tokens. */
export function dedupKey(c: Pick<CountedRequest, 'api' | 'model' | 'detail'>): string {
  const d = c.detail;
  const t = d.tokens;
  const ms = Date.parse(d.timestamp);
  return [c.api, c.model, Number.isNaN(ms) ? d.timestamp : ms, d.source, d.auth_index ?? '', d.failed, t.input_tokens, t.output_tokens, t.reasoning_tokens, t.cached_tokens, t.total_tokens].join('|');
}

class Invalid extends Error {}

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function obj(v: unknown, where: string): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (!isObj(v)) throw new Invalid(`${where} must be an object`);
  return v;
}

function count(v: unknown, where: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new Invalid(`${where} must be a non-negative integer`);
  return v;
}

function name(k: string, where: string): string {
  const s = k.trim();
  if (s.length > MAX_NAME) throw new Invalid(`${where}: name longer than ${MAX_NAME} characters`);
  return s;
}

function tokens(v: unknown, where: string): TokenStats {
  const o = obj(v, where);
  const t = {
    input_tokens: count(o['input_tokens'], `${where}.input_tokens`),
    output_tokens: count(o['output_tokens'], `${where}.output_tokens`),
    reasoning_tokens: count(o['reasoning_tokens'], `${where}.reasoning_tokens`),
    cached_tokens: count(o['cached_tokens'], `${where}.cached_tokens`),
    total_tokens: count(o['total_tokens'], `${where}.total_tokens`),
  };
  // The reference's normalisation: a missing total is the sum of the parts.
  if (t.total_tokens === 0) t.total_tokens = t.input_tokens + t.output_tokens + t.reasoning_tokens;
  if (t.total_tokens === 0) t.total_tokens = t.input_tokens + t.output_tokens + t.reasoning_tokens + t.cached_tokens;
  return t;
}

function detail(v: unknown, where: string, now: number): RequestDetail {
  if (!isObj(v)) throw new Invalid(`${where} must be an object`);
  const ts = v['timestamp'];
  let timestamp: string;
  if (ts === undefined || ts === null || ts === '') timestamp = new Date(now).toISOString();
  else if (typeof ts !== 'string' || Number.isNaN(Date.parse(ts))) throw new Invalid(`${where}.timestamp must be an RFC 3339 time`);
  else timestamp = ts;
  const str = (k: string): string => {
    const x = v[k];
    if (x === undefined || x === null) return '';
    if (typeof x !== 'string' || x.length > MAX_NAME) throw new Invalid(`${where}.${k} must be a string of at most ${MAX_NAME} characters`);
    return x;
  };
  const failed = v['failed'];
  if (failed !== undefined && failed !== null && typeof failed !== 'boolean') throw new Invalid(`${where}.failed must be true or false`);
  const d: RequestDetail = { timestamp, source: str('source'), tokens: tokens(v['tokens'], `${where}.tokens`), failed: failed === true };
  if (v['latency_ms'] !== undefined && v['latency_ms'] !== null) d.latency_ms = count(v['latency_ms'], `${where}.latency_ms`);
  const auth = str('auth_index');
  if (auth) d.auth_index = auth;
  return d;
}

export type ParsedImport = { ok: true; requests: CountedRequest[] } | { ok: false; error: string };

/** A parsed JSON import body → the requests it carries, or what is wrong with it. */
export function parseImport(body: unknown, now = Date.now()): ParsedImport {
  try {
    if (!isObj(body)) throw new Invalid('invalid json: the body must be a JSON object {version, usage}');
    const version = body['version'] ?? 0;
    if (version !== 0 && version !== 1) throw new Invalid(`unsupported version ${JSON.stringify(version)}: expected 1`);
    if (!isObj(body['usage'])) throw new Invalid('usage must be an object (the "usage" of an export)');
    const apis = obj(body['usage']['apis'], 'usage.apis');
    const requests: CountedRequest[] = [];
    for (const [apiKey, a] of Object.entries(apis)) {
      const wa = `usage.apis[${JSON.stringify(apiKey.slice(0, 60))}]`;
      const api = name(apiKey, wa);
      const models = obj(obj(a, wa)['models'], `${wa}.models`);
      if (!api) continue;
      for (const [modelKey, m] of Object.entries(models)) {
        const wm = `${wa}.models[${JSON.stringify(modelKey.slice(0, 60))}]`;
        const model = name(modelKey, wm) || 'unknown';
        const details = obj(m, wm)['details'];
        if (details === undefined || details === null) continue;
        if (!Array.isArray(details)) throw new Invalid(`${wm}.details must be an array`);
        details.forEach((d, i) => requests.push(counted(api, model, detail(d, `${wm}.details[${i}]`, now), now)));
      }
    }
    return { ok: true, requests };
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, error: err.message };
    throw err;
  }
}
