// POST /v1/responses/compact — what Codex CLI calls to compact a long
// conversation (remote compaction) and what the SDK exposes as
// responses.compact(). The answer is a `response.compaction` object.
// Codex credentials forward it to the backend's own /responses/compact;
// every other upstream is asked for a handoff summary, which comes back as
// the documented compaction output (pipelines/…/compaction.ts).
import { decodeStreamBody, getCodec, translateEvents, translateResponse } from '../../pipelines/index.js';
import { encodeCodexCompactRequest } from '../../pipelines/formats/codex/index.js';
import { compactedResponse, summaryRequest } from '../../pipelines/formats/openai-responses/compaction.js';
import { decodeUsage, isObj } from '../../pipelines/formats/openai-responses/shared.js';
import type { IRRequest, IRUsage } from '../../pipelines/ir.js';
import type { ProviderExecutor } from '../providers/executor.js';
import { patchContext } from '../providers/patch.js';
import { applyPatch, patchSpec, type AttemptSettings } from '../providers/patches.js';
import { payloadFor } from '../routing/payload-rules.js';
import type { FormatName } from '../../pipelines/ir.js';
import { clientModel, withThinking } from './client-model.js';
import { dispatch } from '../routing/dispatch.js';
import type { Target } from '../routing/registry.js';
import { encodeFor } from '../routing/translate.js';
import type { Prepared, ResponseShaper } from '../routing/types.js';
import type { GatewayContext } from '../runtime.js';
import type { Exchange } from '../server/exchange.js';
import { sendError, sendReply } from './errors.js';
import { checkModelName, guard, parseClientJson, readAuthorizedBody } from './inference.js';

const FORMAT = 'openai-responses';

export function responsesCompact(gw: GatewayContext): (ex: Exchange) => void {
  return guard(FORMAT, (ex) => compact(gw, ex));
}

async function compact(gw: GatewayContext, ex: Exchange): Promise<void> {
  const rt = gw.runtime();
  const read = await readAuthorizedBody(gw, ex, FORMAT);
  if (!read) return;
  const { raw, access } = read;
  const parsed = parseClientJson(ex, FORMAT, raw);
  if (!parsed) return;
  const body = parsed.body;
  if (!isObj(body)) return sendError(ex, FORMAT, 400, 'Request body must be a JSON object', 'invalid_request');
  if (!checkModelName(ex, FORMAT, body.model)) return;
  // The same key and `model(level)` checks as every inference route (client-model.ts).
  const named = clientModel(ex, FORMAT, body.model, access);
  if (!named) return;
  const model = named.model;
  if (body.stream === true) return sendError(ex, FORMAT, 400, 'POST /v1/responses/compact has no streaming form; leave out "stream"', 'invalid_request');
  const targets = withThinking(rt.registry.targets(model), named.thinking);
  const settings = (target: Target, format: FormatName): AttemptSettings => ({ format, thinking: target.thinking, payload: payloadFor(rt.config.payload, target.upstreamModel, format) });
  if (targets.length === 0) return sendError(ex, FORMAT, 404, `The model '${model}' does not exist or no configured credential serves it`, 'model_not_found');

  // Decoded once (a TranslationError is the client's 400); `stream` has no meaning here.
  const { stream: _stream, ...rest } = body;
  const ir = getCodec(FORMAT).decodeRequest(rest);
  const prepare = (target: Target, executor: ProviderExecutor): Prepared =>
    executor.kind === 'codex' ? forward(ir, target, settings(target, 'codex')) : summarise(ir, body.input, target, executor, settings(target, executor.format));
  const reply = await dispatch(rt.config, gw.routing, { ex, body: raw, inbound: FORMAT, model, stream: false, action: 'compact', targets, prepare });
  if (reply && !ex.aborted) sendReply(ex, FORMAT, reply);
}

/** Codex: the backend compacts; its answer goes to the client as it is. */
function forward(ir: IRRequest, target: Target, settings: AttemptSettings): Prepared {
  const upstream = encodeCodexCompactRequest({ ...ir, model: target.upstreamModel, stream: false });
  const patched = applyPatch(upstream, patchSpec('codex', patchContext(target.credential, target.upstreamModel, 'compact', false), settings));
  let usage: IRUsage | undefined;
  const shaper = unaryShaper((status, body) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return errorBody(502, 'the upstream answered /responses/compact with something that is not JSON');
    }
    if (!isObj(parsed) || !Array.isArray(parsed.output)) return errorBody(502, 'the upstream answered /responses/compact without an output list');
    usage = decodeUsage(parsed.usage);
    return { status, body };
  }, () => usage);
  return { body: JSON.stringify(upstream), patchHeaders: patched?.headers, shaper, upstreamStream: false };
}

/** Any other upstream: a summary of the conversation, asked for as an ordinary generation. */
function summarise(ir: IRRequest, input: unknown, target: Target, executor: ProviderExecutor, settings: AttemptSettings): Prepared {
  const req = summaryRequest(ir);
  const streams = executor.alwaysStreams === true;
  const patch = patchSpec(executor.kind, patchContext(target.credential, target.upstreamModel, 'compact', streams), settings);
  const encoded = encodeFor(executor.format, req, target.upstreamModel, streams, patch);
  const upstream = getCodec(executor.format);
  const inbound = getCodec(FORMAT);
  let usage: IRUsage | undefined;
  const shaper = unaryShaper((status, body) => {
    const r = streams ? translateEvents(inbound, decodeStreamBody(upstream, executor.framing, body, req), req) : translateResponse(upstream, inbound, body, req);
    if (!r.response) return { status: r.status, body: Buffer.from(JSON.stringify(r.body)) };
    usage = r.response.usage;
    const summary = r.response.content.map((p) => (p.type === 'text' ? p.text : '')).join('').trim();
    if (!summary) return errorBody(502, 'the model returned an empty summary');
    return { status, body: Buffer.from(JSON.stringify(compactedResponse(input, summary, usage))) };
  }, () => usage);
  return { ...encoded, shaper, upstreamStream: streams };
}

/** A shaper for one whole JSON answer (compaction never streams to the client). */
function unaryShaper(whole: (status: number, body: Buffer) => { status: number; body: Buffer }, usage: () => IRUsage | undefined): ResponseShaper {
  return {
    streamContentType: 'application/json',
    sse: false,
    chunk: (data) => data,
    end: () => '',
    streamError: (message) => JSON.stringify(getCodec(FORMAT).encodeError({ status: 502, message }).body),
    usage,
    whole(status, body) {
      const r = whole(status, body);
      return { status: r.status, body: r.body, contentType: 'application/json' };
    },
  };
}

function errorBody(status: number, message: string): { status: number; body: Buffer } {
  const e = getCodec(FORMAT).encodeError({ status, message });
  return { status: e.status, body: Buffer.from(JSON.stringify(e.body)) };
}
