// The Anthropic Messages codec.
import type { FormatCodec } from '../../codec.js';
import { decodeError, encodeError, encodeStreamError } from './errors.js';
import { decodeRequest, encodeRequest } from './request.js';
import { decodeResponse, encodeResponse } from './response.js';
import { createStreamDecoder, createStreamEncoder } from './stream.js';

export { countTokensEstimate } from './tokens.js';
export { DEFAULT_MAX_TOKENS } from './request.js';
export { foldSystemMessages } from './passthrough.js';

export const codec: FormatCodec = {
  name: 'claude',
  decodeRequest,
  encodeRequest,
  decodeResponse,
  encodeResponse,
  createStreamDecoder,
  createStreamEncoder,
  decodeError,
  encodeError,
  encodeStreamError,
};
