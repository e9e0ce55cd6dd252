// Responses stream events from an upstream (OpenAI, the Codex backend) → IR events.
import type { IREvent } from '../../ir.js';
import type { StreamDecoder, StreamFrame } from '../../codec.js';
import { truncatedError } from '../../truncation.js';
import { isObj, str, num, qualifyName } from './shared.js';
import type { Obj } from './shared.js';
import { errorEvent, finishEvent, itemEvents, responseToEvents, summaryText } from './response.js';
import type { ItemMeta } from './item-meta.js';
import { dropFrame } from '../../dropped-frames.js';

interface Block {
  kind: 'message' | 'reasoning' | 'call';
  /** Something for this index went out (a delta, or the tool-call start). */
  emitted: boolean;
  custom?: boolean;
  /** Argument text went out (tool calls). */
  args?: boolean;
  /** Messages: the upstream's phase, and the block's rank among text blocks once it has text. */
  phase?: string;
  ordinal?: number;
}

/** Escapes a freeform-input fragment for the inside of a JSON string, so
 *  custom tool input streams as ordinary `{"input": "…"}` argument deltas. */
function jsonInner(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

export class ResponsesStreamDecoder implements StreamDecoder {
  private started = false;
  private finished = false;
  private sawCall = false;
  private seenItems = false;
  private readonly blocks = new Map<number, Block>();

  /** Message blocks that produced text so far. */
  private texts = 0;
  private meta?: ItemMeta;

  /** `restoreName` maps tool names the encoder had to shorten back to the client's;
   *  `openMeta` gives the record for item fields the IR cannot carry (message
   *  phase), asked for only when an answer has such a field. */
  constructor(
    private readonly restoreName: (name: string) => string = (n) => n,
    private readonly openMeta?: () => ItemMeta,
  ) {}

  push(frame: StreamFrame): IREvent[] {
    if (this.finished) return [];
    const data = frame.data.trim();
    if (!data || data === '[DONE]') return [];
    let ev: unknown;
    try {
      ev = JSON.parse(data);
    } catch {
      dropFrame('openai-responses', data);
      return [];
    }
    if (!isObj(ev)) return [];
    const out: IREvent[] = [];
    this.handle(str(ev.type) ?? frame.event ?? '', ev, out);
    return out;
  }

  end(): IREvent[] {
    if (this.finished) return [];
    const out: IREvent[] = [];
    this.closeAll(out);
    this.finished = true;
    out.push(truncatedError()); // no response.completed/incomplete/failed: cut short
    return out;
  }

  private start(resp: unknown, out: IREvent[]): void {
    if (this.started) return;
    this.started = true;
    const r = isObj(resp) ? resp : {};
    const created = num(r.created_at);
    const ev: IREvent = { type: 'start', id: str(r.id) ?? '', model: str(r.model) ?? '' };
    if (created !== undefined) ev.created = created;
    out.push(ev);
  }

  private block(index: number, kind: Block['kind']): Block {
    let b = this.blocks.get(index);
    if (!b) {
      b = { kind, emitted: false };
      this.blocks.set(index, b);
      this.seenItems = true;
    }
    return b;
  }

  private handle(type: string, ev: Obj, out: IREvent[]): void {
    if (type === 'response.created' || type === 'response.in_progress' || type === 'response.queued') {
      this.start(ev.response, out);
      return;
    }
    if (type === 'error') {
      this.finished = true;
      out.push(errorEvent(isObj(ev.error) ? ev.error : ev, 500));
      return;
    }
    this.start(undefined, out);
    const index = num(ev.output_index) ?? 0;
    switch (type) {
      case 'response.output_item.added':
        if (isObj(ev.item)) this.itemAdded(ev.item, index, out);
        return;
      case 'response.output_text.delta':
      case 'response.refusal.delta': {
        const b = this.block(index, 'message');
        const text = str(ev.delta);
        if (text) {
          if (!b.emitted) this.textStarted(b);
          b.emitted = true;
          out.push({ type: 'text-delta', index, text });
        }
        return;
      }
      case 'response.reasoning_summary_part.added': {
        const b = this.block(index, 'reasoning');
        // Summary parts are sections of one thought; the IR has one text per block.
        if (b.emitted && (num(ev.summary_index) ?? 0) > 0) out.push({ type: 'reasoning-delta', index, text: '\n\n' });
        return;
      }
      case 'response.reasoning_summary_text.delta':
      case 'response.reasoning_text.delta': {
        const b = this.block(index, 'reasoning');
        const text = str(ev.delta);
        if (text) {
          b.emitted = true;
          out.push({ type: 'reasoning-delta', index, text });
        }
        return;
      }
      case 'response.function_call_arguments.delta':
      case 'response.custom_tool_call_input.delta': {
        const b = this.blocks.get(index);
        const delta = str(ev.delta);
        if (!b || b.kind !== 'call' || !b.emitted || !delta) return;
        b.args = true;
        out.push({ type: 'tool-call-delta', index, args: b.custom ? jsonInner(delta) : delta });
        return;
      }
      case 'response.output_item.done':
        if (isObj(ev.item)) this.itemDone(ev.item, index, out);
        return;
      case 'response.completed':
      case 'response.incomplete': {
        const resp = isObj(ev.response) ? ev.response : {};
        this.closeAll(out);
        // Some relays send only the final event: its output then is the answer.
        if (!this.seenItems && Array.isArray(resp.output) && resp.output.length) {
          resp.output.forEach((item, k) => {
            if (!isObj(item) || item.type !== 'message') return;
            const b: Block = { kind: 'message', emitted: false };
            this.messagePhase(b, item, k);
            if (itemEvents(item, k).length > 0) this.textStarted(b);
          });
          out.push(...responseToEvents(resp, false));
        } else {
          out.push(finishEvent(resp, this.sawCall));
        }
        this.finished = true;
        return;
      }
      case 'response.failed': {
        const resp = isObj(ev.response) ? ev.response : {};
        this.closeAll(out);
        this.finished = true;
        out.push(errorEvent(isObj(resp.error) ? resp.error : {}, 500));
        return;
      }
      default:
        return;
    }
  }

  private itemAdded(item: Obj, index: number, out: IREvent[]): void {
    if (item.type === 'message') {
      this.messagePhase(this.block(index, 'message'), item, index);
    } else if (item.type === 'reasoning') this.block(index, 'reasoning');
    else if (item.type === 'function_call' || item.type === 'custom_tool_call') {
      const custom = item.type === 'custom_tool_call';
      const b = this.block(index, 'call');
      b.custom = custom;
      b.emitted = true;
      this.sawCall = true;
      const name = this.restoreName(qualifyName(str(item.namespace), str(item.name) ?? ''));
      out.push({ type: 'tool-call-start', index, id: str(item.call_id) ?? str(item.id) ?? `call_${index}`, name });
      if (custom) out.push({ type: 'tool-call-delta', index, args: '{"input":"' });
      const early = custom ? str(item.input) : str(item.arguments);
      if (early) {
        b.args = true;
        out.push({ type: 'tool-call-delta', index, args: custom ? jsonInner(early) : early });
      }
    }
  }

  private itemDone(item: Obj, index: number, out: IREvent[]): void {
    const b = this.blocks.get(index);
    if (item.type === 'function_call' || item.type === 'custom_tool_call') {
      if (!b || !b.emitted) {
        // No added event came for it: the done item alone is the call.
        this.sawCall = true;
        this.seenItems = true;
        const evs = itemEvents(item, index).map((e) => (e.type === 'tool-call-start' ? { ...e, name: this.restoreName(e.name) } : e));
        out.push(...evs, { type: 'block-end', index });
      } else {
        if (!b.args) {
          const full = b.custom ? str(item.input) : str(item.arguments);
          if (full) out.push({ type: 'tool-call-delta', index, args: b.custom ? jsonInner(full) : full });
        }
        if (b.custom) out.push({ type: 'tool-call-delta', index, args: '"}' });
        out.push({ type: 'block-end', index });
      }
      this.blocks.delete(index);
      return;
    }
    if (item.type !== 'message' && item.type !== 'reasoning') return;
    const blk = b ?? this.block(index, item.type);
    let emitted = blk.emitted;
    if (!emitted) {
      // Deltas never came (or came under other indexes): take the text from the item.
      const evs = item.type === 'message' ? itemEvents(item, index) : summaryEvents(item, index);
      out.push(...evs);
      emitted = evs.length > 0;
    }
    if (item.type === 'message') {
      this.messagePhase(blk, item, index);
      if (emitted) this.textStarted(blk);
    }
    if (item.type === 'reasoning' && typeof item.encrypted_content === 'string' && item.encrypted_content) {
      out.push({ type: 'reasoning-delta', index, encrypted: item.encrypted_content });
      emitted = true;
    }
    if (emitted) out.push({ type: 'block-end', index });
    this.blocks.delete(index);
  }

  /** A message item's phase, if it has one. */
  private messagePhase(b: Block, item: Obj, index: number): void {
    if (typeof item.phase !== 'string' || !this.openMeta || b.phase === item.phase) return;
    b.phase = item.phase;
    this.meta ??= this.openMeta();
    this.meta.setPhase(index, item.phase);
    if (b.ordinal !== undefined) this.meta.setTextPhase(b.ordinal, item.phase);
  }

  /** The block's first text: it is the next text block of the answer. */
  private textStarted(b: Block): void {
    if (b.ordinal !== undefined) return;
    b.ordinal = this.texts++;
    if (b.phase !== undefined) this.meta?.setTextPhase(b.ordinal, b.phase);
  }

  private closeAll(out: IREvent[]): void {
    for (const [index, b] of [...this.blocks].sort((x, y) => x[0] - y[0])) {
      if (b.kind === 'call' && b.custom && b.emitted) out.push({ type: 'tool-call-delta', index, args: '"}' });
      if (b.emitted) out.push({ type: 'block-end', index });
    }
    this.blocks.clear();
  }
}

function summaryEvents(item: Obj, index: number): IREvent[] {
  const text = summaryText(item);
  return text ? [{ type: 'reasoning-delta', index, text }] : [];
}
