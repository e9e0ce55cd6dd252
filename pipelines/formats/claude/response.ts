// Non-stream Messages answers: upstream body → IR events, IR answer → body.
import type { IREvent, IRRequest, IRResponse } from '../../ir.js';
import { statusForType } from './errors.js';
import { argsToInput, decodeStopReason, decodeUsage, encodeStopReason, encodeUsage, isObj, randomId, signatureFor, str } from './shared.js';
import type { Json } from './shared.js';

/** Server-side tool blocks (server_tool_use, web_search_tool_result, …) ran
 *  on Anthropic's side; no other format has a place for them, and surfacing
 *  them as tool calls would make the client try to run them. */
export function isServerBlock(type: unknown): boolean {
  return type !== 'text' && type !== 'thinking' && type !== 'redacted_thinking' && type !== 'tool_use';
}

export function decodeResponse(body: unknown): IREvent[] {
  if (!isObj(body)) return [{ type: 'error', status: 502, message: 'upstream returned a non-object body' }];
  if (body.type === 'error') {
    const e = isObj(body.error) ? body.error : {};
    const t = str(e.type);
    return [{ type: 'error', status: statusForType(t), message: str(e.message) ?? 'upstream error', ...(t ? { code: t } : {}) }];
  }
  const events: IREvent[] = [{ type: 'start', id: str(body.id) ?? '', model: str(body.model) ?? '' }];
  const content = Array.isArray(body.content) ? body.content : [];
  content.forEach((b, index) => {
    if (!isObj(b) || isServerBlock(b.type)) return;
    switch (b.type) {
      case 'text':
        events.push({ type: 'text-delta', index, text: str(b.text) ?? '' });
        break;
      case 'thinking': {
        const sig = str(b.signature);
        events.push({ type: 'reasoning-delta', index, text: str(b.thinking) ?? '', ...(sig ? { signature: sig, signatureOrigin: 'claude' as const } : {}) });
        break;
      }
      case 'redacted_thinking':
        events.push({ type: 'reasoning-delta', index, redactedData: str(b.data) ?? '' });
        break;
      case 'tool_use':
        events.push({ type: 'tool-call-start', index, id: str(b.id) ?? '', name: str(b.name) ?? '' });
        events.push({ type: 'tool-call-delta', index, args: JSON.stringify(b.input ?? {}) });
        break;
    }
    events.push({ type: 'block-end', index });
  });
  const raw = str(body.stop_reason);
  const usage = decodeUsage(body.usage);
  events.push({ type: 'finish', reason: decodeStopReason(raw), ...(usage ? { usage } : {}), ...(raw ? { rawReason: raw } : {}) });
  return events;
}

export function encodeResponse(res: IRResponse, req: IRRequest): unknown {
  const content: Json[] = [];
  let sawToolUse = false;
  for (const p of res.content) {
    if (p.type === 'text') {
      if (p.text) content.push({ type: 'text', text: p.text });
    } else if (p.type === 'reasoning') {
      if (p.redactedData) content.push({ type: 'redacted_thinking', data: p.redactedData });
      else if (p.text || p.signature || p.encrypted) content.push({ type: 'thinking', thinking: p.text, signature: signatureFor(p) ?? '' });
    } else {
      sawToolUse = true;
      content.push({ type: 'tool_use', id: p.id || randomId('toolu_'), name: p.name, input: argsToInput(p.arguments) });
    }
  }
  return {
    id: res.id || randomId('msg_'),
    type: 'message',
    role: 'assistant',
    model: req.model || res.model,
    content,
    stop_reason: encodeStopReason(res.finishReason, res.rawFinishReason, sawToolUse),
    stop_sequence: null,
    usage: encodeUsage(res.usage),
  };
}
