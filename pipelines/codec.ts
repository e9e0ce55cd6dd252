// The contract each format folder under pipelines/formats/ implements.
// Codecs are synchronous and pure; pipelines/transform.ts joins the stream
// halves into a StreamTranslator, which the gateway's shaper runs on each
// upstream chunk (the writer handles backpressure), and offers the same as a
// Node Transform for code that wants a stream.
import type { FormatName, IRError, IREvent, IRRequest, IRResponse } from './ir.js';

/** One framed upstream stream message: an SSE event, or one element of a
 *  streamed JSON array (then `event` is undefined and `data` is its JSON text). */
export interface StreamFrame {
  event?: string;
  data: string;
}

/** Turns upstream stream frames into IR events. Stateful, one per response. */
export interface StreamDecoder {
  push(frame: StreamFrame): IREvent[];
  /** The upstream ended: flush anything pending (never throws). */
  end(): IREvent[];
}

export interface StreamEncoderOptions {
  /** Gemini only: false → a streamed JSON array instead of SSE. */
  sse?: boolean;
}

/** Turns IR events into the client's wire text. Stateful, one per response.
 *  It must close the stream the way its format promises ([DONE],
 *  message_stop, response.completed, …) from end() even if no finish event came. */
export interface StreamEncoder {
  push(event: IREvent): string;
  end(): string;
}

export interface FormatCodec {
  readonly name: FormatName;
  /** Client body → IR. Throws TranslationError (status 400) on bad input. */
  decodeRequest(body: unknown): IRRequest;
  /** IR → upstream body (the model field set to req.model). */
  encodeRequest(req: IRRequest): Record<string, unknown>;
  /** Upstream non-stream body → the same events its stream would give. */
  decodeResponse(body: unknown): IREvent[];
  /** IR answer → the client's non-stream body. */
  encodeResponse(res: IRResponse, req: IRRequest): unknown;
  createStreamDecoder(): StreamDecoder;
  createStreamEncoder(req: IRRequest, opts?: StreamEncoderOptions): StreamEncoder;
  /** Upstream error body (any shape, may be non-JSON text) → IRError. */
  decodeError(status: number, body: string): IRError;
  /** IRError → this format's error body and HTTP status. */
  encodeError(err: IRError): { status: number; body: unknown };
  /** An error that happens after streaming began, as this format's final stream text. */
  encodeStreamError(err: IRError): string;
}
