// Truncation is not success. Every upstream format has its own end marker
// (OpenAI Chat `data: [DONE]` or a finish_reason, Claude message_stop, Gemini
// a finishReason on the last chunk, Responses response.completed/incomplete/
// failed). A stream that stops before it was cut short — a proxy's idle
// timeout, a crashed provider that still closed its response — and the client
// must see an error in its own format, never a normal stop. Stream decoders
// emit this event from end() when their marker never came; the piped path
// (stream-end.ts) appends the same error in the client's format.
import type { IREvent } from './ir.js';

/** 502: the gateway got an incomplete answer from the upstream. */
export const TRUNCATED_STATUS = 502;
export const TRUNCATED_MESSAGE = 'upstream stream ended before completion';

export function truncatedError(): Extract<IREvent, { type: 'error' }> {
  return { type: 'error', status: TRUNCATED_STATUS, message: TRUNCATED_MESSAGE, code: 'upstream_stream_truncated' };
}
