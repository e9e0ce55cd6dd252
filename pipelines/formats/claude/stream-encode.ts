// IR events → Anthropic SSE, in exactly the order the Messages API promises
// and the official SDK's MessageStream accumulates: message_start, then per
// block content_block_start / _delta… / _stop with contiguous 0-based
// indices, then message_delta and message_stop.
//
// IR block indices may be sparse or interleave (an OpenAI upstream can stream
// two tool calls' arguments alternately); Claude blocks cannot interleave. A
// text or thinking block is closed when another block speaks (more text later
// simply opens a new block). A tool_use block cannot be split, so while one is
// open, events of other tool calls are queued and replayed when it ends.
import type { StreamEncoder, StreamEncoderOptions } from '../../codec.js';
import type { IREvent, IRRequest, IRUsage } from '../../ir.js';
import { encodeStreamError } from './errors.js';
import { encodeStopReason, encodeUsage, mergeUsage, randomId, signatureFor } from './shared.js';
import type { Json } from './shared.js';

type Kind = 'text' | 'thinking' | 'tool';

interface OpenBlock {
  ir: number;
  claude: number;
  kind: Kind;
}

interface QueuedTool {
  ir: number;
  id: string;
  name: string;
  args: string[];
  ended: boolean;
}

function sse(type: string, data: Json): string {
  return `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
}

class ClaudeStreamEncoder implements StreamEncoder {
  private id = '';
  private model = '';
  private startSeen = false;
  private started = false;
  private done = false;
  private usage: IRUsage | undefined;
  private next = 0;
  private cur: OpenBlock | undefined;
  private queue: QueuedTool[] = [];
  private sawToolUse = false;

  constructor(private readonly req: IRRequest) {}

  push(ev: IREvent): string {
    if (this.done) return '';
    switch (ev.type) {
      case 'start':
        // Held back one event so input usage reported right after the start
        // (Claude's own message_start does this) lands in message_start.
        this.id = ev.id;
        this.model = ev.model;
        this.startSeen = true;
        return '';
      case 'usage':
        this.usage = mergeUsage(this.usage, ev.usage);
        return this.startSeen ? this.ensureStarted() : '';
      case 'error':
        this.done = true;
        return encodeStreamError({ status: ev.status, message: ev.message, ...(ev.code ? { code: ev.code } : {}) });
      default:
        return this.ensureStarted() + this.content(ev);
    }
  }

  private content(ev: IREvent): string {
    switch (ev.type) {
      case 'text-delta':
        if (!ev.text) return '';
        return this.openFor(ev.index, 'text') + this.delta({ type: 'text_delta', text: ev.text });
      case 'reasoning-delta': {
        let out = '';
        if (ev.redactedData) {
          out += this.closeAll();
          const index = this.next++;
          out += sse('content_block_start', { index, content_block: { type: 'redacted_thinking', data: ev.redactedData } });
          out += sse('content_block_stop', { index });
        }
        if (ev.text) out += this.openFor(ev.index, 'thinking') + this.delta({ type: 'thinking_delta', thinking: ev.text });
        const signature = signatureFor(ev);
        if (signature) out += this.openFor(ev.index, 'thinking') + this.delta({ type: 'signature_delta', signature });
        return out;
      }
      case 'tool-call-start': {
        if (this.cur?.kind === 'tool') {
          if (this.cur.ir === ev.index) return '';
          this.queue.push({ ir: ev.index, id: ev.id, name: ev.name, args: [], ended: false });
          return '';
        }
        return this.closeAll() + this.startTool(ev.index, ev.id, ev.name);
      }
      case 'tool-call-delta': {
        if (!ev.args) return '';
        if (this.cur?.kind === 'tool' && this.cur.ir === ev.index) return this.delta({ type: 'input_json_delta', partial_json: ev.args });
        // Arguments of a queued call wait for it; those of an unknown or
        // already closed call have nowhere to go in Claude's format.
        this.queue.find((q) => q.ir === ev.index)?.args.push(ev.args);
        return '';
      }
      case 'block-end': {
        if (this.cur?.ir === ev.index) return this.closeCurrent() + this.flushQueue(false);
        const q = this.queue.find((x) => x.ir === ev.index);
        if (q) q.ended = true;
        return '';
      }
      case 'finish': {
        this.usage = mergeUsage(this.usage, ev.usage);
        return this.closeAll() + this.finish(encodeStopReason(ev.reason, ev.rawReason, this.sawToolUse));
      }
      default:
        return '';
    }
  }

  private ensureStarted(): string {
    if (this.started) return '';
    this.started = true;
    const message = {
      id: this.id || randomId('msg_'),
      type: 'message',
      role: 'assistant',
      model: this.req.model || this.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: encodeUsage(this.usage),
    };
    return sse('message_start', { message });
  }

  private delta(delta: Json): string {
    return sse('content_block_delta', { index: this.cur!.claude, delta });
  }

  private openFor(ir: number, kind: Kind): string {
    if (this.cur && this.cur.ir === ir && this.cur.kind === kind) return '';
    const out = this.closeAll();
    this.cur = { ir, claude: this.next++, kind };
    const block = kind === 'text' ? { type: 'text', text: '' } : { type: 'thinking', thinking: '', signature: '' };
    return out + sse('content_block_start', { index: this.cur.claude, content_block: block });
  }

  private startTool(ir: number, id: string, name: string): string {
    this.sawToolUse = true;
    this.cur = { ir, claude: this.next++, kind: 'tool' };
    const block = { type: 'tool_use', id: id || randomId('toolu_'), name, input: {} };
    return sse('content_block_start', { index: this.cur.claude, content_block: block });
  }

  private closeCurrent(): string {
    if (!this.cur) return '';
    const index = this.cur.claude;
    this.cur = undefined;
    return sse('content_block_stop', { index });
  }

  /** Replay queued tool calls. With `closeAll` each is closed at once (a
   *  non-tool block or the end follows); otherwise the first one still
   *  streaming stays open as the current block. */
  private flushQueue(closeAll: boolean): string {
    let out = '';
    while (this.queue.length && !this.cur) {
      const q = this.queue.shift()!;
      out += this.startTool(q.ir, q.id, q.name);
      for (const a of q.args) out += this.delta({ type: 'input_json_delta', partial_json: a });
      if (q.ended || closeAll) out += this.closeCurrent();
    }
    return out;
  }

  private closeAll(): string {
    return this.closeCurrent() + this.flushQueue(true);
  }

  private finish(stopReason: string): string {
    this.done = true;
    return (
      sse('message_delta', { delta: { stop_reason: stopReason, stop_sequence: null }, usage: encodeUsage(this.usage) }) +
      sse('message_stop', {})
    );
  }

  end(): string {
    if (this.done) return '';
    return this.ensureStarted() + this.closeAll() + this.finish(this.sawToolUse ? 'tool_use' : 'end_turn');
  }
}

export function createStreamEncoder(req: IRRequest, _opts?: StreamEncoderOptions): StreamEncoder {
  return new ClaudeStreamEncoder(req);
}
