// Small helpers shared by the Gemini codec files.
import type { IRSignatureOrigin } from '../../ir.js';
import { isObj } from '../../guards.js';

export type Json = Record<string, unknown>;

/** A Claude thinking signature in a Gemini client's thoughtSignature carries
 *  this tag, so that on its way back it goes to Claude and not to Gemini (each
 *  accepts only its own; see IRSignatureOrigin). Untagged ones are Gemini's. */
export const CLAUDE_SIGNATURE_PREFIX = 'cliproxy-claude:';

/** The thoughtSignature text a Gemini client gets for a reasoning signature. */
export function clientSignature(sig: string, origin: IRSignatureOrigin | undefined): string {
  return origin === 'claude' ? CLAUDE_SIGNATURE_PREFIX + sig : sig;
}

/** A Gemini client's thoughtSignature → the signature and who issued it. */
export function signatureFromClient(sig: string): { signature: string; signatureOrigin: IRSignatureOrigin } {
  if (sig.startsWith(CLAUDE_SIGNATURE_PREFIX)) return { signature: sig.slice(CLAUDE_SIGNATURE_PREFIX.length), signatureOrigin: 'claude' };
  return { signature: sig, signatureOrigin: 'gemini' };
}

export { isObj };

export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export const num = (v: unknown): number | undefined => {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  // proto3 JSON encodes int64 as strings ("totalTokenCount": "12" from some gateways)
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
};

/** Google's JSON parser takes both lowerCamel and snake_case field names;
 *  clients send either (Gemini CLI: camel, some SDKs and curl docs: snake). */
export function pick(o: Json, camel: string): unknown {
  if (o[camel] !== undefined) return o[camel];
  const snake = camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return o[snake];
}

/** Every key of `o` whose camelCase form is not in `known`, kept verbatim. */
export function restOf(o: Json, known: Iterable<string>): Json {
  const k = new Set(known);
  const out: Json = {};
  for (const [key, v] of Object.entries(o)) {
    const camel = key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
    if (!k.has(camel)) out[key] = v;
  }
  return out;
}

export const isEmpty = (o: Json | undefined): boolean => !o || Object.keys(o).length === 0;

/** The Gemini codec's own bag in IR extras (request- or part-level). */
export function geminiExtras<T extends object>(extras: { gemini?: T } | undefined): T | undefined {
  const g = extras?.gemini;
  return isObj(g) ? g : undefined;
}

export function parseJsonObject(text: string): Json | undefined {
  const t = text.trim();
  if (!t.startsWith('{')) return undefined;
  try {
    const v: unknown = JSON.parse(t);
    return isObj(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** A random-ish token for ids when the upstream gave none to derive them from. */
export function randomToken(len = 24): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  const raw = c?.randomUUID ? c.randomUUID().replace(/-/g, '') : Math.random().toString(36).slice(2) + Date.now().toString(36);
  return raw.slice(0, len);
}

/** Places bare thought signatures. In IR events a signature that belonged to a
 *  plain Gemini part travels as an empty reasoning block just before that
 *  part; on the way back to Gemini it goes onto the next part again. `take`
 *  returns the parts to emit for one outgoing part. */
export class SignatureCarrier {
  pending: string | undefined;

  take(part: Json): Json[] {
    const sig = this.pending;
    this.pending = undefined;
    if (!sig || part.thoughtSignature === sig) return [part];
    if (part.thoughtSignature === undefined) return [{ ...part, thoughtSignature: sig }];
    return [{ text: '', thoughtSignature: sig }, part]; // the part has its own: keep both where they were
  }

  /** Whatever is still pending, as its own part. */
  flush(): Json[] {
    const sig = this.pending;
    this.pending = undefined;
    return sig ? [{ text: '', thoughtSignature: sig }] : [];
  }
}
