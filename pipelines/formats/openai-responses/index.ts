// The OpenAI Responses API codec (what Codex CLI and the official SDK send to
// /v1/responses). The Codex backend flavour in ../codex builds on these parts.
import type { FormatCodec, StreamFrame } from '../../codec.js';
import type { IREvent, IRRequest } from '../../ir.js';
import { decodeRequest, encodeRequest } from './request.js';
import { decodeError, decodeResponse as decodeBody, encodeError, encodeResponse, encodeStreamError } from './response.js';
import { ResponsesStreamDecoder, ResponsesStreamEncoder } from './stream.js';

/** Minimal SSE framing for a whole stream held as text (a non-stream answer
 *  folded from an always-streaming upstream). Live streams use pipelines/sse.ts. */
export function sseFrames(text: string): StreamFrame[] {
  const frames: StreamFrame[] = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length) frames.push(event === undefined ? { data: data.join('\n') } : { event, data: data.join('\n') });
  }
  return frames;
}

export function decodeSSEText(text: string, decoder = new ResponsesStreamDecoder()): IREvent[] {
  const out: IREvent[] = [];
  for (const f of sseFrames(text)) out.push(...decoder.push(f));
  out.push(...decoder.end());
  return out;
}

export const codec: FormatCodec = {
  name: 'openai-responses',
  decodeRequest,
  encodeRequest,
  decodeResponse: (body: unknown): IREvent[] => decodeBody(body, (t) => decodeSSEText(t)),
  encodeResponse,
  createStreamDecoder: () => new ResponsesStreamDecoder(),
  createStreamEncoder: (req: IRRequest) => new ResponsesStreamEncoder(req),
  decodeError,
  encodeError,
  encodeStreamError: (err) => encodeStreamError(err),
};

export { ResponsesStreamDecoder, ResponsesStreamEncoder, encodeResponse, decodeBody as decodeResponseBody };
