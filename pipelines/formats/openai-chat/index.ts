// OpenAI Chat Completions: the inbound format of most clients and the
// upstream format of OpenAI-compatible providers (Qwen, iFlow, custom ones).
import type { FormatCodec } from '../../codec.js';
import type { IRRequest } from '../../ir.js';
import { restoreEvents, restoringDecoder, toolNameRestorer, withSafeToolNames } from '../../tool-names.js';
import { decodeError, encodeError, encodeStreamError } from './errors.js';
import { decodeRequest, encodeRequest } from './request.js';
import { decodeResponse, encodeResponse } from './response.js';
import { ChatStreamDecoder, ChatStreamEncoder } from './stream.js';

export const codec: FormatCodec = {
  name: 'openai-chat',
  decodeRequest,
  // Tool names OpenAI-compatible upstreams refuse go up replaced and come back restored.
  encodeRequest: (req) => encodeRequest(withSafeToolNames(req)),
  decodeResponse: (body: unknown, req?: IRRequest) => restoreEvents(decodeResponse(body), toolNameRestorer(req)),
  encodeResponse,
  createStreamDecoder: (req?: IRRequest) => restoringDecoder(new ChatStreamDecoder(), req),
  createStreamEncoder: (req) => new ChatStreamEncoder(req),
  decodeError,
  encodeError,
  encodeStreamError,
};

export { ChatStreamDecoder, ChatStreamEncoder };
