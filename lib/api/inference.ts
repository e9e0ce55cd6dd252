// The shared front half of every inference route: client key, body, JSON,
// model lookup — each failure answered in the route's own error format — and
// the choice between piping (same format) and translating (different formats).
import { getCodec } from '../../pipelines/index.js';
import { jsonTooDeep, MAX_JSON_DEPTH } from '../../pipelines/json-depth.js';
import { pipedFixMayApply } from '../../pipelines/piped-body.js';
import type { FormatName, IRRequest } from '../../pipelines/ir.js';
import type { ProviderExecutor, UpstreamAction } from '../providers/executor.js';
import { executorFor } from '../providers/index.js';
import { patchContext } from '../providers/patch.js';
import { patchSpec, type EncodedBody, type PatchSpec } from '../providers/patches.js';
import { dispatch } from '../routing/dispatch.js';
import { passthroughShaper, pipedBody } from '../routing/passthrough.js';
import type { Target } from '../routing/registry.js';
import { OFFLOAD_THRESHOLD, OffloadedBody } from '../routing/offload.js';
import { encodeFor, translatedShaper } from '../routing/translate.js';
import type { PrepareResult } from '../../workers/translate.js';
import type { GatewayContext } from '../runtime.js';
import { BodyTooLarge, readBody } from '../server/body.js';
import type { Exchange } from '../server/exchange.js';
import { log } from '../logging/logger.js';
import type { Prepared } from '../routing/types.js';
import { sendError, sendReply } from './errors.js';
import { admitKey, clientModel, withThinking } from './client-model.js';
import type { AccessResult } from '../access/client-keys.js';
import { payloadFor } from '../routing/payload-rules.js';

export interface InferenceSpec {
  format: FormatName;
  action: UpstreamAction;
  /** The model the client asked for (from the body, or the URL for Gemini). */
  model(body: Record<string, unknown>, ex: Exchange): unknown;
  stream(body: Record<string, unknown>, ex: Exchange): boolean;
  /** Gemini clients: whether the stream is SSE (alt=sse) or a JSON array. */
  sse?(ex: Exchange): boolean;
  /** Fields to set on the body before decoding (e.g. the model from a Gemini URL). */
  assign?(model: string): Record<string, unknown>;
  /** Answer locally instead of going upstream (return true when it did). */
  local?(body: Record<string, unknown>, targets: Target[], ex: Exchange): boolean;
  /** Same format: a fresh object to send instead of the client's body (model
   *  included); undefined = the client's body with the upstream model (and the
   *  format's own piped fixes, pipelines/piped-body.ts). Only for bodies parsed
   *  on the main thread: the worker gives offloaded ones the same fixes. */
  passthroughBody?(body: Record<string, unknown>, target: Target): Record<string, unknown> | undefined;
  /** The model lives in the URL (Gemini): a same-format body carries none to replace. */
  modelInUrl?: boolean;
}

