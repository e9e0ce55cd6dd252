// chat.completion.chunk streams ⇄ IR events.
import type { StreamDecoder, StreamEncoder, StreamFrame } from '../../codec.js';
import type { IREvent, IRFinishReason, IRRequest, IRUsage } from '../../ir.js';
import { SSE_DONE } from '../../sse.js';
import { truncatedError } from '../../truncation.js';
import { decodeFinishReason, decodeUsage, encodeFinishReason, encodeUsage, isObject, newId, nowSeconds, num, str, type Json } from './common.js';
import { encodeStreamError } from './errors.js';
import { dropFrame } from '../../dropped-frames.js';

/** Status for a stream error frame that names only its type. */
const TYPE_STATUS: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  rate_limit_error: 429,
  insufficient_quota: 429,
  overloaded_error: 529,
};

interface ToolState {
  index: number; // IR block index
  id: string;
  name: string;
  started: boolean;
  /** Argument fragments that came before the function name did. */
  args: string;
  /** All argument text so far, to tell a finished call from one still streaming. */
  seen: string;
}

/** Whether a call's arguments are whole: a JSON value cannot grow once it parses. */
function argsComplete(text: string): boolean {
  if (!text.trim()) return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Upstream chunks → IR events. One block is open at a time: switching from
 * reasoning to text to a tool call closes the previous block — except a tool
 * call whose arguments are not whole yet: some providers stream parallel
 * calls' arguments in turns (or send every call's header first), so such a
 * call's block stays open until its arguments parse, or until the finish. The finish is
 * held back until usage arrives (OpenAI sends usage in a chunk of its own
 * after the finish_reason), [DONE], or the end of the stream, so the finish
 * event carries the usage.
 */
export class ChatStreamDecoder implements StreamDecoder {
  private started = false;
  private done = false;
  private nextIndex = 0;
  private open: { kind: 'text' | 'reasoning' | 'tool'; index: number; tool?: ToolState } | undefined;
  private readonly tools = new Map<number, ToolState>();
  /** Tool blocks left open by a switch while their arguments were partial. */
  private readonly unfinished = new Set<ToolState>();
  private pendingFinish: Extract<IREvent, { type: 'finish' }> | undefined;
  private finishSent = false;
  private usage: IRUsage | undefined;
  private sawTool = false;

  push(frame: StreamFrame): IREvent[] {
    const out: IREvent[] = [];
    if (this.done) return out;
    const data = frame.data;
    if (data.length === 0) return out;
    if (data === '[DONE]' || data.trim() === '[DONE]') {
      this.close(out, true);
      return out;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      dropFrame('openai-chat', data); // not JSON: a provider's stray keep-alive text
      return out;
    }
    if (!isObject(parsed)) return out;
    // Some providers name the event instead of wrapping the body in `error`.
    const obj: Json = frame.event === 'error' && parsed.error === undefined ? { error: parsed } : parsed;
    if (obj.error !== undefined && obj.error !== null) {
      const e = isObject(obj.error) ? obj.error : { message: String(obj.error) };
      const code = num(e.code) ?? num(obj.status);
      const ev: IREvent = {
        type: 'error',
        status: code !== undefined && code >= 400 && code <= 599 ? code : (TYPE_STATUS[str(e.type) ?? ''] ?? 500),
        message: str(e.message) ?? 'upstream stream error',
      };
      if (typeof e.code === 'string') ev.code = e.code;
      out.push(ev);
      this.done = true;
      return out;
    }
    if (!this.started) {
      this.started = true;
      const start: IREvent = { type: 'start', id: str(obj.id) ?? '', model: str(obj.model) ?? '' };
      const created = num(obj.created);
      if (created) start.created = created;
      out.push(start);
    }
    const usage = isObject(obj.usage) ? decodeUsage(obj.usage) : undefined;
    if (usage) this.usage = usage;

    const choices = obj.choices;
    const choice = Array.isArray(choices) && choices.length > 0 ? choices[0] : undefined;
    if (isObject(choice) && (choice.index === undefined || choice.index === 0)) {
      if (isObject(choice.delta)) this.delta(choice.delta, out);
      const fr = choice.finish_reason;
      if (typeof fr === 'string' && fr !== '' && !this.pendingFinish && !this.finishSent) {
        this.closeAll(out);
        this.pendingFinish = { type: 'finish', reason: decodeFinishReason(fr), rawReason: fr };
        // Usage in the finishing chunk itself is the final count.
        if (usage) this.flushFinish(out);
        return out;
      }
    }
    if (usage) {
      if (this.pendingFinish) this.flushFinish(out);
      else if (this.finishSent) out.push({ type: 'usage', usage });
    }
    return out;
  }

