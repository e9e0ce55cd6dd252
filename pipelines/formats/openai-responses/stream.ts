// Responses streaming to the client: IR events → the event lifecycle
// Responses clients (the official SDK's stream helper, Codex CLI) rely on:
// response.created, response.in_progress, per item output_item.added …
// output_item.done, then response.completed (or .incomplete / .failed)
// carrying the whole response; sequence_number counts every event from 0.
import type { IREvent, IRFinishReason, IRRequest, IRUsage } from '../../ir.js';
import type { StreamEncoder } from '../../codec.js';
import { str, unwrapCustomInput, responseId, toolContext } from './shared.js';
import type { Obj, ToolContext } from './shared.js';
import { functionItem, itemIdBase, messageItem, outputText, reasoningItem, statusFor } from './response.js';
import { itemMeta } from './item-meta.js';
import { responseBase, responseObject } from './resource.js';
import type { ResponseState } from './resource.js';

export { ResponsesStreamDecoder } from './stream-decoder.js';

interface OpenItem {
  out: number;
  kind: 'message' | 'reasoning' | 'call';
  id: string;
  text: string;
  partOpen: boolean;
  encrypted?: string;
  callId: string;
  name: string;
  args: string;
  custom: boolean;
  /** Assistant messages: the upstream's phase, if any. */
  phase?: string;
}

export class ResponsesStreamEncoder implements StreamEncoder {
  private seq = 0;
  private started = false;
  private done = false;
  private state: ResponseState = { id: '', created: 0, model: '', status: 'in_progress', output: [] };
  private base = '';
  private readonly open = new Map<number, OpenItem>();
  private usage: IRUsage | undefined;
  private readonly ctx: ToolContext;
  /** The request-derived fields of the response object, built once per answer. */
  private baseFields: Obj | undefined;

  constructor(private readonly req: IRRequest) {
    this.ctx = toolContext(req);
  }

  push(ev: IREvent): string {
    if (this.done) return '';
    let s = ev.type === 'start' ? '' : this.begin(undefined, undefined, undefined);
    switch (ev.type) {
      case 'start':
        return this.begin(ev.id, ev.model, ev.created);
      case 'text-delta':
        return s + this.text(ev.index, ev.text);
      case 'reasoning-delta':
        return s + this.reasoning(ev.index, ev.text, ev.encrypted);
      case 'tool-call-start':
        return s + this.toolStart(ev.index, ev.id, ev.name);
      case 'tool-call-delta': {
        const it = this.open.get(ev.index);
        if (!it || it.kind !== 'call' || !ev.args) return s;
        it.args += ev.args;
        if (it.custom) return s; // freeform input is sent whole once the JSON wrapper is complete
        return s + this.emit('response.function_call_arguments.delta', { item_id: it.id, output_index: it.out, delta: ev.args });
      }
      case 'block-end': {
        const it = this.open.get(ev.index);
        if (it) s += this.close(ev.index, it);
        return s;
      }
      case 'usage':
        this.usage = ev.usage;
        return s;
      case 'finish':
        return s + this.finish(ev.reason, ev.usage ?? this.usage);
      case 'error':
        this.done = true;
        this.state.status = 'failed';
        this.state.error = { code: ev.code ?? 'server_error', message: ev.message };
        if (this.usage) this.state.usage = this.usage;
        // Items cut short stay in the output as they stood, marked incomplete.
        for (const it of this.open.values()) this.state.output[it.out] = this.partial(it);
        this.open.clear();
        return s + this.emit('response.failed', { response: this.response(true) });
    }
    return s;
  }

  end(): string {
    if (this.done) return '';
    return this.begin(undefined, undefined, undefined) + this.finish('stop', this.usage);
  }

  private response(final: boolean): Obj {
    return responseObject(this.req, this.state, final, (this.baseFields ??= responseBase(this.req)));
  }

  private emit(type: string, payload: Obj): string {
    return `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: this.seq++, ...payload })}\n\n`;
  }

  private begin(id: string | undefined, model: string | undefined, created: number | undefined): string {
    if (this.started) return '';
    this.started = true;
    this.state.id = responseId(id);
    this.base = itemIdBase(this.state.id);
    this.state.model = this.req.model || model || '';
    this.state.created = created ?? Math.floor(Date.now() / 1000);
    const resp = this.response(false);
    return this.emit('response.created', { response: resp }) + this.emit('response.in_progress', { response: resp });
  }

  private openItem(index: number, kind: OpenItem['kind'], prefix: string): [OpenItem, string] {
    let s = '';
    // Text and reasoning are sequential in the Responses API: a new block ends them.
    for (const [i, it] of [...this.open]) if (it.kind !== 'call') s += this.close(i, it);
    const out = this.state.output.length;
    this.state.output.push({});
    const it: OpenItem = { out, kind, id: `${prefix}_${this.base}_${out}`, text: '', partOpen: false, callId: '', name: '', args: '', custom: false };
    this.open.set(index, it);
    return [it, s];
  }

