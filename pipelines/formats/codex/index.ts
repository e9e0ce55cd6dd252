// The ChatGPT Codex backend flavour of the Responses API. Answers are the
// Responses events, always streamed; everything but request shaping is the
// openai-responses codec.
import type { FormatCodec, StreamDecoder } from '../../codec.js';
import type { IREvent, IRRequest } from '../../ir.js';
import { codec as responses, decodeResponseBody, decodeSSEText } from '../openai-responses/index.js';
import { ResponsesStreamDecoder } from '../openai-responses/stream.js';
import { forgetItemMeta, openItemMeta, type ItemMeta } from '../openai-responses/item-meta.js';
import { responsesExtras } from '../openai-responses/shared.js';
import { encodeCodexRequest, toolNameRestorer } from './request.js';

export { DEFAULT_INSTRUCTIONS, encodeCodexCompactRequest, setCodexInstructions, shortNameMap, toolNameRestorer } from './request.js';
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
    const events = decodeResponseBody(body, (text) => decodeSSEText(text, new ResponsesStreamDecoder(restore, metaFor(req))));
    return events.map((e) => (e.type === 'tool-call-start' ? { ...e, name: restore(e.name) } : e));
  },
  createStreamDecoder: (req?: IRRequest): StreamDecoder => new ResponsesStreamDecoder(toolNameRestorer(req), metaFor(req)),
};

/** Item fields for the Responses encoder (message phase), recorded only when
 *  the client speaks Responses too: other clients have no place for them. */
function metaFor(req: IRRequest | undefined): (() => ItemMeta) | undefined {
  if (!req || responsesExtras(req) === undefined) return undefined;
  // A new answer (a retry too) starts without what an earlier one left.
  forgetItemMeta(req);
  return () => openItemMeta(req);
}
