// countTokens: bodies and a local estimate for when no upstream can count.
import type { IRPart, IRRequest } from '../../ir.js';
import { TranslationError } from '../../ir.js';
import { decodeRequest } from './request.js';
import { encodeRequest } from './request-encode.js';
import { isObj, num } from './util.js';
import type { Json } from './util.js';

// Gemini bills an image as 258 tokens regardless of size (docs, "Token counting").
const IMAGE_TOKENS = 258;

function partChars(p: IRPart): { chars: number; media: number } {
  switch (p.type) {
    case 'text':
    case 'reasoning':
      return { chars: p.text.length, media: 0 };
    case 'tool-call':
      return { chars: p.name.length + p.arguments.length, media: 0 };
    case 'tool-result':
      return p.content.reduce(
        (acc, c) => {
          const x = partChars(c);
          return { chars: acc.chars + x.chars, media: acc.media + x.media };
        },
        { chars: (p.name ?? '').length, media: 0 },
      );
    default:
      return { chars: 0, media: 1 };
  }
}

/** A deterministic rough count: about four characters a token plus a fixed
 *  cost per media part and per turn. Good for budgeting, not billing. */
export function countTokensEstimate(req: IRRequest): number {
  let chars = 0;
  let media = 0;
  for (const s of req.system) chars += s.text.length;
  for (const m of req.messages) {
    chars += 4 * 4; // role and turn framing
    for (const p of m.content) {
      const x = partChars(p);
      chars += x.chars;
      media += x.media;
    }
  }
  for (const t of req.tools ?? []) chars += JSON.stringify(t).length;
  return Math.ceil(chars / 4) + media * IMAGE_TOKENS;
}

/** models/{m}:countTokens body → IR. Google takes `{contents}` or a whole
 *  `{generateContentRequest: {model, contents, …}}`. */
export function decodeCountTokensRequest(body: unknown): IRRequest {
  if (!isObj(body)) throw new TranslationError('request body must be a JSON object');
  const inner = body.generateContentRequest ?? body.generate_content_request;
  if (isObj(inner)) {
    const model = typeof inner.model === 'string' ? inner.model : body.model;
    return decodeRequest({ ...inner, ...(model !== undefined ? { model } : {}) });
  }
  return decodeRequest(body);
}

export function encodeCountTokensRequest(req: IRRequest): Json {
  const full = encodeRequest(req);
  const hasMore = full.systemInstruction !== undefined || full.tools !== undefined;
  if (!hasMore) return { contents: full.contents };
  const gcr: Json = { model: `models/${req.model}`, contents: full.contents };
  for (const k of ['systemInstruction', 'tools', 'toolConfig']) if (full[k] !== undefined) gcr[k] = full[k];
  return { generateContentRequest: gcr };
}

export function decodeCountTokensResponse(body: unknown): number {
  return isObj(body) ? num(body.totalTokens) ?? 0 : 0;
}

export function encodeCountTokensResponse(total: number): Json {
  return { totalTokens: total, promptTokensDetails: [{ modality: 'TEXT', tokenCount: total }] };
}
