// The Anthropic Messages codec.
import type { FormatCodec } from '../../codec.js';
import type { IRRequest } from '../../ir.js';
import { restoreEvents, restoringDecoder, toolNameRestorer, withSafeToolNames } from '../../tool-names.js';
import { decodeError, encodeError, encodeStreamError } from './errors.js';
import { decodeRequest, encodeRequest } from './request.js';
import { decodeResponse, encodeResponse } from './response.js';
import { createStreamDecoder, createStreamEncoder } from './stream.js';

export { countTokensEstimate } from './tokens.js';
export { DEFAULT_MAX_TOKENS } from './request.js';
export { dropUnsignedThinking, foldSystemMessages, pipedClaudeBody } from './passthrough.js';

export const codec: FormatCodec = {
  name: 'claude',
  decodeRequest,
  // Tool names Claude refuses (e.g. a Gemini client's `files.read`) go up
  // replaced and come back restored.
  encodeRequest: (req) => encodeRequest(withSafeToolNames(req)),
  decodeResponse: (body: unknown, req?: IRRequest) => restoreEvents(decodeResponse(body), toolNameRestorer(req)),
  encodeResponse,
  createStreamDecoder: (req?: IRRequest) => restoringDecoder(createStreamDecoder(), req),
  createStreamEncoder,
  decodeError,
  encodeError,
  encodeStreamError,
};
