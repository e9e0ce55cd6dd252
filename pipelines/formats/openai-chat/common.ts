// Small pieces shared by the OpenAI Chat Completions codec halves.
import { TranslationError, type IRFinishReason, type IRUsage } from '../../ir.js';
import { isObj as isObject } from '../../guards.js';

export type Json = Record<string, unknown>;

export { isObject };

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** What a same-format round trip needs beyond the IR, kept in
 *  req.extras['openai-chat']. Only this codec reads it. */
export type { ChatExtras } from '../../extras.js';

let idCounter = 0;
/** Ids for answers and tool calls the upstream did not name. Unique per
 *  process; randomness is not needed, only no collisions within a conversation. */
export function newId(prefix: string): string {
  idCounter = (idCounter + 1) % 0x7fffffff;
  return prefix + Date.now().toString(36) + idCounter.toString(36).padStart(4, '0');
}

/** OpenAI's limit on stop sequences (Chat Completions and legacy Completions alike). */
export const MAX_STOP_SEQUENCES = 4;

/**
 * `stop` as both OpenAI codecs read it: a string, or an array of at most
 * four strings; null or absent is none. `string: true` records that the
 * client sent a bare string, so a same-format encode gives one back. An
 * empty array is no stop at all (nothing to encode either way).
 */
export function decodeStop(v: unknown): { stop: string[]; string: boolean } | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return { stop: [v], string: true };
  if (Array.isArray(v) && v.length <= MAX_STOP_SEQUENCES && v.every((s) => typeof s === 'string')) {
    return v.length === 0 ? undefined : { stop: v as string[], string: false };
  }
  throw new TranslationError(`'stop' must be a string or an array of up to ${MAX_STOP_SEQUENCES} strings`);
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export function decodeFinishReason(raw: unknown): IRFinishReason {
  switch (raw) {
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool_calls';
    case 'content_filter':
      return 'content_filter';
    default:
      return 'stop';
  }
}

const OPENAI_REASONS = new Set(['stop', 'length', 'tool_calls', 'content_filter']);

export function encodeFinishReason(reason: IRFinishReason, sawToolCall: boolean, raw?: string): string {
  // An OpenAI-shaped upstream's own reason goes back as it was (a forced
  // tool_choice answers "stop" with tool calls, and clients may rely on that).
  if (raw !== undefined && OPENAI_REASONS.has(raw) && decodeFinishReason(raw) === reason) return raw;
  switch (reason) {
    case 'length':
      return 'length';
    case 'tool_calls':
      return 'tool_calls';
    case 'content_filter':
    case 'refusal':
      return 'content_filter';
    default:
      // Some upstreams (Gemini) report a plain stop after calling tools; agent
      // loops written against OpenAI look for tool_calls.
      return sawToolCall ? 'tool_calls' : 'stop';
  }
}

/** OpenAI usage → IR. prompt_tokens includes cached tokens, and
 *  completion_tokens includes reasoning tokens; the IR keeps those meanings. */
export function decodeUsage(u: unknown): IRUsage | undefined {
  if (!isObject(u)) return undefined;
  const input = num(u.prompt_tokens);
  const output = num(u.completion_tokens);
  if (input === undefined && output === undefined) return undefined;
  const usage: IRUsage = { inputTokens: input ?? 0, outputTokens: output ?? 0 };
  const total = num(u.total_tokens);
  if (total !== undefined) usage.totalTokens = total;
  const pd = u.prompt_tokens_details;
  const cached = isObject(pd) ? num(pd.cached_tokens) : num(u.prompt_cache_hit_tokens); // DeepSeek names it so
  if (cached !== undefined) usage.cachedTokens = cached;
  const cd = u.completion_tokens_details;
  const reasoning = isObject(cd) ? num(cd.reasoning_tokens) : undefined;
  if (reasoning !== undefined) usage.reasoningTokens = reasoning;
  return usage;
}

export function encodeUsage(u: IRUsage): Json {
  const out: Json = {
    prompt_tokens: u.inputTokens,
    completion_tokens: u.outputTokens,
    total_tokens: u.totalTokens ?? u.inputTokens + u.outputTokens,
  };
  if (u.cachedTokens !== undefined) out.prompt_tokens_details = { cached_tokens: u.cachedTokens };
  if (u.reasoningTokens !== undefined) out.completion_tokens_details = { reasoning_tokens: u.reasoningTokens };
  return out;
}

const DATA_URL = /^data:([^;,]*)(?:;[^;,]*)*?;base64,/;

/** `data:image/png;base64,AAAA` → its media type and payload; undefined for other URLs. */
export function parseDataUrl(url: string): { mediaType: string; data: string } | undefined {
  if (!url.startsWith('data:')) return undefined;
  const m = DATA_URL.exec(url.slice(0, 256));
  if (!m) return undefined;
  return { mediaType: m[1] || 'application/octet-stream', data: url.slice(m[0].length) };
}

export function dataUrl(mediaType: string | undefined, data: string, fallback: string): string {
  return 'data:' + (mediaType || fallback) + ';base64,' + data;
}

const AUDIO_TYPES: Record<string, string> = { wav: 'audio/wav', mp3: 'audio/mpeg', flac: 'audio/flac', ogg: 'audio/ogg' };

export function audioMediaType(format: string): string {
  return AUDIO_TYPES[format] ?? 'audio/' + format;
}

export function audioFormat(mediaType: string | undefined): string {
  if (!mediaType) return 'wav';
  for (const [fmt, mt] of Object.entries(AUDIO_TYPES)) if (mt === mediaType) return fmt;
  const slash = mediaType.indexOf('/');
  return slash >= 0 ? mediaType.slice(slash + 1) : mediaType;
}