  private text(index: number, text: string): string {
    let it = this.open.get(index);
    let s = '';
    if (!it || it.kind !== 'message') {
      if (it) s += this.close(index, it);
      const [opened, closed] = this.openItem(index, 'message', 'msg');
      it = opened;
      s += closed;
      it.phase = itemMeta(this.req)?.phaseAt(index);
      s += this.emit('response.output_item.added', { output_index: it.out, item: messageItem(it.id, [], 'in_progress', it.phase) });
      s += this.emit('response.content_part.added', { item_id: it.id, output_index: it.out, content_index: 0, part: outputText('') });
    }
    if (!text) return s;
    it.text += text;
    return s + this.emit('response.output_text.delta', { item_id: it.id, output_index: it.out, content_index: 0, delta: text, logprobs: [] });
  }

  private reasoning(index: number, text: string | undefined, encrypted: string | undefined): string {
    let it = this.open.get(index);
    let s = '';
    if (!it || it.kind !== 'reasoning') {
      // Signatures and redacted thinking of other upstreams mean nothing here.
      if (!text && !encrypted) return '';
      if (it) s += this.close(index, it);
      const [opened, closed] = this.openItem(index, 'reasoning', 'rs');
      it = opened;
      s += closed;
      s += this.emit('response.output_item.added', { output_index: it.out, item: { id: it.id, type: 'reasoning', summary: [] } });
    }
    if (encrypted) it.encrypted = encrypted;
    if (!text) return s;
    if (!it.partOpen) {
      it.partOpen = true;
      s += this.emit('response.reasoning_summary_part.added', {
        item_id: it.id, output_index: it.out, summary_index: 0, part: { type: 'summary_text', text: '' },
      });
    }
    it.text += text;
    return s + this.emit('response.reasoning_summary_text.delta', { item_id: it.id, output_index: it.out, summary_index: 0, delta: text });
  }

  private toolStart(index: number, callId: string, name: string): string {
    const prev = this.open.get(index);
    let s = prev ? this.close(index, prev) : '';
    const [it, closed] = this.openItem(index, 'call', 'fc');
    s += closed;
    it.callId = callId;
    it.name = name;
    it.custom = this.ctx.custom.has(name);
    const item = functionItem(this.ctx, this.base, it.out, callId, name, '', 'in_progress');
    it.id = str(item.id) ?? it.id;
    return s + this.emit('response.output_item.added', { output_index: it.out, item });
  }

  private close(index: number, it: OpenItem): string {
    this.open.delete(index);
    const ids = { item_id: it.id, output_index: it.out };
    let s = '';
    let item: Obj;
    if (it.kind === 'message') {
      s += this.emit('response.output_text.done', { ...ids, content_index: 0, text: it.text, logprobs: [] });
      s += this.emit('response.content_part.done', { ...ids, content_index: 0, part: outputText(it.text) });
      item = messageItem(it.id, [it.text], 'completed', it.phase);
    } else if (it.kind === 'reasoning') {
      if (it.partOpen) {
        s += this.emit('response.reasoning_summary_text.done', { ...ids, summary_index: 0, text: it.text });
        s += this.emit('response.reasoning_summary_part.done', { ...ids, summary_index: 0, part: { type: 'summary_text', text: it.text } });
      }
      item = reasoningItem(it.id, it.text, it.encrypted);
    } else {
      item = functionItem(this.ctx, this.base, it.out, it.callId, it.name, it.args, 'completed');
      if (it.custom) {
        const input = unwrapCustomInput(it.args);
        if (input) s += this.emit('response.custom_tool_call_input.delta', { ...ids, delta: input });
        s += this.emit('response.custom_tool_call_input.done', { ...ids, input });
      } else {
        s += this.emit('response.function_call_arguments.done', { ...ids, name: item.name, arguments: it.args });
      }
    }
    this.state.output[it.out] = item;
    return s + this.emit('response.output_item.done', { output_index: it.out, item });
  }

  /** An open item as it stands when the answer fails. */
  private partial(it: OpenItem): Obj {
    if (it.kind === 'message') return messageItem(it.id, [it.text], 'incomplete', it.phase);
    if (it.kind === 'reasoning') return reasoningItem(it.id, it.text, it.encrypted);
    return functionItem(this.ctx, this.base, it.out, it.callId, it.name, it.args, 'incomplete');
  }

  private finish(reason: IRFinishReason, usage: IRUsage | undefined): string {
    let s = '';
    for (const [i, it] of [...this.open].sort((a, b) => a[1].out - b[1].out)) s += this.close(i, it);
    this.done = true;
    const st = statusFor(reason);
    this.state.status = st.status === 'completed' ? 'completed' : 'incomplete';
    if (st.incomplete) this.state.incompleteReason = st.incomplete;
    // A finished response always reports usage; an upstream that gave none counts as zero (as non-stream answers do).
    this.state.usage = usage ?? { inputTokens: 0, outputTokens: 0 };
    const type = this.state.status === 'incomplete' ? 'response.incomplete' : 'response.completed';
    return s + this.emit(type, { response: this.response(true) });
  }
}
