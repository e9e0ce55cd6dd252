// The Gemini generateContent codec.
//
// Tool names: Gemini only takes [a-zA-Z_][a-zA-Z0-9_.:-]{0,63}. encodeRequest
// sanitizes every function name deterministically (schema.ts
// buildToolNameMap over the request's tools, then its history), and
// geminiToolNameMap(req) rebuilds the same map — upstream name → client name —
// for the decoders, which take the request (`createStreamDecoder(req)`,
// `decodeResponse(body, req)`, as pipelines/transform.ts calls them) or an
// explicit `{toolNameMap}`. Nothing is stored in the IR; without either, names
// come back as Gemini sent them (only changed names differ).
//
// Tool-call ids: Gemini usually sends none. Decoders mint
// `call_<responseId>_<n>` (stable within a response, unique across them);
// request decoding numbers history calls `call_<content>_<part>` and pairs each
// functionResponse by id, else by name and order. Encoding pairs results to
// calls the same way and sends ids upstream only when the client sent them.
import type { FormatCodec, StreamEncoderOptions } from '../../codec.js';
import type { IRError, IRRequest, IRResponse } from '../../ir.js';
import { decodeError, encodeStreamError, errorBody } from './errors.js';
import { decodeRequest } from './request.js';
import { encodeRequest } from './request-encode.js';
import { decodeResponse, encodeResponse } from './response.js';
import { GeminiStreamDecoder, GeminiStreamEncoder } from './stream.js';
import type { GeminiDecoderInput } from './stream.js';

export { decodeRequest } from './request.js';
export { encodeRequest, geminiToolNameMap, DEFAULT_SAFETY_SETTINGS, SKIP_SIGNATURE } from './request-encode.js';
export { decodeResponse, encodeResponse } from './response.js';
export { GeminiStreamDecoder, GeminiStreamEncoder, decodeUsage, encodeUsage } from './stream.js';
export type { GeminiDecoderInput, GeminiDecoderOptions, ChunkWrap } from './stream.js';
export { decodeError, decodeErrorObject, errorBody, encodeStreamError, parseDurationMs, statusName } from './errors.js';
export {
  countTokensEstimate,
  decodeCountTokensRequest,
  decodeCountTokensResponse,
  encodeCountTokensRequest,
  encodeCountTokensResponse,
} from './tokens.js';

export interface GeminiCodec extends FormatCodec {
  decodeResponse(body: unknown, opts?: GeminiDecoderInput): ReturnType<FormatCodec['decodeResponse']>;
  createStreamDecoder(opts?: GeminiDecoderInput): GeminiStreamDecoder;
}

export const codec: GeminiCodec = {
  name: 'gemini',
  decodeRequest,
  encodeRequest,
  decodeResponse: (body: unknown, opts?: GeminiDecoderInput) => decodeResponse(body, opts),
  encodeResponse: (res: IRResponse, req: IRRequest) => encodeResponse(res, req),
  createStreamDecoder: (opts?: GeminiDecoderInput) => new GeminiStreamDecoder(opts),
  createStreamEncoder: (req: IRRequest, opts?: StreamEncoderOptions) => new GeminiStreamEncoder(req, opts),
  decodeError,
  encodeError: (err: IRError) => errorBody(err),
  encodeStreamError,
};