export async function handleInference(gw: GatewayContext, ex: Exchange, spec: InferenceSpec): Promise<void> {
  const rt = gw.runtime();
  const fmt = spec.format;
  const read = await readAuthorizedBody(gw, ex, fmt);
  if (!read) return;
  const { raw, access } = read;

  // Large bodies are parsed and translated in a worker; the main thread only
  // learns the top-level scalars it routes on.
  const offloaded = raw.length > OFFLOAD_THRESHOLD ? new OffloadedBody(raw) : undefined;
  let body: unknown;
  if (offloaded) {
    const peek = await offloaded.peek();
    if (peek.error) return sendError(ex, fmt, 400, `Request body is not valid JSON: ${peek.error}`, 'invalid_json');
    body = peek.notObject ? null : peek.fields;
  } else {
    const parsed = parseClientJson(ex, fmt, raw);
    if (!parsed) return;
    body = parsed.body;
  }
  if (ex.aborted) return;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return sendError(ex, fmt, 400, 'Request body must be a JSON object', 'invalid_request');
  }
  const obj = body as Record<string, unknown>;
  const name = spec.model(obj, ex);
  if (!checkModelName(ex, fmt, name)) return;
  // `model(high)` / `model(8192)`: the name before the parenthesis routes (and is what the key's list, usage and metrics see).
  const named = clientModel(ex, fmt, name, access);
  if (!named) return;
  const model = named.model;
  let targets = withThinking(rt.registry.targets(model), named.thinking);
  // Token counts only travel to an upstream of the same format; others are estimated locally.
  if (spec.action === 'count-tokens') targets = targets.filter((t) => executorFor(t.credential.provider)?.format === fmt);
  if (spec.local) {
    // A local answer (the token estimate when no upstream of the format counts) reads the whole body,
    // but an offloaded one is known here by its top-level scalars only: parse it for this rare path
    // (the worker already checked it is a JSON object of sane depth).
    const whole = offloaded && targets.length === 0 ? wholeBody(offloaded, obj) : obj;
    if (spec.local(whole, targets, ex)) return;
  }
  if (targets.length === 0) {
    return sendError(ex, fmt, 404, `The model '${model}' does not exist or no configured credential serves it`, 'model_not_found');
  }
  const stream = spec.stream(obj, ex);
  const sse = spec.sse ? spec.sse(ex) : true;
  let ir: IRRequest | undefined;

  const assign = spec.assign?.(model);

  // The credential's body patch (patches.ts) is applied to the object before
  // its one serialisation — in the worker for offloaded bodies — and whatever
  // headers it derives travel with the body (patchHeaders), so the executor
  // never parses what the gateway produced.
  const mainThreadBody = (target: Target, patch: PatchSpec | undefined): EncodedBody => {
    const rewritten = spec.passthroughBody?.(obj, target);
    return pipedBody(raw, rewritten ?? obj, spec.modelInUrl ? undefined : target.upstreamModel, patch, rewritten !== undefined, spec.passthroughBody ? undefined : fmt);
  };
  const sameFormat = async (target: Target, upstreamStream: boolean, patch: PatchSpec | undefined): Promise<EncodedBody> => {
    const upstreamModel = spec.modelInUrl ? undefined : target.upstreamModel;
    if (!offloaded) return mainThreadBody(target, patch);
    // The hot path: nothing to change, the client's bytes go unparsed (a byte search rules out the piped fixes).
    if (!patch && (upstreamModel === undefined || obj['model'] === upstreamModel) && !pipedFixMayApply(fmt, offloaded.buffer())) return { body: offloaded.buffer() };
    const r = await offloaded.prepare({ inbound: fmt, upstream: fmt, upstreamModel: target.upstreamModel, upstreamStream, passthrough: true, modelInUrl: spec.modelInUrl, patch });
    return { body: r.unchanged ? offloaded.buffer() : bodyOf(r), patchHeaders: r.patchHeaders };
  };

  const prepare = async (target: Target, executor: ProviderExecutor): Promise<Prepared> => {
    const upstreamStream = stream || executor.alwaysStreams === true;
    const settings = { format: executor.format, thinking: target.thinking, payload: payloadFor(rt.config.payload, target.upstreamModel, executor.format) };
    const patch = patchSpec(executor.kind, patchContext(target.credential, target.upstreamModel, spec.action, upstreamStream), settings);
    if (executor.format === fmt) {
      const shaper = passthroughShaper(fmt, sse ? 'text/event-stream' : 'application/json');
      // A main-thread body needs no await: one async hop less on the piped hot path.
      const encoded = offloaded ? await sameFormat(target, upstreamStream, patch) : mainThreadBody(target, patch);
      return { ...encoded, shaper, upstreamStream, upstreamSse: sse };
    }
    let encoded: EncodedBody;
    if (offloaded) {
      const r = await offloaded.prepare({ inbound: fmt, upstream: executor.format, upstreamModel: target.upstreamModel, upstreamStream, assign, passthrough: false, patch });
      encoded = { body: bodyOf(r), patchHeaders: r.patchHeaders };
      ir ??= r.req;
    } else {
      // Decode once per request; a TranslationError (status 400) reaches the client as such.
      ir ??= getCodec(fmt).decodeRequest(assign ? { ...obj, ...assign } : obj);
      encoded = encodeFor(executor.format, ir, target.upstreamModel, upstreamStream, patch);
    }
    // The gateway picks a translated upstream's framing: the executor's.
    const framing = executor.framing;
    return {
      ...encoded,
      shaper: translatedShaper({ inbound: fmt, upstream: executor.format, req: ir!, framing, upstreamStreams: upstreamStream && !stream, sse }),
      upstreamStream,
      upstreamSse: framing === 'sse',
    };
  };

  const reply = await dispatch(rt.config, gw.routing, {
    ex,
    body: raw,
    inbound: fmt,
    model,
    stream,
    action: spec.action,
    targets,
    prepare,
    clientHeaders: fmt === 'claude' ? ex.headers : undefined,
  });
  if (reply && !ex.aborted) sendReply(ex, fmt, reply);
}

