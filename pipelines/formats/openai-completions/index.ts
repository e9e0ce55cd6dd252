// Legacy OpenAI Completions (POST /v1/completions): the prompt is one user
// message in the IR, so any upstream can answer it. Errors have the OpenAI
// shape and are the Chat Completions codec's.
import type { FormatCodec } from '../../codec.js';
import { decodeError, encodeError, encodeStreamError } from '../openai-chat/errors.js';
import { decodeRequest, encodeRequest } from './request.js';
import { decodeResponse, encodeResponse } from './response.js';
import { CompletionsStreamDecoder, CompletionsStreamEncoder } from './stream.js';

export const codec: FormatCodec = {
  name: 'openai-completions',
  decodeRequest,
  encodeRequest,
  decodeResponse,
  encodeResponse,
  createStreamDecoder: () => new CompletionsStreamDecoder(),
  createStreamEncoder: (req) => new CompletionsStreamEncoder(req),
  decodeError,
  encodeError,
  encodeStreamError,
};

export { CompletionsStreamDecoder, CompletionsStreamEncoder };
export type { CompletionsExtras } from './request.js';
