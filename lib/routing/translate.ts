// Different formats in and out: the client body is decoded to the IR once per
// request, encoded for each upstream tried, and the answer is translated back
// chunk by chunk (stream) or folded and encoded once (non-stream).
import { decodeStreamBody, getCodec, StreamTranslator, translateEvents, translateResponse, type Framing } from '../../pipelines/index.js';
import type { FormatName, IREvent, IRRequest, IRUsage } from '../../pipelines/ir.js';
import { applyPatch, type EncodedBody, type PatchSpec } from '../providers/patches.js';
import type { ResponseShaper } from './attempt.js';

export interface TranslateOptions {
  inbound: FormatName;
  upstream: FormatName;
  req: IRRequest;
  framing: Framing;
  /** The upstream answers as a stream even for non-stream clients (Codex). */
  upstreamStreams: boolean;
  /** Gemini clients: SSE (alt=sse) or a streamed JSON array. */
  sse?: boolean;
  onEvent?: (ev: IREvent) => void;
}

export function translatedShaper(o: TranslateOptions): ResponseShaper {
  const inbound = getCodec(o.inbound);
  const upstream = getCodec(o.upstream);
  const sse = o.sse !== false;
  let usage: IRUsage | undefined;
  let failed = false;
  const onEvent = (ev: IREvent) => {
    if (ev.type === 'error') failed = true; // truncated (decoder end()) or an upstream error event
    else if (ev.type === 'usage') usage = ev.usage;
    else if (ev.type === 'finish' && ev.usage) usage = ev.usage;
    o.onEvent?.(ev);
  };
  // Built on the first streamed chunk: a non-stream answer never needs it
  // (its framer, decoder and encoder showed in the translated request profile).
  let t: StreamTranslator | undefined;
  const stream = () => (t ??= new StreamTranslator({ upstream, inbound, req: o.req, framing: o.framing, sse: o.sse, onEvent }));
  return {
    streamContentType: sse ? 'text/event-stream' : 'application/json',
    sse,
    chunk: (data) => stream().push(data),
    end: () => stream().end(),
    streamError: (message) => stream().error(502, message),
    failed: () => failed,
    usage: () => usage,
    whole(status, body) {
      const r = o.upstreamStreams ? translateEvents(inbound, decodeStreamBody(upstream, o.framing, body, o.req), o.req) : translateResponse(upstream, inbound, body, o.req);
      if (r.response?.usage) onEvent({ type: 'usage', usage: r.response.usage });
      return { status: r.status === 200 ? status : r.status, body: JSON.stringify(r.body), contentType: 'application/json' };
    },
  };
}

/** The upstream body for one target: the IR with the upstream's model name,
 *  patched for the credential, serialised once. The worker does the same for
 *  offloaded bodies (workers/translate.ts). */
export function encodeFor(upstream: FormatName, req: IRRequest, upstreamModel: string, stream: boolean, patch?: PatchSpec): EncodedBody {
  const body = getCodec(upstream).encodeRequest({ ...req, model: upstreamModel, stream });
  const patched = applyPatch(body, patch);
  return { body: JSON.stringify(body), patchHeaders: patched?.headers };
}