/** Wrap an async handler so nothing it throws can crash the process or hang the client. */
export function guard(format: FormatName, fn: (ex: Exchange) => Promise<void>): (ex: Exchange) => void {
  return (ex) => {
    fn(ex).catch((err: unknown) => {
      // A client's own mistake (a codec's TranslationError, status 4xx) is answered as such, without a stack in the log.
      const status = (err as { status?: unknown }).status;
      if (typeof status === 'number' && status >= 400 && status < 500) {
        log.debug({ url: ex.url, status, message: (err as Error).message }, 'request refused');
        if (!ex.committed && !ex.aborted) sendError(ex, format, status, (err as Error).message);
        return;
      }
      log.error({ err, url: ex.url }, 'request handler failed');
      if (!ex.committed && !ex.aborted) sendError(ex, format, 500, 'internal gateway error');
      else ex.close();
    });
  };
}

/** Model names are client-chosen and end up in logs, metrics and upstream URLs: keep them sane. */
export const MAX_MODEL_NAME = 256;

/** Control characters and lone surrogates: no model has them, and a lone surrogate makes
 *  encodeURIComponent throw where a Gemini upstream URL is built (a 500 before this check). */
export const BAD_MODEL_CHARS = /[\u0000-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
export const BAD_MODEL_MESSAGE = 'The model name contains control characters or unpaired surrogates';


function bodyOf(r: PrepareResult): Buffer {
  if (r.error || !r.body) throw Object.assign(new Error(r.error?.message ?? 'translation failed'), { status: r.error?.status ?? 500 });
  return Buffer.from(r.body.buffer, r.body.byteOffset, r.body.byteLength);
}

/** The whole parsed body of an offloaded request (its peeked scalars if that fails, which it should not). */
function wholeBody(offloaded: OffloadedBody, peeked: Record<string, unknown>): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(offloaded.buffer().toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : peeked;
  } catch {
    return peeked;
  }
}

/** The client key (and its request rate), then the body (size-capped): nothing is read for a
 *  client without a key. Answers the failure in the client's format and returns undefined. */
export async function readAuthorizedBody(gw: GatewayContext, ex: Exchange, fmt: FormatName): Promise<{ raw: Buffer; access: AccessResult } | undefined> {
  const rt = gw.runtime();
  const access = rt.keys.check({ headers: ex.headers, queryKey: ex.queryParam('key') });
  if (!access.ok) {
    sendError(ex, fmt, 401, access.message, 'invalid_api_key');
    return undefined;
  }
  if (!admitKey(gw, ex, fmt, access)) return undefined;
  try {
    const raw = await readBody(ex, rt.config.maxBodySize);
    return ex.aborted ? undefined : { raw, access };
  } catch (err) {
    if (err instanceof BodyTooLarge) {
      sendError(ex, fmt, 413, err.message, 'request_too_large');
      return undefined;
    }
    throw err;
  }
}

/** Depth-checked JSON.parse of a client body; a failure is answered as 400. */
export function parseClientJson(ex: Exchange, fmt: FormatName, raw: Buffer): { body: unknown } | undefined {
  if (jsonTooDeep(raw)) {
    sendError(ex, fmt, 400, `Request body nests deeper than ${MAX_JSON_DEPTH} levels`, 'invalid_json');
    return undefined;
  }
  try {
    return { body: raw.length === 0 ? {} : JSON.parse(raw.toString('utf8')) };
  } catch (err) {
    sendError(ex, fmt, 400, `Request body is not valid JSON: ${(err as Error).message}`, 'invalid_json');
    return undefined;
  }
}

/** A model name the gateway will route on: present, sane length, no control characters. */
export function checkModelName(ex: Exchange, fmt: FormatName, model: unknown): model is string {
  let message: string | undefined;
  if (typeof model !== 'string' || model.length === 0) message = 'The "model" field is required and must be a string';
  else if (model.length > MAX_MODEL_NAME) message = `The model name is ${model.length} characters long; at most ${MAX_MODEL_NAME} are accepted`;
  else if (BAD_MODEL_CHARS.test(model)) message = BAD_MODEL_MESSAGE;
  if (message === undefined) return true;
  sendError(ex, fmt, 400, message, 'invalid_request');
  return false;
}