  end(): IREvent[] {
    const out: IREvent[] = [];
    if (!this.done) this.close(out, false);
    return out;
  }

  private delta(d: Json, out: IREvent[]): void {
    const reasoning = str(d.reasoning_content) ?? str(d.reasoning);
    if (reasoning) out.push({ type: 'reasoning-delta', index: this.block('reasoning', out), text: reasoning });
    const content = str(d.content) || str(d.refusal);
    if (content) out.push({ type: 'text-delta', index: this.block('text', out), text: content });
    if (Array.isArray(d.tool_calls)) {
      d.tool_calls.forEach((tc, pos) => {
        if (!isObject(tc)) return;
        this.toolDelta(num(tc.index) ?? pos, str(tc.id), isObject(tc.function) ? tc.function : {}, out);
      });
    } else if (isObject(d.function_call)) {
      this.toolDelta(0, undefined, d.function_call, out);
    }
  }

  private toolDelta(key: number, id: string | undefined, fn: Json, out: IREvent[]): void {
    let st = this.tools.get(key);
    // Some providers number every parallel call 0 and tell them apart by id.
    if (st && id && st.id !== id) st = undefined;
    if (!st) {
      this.closeOpen(out);
      st = { index: this.nextIndex++, id: id || newId('call_'), name: '', started: false, args: '', seen: '' };
      this.tools.set(key, st);
      this.open = { kind: 'tool', index: st.index, tool: st };
      this.sawTool = true;
    }
    const name = str(fn.name);
    if (name && !st.name) st.name = name;
    const args = typeof fn.arguments === 'string' ? fn.arguments : '';
    st.seen += args;
    if (!st.started) {
      st.args += args;
      if (st.name) this.startTool(st, out);
    } else if (args) out.push({ type: 'tool-call-delta', index: st.index, args });
    // A call left open by a switch ends once its arguments are whole.
    if (this.unfinished.has(st) && st.started && argsComplete(st.seen)) {
      this.unfinished.delete(st);
      out.push({ type: 'block-end', index: st.index });
    }
  }

  private startTool(st: ToolState, out: IREvent[]): void {
    st.started = true;
    out.push({ type: 'tool-call-start', index: st.index, id: st.id, name: st.name });
    if (st.args) out.push({ type: 'tool-call-delta', index: st.index, args: st.args });
    st.args = '';
  }

  private block(kind: 'text' | 'reasoning', out: IREvent[]): number {
    if (this.open?.kind === kind) return this.open.index;
    this.closeOpen(out);
    const index = this.nextIndex++;
    this.open = { kind, index };
    return index;
  }

  /** Another block speaks: end the open one, unless it is a tool call whose
   *  arguments may still come (see the class comment). */
  private closeOpen(out: IREvent[]): void {
    const o = this.open;
    if (!o) return;
    this.open = undefined;
    if (o.tool && !argsComplete(o.tool.seen)) {
      this.unfinished.add(o.tool);
      return;
    }
    if (o.tool && !o.tool.started) this.startTool(o.tool, out);
    out.push({ type: 'block-end', index: o.index });
  }

  /** The answer is over: end every block still open. */
  private closeAll(out: IREvent[]): void {
    const o = this.open;
    if (o) {
      this.open = undefined;
      if (o.tool) this.unfinished.add(o.tool);
      else out.push({ type: 'block-end', index: o.index });
    }
    for (const st of [...this.unfinished].sort((a, b) => a.index - b.index)) {
      if (!st.started) this.startTool(st, out);
      out.push({ type: 'block-end', index: st.index });
    }
    this.unfinished.clear();
  }

  private flushFinish(out: IREvent[]): void {
    const f = this.pendingFinish!;
    if (this.usage) f.usage = this.usage;
    out.push(f);
    this.pendingFinish = undefined;
    this.finishSent = true;
  }

  /** [DONE] (clean) or end of input: close what is open. A clean end without
   *  a finish_reason gets a synthesized finish; an end of input with neither
   *  [DONE] nor a finish_reason was cut short, an error (truncation.ts). */
  private close(out: IREvent[], clean: boolean): void {
    this.closeAll(out);
    if (this.pendingFinish) this.flushFinish(out);
    else if (!this.finishSent && !clean) out.push(truncatedError());
    else if (clean && !this.finishSent && this.started) {
      const reason: IRFinishReason = this.sawTool ? 'tool_calls' : 'stop';
      const f: IREvent = { type: 'finish', reason };
      if (this.usage) f.usage = this.usage;
      out.push(f);
      this.finishSent = true;
    }
    this.done = true;
  }
}

