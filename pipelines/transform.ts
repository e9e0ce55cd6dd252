// Joining the pieces: upstream bytes → frames → IR events → client text, as
// one Node Transform. Each input chunk is framed, decoded and encoded
// synchronously and its output pushed once, so a chunk costs one write
// downstream however many events it held.
import { Transform, type TransformCallback } from 'node:stream';
import type { FormatCodec, StreamDecoder, StreamEncoder, StreamFrame } from './codec.js';
import { EventFolder } from './fold.js';
import type { IREvent, IRRequest, IRResponse } from './ir.js';
import { JSONArrayFramer, SSEParser } from './sse.js';

export type Framing = 'sse' | 'json-array';

// Some decoders take the request as an optional extra (Codex gives tools
// whose names it shortened their client names back); the others ignore it.
type ReqAware = {
  createStreamDecoder(req?: IRRequest): StreamDecoder;
  decodeResponse(body: unknown, req?: IRRequest): IREvent[];
};

function streamDecoderFor(codec: FormatCodec, req: IRRequest | undefined): StreamDecoder {
  return (codec as FormatCodec & ReqAware).createStreamDecoder(req);
}

export interface Framer {
  push(chunk: Buffer | Uint8Array | string): StreamFrame[];
  end(): StreamFrame[];
}

export function createFramer(framing: Framing): Framer {
  return framing === 'json-array' ? new JSONArrayFramer() : new SSEParser();
}

export interface TranslateStreamOptions {
  /** The codec of the upstream's answer (decodes its stream). */
  upstream: FormatCodec;
  /** The codec of the client's format (encodes the answer for it). */
  inbound: FormatCodec;
  req: IRRequest;
  /** How the upstream frames its stream. */
  framing: Framing;
  /** Gemini clients only: false → answer as a streamed JSON array. */
  sse?: boolean;
  /** Push strings (readable object mode) instead of Buffers, for writers
   *  that take strings and would otherwise pay for a round trip through bytes. */
  strings?: boolean;
  /** Sees every IR event on its way through (usage accounting, logging). */
  onEvent?: (ev: IREvent) => void;
}

/** The state machine behind the Transform, usable without streams. */
export class StreamTranslator {
  private readonly framer: Framer;
  private readonly decoder: StreamDecoder;
  private readonly encoder: StreamEncoder;
  private readonly onEvent: ((ev: IREvent) => void) | undefined;
  private failed = false;

  constructor(private readonly opts: TranslateStreamOptions) {
    this.framer = createFramer(opts.framing);
    this.decoder = streamDecoderFor(opts.upstream, opts.req);
    this.encoder = opts.inbound.createStreamEncoder(opts.req, opts.sse === undefined ? undefined : { sse: opts.sse });
    this.onEvent = opts.onEvent;
  }

  /** Client text for one upstream chunk ('' when it completed no frame). */
  push(chunk: Buffer | Uint8Array | string): string {
    if (this.failed) return '';
    try {
      return this.frames(this.framer.push(chunk));
    } catch (err) {
      return this.fail(err);
    }
  }

  /** The upstream ended: flush the framer and decoder, and let the encoder
   *  close the stream the way its format promises even without a finish. */
  end(): string {
    if (this.failed) return '';
    let out = '';
    try {
      out = this.frames(this.framer.end());
      out += this.events(this.decoder.end());
      return out + this.encoder.end();
    } catch (err) {
      return out + this.fail(err);
    }
  }

  /** An error after streaming began (upstream connection lost, timeout):
   *  the client's format's final error text. It goes through the encoder,
   *  which knows where the stream stands: Responses sequence numbers go on,
   *  a Gemini JSON array gets its element and its closing bracket, and an
   *  answer the client already saw end gets nothing more. */
  error(status: number, message: string): string {
    if (this.failed) return '';
    this.failed = true;
    return this.closeWithError({ status, message });
  }

  private frames(frames: StreamFrame[]): string {
    let out = '';
    for (let i = 0; i < frames.length; i++) out += this.events(this.decoder.push(frames[i]!));
    return out;
  }

  private events(events: IREvent[]): string {
    let out = '';
    const onEvent = this.onEvent;
    for (let i = 0; i < events.length; i++) {
      const ev = events[i]!;
      if (onEvent) onEvent(ev);
      out += this.encoder.push(ev);
    }
    return out;
  }

  private fail(err: unknown): string {
    // A codec bug must not leave the client hanging on an unterminated stream.
    this.failed = true;
    const message = err instanceof Error ? err.message : String(err);
    return this.closeWithError({ status: 500, message: 'translation failed: ' + message });
  }

  private closeWithError(err: { status: number; message: string }): string {
    try {
      return this.encoder.push({ type: 'error', ...err }) + this.encoder.end();
    } catch {
      // The encoder itself is what failed: the format's stateless error text.
      return this.opts.inbound.encodeStreamError(err);
    }
  }
}

class TranslateStream extends Transform {
  private readonly t: StreamTranslator;

  constructor(opts: TranslateStreamOptions) {
    super(opts.strings ? { readableObjectMode: true } : {});
    this.t = new StreamTranslator(opts);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const out = this.t.push(chunk);
    if (out) this.push(out);
    cb();
  }

  override _flush(cb: TransformCallback): void {
    const out = this.t.end();
    if (out) this.push(out);
    cb();
  }
}

/** Upstream bytes in, client text out (Buffers, or strings with `strings`). */
export function createTranslateStream(opts: TranslateStreamOptions): Transform {
  return new TranslateStream(opts);
}

/** Decode a whole buffered upstream stream (e.g. Codex, which always
 *  streams, answering a non-stream client) into IR events. */
export function decodeStreamBody(upstream: FormatCodec, framing: Framing, body: Buffer | Uint8Array | string, req?: IRRequest): IREvent[] {
  const framer = createFramer(framing);
  const decoder = streamDecoderFor(upstream, req);
  const events: IREvent[] = [];
  for (const f of framer.push(body)) events.push(...decoder.push(f));
  for (const f of framer.end()) events.push(...decoder.push(f));
  events.push(...decoder.end());
  return events;
}

export interface TranslatedResponse {
  status: number;
  body: unknown;
  /** The folded answer, for usage accounting; undefined when the upstream body was an error. */
  response?: IRResponse;
}

function parseBody(body: unknown): unknown {
  if (typeof body === 'string') return JSON.parse(body);
  if (body instanceof Uint8Array) return JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  return body;
}

/** A non-stream answer: upstream body (parsed JSON, or its text/bytes) →
 *  IR events → fold → the client's body. An upstream body that decodes to
 *  an error event comes back in the client's error shape. */
export function translateResponse(
  upstream: FormatCodec,
  inbound: FormatCodec,
  upstreamBody: unknown,
  req: IRRequest,
): TranslatedResponse {
  let parsed: unknown;
  try {
    parsed = parseBody(upstreamBody);
  } catch {
    const text = typeof upstreamBody === 'string' ? upstreamBody : Buffer.from(upstreamBody as Uint8Array).toString('utf8');
    return inbound.encodeError(upstream.decodeError(502, text));
  }
  return translateEvents(inbound, (upstream as FormatCodec & ReqAware).decodeResponse(parsed, req), req);
}

/** Fold decoded events and encode them for the client (shared by the
 *  non-stream path and buffered streams). */
export function translateEvents(inbound: FormatCodec, events: readonly IREvent[], req: IRRequest): TranslatedResponse {
  const folder = new EventFolder().pushAll(events);
  if (folder.error) return inbound.encodeError(folder.error);
  const response = folder.result();
  return { status: 200, body: inbound.encodeResponse(response, req), response };
}
