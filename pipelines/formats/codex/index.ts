// The ChatGPT Codex backend flavour of the Responses API. Answers are the
// Responses events, always streamed; everything but request shaping is the
// openai-responses codec.
import type { FormatCodec, StreamDecoder } from '../../codec.js';
import type { IREvent, IRRequest } from '../../ir.js';
import { codec as responses, decodeResponseBody, decodeSSEText } from '../openai-responses/index.js';
import { ResponsesStreamDecoder } from '../openai-responses/stream.js';
import { encodeCodexRequest, toolNameRestorer } from './request.js';

export { DEFAULT_INSTRUCTIONS, setCodexInstructions, shortNameMap, toolNameRestorer } from './request.js';
export type { CodexInstructionsSource } from './request.js';

/** The answer side optionally takes the request, to give tools whose names
 *  were shortened for the backend their client names back. */
export interface CodexCodec extends FormatCodec {
  decodeResponse(body: unknown, req?: IRRequest): IREvent[];
  createStreamDecoder(req?: IRRequest): StreamDecoder;
}

export const codec: CodexCodec = {
  ...responses,
  name: 'codex',
  encodeRequest: encodeCodexRequest,
  // A non-stream client answer is the folded stream: the whole SSE text, the
  // response.completed event body, or a response object all decode.
  decodeResponse: (body: unknown, req?: IRRequest): IREvent[] => {
    const restore = toolNameRestorer(req);
    const events = decodeResponseBody(body, (text) => decodeSSEText(text, new ResponsesStreamDecoder(restore)));
    return events.map((e) => (e.type === 'tool-call-start' ? { ...e, name: restore(e.name) } : e));
  },
  createStreamDecoder: (req?: IRRequest): StreamDecoder => new ResponsesStreamDecoder(toolNameRestorer(req)),
};
