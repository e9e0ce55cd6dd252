// Anthropic Messages streaming: upstream SSE events → IR events.
// The encoder (IR events → Anthropic SSE) is in stream-encode.ts.
import type { StreamDecoder, StreamFrame } from '../../codec.js';
import type { IREvent } from '../../ir.js';
import { truncatedError } from '../../truncation.js';
import { statusForType } from './errors.js';
import { isServerBlock } from './response.js';
import { decodeStopReason, decodeUsage, isObj, num, parseJson, str } from './shared.js';
import type { Json } from './shared.js';
import { dropFrame } from '../../dropped-frames.js';

export { createStreamEncoder } from './stream-encode.js';

class ClaudeStreamDecoder implements StreamDecoder {
  private skipped = new Set<number>(); // server-side tool blocks, see isServerBlock
  private open = new Set<number>();
  private usage: Json = {};
  private stopReason: string | null | undefined;
  private sawDelta = false;
  private started = false;
  private finished = false;

  push(frame: StreamFrame): IREvent[] {
    if (this.finished) return [];
    const data = parseJson(frame.data);
    if (data === undefined && frame.data.trim() !== '') dropFrame('claude', frame.data);
    if (!isObj(data)) return [];
    const type = str(data.type) ?? frame.event;
    switch (type) {
      case 'message_start':
        return this.onStart(data.message);
      case 'content_block_start':
        return this.onBlockStart(num(data.index) ?? 0, data.content_block);
      case 'content_block_delta':
        return this.onDelta(num(data.index) ?? 0, data.delta);
      case 'content_block_stop': {
        const index = num(data.index) ?? 0;
        if (this.skipped.has(index) || !this.open.delete(index)) return [];
        return [{ type: 'block-end', index }];
      }
      case 'message_delta':
        this.sawDelta = true;
        if (isObj(data.delta) && data.delta.stop_reason !== undefined) this.stopReason = data.delta.stop_reason as string | null;
        // Totals here are cumulative and override message_start's.
        if (isObj(data.usage)) for (const [k, v] of Object.entries(data.usage)) if (v !== null) this.usage[k] = v;
        return [];
      case 'message_stop':
        return this.finish();
      case 'error': {
        this.finished = true;
        const e = isObj(data.error) ? data.error : {};
        const t = str(e.type);
        return [{ type: 'error', status: statusForType(t), message: str(e.message) ?? 'upstream stream error', ...(t ? { code: t } : {}) }];
      }
      default:
        return []; // ping and event types newer than this code
    }
  }

  private onStart(message: unknown): IREvent[] {
    if (this.started || !isObj(message)) return [];
    this.started = true;
    if (isObj(message.usage)) this.usage = { ...message.usage };
    const events: IREvent[] = [{ type: 'start', id: str(message.id) ?? '', model: str(message.model) ?? '' }];
    const usage = decodeUsage(this.usage);
    if (usage) events.push({ type: 'usage', usage });
    return events;
  }

  private onBlockStart(index: number, block: unknown): IREvent[] {
    if (!isObj(block) || isServerBlock(block.type)) {
      this.skipped.add(index);
      return [];
    }
    this.open.add(index);
    switch (block.type) {
      case 'text': {
        const text = str(block.text);
        return text ? [{ type: 'text-delta', index, text }] : [];
      }
      case 'thinking': {
        const events: IREvent[] = [];
        const text = str(block.thinking);
        const sig = str(block.signature);
        if (text) events.push({ type: 'reasoning-delta', index, text });
        if (sig) events.push({ type: 'reasoning-delta', index, signature: sig, signatureOrigin: 'claude' });
        return events;
      }
      case 'redacted_thinking':
        return [{ type: 'reasoning-delta', index, redactedData: str(block.data) ?? '' }];
      default: {
        const events: IREvent[] = [{ type: 'tool-call-start', index, id: str(block.id) ?? '', name: str(block.name) ?? '' }];
        // Input normally streams as input_json_delta; a pre-filled one is sent whole.
        if (isObj(block.input) && Object.keys(block.input).length) {
          events.push({ type: 'tool-call-delta', index, args: JSON.stringify(block.input) });
        }
        return events;
      }
    }
  }

  private onDelta(index: number, delta: unknown): IREvent[] {
    if (this.skipped.has(index) || !isObj(delta)) return [];
    switch (delta.type) {
      case 'text_delta': {
        const text = str(delta.text);
        return text ? [{ type: 'text-delta', index, text }] : [];
      }
      case 'thinking_delta': {
        const text = str(delta.thinking);
        return text ? [{ type: 'reasoning-delta', index, text }] : [];
      }
      case 'signature_delta': {
        const sig = str(delta.signature);
        return sig ? [{ type: 'reasoning-delta', index, signature: sig, signatureOrigin: 'claude' }] : [];
      }
      case 'input_json_delta': {
        const args = str(delta.partial_json);
        return args ? [{ type: 'tool-call-delta', index, args }] : [];
      }
      default:
        return []; // citations_delta and newer kinds
    }
  }

  private finish(): IREvent[] {
    this.finished = true;
    const events: IREvent[] = [...this.open].map((index) => ({ type: 'block-end' as const, index }));
    this.open.clear();
    const raw = this.stopReason ?? undefined;
    const usage = decodeUsage(this.usage);
    events.push({ type: 'finish', reason: decodeStopReason(raw), ...(usage ? { usage } : {}), ...(raw ? { rawReason: raw } : {}) });
    return events;
  }

  end(): IREvent[] {
    if (this.finished) return [];
    // message_delta carries the stop reason; once it came, only message_stop
    // was lost and the answer is complete.
    if (this.sawDelta) return this.finish();
    this.finished = true;
    const events: IREvent[] = [...this.open].map((index) => ({ type: 'block-end' as const, index }));
    events.push(truncatedError());
    return events;
  }
}

export function createStreamDecoder(): StreamDecoder {
  return new ClaudeStreamDecoder();
}
