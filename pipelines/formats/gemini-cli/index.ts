// The Gemini Code Assist envelope (cloudcode-pa /v1internal, and what Gemini
// CLI sends with CODE_ASSIST_ENDPOINT): requests are
// `{model, project, user_prompt_id?, request: {…generateContent…, session_id?}}`,
// answers and stream chunks `{response: {…GenerateContentResponse…}, traceId?}`.
// Everything inside the envelope is the Gemini codec's job; this file only
// wraps and unwraps.
import type { FormatCodec, StreamEncoderOptions, StreamFrame } from '../../codec.js';
import { TranslationError } from '../../ir.js';
import type { GeminiCliExtras, IREvent, IRRequest, IRResponse } from '../../ir.js';
import {
  GeminiStreamDecoder,
  decodeCountTokensRequest as decodeGeminiCount,
  GeminiStreamEncoder,
  decodeError,
  decodeRequest as decodeGemini,
  decodeResponse as decodeGeminiResponse,
  encodeRequest as encodeGemini,
  encodeResponse as encodeGeminiResponse,
  encodeStreamError,
  errorBody,
} from '../gemini/index.js';
import type { GeminiDecoderInput } from '../gemini/index.js';
import { isObj, str } from '../gemini/util.js';
import type { Json } from '../gemini/util.js';

// req.extras['gemini-cli']: project, user_prompt_id, session_id and any other
// envelope field, kept for the way back to Code Assist.
const ENVELOPE_KNOWN = new Set(['model', 'request']);

export function decodeRequest(body: unknown): IRRequest {
  if (!isObj(body)) throw new TranslationError('request body must be a JSON object');
  const inner = body.request;
  if (inner !== undefined && !isObj(inner)) throw new TranslationError('request: must be an object');
  const { session_id: sessionId, ...request } = inner ?? {};
  const model = str(body.model) ?? str(request.model);
  const req = decodeGemini({ ...request, ...(model !== undefined ? { model } : {}) });
  const cx: GeminiCliExtras = {};
  for (const [k, v] of Object.entries(body)) if (!ENVELOPE_KNOWN.has(k)) cx[k] = v;
  if (sessionId !== undefined) cx.session_id = sessionId;
  req.extras['gemini-cli'] = cx;
  return req;
}

export function encodeRequest(req: IRRequest): Json {
  const cx = req.extras['gemini-cli'] ?? {};
  const { session_id: sessionId, project, model: _m, request: _r, ...envelope } = cx;
  const request = encodeGemini(req);
  if (sessionId !== undefined) request.session_id = sessionId;
  // The executor fills in the account's project; an empty one is its cue.
  return { ...envelope, model: req.model, project: typeof project === 'string' ? project : '', request };
}

/** Strip `{response: …}` from a chunk, leaving anything else (errors) as is. */
export function unwrap(chunk: unknown): unknown {
  if (isObj(chunk) && isObj(chunk.response)) return chunk.response;
  return chunk;
}

export function decodeResponse(body: unknown, opts?: GeminiDecoderInput): IREvent[] {
  return decodeGeminiResponse(Array.isArray(body) ? body.map(unwrap) : unwrap(body), opts);
}

export function encodeResponse(res: IRResponse, req: IRRequest): Json {
  return { response: encodeGeminiResponse(res, req) };
}

export class GeminiCliStreamDecoder extends GeminiStreamDecoder {
  override push(frame: StreamFrame): IREvent[] {
    const data = frame.data.trim();
    if (!data || data === '[DONE]') return [];
    let chunk: unknown;
    try {
      chunk = JSON.parse(data);
    } catch {
      return [];
    }
    if (Array.isArray(chunk)) return chunk.flatMap((c) => this.pushChunk(unwrap(c)));
    return this.pushChunk(unwrap(chunk));
  }
}

/** v1internal:countTokens bodies: `{request: {model: "models/…", contents}}`;
 *  the answer is a plain `{totalTokens}` (gemini's encodeCountTokensResponse). */
export function decodeCountTokensRequest(body: unknown): IRRequest {
  if (!isObj(body)) throw new TranslationError('request body must be a JSON object');
  const inner = isObj(body.request) ? body.request : body;
  const req = decodeGeminiCount(inner);
  if (!req.model && typeof body.model === 'string') req.model = body.model.replace(/^models\//, '');
  return req;
}

export function encodeCountTokensRequest(req: IRRequest): Json {
  return { request: { model: `models/${req.model}`, contents: encodeGemini(req).contents } };
}

const wrapChunk = (c: Json): Json => ({ response: c });

export const codec: FormatCodec = {
  name: 'gemini-cli',
  decodeRequest,
  encodeRequest,
  decodeResponse: (body: unknown, opts?: GeminiDecoderInput) => decodeResponse(body, opts),
  encodeResponse,
  createStreamDecoder: (opts?: GeminiDecoderInput) => new GeminiCliStreamDecoder(opts),
  createStreamEncoder: (req: IRRequest, opts?: StreamEncoderOptions) => new GeminiStreamEncoder(req, opts, wrapChunk),
  decodeError,
  encodeError: errorBody,
  encodeStreamError,
};
