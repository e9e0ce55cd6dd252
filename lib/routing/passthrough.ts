// Same format in and out: the request only gets the upstream model name (and
// the credential's patch, if its executor has one), and the answer's bytes go
// to the client untouched — no parse of the stream.
// Usage is read afterwards, only when asked for, from the first and last
// bytes the stream carried (usage lives at a stream's start and end). The
// same last bytes tell, once at the end, whether the upstream reached its end
// marker: a stream cut short gets the format's error rather than ending as if
// whole (pipelines/stream-end.ts); an upstream error event found there counts
// the answer as failed in statistics, its bytes passed on as they came.
import { createFramer, decodeStreamBody, foldEvents, getCodec } from '../../pipelines/index.js';
import type { FormatName, IREvent, IRUsage } from '../../pipelines/ir.js';
import { pipedClientBody } from '../../pipelines/piped-body.js';
import { pipedStreamEnd, pipedStreamEnded, pipedStreamError, pipedStreamFailed, type StreamTail } from '../../pipelines/stream-end.js';
import { sameFormatBody, type EncodedBody, type PatchSpec } from '../providers/patches.js';
import type { ResponseShaper } from './attempt.js';

const EMPTY = Buffer.alloc(0);
const HEAD = 4 * 1024;
const TAIL = 32 * 1024;

export function passthroughShaper(format: FormatName, streamContentType = 'text/event-stream'): ResponseShaper {
  const codec = getCodec(format);
  const sse = streamContentType.startsWith('text/event-stream');
  let head: Buffer[] = [];
  let headSize = 0;
  let tail: Buffer[] = [];
  let tailSize = 0;
  let trimmed = false;
  let whole: Buffer | undefined;
  /** end() found no end marker and closed the stream with an error, or the
   *  upstream's own error event among the last bytes (still sent untouched). */
  let cut = false;
  /** The stream's last bytes: all of it while nothing was let go. */
  const last = (): StreamTail => (trimmed ? { chunks: tail, partial: true } : { chunks: tail.length ? head.concat(tail) : head, partial: false });
  return {
    streamContentType,
    sse,
    chunk(data) {
      if (headSize < HEAD) {
        head.push(data);
        headSize += data.length;
      } else {
        tail.push(data);
        tailSize += data.length;
        while (tailSize - tail[0]!.length > TAIL) {
          tailSize -= tail.shift()!.length;
          trimmed = true;
        }
      }
      return data;
    },
    end: () => {
      const t = last();
      const closing = pipedStreamEnd(codec, sse, t);
      cut = closing !== '' || pipedStreamFailed(format, t);
      return closing || EMPTY;
    },
    failed: () => cut,
    // An answer whose end marker already went out gets nothing after it.
    streamError: (message) => {
      const t = last();
      return pipedStreamEnded(format, sse, t) ? '' : pipedStreamError(codec, sse, t, { status: 502, message });
    },
    whole(status, body, contentType) {
      whole = body;
      return { status, body, contentType: contentType ?? 'application/json' };
    },
    usage(parse = true): IRUsage | undefined {
      // Piped answers are never parsed on the request path: only on request.
      if (!parse) return undefined;
      try {
        if (whole) return foldEvents(codec.decodeResponse(JSON.parse(whole.toString('utf8')))).usage;
        return usageFromStream(format, Buffer.concat(head), Buffer.concat(tail), sse);
      } catch {
        return undefined;
      } finally {
        head = [];
        tail = [];
      }
    },
  };
}

function usageFromStream(format: FormatName, head: Buffer, tail: Buffer, sse: boolean): IRUsage | undefined {
  const codec = getCodec(format);
  let usage: IRUsage | undefined;
  const take = (events: IREvent[]) => {
    for (const ev of events) {
      if (ev.type === 'usage') usage = { ...usage, ...ev.usage };
      else if (ev.type === 'finish' && ev.usage) usage = { ...usage, ...ev.usage };
    }
  };
  const framing = sse ? 'sse' : 'json-array';
  take(decodeStreamBody(codec, framing, head));
  if (tail.length > 0) {
    // The tail starts mid-event: skip to the first frame boundary.
    const text = tail.toString('utf8');
    const cut = sse ? text.search(/\r?\n\r?\n/) : text.indexOf('\n');
    if (cut >= 0) {
      const framer = createFramer('sse');
      const decoder = codec.createStreamDecoder();
      const rest = sse ? text.slice(cut).replace(/^\s+/, '') : '[' + text.slice(cut + 1);
      const frames = sse ? framer.push(rest).concat(framer.end()) : createFramer('json-array').push(rest);
      for (const f of frames) take(decoder.push(f));
    }
  }
  return usage;
}

/** The same-format upstream body on the main thread: the client's bytes when
 *  neither the model nor the executor's patch changes anything, else the
 *  client's object (never the gateway's own output) changed and serialised
 *  once. Offloaded bodies get the same from the worker (sameFormatBody).
 *  `format`: rewrite what that format's upstream refuses (pipelines/piped-body.ts:
 *  foreign thinking signatures, Claude's system messages) unless the caller did (`rewritten`). */
export function pipedBody(raw: Buffer, client: Record<string, unknown>, model: string | undefined, patch: PatchSpec | undefined, rewritten = false, format?: FormatName): EncodedBody {
  const fixed = format && !rewritten ? pipedClientBody(format, raw, client) : undefined;
  const r = sameFormatBody(fixed ?? client, model, patch, rewritten || fixed !== undefined);
  return { body: r.body ? JSON.stringify(r.body) : raw, patchHeaders: r.headers };
}
