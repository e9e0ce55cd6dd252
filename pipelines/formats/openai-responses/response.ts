// Non-stream Responses bodies ⇄ IR, error shapes, and the response object and
// output items the stream encoder shares.
import type { IRError, IREvent, IRFinishReason, IRRequest, IRResponse } from '../../ir.js';
import {
  isObj, str, num, qualifyName, wrapCustomInput, unwrapCustomInput, decodeUsage, statusForCode,
  errorTypeForStatus, responseId, toolContext,
} from './shared.js';
import type { Obj, ToolContext } from './shared.js';
import { itemMeta } from './item-meta.js';
import { responseObject } from './resource.js';
import type { ResponseState } from './resource.js';

export { responseBase, responseObject } from './resource.js';
export type { ResponseState } from './resource.js';

// ── decoding an upstream answer ─────────────────────────────────────────────

/** A whole response object, a `response.completed` (or .incomplete/.failed)
 *  event body, or the SSE text of a whole stream (what the Codex backend
 *  always sends) → the events its stream would give. Never throws. */
export function decodeResponse(body: unknown, sse?: (text: string) => IREvent[]): IREvent[] {
  if (body instanceof Uint8Array) body = new TextDecoder().decode(body);
  if (typeof body === 'string') {
    const t = body.trim();
    if (t.startsWith('{')) {
      try {
        return decodeResponse(JSON.parse(t), sse);
      } catch {
        // fall through to SSE
      }
    }
    if (sse && /(^|\n)(data|event):/.test(t)) return sse(t);
    return [{ type: 'error', status: 502, message: 'unrecognised upstream response' }];
  }
  if (!isObj(body)) return [{ type: 'error', status: 502, message: 'unrecognised upstream response' }];
  if (isObj(body.response) && typeof body.type === 'string' && body.type.startsWith('response.')) body = body.response;
  const resp = body as Obj;
  if (isObj(resp.error) && !Array.isArray(resp.output)) return [errorEvent(resp.error, 502)];
  if (!Array.isArray(resp.output) && resp.object !== 'response') {
    return [{ type: 'error', status: 502, message: 'unrecognised upstream response' }];
  }
  return responseToEvents(resp, true);
}

export function errorEvent(e: Obj, fallbackStatus: number): IREvent {
  const code = str(e.code) ?? str(e.type);
  const message = str(e.message) ?? 'upstream error';
  const ev: IREvent = { type: 'error', status: code ? statusForCode(code) : fallbackStatus, message };
  if (code) ev.code = code;
  return ev;
}

/** Events for the items of a finished response object. */
export function responseToEvents(resp: Obj, withStart: boolean, firstIndex = 0): IREvent[] {
  const out: IREvent[] = [];
  if (withStart) {
    const created = num(resp.created_at);
    out.push(created !== undefined
      ? { type: 'start', id: str(resp.id) ?? '', model: str(resp.model) ?? '', created }
      : { type: 'start', id: str(resp.id) ?? '', model: str(resp.model) ?? '' });
  }
  let sawCall = false;
  const output = Array.isArray(resp.output) ? resp.output : [];
  output.forEach((item, k) => {
    if (!isObj(item)) return;
    const index = firstIndex + k;
    const evs = itemEvents(item, index);
    if (item.type === 'function_call' || item.type === 'custom_tool_call') sawCall = true;
    if (evs.length) out.push(...evs, { type: 'block-end', index });
  });
  if (resp.status === 'failed') {
    out.push(errorEvent(isObj(resp.error) ? resp.error : {}, 500));
    return out;
  }
  out.push(finishEvent(resp, sawCall));
  return out;
}

