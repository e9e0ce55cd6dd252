// Gemini → Gemini bodies are piped, but a Gemini client's history may hold
// thoughtSignatures the gateway tagged as another provider's (cliproxy-claude:
// on turns Claude answered, see util.ts; any cliproxy- tag is the gateway's).
// Gemini validates the signatures it gets and refuses foreign ones, so they
// are taken out — as the translating encoder (request-encode.ts) leaves
// Claude's out — and only the parts that carried nothing else go with them.
import { SKIP_SIGNATURE } from './request-encode.js';
import { isObj } from './util.js';
import type { Json } from './util.js';

const GATEWAY_TAG = 'cliproxy-';
const SIG_KEYS = ['thoughtSignature', 'thought_signature'] as const;

function foreign(v: unknown): boolean {
  return typeof v === 'string' && v.startsWith(GATEWAY_TAG);
}

/** The part without its foreign signature; undefined when nothing of it is left to send. */
function fixPart(part: Json): Json | undefined {
  const out: Json = { ...part };
  for (const k of SIG_KEYS) delete out[k];
  // A function call keeps a signature slot: Gemini 3 wants one on a turn's calls, and this
  // documented value skips its check (what the encoder sends for calls that had none).
  if (isObj(part.functionCall) || isObj(part.function_call)) return { ...out, thoughtSignature: SKIP_SIGNATURE };
  // A bare signature carrier ({text: "", thoughtSignature}) has nothing left.
  const keys = Object.keys(out).filter((k) => k !== 'thought');
  if (keys.length === 0 || (keys.length === 1 && out.text === '')) return undefined;
  return out;
}

/** `contents` without foreign signatures, or undefined when it has none. */
export function dropForeignSignatures(contents: unknown): unknown[] | undefined {
  if (!Array.isArray(contents)) return undefined;
  let changed = false;
  const result: unknown[] = [];
  for (const c of contents) {
    const parts = isObj(c) ? c.parts : undefined;
    if (!Array.isArray(parts) || !parts.some((p) => isObj(p) && SIG_KEYS.some((k) => foreign(p[k])))) {
      result.push(c);
      continue;
    }
    changed = true;
    const kept: unknown[] = [];
    for (const p of parts) {
      if (!isObj(p) || !SIG_KEYS.some((k) => foreign(p[k]))) kept.push(p);
      else {
        const fixed = fixPart(p);
        if (fixed) kept.push(fixed);
      }
    }
    // A turn with nothing left goes (Gemini refuses a content without parts).
    if (kept.length) result.push({ ...(c as Json), parts: kept });
  }
  return changed ? result : undefined;
}

/** A piped generateContent body without foreign signatures, or undefined when it needs no change. */
export function pipedGeminiBody(body: Json): Json | undefined {
  const contents = dropForeignSignatures(body.contents);
  return contents ? { ...body, contents } : undefined;
}

/** The same inside a Code Assist envelope ({request: {contents}}). */
export function pipedGeminiCliBody(body: Json): Json | undefined {
  const inner = body.request;
  if (!isObj(inner)) return undefined;
  const fixed = pipedGeminiBody(inner);
  return fixed ? { ...body, request: fixed } : undefined;
}
