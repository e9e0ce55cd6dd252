// One try of one credential: send the upstream request and either commit the
// answer to the client, or report a failure the dispatcher may retry. Nothing
// reaches the client before the first upstream byte of a 2xx answer, so a
// failed try leaves the client untouched.
import { StringDecoder } from 'node:string_decoder';
import type { StreamWriter } from '../server/exchange.js';
import type { UpstreamRequest } from '../providers/upstream.js';
import type { AttemptResult, RequestContext, ResponseShaper, UpstreamSend } from './types.js';

// The shapers (passthrough.ts, translate.ts) name their contract from here.
export type { ResponseShaper } from './types.js';

export const MAX_ERROR_BODY = 64 * 1024;

/** The first `limit` bytes of an error answer, however the upstream chunks it:
 *  the error decoders and the client's message never see more. */
export class ErrorBodyBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  private over = false;

  constructor(readonly limit = MAX_ERROR_BODY) {}

  get byteLength(): number {
    return this.size;
  }

  /** Bytes past the limit arrived (and were dropped). */
  get cut(): boolean {
    return this.over;
  }

  push(chunk: Buffer): void {
    const room = this.limit - this.size;
    if (room <= 0) {
      if (chunk.length > 0) this.over = true;
      return;
    }
    // Checking before appending would let one large chunk through whole.
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (kept !== chunk) this.over = true;
    this.chunks.push(kept);
    this.size += kept.length;
  }

  text(): string {
    const bytes = Buffer.concat(this.chunks, this.size);
    // A cut may split a UTF-8 sequence: without end(), the decoder drops the
    // partial character instead of turning it into U+FFFD.
    return this.over ? new StringDecoder('utf8').write(bytes) : bytes.toString('utf8');
  }
}

export interface AttemptOptions {
  ctx: RequestContext;
  request: UpstreamRequest;
  /** The upstream send with the gateway's interceptors. */
  send: UpstreamSend;
  shaper: ResponseShaper;
  keepAliveMs: number;
  /** Called once with the upstream status when the answer is committed. */
  onCommit?: (status: number) => void;
}

export function runAttempt({ ctx, request, send, shaper, keepAliveMs, onCommit }: AttemptOptions): Promise<AttemptResult> {
  const { ex, stream } = ctx;
  return new Promise((resolve) => {
    let status = 0;
    let contentType: string | undefined;
    let errorBody: ErrorBodyBuffer | undefined;
    let body: Buffer[] = [];
    let writer: StreamWriter | undefined;
    let keepAlive: NodeJS.Timeout | undefined;
    let upstreamHeaders: Record<string, string | string[] | undefined> = {};
    let done = false;
    let offAbort: () => void = () => {};

    const finish = (r: AttemptResult) => {
      if (done) return;
      done = true;
      if (keepAlive) clearTimeout(keepAlive);
      offAbort();
      resolve(r);
    };

    const commitStream = () => {
      writer = ex.stream(status, {
        'content-type': shaper.streamContentType,
        'cache-control': 'no-cache',
        'x-accel-buffering': 'no',
      });
      writer.onPressure(
        () => call.pause(),
        () => call.resume(),
      );
      // Gateway shutdown past its drain timeout: the client's error event, then drop the upstream.
      ex.interrupt = (message) => {
        if (done) return;
        writer!.end(shaper.streamError(message));
        finish({ kind: 'done', status, streamFailed: true });
        call.abort(new Error(message));
      };
      onCommit?.(status);
      if (shaper.sse && keepAliveMs > 0) {
        // Comments keep proxies and clients from cutting a silent stream.
        keepAlive = setTimeout(function tick() {
          writer?.write(': keep-alive\n\n');
          keepAlive = setTimeout(tick, keepAliveMs);
        }, keepAliveMs);
      }
    };

    const call = send(ctx, request, {
      onStart(s, headers) {
        status = s;
        upstreamHeaders = headers;
        const ct = headers['content-type'];
        contentType = Array.isArray(ct) ? ct[0] : ct;
        if (s >= 400) errorBody = new ErrorBodyBuffer();
      },
      onData(chunk) {
        if (errorBody) {
          errorBody.push(chunk);
          if (errorBody.cut && !done) {
            // Nothing past the cap is read: answer now rather than wait out an
            // error body that may never end.
            finish({ kind: 'http-error', status, body: errorBody.text(), headers: upstreamHeaders });
            call.abort(new Error('upstream error body exceeds the size limit'));
          }
          return;
        }
        if (!stream) {
          body.push(chunk);
          return;
        }
        if (!writer) commitStream();
        keepAlive?.refresh();
        const out = shaper.chunk(chunk);
        if (out.length > 0) writer!.write(out);
      },
      onEnd() {
        if (ex.aborted) return finish({ kind: 'aborted' });
        if (errorBody) {
          return finish({ kind: 'http-error', status, body: errorBody.text(), headers: upstreamHeaders });
        }
        if (stream) {
          if (!writer) commitStream();
          writer!.end(shaper.end());
          // A stream closed with an error event (cut short upstream) is a failure in statistics.
          return finish({ kind: 'done', status, streamFailed: shaper.failed?.() === true });
        }
        const whole = shaper.whole(status, Buffer.concat(body), contentType);
        body = [];
        onCommit?.(status);
        ex.send(whole.status, whole.body, { 'content-type': whole.contentType });
        finish({ kind: 'done', status: whole.status });
      },
      onError(err) {
        if (done) return; // interrupted: the error event already went out
        if (ex.aborted) return finish({ kind: 'aborted' });
        if (writer) {
          // Too late to retry: close the client's stream with an error event it understands.
          writer.end(shaper.streamError(`upstream connection failed mid-stream: ${err.message}`));
          return finish({ kind: 'done', status, streamFailed: true });
        }
        finish({ kind: 'network-error', message: err.message || String(err), gone: (err as { credentialGone?: boolean }).credentialGone === true });
      },
    });

    offAbort = ex.onAbort(() => {
      call.abort(new Error('client disconnected'));
      finish({ kind: 'aborted' });
    });
  });
}
