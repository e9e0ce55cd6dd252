// Folding IR stream events into one whole answer. Non-stream responses are
// decoded to the same events a stream would give, then folded here, so every
// codec needs only one notion of "what the model said".
import type {
  IRError,
  IREvent,
  IRFinishReason,
  IRReasoningPart,
  IRResponse,
  IRTextPart,
  IRToolCallPart,
  IRUsage,
} from './ir.js';

type Block =
  | { kind: 'text'; chunks: string[] }
  | { kind: 'reasoning'; chunks: string[]; part: IRReasoningPart }
  | { kind: 'tool'; chunks: string[]; part: IRToolCallPart };

export class EventFolder {
  id = '';
  model = '';
  created = 0;
  finishReason: IRFinishReason | undefined;
  rawFinishReason: string | undefined;
  usage: IRUsage | undefined;
  /** The first error event seen, if any: the answer failed. */
  error: IRError | undefined;
  /** Blocks in order of first appearance; `byIndex` finds them by event index. */
  private readonly blocks: Block[] = [];
  private readonly byIndex = new Map<number, Block>();

  push(ev: IREvent): void {
    switch (ev.type) {
      case 'start':
        if (ev.id) this.id = ev.id;
        if (ev.model) this.model = ev.model;
        if (ev.created) this.created = ev.created;
        return;
      case 'text-delta':
        this.block(ev.index, 'text').chunks.push(ev.text);
        return;
      case 'reasoning-delta': {
        const b = this.block(ev.index, 'reasoning') as Extract<Block, { kind: 'reasoning' }>;
        if (ev.text) b.chunks.push(ev.text);
        // Signatures arrive whole (Claude signature_delta, Gemini thoughtSignature); the last one wins.
        if (ev.signature) {
          b.part.signature = ev.signature;
          if (ev.signatureOrigin) b.part.signatureOrigin = ev.signatureOrigin;
          else delete b.part.signatureOrigin;
        }
        if (ev.encrypted) b.part.encrypted = ev.encrypted;
        if (ev.redactedData) b.part.redactedData = ev.redactedData;
        return;
      }
      case 'tool-call-start': {
        const b = this.block(ev.index, 'tool') as Extract<Block, { kind: 'tool' }>;
        if (ev.id) b.part.id = ev.id;
        if (ev.name) b.part.name = ev.name;
        if (ev.signature) b.part.signature = ev.signature;
        return;
      }
      case 'tool-call-delta':
        this.block(ev.index, 'tool').chunks.push(ev.args);
        return;
      case 'block-end':
        return;
      case 'usage':
        this.usage = ev.usage;
        return;
      case 'finish':
        this.finishReason = ev.reason;
        if (ev.rawReason !== undefined) this.rawFinishReason = ev.rawReason;
        if (ev.usage) this.usage = ev.usage;
        return;
      case 'error':
        if (!this.error) {
          this.error = { status: ev.status, message: ev.message };
          if (ev.code !== undefined) this.error.code = ev.code;
        }
        return;
    }
  }

  pushAll(events: readonly IREvent[]): this {
    for (const ev of events) this.push(ev);
    return this;
  }

  /** Whether any tool call was seen (encoders report tool_calls/tool_use then). */
  get hasToolCalls(): boolean {
    for (const b of this.blocks) if (b.kind === 'tool') return true;
    return false;
  }

  result(): IRResponse {
    const content: IRResponse['content'] = [];
    for (const b of this.blocks) {
      if (b.kind === 'text') {
        const text: IRTextPart = { type: 'text', text: b.chunks.join('') };
        content.push(text);
      } else {
        const joined = b.chunks.join('');
        if (b.kind === 'reasoning') content.push({ ...b.part, text: joined });
        else content.push({ ...b.part, arguments: joined });
      }
    }
    const res: IRResponse = {
      id: this.id,
      model: this.model,
      created: this.created,
      content,
      finishReason: this.finishReason ?? 'stop',
    };
    if (this.rawFinishReason !== undefined) res.rawFinishReason = this.rawFinishReason;
    if (this.usage) res.usage = this.usage;
    return res;
  }

  private block(index: number, kind: Block['kind']): Block {
    const found = this.byIndex.get(index);
    if (found && found.kind === kind) return found;
    // A new index, or a decoder reusing an index for another kind: a new block either way.
    let b: Block;
    if (kind === 'text') b = { kind, chunks: [] };
    else if (kind === 'reasoning') b = { kind, chunks: [], part: { type: 'reasoning', text: '' } };
    else b = { kind, chunks: [], part: { type: 'tool-call', id: '', name: '', arguments: '' } };
    this.blocks.push(b);
    this.byIndex.set(index, b);
    return b;
  }
}

/** Fold a whole event list. Error events are ignored here; use EventFolder
 *  and check `.error` where a failed answer must be told apart. */
export function foldEvents(events: readonly IREvent[]): IRResponse {
  return new EventFolder().pushAll(events).result();
}
