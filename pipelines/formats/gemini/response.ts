// Whole (non-stream) Gemini answers ↔ IR.
import type { IREvent, IRRequest, IRResponse } from '../../ir.js';
import { GeminiStreamDecoder, encodeFinishReason, encodeUsage, parseArgsObject } from './stream.js';
import type { GeminiDecoderInput } from './stream.js';
import { SignatureCarrier, clientSignature, isObj } from './util.js';
import type { Json } from './util.js';

/** A generateContent body (or a buffered stream: an array of chunks) → the
 *  events its stream would have given, through the same decoder. */
export function decodeResponse(body: unknown, opts?: GeminiDecoderInput): IREvent[] {
  const d = new GeminiStreamDecoder(opts);
  const chunks = Array.isArray(body) ? body : [body];
  if (!chunks.some(isObj)) return [{ type: 'error', status: 502, message: 'upstream returned a response that is not a Gemini answer' }];
  const ev: IREvent[] = [];
  for (const c of chunks) ev.push(...d.pushChunk(isObj(c) ? c : {}));
  ev.push(...d.endWhole());
  return ev;
}

export function encodeResponse(res: IRResponse, req: IRRequest): Json {
  const parts: Json[] = [];
  const sigs = new SignatureCarrier();
  for (const p of res.content) {
    if (p.type === 'reasoning') {
      const sig = p.signature ? clientSignature(p.signature, p.signatureOrigin) : undefined;
      if (p.text) parts.push(...sigs.flush(), { text: p.text, thought: true, ...(sig ? { thoughtSignature: sig } : {}) });
      else if (sig) sigs.pending = sig;
    } else if (p.type === 'text') {
      parts.push(...sigs.take({ text: p.text }));
    } else {
      const fc: Json = { name: p.name, args: parseArgsObject(p.arguments) };
      if (p.id) fc.id = p.id;
      parts.push(...sigs.take({ functionCall: fc, ...(p.signature ? { thoughtSignature: p.signature } : {}) }));
    }
  }
  parts.push(...sigs.flush());
  const out: Json = {
    candidates: [
      {
        content: { role: 'model', parts },
        finishReason: encodeFinishReason(res.finishReason, res.rawFinishReason),
        index: 0,
      },
    ],
  };
  if (res.usage) out.usageMetadata = encodeUsage(res.usage);
  out.modelVersion = res.model || req.model;
  if (res.id) out.responseId = res.id;
  return out;
}
