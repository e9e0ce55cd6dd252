// Non-stream chat.completion bodies ⇄ IR.
import type { IREvent, IRRequest, IRResponse } from '../../ir.js';
import {
  decodeFinishReason,
  decodeUsage,
  encodeFinishReason,
  encodeUsage,
  isObject,
  newId,
  nowSeconds,
  str,
  type Json,
} from './common.js';

/** The events the same answer would have produced as a stream. */
export function decodeResponse(body: unknown): IREvent[] {
  const events: IREvent[] = [];
  if (!isObject(body)) {
    events.push({ type: 'error', status: 502, message: 'upstream returned a non-object chat completion' });
    return events;
  }
  if (isObject(body.error)) {
    const e = body.error;
    events.push({ type: 'error', status: typeof e.code === 'number' ? e.code : 502, message: str(e.message) ?? 'upstream error' });
    return events;
  }
  const start: IREvent = { type: 'start', id: str(body.id) ?? '', model: str(body.model) ?? '' };
  if (typeof body.created === 'number') start.created = body.created;
  events.push(start);

  const choice = Array.isArray(body.choices) ? body.choices.find((c) => isObject(c) && (c.index ?? 0) === 0) ?? body.choices[0] : undefined;
  const msg = isObject(choice) && isObject(choice.message) ? choice.message : {};
  let index = 0;
  const reasoning = str(msg.reasoning_content) ?? str(msg.reasoning);
  if (reasoning) {
    events.push({ type: 'reasoning-delta', index, text: reasoning }, { type: 'block-end', index });
    index++;
  }
  let text = '';
  if (typeof msg.content === 'string') text = msg.content;
  else if (Array.isArray(msg.content)) {
    for (const p of msg.content) if (isObject(p) && p.type === 'text' && typeof p.text === 'string') text += p.text;
  }
  if (!text && typeof msg.refusal === 'string') text = msg.refusal;
  if (text) {
    events.push({ type: 'text-delta', index, text }, { type: 'block-end', index });
    index++;
  }
  const calls = Array.isArray(msg.tool_calls) ? msg.tool_calls : isObject(msg.function_call) ? [{ function: msg.function_call }] : [];
  for (const tc of calls) {
    if (!isObject(tc)) continue;
    const fn = isObject(tc.function) ? tc.function : {};
    events.push({ type: 'tool-call-start', index, id: str(tc.id) || newId('call_'), name: str(fn.name) ?? '' });
    const args = typeof fn.arguments === 'string' ? fn.arguments : fn.arguments === undefined ? '' : JSON.stringify(fn.arguments);
    if (args) events.push({ type: 'tool-call-delta', index, args });
    events.push({ type: 'block-end', index });
    index++;
  }
  const raw = isObject(choice) ? choice.finish_reason : undefined;
  const finish: IREvent = { type: 'finish', reason: decodeFinishReason(raw) };
  if (typeof raw === 'string') finish.rawReason = raw;
  const usage = decodeUsage(body.usage);
  if (usage) finish.usage = usage;
  events.push(finish);
  return events;
}

export function encodeResponse(res: IRResponse, req: IRRequest): Json {
  let text = '';
  let reasoning = '';
  const calls: Json[] = [];
  for (const p of res.content) {
    if (p.type === 'text') text += p.text;
    else if (p.type === 'reasoning') reasoning += p.text;
    else calls.push({ id: p.id || newId('call_'), type: 'function', function: { name: p.name, arguments: p.arguments || '{}' } });
  }
  const message: Json = { role: 'assistant', content: text === '' && calls.length > 0 ? null : text };
  if (reasoning) message.reasoning_content = reasoning;
  if (calls.length > 0) message.tool_calls = calls;
  message.refusal = null;
  const out: Json = {
    id: res.id || newId('chatcmpl-'),
    object: 'chat.completion',
    created: res.created || nowSeconds(),
    model: res.model || req.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: encodeFinishReason(res.finishReason, calls.length > 0, res.rawFinishReason) }],
  };
  if (res.usage) out.usage = encodeUsage(res.usage);
  return out;
}