/** Events for one finished output item (without the block-end). */
export function itemEvents(item: Obj, index: number): IREvent[] {
  switch (item.type) {
    case 'message': {
      const out: IREvent[] = [];
      for (const c of Array.isArray(item.content) ? item.content : []) {
        if (!isObj(c)) continue;
        const text = c.type === 'refusal' ? str(c.refusal) : str(c.text);
        if (text) out.push({ type: 'text-delta', index, text });
      }
      return out;
    }
    case 'reasoning': {
      const out: IREvent[] = [];
      const text = summaryText(item);
      if (text) out.push({ type: 'reasoning-delta', index, text });
      if (typeof item.encrypted_content === 'string') out.push({ type: 'reasoning-delta', index, encrypted: item.encrypted_content });
      return out;
    }
    case 'function_call':
    case 'custom_tool_call': {
      const name = qualifyName(str(item.namespace), str(item.name) ?? '');
      const args = item.type === 'custom_tool_call' ? wrapCustomInput(str(item.input) ?? '') : str(item.arguments) ?? '';
      const out: IREvent[] = [{ type: 'tool-call-start', index, id: str(item.call_id) ?? str(item.id) ?? `call_${index}`, name }];
      if (args) out.push({ type: 'tool-call-delta', index, args });
      return out;
    }
    default:
      return [];
  }
}

export function summaryText(item: Obj): string {
  const parts = Array.isArray(item.summary) ? item.summary : [];
  return parts.map((p) => (isObj(p) ? str(p.text) ?? '' : '')).filter((t) => t).join('\n\n');
}

export function finishEvent(resp: Obj, sawCall: boolean): IREvent {
  const usage = decodeUsage(resp.usage);
  let reason: IRFinishReason = sawCall ? 'tool_calls' : 'stop';
  let raw = str(resp.status) ?? 'completed';
  if (resp.status === 'incomplete') {
    const why = isObj(resp.incomplete_details) ? str(resp.incomplete_details.reason) : undefined;
    reason = why === 'content_filter' ? 'content_filter' : 'length';
    raw = why ?? raw;
  }
  const ev: IREvent = { type: 'finish', reason, rawReason: raw };
  if (usage) ev.usage = usage;
  return ev;
}

// ── encoding an answer for the client ──────────────────────────────────────

/** Deterministic item ids: a client may send items back, and ids drawn from
 *  the response id keep them unique across turns. */
export function itemIdBase(id: string): string {
  return id.replace(/^resp_/, '');
}

export function functionItem(
  ctx: ToolContext, base: string, index: number, callId: string, name: string, args: string, status: string,
): Obj {
  const custom = ctx.custom.has(name);
  const ns = ctx.ns[name];
  // A client pairs its output with call_id; an upstream call without an id
  // gets one derived from the item, the same in the added and done events.
  if (!callId) callId = `call_${base}_${index}`;
  const item: Obj = custom
    ? { id: `ctc_${base}_${index}`, type: 'custom_tool_call', status, call_id: callId, name: ns ? ns[1] : name, input: unwrapCustomInput(args) }
    : { id: `fc_${base}_${index}`, type: 'function_call', status, arguments: args, call_id: callId, name: ns ? ns[1] : name };
  if (ns) item.namespace = ns[0];
  return item;
}

export function reasoningItem(id: string, text: string, encrypted: string | undefined): Obj {
  const item: Obj = { id, type: 'reasoning', summary: text ? [{ type: 'summary_text', text }] : [] };
  if (encrypted) item.encrypted_content = encrypted;
  return item;
}

export function outputText(text: string): Obj {
  return { type: 'output_text', annotations: [], logprobs: [], text };
}

/** An assistant message item; `phase` (commentary / final_answer) when the upstream gave one. */
export function messageItem(id: string, texts: string[], status: string, phase?: string): Obj {
  const item: Obj = { id, type: 'message', status, role: 'assistant', content: texts.map(outputText) };
  if (phase !== undefined) item.phase = phase;
  return item;
}

export function statusFor(reason: IRFinishReason): { status: ResponseState['status']; incomplete?: string } {
  if (reason === 'length') return { status: 'incomplete', incomplete: 'max_output_tokens' };
  if (reason === 'content_filter') return { status: 'incomplete', incomplete: 'content_filter' };
  return { status: 'completed' };
}

