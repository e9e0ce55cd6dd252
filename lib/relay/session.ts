// One connected AI Studio app: many upstream calls in flight on its socket,
// matched by message id. Each call turns the app's frames into the same sink
// events an HTTP upstream produces, so everything behind it (passthrough,
// translation, retries, stream errors) works unchanged.
//
// Flow control, both ways:
// - to the app: request frames are only handed to the socket while its send
//   buffer is under HIGH_WATER; later ones wait here (in order) for `drain`,
//   with their answer timeout already running, so a browser that stops
//   reading makes requests time out instead of growing the buffer.
// - from the app: the protocol has no per-request flow control and one socket
//   carries many requests, so a slow client (call paused by its writer) has
//   its chunks held here up to MAX_HELD_BYTES; past that the call fails
//   rather than buffering without limit. The answer timeout does not run
//   while a call is paused: the wait is ours, not the app's.
import { randomUUID } from 'node:crypto';
import { log } from '../logging/logger.js';
import type { UpstreamCall, UpstreamRequest, UpstreamSink } from '../providers/upstream.js';
import {
  asSse,
  chunkData,
  encodeHttpRequest,
  encodePong,
  errorInfo,
  geminiErrorBody,
  parseFrame,
  responseBody,
  responseHead,
  type RelayMessage,
  type ResponseHead,
} from './protocol.js';

/** What a session needs from its WebSocket (uWS in the gateway, a fake in unit tests). */
export interface RelaySocket {
  /** uWS semantics: 1 sent, 0 queued with backpressure, 2 dropped. */
  send(frame: string): number;
  bufferedAmount(): number;
}

export interface SessionOptions {
  /** How long a call may wait for the app's next frame (0: forever). Read per call. */
  timeoutMs(): number;
}

export const HIGH_WATER = 1024 * 1024;
export const MAX_HELD_BYTES = 16 * 1024 * 1024;
const SEND_DROPPED = 2;

/** The relay connection is gone, so is the credential: the request may move on to another one. */
export class RelayGoneError extends Error {
  readonly credentialGone = true;
}

export class RelaySession {
  private readonly pending = new Map<string, RelayCall>();
  private readonly outbox: RelayCall[] = [];
  private closedReason: string | undefined;
  private junk = 0;
  private junkLoggedAt = 0;

  constructor(
    readonly id: string,
    readonly label: string,
    private readonly socket: RelaySocket,
    private readonly opts: SessionOptions,
  ) {}

  get closed(): boolean {
    return this.closedReason !== undefined;
  }

  /** Calls waiting for (more of) their answer. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Malformed or unexpected frames dropped so far. */
  get droppedFrames(): number {
    return this.junk;
  }

  /** Send one upstream request through the app; the sink hears exactly one of onEnd/onError. */
  call(req: UpstreamRequest, sink: UpstreamSink): UpstreamCall {
    const id = randomUUID();
    const call = new RelayCall(id, sink, /[?&]alt=sse(&|$)/.test(req.url), (c) => this.forget(c));
    if (this.closedReason !== undefined) {
      const reason = this.closedReason;
      queueMicrotask(() => call.fail(new RelayGoneError(`AI Studio relay connection closed (${reason})`)));
      return call;
    }
    const frame = encodeHttpRequest(id, { method: req.method ?? 'POST', url: req.url, headers: req.headers, body: req.body });
    this.pending.set(id, call);
    call.arm(this.opts.timeoutMs());
    if (this.outbox.length > 0 || this.socket.bufferedAmount() > HIGH_WATER) {
      call.frame = frame;
      this.outbox.push(call);
    } else {
      this.transmit(call, frame);
    }
    return call;
  }

  /** The socket's send buffer drained: hand over waiting request frames. */
  onDrain(): void {
    while (this.outbox.length > 0 && this.closedReason === undefined && this.socket.bufferedAmount() <= HIGH_WATER) {
      const call = this.outbox.shift()!;
      const frame = call.frame;
      call.frame = undefined;
      if (frame !== undefined && !call.finished) this.transmit(call, frame);
    }
  }

  /** One frame from the app. Bad frames are logged and dropped; the socket stays up. */
  onMessage(data: ArrayBuffer | Uint8Array | string): void {
    if (this.closedReason !== undefined) return;
    const parsed = parseFrame(data);
    if (!parsed.ok) return this.drop(parsed.reason, data);
    const msg = parsed.msg;
    if (msg.type === 'ping') {
      // A pong is optional: when the app does not read, it is not worth buffering.
      if (this.socket.bufferedAmount() <= HIGH_WATER) this.socket.send(encodePong(msg.id));
      return;
    }
    if (msg.type === 'pong') return;
    if (msg.type === 'http_request') return this.drop('http_request from the app', data);
    const call = this.pending.get(msg.id);
    if (!call) {
      log.debug({ relay: this.label, type: msg.type }, 'AI Studio relay: frame for an unknown or finished request ignored');
      return;
    }
    call.onFrame(msg);
  }

