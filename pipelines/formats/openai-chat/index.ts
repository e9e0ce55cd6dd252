// OpenAI Chat Completions: the inbound format of most clients and the
// upstream format of OpenAI-compatible providers (Qwen, iFlow, custom ones).
import type { FormatCodec } from '../../codec.js';
import { decodeError, encodeError, encodeStreamError } from './errors.js';
import { decodeRequest, encodeRequest } from './request.js';
import { decodeResponse, encodeResponse } from './response.js';
import { ChatStreamDecoder, ChatStreamEncoder } from './stream.js';

export const codec: FormatCodec = {
  name: 'openai-chat',
  decodeRequest,
  encodeRequest,
  decodeResponse,
  encodeResponse,
  createStreamDecoder: () => new ChatStreamDecoder(),
  createStreamEncoder: (req) => new ChatStreamEncoder(req),
  decodeError,
  encodeError,
  encodeStreamError,
};

export { ChatStreamDecoder, ChatStreamEncoder };