export function encodeResponse(res: IRResponse, req: IRRequest): unknown {
  const ctx = toolContext(req);
  const meta = itemMeta(req);
  const id = responseId(res.id);
  const base = itemIdBase(id);
  const output: Obj[] = [];
  let texts: string[] = [];
  let phase: string | undefined;
  let textBlocks = 0;
  const flush = (): void => {
    if (texts.length) output.push(messageItem(`msg_${base}_${output.length}`, texts, 'completed', phase));
    texts = [];
  };
  for (const p of res.content) {
    if (p.type === 'text') {
      // A Responses-family upstream's messages stay separate items, each with its phase.
      if (meta) {
        flush();
        phase = meta.phaseOfText(textBlocks++);
      }
      texts.push(p.text);
      continue;
    }
    flush();
    if (p.type === 'tool-call') output.push(functionItem(ctx, base, output.length, p.id, p.name, p.arguments, 'completed'));
    // Signature-only thinking of other upstreams has nothing to show or send back.
    else if (p.text || p.encrypted) output.push(reasoningItem(p.id ?? `rs_${base}_${output.length}`, p.text, p.encrypted));
  }
  flush();
  const st = statusFor(res.finishReason);
  const state: ResponseState = { id, created: res.created || Math.floor(Date.now() / 1000), model: req.model || res.model, status: st.status, output };
  state.usage = res.usage ?? { inputTokens: 0, outputTokens: 0 };
  if (st.incomplete) state.incompleteReason = st.incomplete;
  return responseObject(req, state, true);
}

// ── errors ──────────────────────────────────────────────────────────────────

/** An HTTP error status, else 500 (an IRError may carry 0 or a provider code that is no status). */
function httpErrorStatus(status: number): number {
  return Number.isInteger(status) && status >= 400 && status <= 599 ? status : 500;
}

const MAX_ERROR_MESSAGE = 2000;

export function decodeError(status: number, body: string): IRError {
  const st = httpErrorStatus(status);
  let message: string | undefined;
  let type: string | undefined;
  let code: string | undefined;
  try {
    const v: unknown = JSON.parse(body);
    if (isObj(v)) {
      const e = isObj(v.error) ? v.error : isObj(v.response) && isObj(v.response.error) ? v.response.error : undefined;
      if (e) {
        message = str(e.message);
        type = str(e.type);
        code = str(e.code) ?? (typeof e.code === 'number' ? String(e.code) : undefined);
      } else if (typeof v.error === 'string') {
        message = v.error;
      } else if (typeof v.detail === 'string') {
        message = v.detail; // the Codex backend answers FastAPI-style: {"detail": "…"}
      } else if (isObj(v.detail)) {
        message = str(v.detail.message) ?? JSON.stringify(v.detail);
        code = str(v.detail.code);
      } else if (typeof v.message === 'string') {
        message = v.message;
        code = str(v.code);
      }
    }
  } catch {
    // not JSON: the text itself is the message
  }
  if (!message) {
    const text = typeof body === 'string' ? body.trim() : '';
    message = text ? text.slice(0, MAX_ERROR_MESSAGE) : `upstream error (status ${st})`;
  } else if (message.length > MAX_ERROR_MESSAGE) {
    // Passed on to clients and logs: as bounded as the plain-text case.
    message = message.slice(0, MAX_ERROR_MESSAGE) + '…';
  }
  const err: IRError = { status: st, message };
  if (type) err.type = type;
  if (code) err.code = code;
  return err;
}

function errorBody(err: IRError): Obj {
  return { message: err.message, type: err.type ?? errorTypeForStatus(err.status), param: null, code: err.code ?? null };
}

export function encodeError(err: IRError): { status: number; body: unknown } {
  const status = httpErrorStatus(err.status);
  return { status, body: { error: errorBody({ ...err, status }) } };
}

/** An `error` event. The nested `error` object is not in the event's schema,
 *  but it is what makes the official SDK stream reject instead of ending quietly. */
export function encodeStreamError(err: IRError, sequence = 0): string {
  const e = errorBody(err);
  const data = { type: 'error', sequence_number: sequence, code: e.code ?? e.type, message: err.message, param: null, error: e };
  return `event: error\ndata: ${JSON.stringify(data)}\n\n`;
}
