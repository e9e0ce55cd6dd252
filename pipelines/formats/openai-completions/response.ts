// Non-stream text_completion bodies ⇄ IR. Decoding goes through the Chat
// Completions decoder (a completion choice's `text` is a message's content),
// so both OpenAI shapes share one notion of ids, finish reasons, usage and
// errors in a 200 body.
import type { IREvent, IRFinishReason, IRRequest, IRResponse } from '../../ir.js';
import { encodeUsage, isObject, newId, nowSeconds, type Json } from '../openai-chat/common.js';
import { decodeResponse as decodeChatResponse } from '../openai-chat/response.js';
import { echoText } from './request.js';

/** Completion ids read cmpl-…; an upstream's own id is kept behind the prefix. */
export function completionId(id: string): string {
  if (!id) return newId('cmpl-');
  if (id.startsWith('cmpl-')) return id;
  if (id.startsWith('chatcmpl-')) return 'cmpl-' + id.slice(9);
  return 'cmpl-' + id;
}

/** The legacy API knows stop, length and content_filter. Tool calls cannot
 *  be shown in a completion, so an answer that ended in them just stopped. */
export function completionFinishReason(reason: IRFinishReason): 'stop' | 'length' | 'content_filter' {
  if (reason === 'length') return 'length';
  if (reason === 'content_filter' || reason === 'refusal') return 'content_filter';
  return 'stop';
}

/** A completion choice seen as a chat message (`text` → message.content),
 *  delta (`text` → delta.content) for stream chunks. */
export function asChatChoices(choices: unknown[], key: 'message' | 'delta'): unknown[] {
  return choices.map((c) => {
    if (!isObject(c) || typeof c.text !== 'string') return c;
    const { text, ...rest } = c;
    return { ...rest, [key]: key === 'message' ? { role: 'assistant', content: text } : { content: text } };
  });
}

export function decodeResponse(body: unknown): IREvent[] {
  if (isObject(body) && Array.isArray(body.choices)) body = { ...body, choices: asChatChoices(body.choices, 'message') };
  return decodeChatResponse(body);
}

/** Reasoning and tool calls are dropped: a completion is text only. */
export function encodeResponse(res: IRResponse, req: IRRequest): Json {
  let text = echoText(req) ?? '';
  for (const p of res.content) if (p.type === 'text') text += p.text;
  const out: Json = {
    id: completionId(res.id),
    object: 'text_completion',
    created: res.created || nowSeconds(),
    model: res.model || req.model,
    choices: [{ text, index: 0, logprobs: null, finish_reason: completionFinishReason(res.finishReason) }],
  };
  if (res.usage) out.usage = encodeUsage(res.usage);
  return out;
}
