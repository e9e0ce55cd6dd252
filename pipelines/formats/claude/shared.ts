// Small helpers shared by the Claude codec halves: value guards, stop-reason
// and usage mapping, id handling.
import { createHash, randomBytes } from 'node:crypto';
import type { IRCacheControl, IRFinishReason, IRReasoningPart, IRSignatureOrigin, IRUsage } from '../../ir.js';
import { isObj } from '../../guards.js';

export type Json = Record<string, unknown>;

/** Another provider's opaque reasoning state (Responses/Codex encrypted_content)
 *  rides in a Claude thinking block's signature with this prefix, so a Claude
 *  client hands it back on the next turn. Real Claude signatures never start
 *  with it, and the encoder never sends such a block to Claude. */
export const FOREIGN_REASONING_PREFIX = 'cliproxy-enc:';
/** Likewise for a signature Claude did not issue (a Gemini thoughtSignature):
 *  the client keeps it for a later Gemini turn, Claude never sees it. */
export const FOREIGN_SIGNATURE_PREFIX = 'cliproxy-gemini:';
/** Every tag the gateway puts on signatures it hands Claude clients. */
export const GATEWAY_TAG = 'cliproxy-';

type Signed = { signature?: string; signatureOrigin?: IRSignatureOrigin; encrypted?: string };

/** The signature text a Claude client gets: Claude's own as issued, anything
 *  else tagged so that its way back (signatureFromClient) knows it is not. */
export function signatureFor(p: Signed): string | undefined {
  if (p.signature) return p.signatureOrigin === 'claude' ? p.signature : FOREIGN_SIGNATURE_PREFIX + p.signature;
  return p.encrypted ? FOREIGN_REASONING_PREFIX + p.encrypted : undefined;
}

/** A Claude client's thinking-block signature → the IR's fields. Untagged
 *  signatures are Claude's: that is what Claude and piped Claude answers give. */
export function signatureFromClient(sig: string | undefined): Pick<IRReasoningPart, 'signature' | 'signatureOrigin' | 'encrypted'> {
  if (!sig) return {};
  if (sig.startsWith(FOREIGN_REASONING_PREFIX)) return { encrypted: sig.slice(FOREIGN_REASONING_PREFIX.length) };
  if (sig.startsWith(FOREIGN_SIGNATURE_PREFIX)) return { signature: sig.slice(FOREIGN_SIGNATURE_PREFIX.length), signatureOrigin: 'gemini' };
  return { signature: sig, signatureOrigin: 'claude' };
}

/** Whether Claude accepts this thinking block signature back: one it issued,
 *  i.e. present and not tagged by the gateway as another provider's. */
export function claudeSigned(sig: unknown): boolean {
  return typeof sig === 'string' && sig !== '' && !sig.startsWith(GATEWAY_TAG);
}

export { isObj };

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function cacheControlOf(v: unknown): IRCacheControl | undefined {
  if (!isObj(v) || typeof v.type !== 'string') return undefined;
  const cc: IRCacheControl = { type: v.type };
  if (typeof v.ttl === 'string') cc.ttl = v.ttl;
  return cc;
}

export function cacheControlOut(cc: IRCacheControl | undefined): Json | undefined {
  if (!cc) return undefined;
  return cc.ttl ? { type: cc.type, ttl: cc.ttl } : { type: cc.type };
}

/** Tool arguments as the object Claude wants: anything that is not a JSON
 *  object (bad JSON from a weak model, an array) becomes {} rather than a 400. */
export function argsToInput(args: string): Json {
  if (!args || !args.trim()) return {};
  const v = parseJson(args);
  return isObj(v) ? v : {};
}

export function randomId(prefix: string): string {
  return prefix + randomBytes(12).toString('base64url').replace(/[-_]/g, 'x');
}

/** A deterministic id from a seed, so a re-sent history keeps its ids (and
 *  Claude's prompt cache keeps hitting). */
export function stableId(prefix: string, seed: string): string {
  return prefix + createHash('sha256').update(seed).digest('base64url').slice(0, 24).replace(/[-_]/g, 'x');
}

export function decodeStopReason(reason: unknown): IRFinishReason {
  switch (reason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'pause_turn':
      return 'pause';
    case 'refusal':
      return 'refusal';
    default:
      return 'stop'; // end_turn, stop_sequence, null
  }
}

export function encodeStopReason(reason: IRFinishReason, raw: string | undefined, sawToolUse: boolean): string {
  switch (reason) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
      return 'tool_use';
    case 'pause':
      return 'pause_turn';
    case 'refusal':
    case 'content_filter':
      return 'refusal';
    default:
      // Gemini reports STOP even when it called functions; Claude clients only
      // run tools when stop_reason says tool_use.
      if (sawToolUse) return 'tool_use';
      return raw === 'stop_sequence' ? 'stop_sequence' : 'end_turn';
  }
}

/** Claude counts input_tokens without cache reads/writes; the IR counts the
 *  whole prompt (as OpenAI and Gemini do) and breaks the cached part out. */
export function decodeUsage(u: unknown): IRUsage | undefined {
  if (!isObj(u)) return undefined;
  const input = num(u.input_tokens) ?? 0;
  const read = num(u.cache_read_input_tokens);
  const created = num(u.cache_creation_input_tokens);
  const output = num(u.output_tokens) ?? 0;
  const usage: IRUsage = { inputTokens: input + (read ?? 0) + (created ?? 0), outputTokens: output };
  if (read !== undefined) usage.cachedTokens = read;
  if (created !== undefined) usage.cacheCreationTokens = created;
  usage.totalTokens = usage.inputTokens + output;
  return usage;
}

export function encodeUsage(u: IRUsage | undefined): Json {
  if (!u) return { input_tokens: 0, output_tokens: 0 };
  const read = u.cachedTokens ?? 0;
  const created = u.cacheCreationTokens ?? 0;
  const out: Json = {
    input_tokens: Math.max(0, u.inputTokens - read - created),
    output_tokens: u.outputTokens,
  };
  if (u.cacheCreationTokens !== undefined) out.cache_creation_input_tokens = created;
  if (u.cachedTokens !== undefined) out.cache_read_input_tokens = read;
  return out;
}

/** Usage counters are cumulative, so when two reports overlap the larger
 *  value of each field is the more complete one (a finish event that only
 *  knows output tokens must not zero the input count seen at start). */
export function mergeUsage(a: IRUsage | undefined, b: IRUsage | undefined): IRUsage | undefined {
  if (!a) return b;
  if (!b) return a;
  const m: IRUsage = {
    inputTokens: Math.max(a.inputTokens, b.inputTokens),
    outputTokens: Math.max(a.outputTokens, b.outputTokens),
  };
  for (const k of ['cachedTokens', 'cacheCreationTokens', 'reasoningTokens'] as const) {
    const x = a[k];
    const y = b[k];
    if (x !== undefined || y !== undefined) m[k] = Math.max(x ?? 0, y ?? 0);
  }
  m.totalTokens = m.inputTokens + m.outputTokens;
  return m;
}