  /** The socket closed: every call still waiting fails (and may retry elsewhere). */
  close(reason: string): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    const calls = [...this.pending.values()];
    this.pending.clear();
    this.outbox.length = 0;
    for (const c of calls) c.fail(new RelayGoneError(`AI Studio relay connection closed (${reason})`));
  }

  private transmit(call: RelayCall, frame: string): void {
    if (this.socket.send(frame) !== SEND_DROPPED) return;
    // Reported asynchronously, like every failure: the caller may still be setting up.
    queueMicrotask(() => call.fail(new Error('AI Studio relay socket refused the request (send buffer full)')));
  }

  private forget(call: RelayCall): void {
    if (this.pending.get(call.id) === call) this.pending.delete(call.id);
  }

  private drop(reason: string, data: ArrayBuffer | Uint8Array | string): void {
    this.junk++;
    const bytes = typeof data === 'string' ? data.length : data.byteLength;
    // Never the frame's content (it may carry prompts); a flood logs at most every 10 s.
    const now = Date.now();
    if (this.junk > 5 && now - this.junkLoggedAt < 10_000) return;
    this.junkLoggedAt = now;
    log.warn({ relay: this.label, reason, bytes, dropped: this.junk }, 'AI Studio relay: bad frame dropped');
  }
}

const OK_HEAD: ResponseHead = { status: 200, headers: {} };

/** One upstream call over the relay. */
class RelayCall implements UpstreamCall {
  /** The request frame while it waits in the outbox. */
  frame: string | undefined;
  /** The sink heard its last event (or the caller aborted). */
  finished = false;
  private started = false;
  private answered = false;
  private paused = false;
  private held: Buffer[] = [];
  private heldBytes = 0;
  private endHeld = false;
  private timer: NodeJS.Timeout | undefined;
  private timeoutMs = 0;

  constructor(
    readonly id: string,
    private readonly sink: UpstreamSink,
    private readonly sse: boolean,
    private readonly forget: (c: RelayCall) => void,
  ) {}

  arm(ms: number): void {
    this.timeoutMs = ms;
    this.startTimer();
  }

  onFrame(msg: RelayMessage): void {
    if (this.finished || this.answered) return;
    this.timer?.refresh();
    switch (msg.type) {
      case 'stream_start':
        if (!this.started) this.start(responseHead(msg.payload));
        return;
      case 'stream_chunk':
        if (!this.started) this.start(OK_HEAD);
        return this.data(chunkData(msg.payload));
      case 'stream_end':
        if (!this.started) this.start(OK_HEAD);
        return this.end();
      case 'http_response': {
        let body = responseBody(msg.payload);
        if (!this.started) {
          const head = responseHead(msg.payload);
          this.start(head);
          if (this.sse && head.status < 300) body = asSse(body);
        }
        this.data(body);
        return this.end();
      }
      case 'error': {
        const err = errorInfo(msg.payload);
        if (!this.started && err.status !== undefined) {
          // Before any answer, an error with a status is an HTTP error answer: retries and cooldowns apply.
          this.start({ status: err.status, headers: { 'content-type': 'application/json' } });
          this.data(geminiErrorBody({ message: err.message, status: err.status }));
          return this.end();
        }
        return this.fail(new Error(`AI Studio relay error: ${err.message}`));
      }
      default:
        return;
    }
  }

  fail(err: Error): void {
    this.settle();
    if (this.finished) return;
    this.finished = true;
    this.held = [];
    this.sink.onError(err);
  }

  abort(): void {
    this.settle();
    this.finished = true;
    this.frame = undefined;
    this.held = [];
  }

  pause(): void {
    if (this.finished || this.paused) return;
    this.paused = true;
    this.stopTimer();
  }

  resume(): void {
    if (this.finished || !this.paused) return;
    this.paused = false;
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    for (const chunk of held) this.sink.onData(chunk);
    if (this.endHeld) {
      this.finished = true;
      this.sink.onEnd();
    } else if (!this.answered) this.startTimer();
  }

  private start(head: ResponseHead): void {
    this.started = true;
    this.sink.onStart(head.status, head.headers);
  }

  private data(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (!this.paused) return this.sink.onData(chunk);
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    if (this.heldBytes > MAX_HELD_BYTES) this.fail(new Error('client reads too slowly: relay stream buffer limit reached'));
  }

  private end(): void {
    this.settle();
    if (this.paused) {
      this.endHeld = true;
      return;
    }
    this.finished = true;
    this.sink.onEnd();
  }

  /** No more frames expected from the app for this call. */
  private settle(): void {
    if (this.answered) return;
    this.answered = true;
    this.stopTimer();
    this.forget(this);
  }

  private startTimer(): void {
    if (this.timeoutMs <= 0 || this.timer) return;
    const seconds = Math.round(this.timeoutMs / 100) / 10;
    this.timer = setTimeout(() => this.fail(new Error(`AI Studio relay did not answer within ${seconds}s`)), this.timeoutMs);
    this.timer.unref();
  }

  private stopTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
