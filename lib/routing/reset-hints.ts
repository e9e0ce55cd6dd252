// How long a rate-limited credential should rest: Retry-After when the
// upstream sends it, else the provider's own reset hint — Gemini's
// google.rpc.RetryInfo (decoded by the Gemini codec), Codex's
// `resets_in_seconds`, Claude's `anthropic-ratelimit-*-reset` headers,
// OpenAI-style `x-ratelimit-reset-*` durations.
import { getCodec } from '../../pipelines/index.js';
import type { FormatName } from '../../pipelines/ir.js';
import { parseRetryAfter } from './cooldown.js';

type Headers = Record<string, string | string[] | undefined>;

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** A reset time as RFC 3339, or epoch seconds/ms → ms from now. */
function untilTime(v: string, now: number): number | undefined {
  const n = Number(v);
  const t = Number.isFinite(n) && v.trim() !== '' ? (n < 1e12 ? n * 1000 : n) : Date.parse(v);
  return Number.isFinite(t) && t > now ? t - now : undefined;
}

/** "1s", "6m0s", "1h2m3.5s", "250ms" → ms */
function goDuration(v: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
  let total = 0;
  let seen = false;
  for (const m of v.matchAll(re)) {
    seen = true;
    total += Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const)[m[2] as 'ms' | 's' | 'm' | 'h'];
  }
  return seen ? total : undefined;
}

function claudeReset(h: Headers, now: number): number | undefined {
  const exhausted: number[] = [];
  const all: number[] = [];
  for (const [name, value] of Object.entries(h)) {
    const m = /^anthropic-ratelimit-(.+)-reset$/.exec(name);
    const v = first(value);
    if (!m || !v) continue;
    const ms = untilTime(v, now);
    if (ms === undefined) continue;
    all.push(ms);
    const remaining = first(h[`anthropic-ratelimit-${m[1]}-remaining`]);
    const status = first(h[`anthropic-ratelimit-${m[1]}-status`]);
    if (remaining === '0' || status === 'rejected') exhausted.push(ms);
  }
  const pick = exhausted.length > 0 ? exhausted : all;
  return pick.length > 0 ? Math.max(...pick) : undefined;
}

function codexReset(body: string, now: number): number | undefined {
  try {
    const e = (JSON.parse(body) as { error?: Record<string, unknown> }).error;
    const secs = Number(e?.['resets_in_seconds']);
    if (Number.isFinite(secs) && secs > 0) return secs * 1000;
    const at = e?.['resets_at'];
    if (at !== undefined) return untilTime(String(at), now);
  } catch {
    // not JSON
  }
  return undefined;
}

function openaiReset(h: Headers): number | undefined {
  const vals = ['x-ratelimit-reset-requests', 'x-ratelimit-reset-tokens'].map((k) => first(h[k])).filter((v): v is string => !!v).map(goDuration);
  const ok = vals.filter((v): v is number => v !== undefined && v > 0);
  return ok.length > 0 ? Math.max(...ok) : undefined;
}

/** Milliseconds until the credential may be used again, when the answer says. */
export function resetHintMs(format: FormatName, headers: Headers, body: string, now = Date.now()): number | undefined {
  const ra = parseRetryAfter(headers['retry-after'], now);
  if (ra !== undefined && ra > 0) return ra;
  switch (format) {
    case 'gemini':
    case 'gemini-cli': {
      const ms = getCodec(format).decodeError(429, body).retryAfterMs;
      return ms !== undefined && ms > 0 ? ms : undefined;
    }
    case 'codex':
      return codexReset(body, now);
    case 'claude':
      return claudeReset(headers, now);
    case 'openai-chat':
      return openaiReset(headers);
    default:
      return undefined;
  }
}