/**
 * IR events → chunks the OpenAI SDK's stream helpers accept: a stable
 * id/created/model on every chunk, the role first, tool calls numbered from
 * 0 with id/type/name on their first delta, a finish chunk, a usage chunk
 * with empty choices when the client asked for usage, then [DONE].
 */
export class ChatStreamEncoder implements StreamEncoder {
  private head = ''; // chunk text up to the delta
  private usageHead = '';
  private started = false;
  private finished = false;
  private closed = false;
  private sawTool = false;
  private usage: IRUsage | undefined;
  private readonly toolIndex = new Map<number, number>();

  constructor(private readonly req: IRRequest) {}

  push(ev: IREvent): string {
    if (this.closed) return '';
    // After the finish chunk the stream only waits for usage (or an error):
    // content arriving late has no place after finish_reason.
    if (this.finished && ev.type !== 'usage' && ev.type !== 'error') return '';
    switch (ev.type) {
      case 'start':
        return this.begin(ev.id, ev.model, ev.created);
      case 'text-delta':
        if (!ev.text) return '';
        return this.begin() + this.chunk('{"content":' + JSON.stringify(ev.text) + '}');
      case 'reasoning-delta':
        if (!ev.text) return ''; // signatures have no place in chat completions
        return this.begin() + this.chunk('{"reasoning_content":' + JSON.stringify(ev.text) + '}');
      case 'tool-call-start':
        // A repeated start for a block already announced is the same call (as
        // the fold reads it): the client has its id and name already.
        if (this.toolIndex.has(ev.index)) return this.begin();
        return this.begin() + this.toolStart(ev.index, ev.id, ev.name);
      case 'tool-call-delta': {
        let out = this.begin();
        let k = this.toolIndex.get(ev.index);
        if (k === undefined) {
          out += this.toolStart(ev.index, '', '');
          k = this.toolIndex.get(ev.index)!;
        }
        if (ev.args) out += this.chunk('{"tool_calls":[{"index":' + k + ',"function":{"arguments":' + JSON.stringify(ev.args) + '}}]}');
        return out;
      }
      case 'block-end':
        return '';
      case 'usage':
        this.usage = ev.usage;
        return this.finished ? this.tail() : '';
      case 'finish': {
        if (this.finished) return '';
        if (ev.usage) this.usage = ev.usage;
        this.finished = true;
        const reason = encodeFinishReason(ev.reason, this.sawTool, ev.rawReason);
        const out = this.begin() + this.chunk('{}', reason);
        // Without usage yet, wait: it may still come as its own event.
        return this.usage ? out + this.tail() : out;
      }
      case 'error':
        this.closed = true;
        return encodeStreamError({ status: ev.status, message: ev.message, ...(ev.code !== undefined ? { code: ev.code } : {}) });
    }
  }

  end(): string {
    if (this.closed) return '';
    let out = this.begin();
    if (!this.finished) {
      this.finished = true;
      out += this.chunk('{}', this.sawTool ? 'tool_calls' : 'stop');
    }
    return out + this.tail();
  }

  private begin(id?: string, model?: string, created?: number): string {
    if (this.started) return '';
    this.started = true;
    const meta =
      '{"id":' + JSON.stringify(id || newId('chatcmpl-')) +
      ',"object":"chat.completion.chunk","created":' + (created || nowSeconds()) +
      ',"model":' + JSON.stringify(model || this.req.model);
    this.head = meta + ',"choices":[{"index":0,"delta":';
    this.usageHead = meta + ',"choices":[],"usage":';
    return this.chunk('{"role":"assistant","content":""}');
  }

  private chunk(delta: string, finish?: string): string {
    return 'data: ' + this.head + delta + ',"logprobs":null,"finish_reason":' + (finish ? '"' + finish + '"' : 'null') + '}]}\n\n';
  }

  private toolStart(index: number, id: string, name: string): string {
    const k = this.toolIndex.size;
    this.toolIndex.set(index, k);
    this.sawTool = true;
    return this.chunk(
      '{"tool_calls":[{"index":' + k + ',"id":' + JSON.stringify(id || newId('call_')) +
        ',"type":"function","function":{"name":' + JSON.stringify(name) + ',"arguments":""}}]}',
    );
  }

  private tail(): string {
    this.closed = true;
    if (!this.req.includeUsage) return SSE_DONE;
    const usage = this.usage ?? { inputTokens: 0, outputTokens: 0 };
    return 'data: ' + this.usageHead + JSON.stringify(encodeUsage(usage)) + '}\n\n' + SSE_DONE;
  }
}
