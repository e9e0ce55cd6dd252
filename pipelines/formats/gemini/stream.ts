// Gemini GenerateContentResponse chunks ↔ IR events.
import type { StreamDecoder, StreamEncoder, StreamEncoderOptions, StreamFrame } from '../../codec.js';
import type { IREvent, IRFinishReason, IRRequest, IRUsage } from '../../ir.js';
import { truncatedError } from '../../truncation.js';
import { decodeErrorObject, errorBody } from './errors.js';
import { renderSpecialPart } from './request.js';
import { geminiToolNameMap } from './request-encode.js';
import { SignatureCarrier, clientSignature, isObj, num, pick, randomToken, str } from './util.js';
import type { Json } from './util.js';
import { dropFrame } from '../../dropped-frames.js';

export interface GeminiDecoderOptions {
  /** upstream → client function names (see geminiToolNameMap). */
  toolNameMap?: Map<string, string> | Record<string, string>;
}

/** Decoders take either options or the request itself (pipelines/transform.ts
 *  passes the request), from which the tool-name map is rebuilt. */
export type GeminiDecoderInput = GeminiDecoderOptions | IRRequest;

function nameMapOf(input: GeminiDecoderInput | undefined): Map<string, string> {
  if (!input) return new Map();
  if ('messages' in input && Array.isArray(input.messages)) return geminiToolNameMap(input);
  const m = (input as GeminiDecoderOptions).toolNameMap;
  return m instanceof Map ? m : new Map(Object.entries(m ?? {}));
}

const FINISH: Record<string, IRFinishReason> = {
  STOP: 'stop',
  MAX_TOKENS: 'length',
  SAFETY: 'content_filter',
  RECITATION: 'content_filter',
  BLOCKLIST: 'content_filter',
  PROHIBITED_CONTENT: 'content_filter',
  SPII: 'content_filter',
  LANGUAGE: 'content_filter',
  IMAGE_SAFETY: 'content_filter',
  IMAGE_PROHIBITED_CONTENT: 'content_filter',
  IMAGE_RECITATION: 'content_filter',
  MALFORMED_FUNCTION_CALL: 'error',
  UNEXPECTED_TOOL_CALL: 'error',
  TOO_MANY_TOOL_CALLS: 'error',
};

export function decodeUsage(u: unknown): IRUsage | undefined {
  if (!isObj(u)) return undefined;
  const input = num(u.promptTokenCount) ?? 0;
  const candidates = num(u.candidatesTokenCount) ?? 0;
  const thoughts = num(u.thoughtsTokenCount) ?? 0;
  // Gemini counts thoughts apart from candidates; the IR's output includes reasoning.
  const usage: IRUsage = { inputTokens: input, outputTokens: candidates + thoughts };
  if (thoughts) usage.reasoningTokens = thoughts;
  const cached = num(u.cachedContentTokenCount);
  if (cached) usage.cachedTokens = cached;
  const total = num(u.totalTokenCount);
  if (total !== undefined) usage.totalTokens = total;
  return usage;
}

export function encodeUsage(u: IRUsage): Json {
  const reasoning = u.reasoningTokens ?? 0;
  const out: Json = {
    promptTokenCount: u.inputTokens,
    candidatesTokenCount: Math.max(0, u.outputTokens - reasoning),
    totalTokenCount: u.totalTokens ?? u.inputTokens + u.outputTokens,
  };
  if (u.cachedTokens) out.cachedContentTokenCount = u.cachedTokens;
  if (reasoning) out.thoughtsTokenCount = reasoning;
  return out;
}

/** Decoder state for one response. Chunks are whole objects here; push()
 *  parses frames, pushChunk() takes an already unwrapped chunk (Gemini CLI). */
export class GeminiStreamDecoder implements StreamDecoder {
  private started = false;
  private done = false;
  private open: { kind: 'text' | 'reasoning'; index: number } | undefined;
  private nextIndex = 0;
  private calls = 0;
  private idBase = '';
  private finishRaw: string | undefined;
  private blockReason: string | undefined;
  private usage: IRUsage | undefined;
  private readonly names: Map<string, string>;

  constructor(opts?: GeminiDecoderInput) {
    this.names = nameMapOf(opts);
  }

  push(frame: StreamFrame): IREvent[] {
    const data = frame.data.trim();
    if (!data || data === '[DONE]' || data === '[' || data === ']') return [];
    let chunk: unknown;
    try {
      chunk = JSON.parse(data);
    } catch {
      dropFrame('gemini', data); // a torn keep-alive or proxy banner
      return [];
    }
    if (Array.isArray(chunk)) return chunk.flatMap((c) => this.pushChunk(c));
    return this.pushChunk(chunk);
  }

  pushChunk(chunk: unknown): IREvent[] {
    if (!isObj(chunk) || this.done) return [];
    const ev: IREvent[] = [];
    if (chunk.error !== undefined) {
      const err = decodeErrorObject(chunk, 0);
      this.closeOpen(ev);
      this.done = true;
      ev.push({ type: 'error', status: err.status || 500, message: err.message, ...(err.code ? { code: err.code } : {}) });
      return ev;
    }
    if (!this.started) {
      this.started = true;
      const rid = str(chunk.responseId);
      this.idBase = (rid ?? '').replace(/[^A-Za-z0-9]/g, '').slice(0, 24) || randomToken(16);
      ev.push({ type: 'start', id: rid ?? `resp_${this.idBase}`, model: str(chunk.modelVersion) ?? '' });
    }
    const usage = decodeUsage(chunk.usageMetadata);
    if (usage) this.usage = usage;
    const pf = chunk.promptFeedback;
    if (isObj(pf) && typeof pf.blockReason === 'string') this.blockReason = pf.blockReason;
    // candidateCount > 1 has no IR shape; the first candidate is the answer.
    const cand = Array.isArray(chunk.candidates) ? chunk.candidates.find((c) => isObj(c) && (num(c.index) ?? 0) === 0) ?? chunk.candidates[0] : undefined;
    if (!isObj(cand)) return ev;
    const content = cand.content;
    if (isObj(content) && Array.isArray(content.parts)) for (const p of content.parts) if (isObj(p)) this.part(p, ev);
    const fr = str(cand.finishReason);
    if (fr && fr !== 'FINISH_REASON_UNSPECIFIED') this.finishRaw = fr;
    return ev;
  }

  private closeOpen(ev: IREvent[]): void {
    if (this.open) ev.push({ type: 'block-end', index: this.open.index });
    this.open = undefined;
  }

  private openBlock(kind: 'text' | 'reasoning', ev: IREvent[]): number {
    if (this.open?.kind === kind) return this.open.index;
    this.closeOpen(ev);
    this.open = { kind, index: this.nextIndex++ };
    return this.open.index;
  }

  private part(p: Json, ev: IREvent[]): void {
    const sig = str(pick(p, 'thoughtSignature'));
    const fc = pick(p, 'functionCall');
    if (isObj(fc)) {
      this.closeOpen(ev);
      // Also as an empty reasoning block, so clients whose tool calls have no
      // signature field (Claude, OpenAI) still carry it back to Gemini 3.
      if (sig) this.signatureBlock(sig, ev);
      const index = this.nextIndex++;
      const raw = str(fc.name) ?? '';
      // Gemini rarely numbers its calls; clients pair results by id, so mint
      // one that is stable for this response and unique across responses.
      const id = str(fc.id) || `call_${this.idBase}_${this.calls}`;
      this.calls++;
      ev.push({ type: 'tool-call-start', index, id, name: this.names.get(raw) ?? raw, ...(sig ? { signature: sig } : {}) });
      ev.push({ type: 'tool-call-delta', index, args: JSON.stringify(isObj(fc.args) ? fc.args : fc.args ?? {}) });
      ev.push({ type: 'block-end', index });
      return;
    }
    if (typeof p.text === 'string' && p.thought === true) {
      const index = this.openBlock('reasoning', ev);
      if (p.text || sig) ev.push({ type: 'reasoning-delta', index, ...(p.text ? { text: p.text } : {}), ...(sig ? { signature: sig, signatureOrigin: 'gemini' as const } : {}) });
      return;
    }
    let text = typeof p.text === 'string' ? p.text : undefined;
    const inline = pick(p, 'inlineData');
    if (text === undefined && isObj(inline)) {
      // Image-generation models answer with inline images; the IR has no
      // image event, so they travel as a markdown data URL.
      text = `![image](data:${str(pick(inline, 'mimeType')) ?? 'image/png'};base64,${str(inline.data) ?? ''})`;
    }
    if (text === undefined) text = renderSpecialPart(p);
    if (sig) {
      // The signature stays attached to this part: an empty reasoning block right before it.
      this.closeOpen(ev);
      this.signatureBlock(sig, ev);
    }
    if (!text) return;
    const index = this.openBlock('text', ev);
    ev.push({ type: 'text-delta', index, text });
  }

  private signatureBlock(signature: string, ev: IREvent[]): void {
    const index = this.nextIndex++;
    ev.push({ type: 'reasoning-delta', index, signature, signatureOrigin: 'gemini' }, { type: 'block-end', index });
  }

  /** The upstream stream ended. Google puts finishReason on the last chunk
   *  (a blocked prompt gets promptFeedback.blockReason instead): a stream
   *  without either was cut short (truncation.ts). */
  end(): IREvent[] {
    return this.close(this.finishRaw === undefined && this.blockReason === undefined);
  }

  /** A whole non-stream body: it parsed, so it is complete with or without a finishReason. */
  endWhole(): IREvent[] {
    return this.close(false);
  }

  private close(truncated: boolean): IREvent[] {
    if (this.done) return [];
    this.done = true;
    const ev: IREvent[] = [];
    if (truncated) {
      this.closeOpen(ev);
      ev.push(truncatedError());
      return ev;
    }
    if (!this.started) return ev;
    this.closeOpen(ev);
    let reason: IRFinishReason;
    const raw = this.finishRaw ?? this.blockReason;
    if (this.finishRaw) reason = FINISH[this.finishRaw] ?? 'stop';
    else if (this.blockReason) reason = 'content_filter';
    else reason = 'stop';
    if (reason === 'stop' && this.calls > 0) reason = 'tool_calls';
    ev.push({ type: 'finish', reason, ...(this.usage ? { usage: this.usage } : {}), ...(raw ? { rawReason: raw } : {}) });
    return ev;
  }
}

const GEMINI_REASONS = new Set([...Object.keys(FINISH), 'OTHER', 'FINISH_REASON_UNSPECIFIED']);

export function encodeFinishReason(reason: IRFinishReason, raw?: string): string {
  if (raw && GEMINI_REASONS.has(raw)) return raw;
  switch (reason) {
    case 'length':
      return 'MAX_TOKENS';
    case 'content_filter':
    case 'refusal':
      return 'SAFETY';
    case 'error':
      return 'OTHER';
    default:
      return 'STOP';
  }
}

export function parseArgsObject(args: string): Json {
  try {
    const v: unknown = JSON.parse(args || '{}');
    return isObj(v) ? v : { value: v };
  } catch {
    return {};
  }
}

/** How a chunk object goes on the wire; Gemini CLI wraps it in {response}. */
export type ChunkWrap = (chunk: Json) => Json;

export class GeminiStreamEncoder implements StreamEncoder {
  private readonly sse: boolean;
  private sent = 0;
  private finished = false;
  private failed = false;
  private closed = false;
  private id: string;
  private model: string;
  private usage: IRUsage | undefined;
  private readonly sigs = new SignatureCarrier();
  private readonly reasoningWithText = new Set<number>();
  private readonly calls = new Map<number, { id: string; name: string; signature?: string; args: string[] }>();

  constructor(req: IRRequest, opts: StreamEncoderOptions = {}, private readonly wrap: ChunkWrap = (c) => c) {
    this.sse = opts.sse !== false;
    this.id = '';
    this.model = req.model;
  }

  private frame(obj: Json): string {
    const json = JSON.stringify(obj);
    const n = this.sent++;
    if (this.sse) return `data: ${json}\r\n\r\n`;
    return n === 0 ? `[${json}` : `,\r\n${json}`;
  }

  private chunk(parts: Json[], candExtra: Json = {}, top: Json = {}): string {
    if (!this.id) this.id = randomToken(22);
    const cand: Json = { content: { role: 'model', parts }, ...candExtra, index: 0 };
    return this.frame(this.wrap({ candidates: [cand], ...top, modelVersion: this.model, responseId: this.id }));
  }

  push(ev: IREvent): string {
    // After the finish only a late usage report goes out; after an error frame, nothing.
    if (this.closed || this.failed || (this.finished && ev.type !== 'usage')) return '';
    switch (ev.type) {
      case 'start':
        // Chunks already sent named the response: a late start must not rename it.
        if (this.sent > 0) return '';
        if (ev.id) this.id = ev.id;
        if (ev.model) this.model = ev.model;
        return '';
      case 'text-delta':
        return ev.text ? this.chunk(this.sigs.take({ text: ev.text })) : '';
      case 'reasoning-delta': {
        // Claude's signatures go to the client tagged (util.ts), Gemini's as they came.
        const sig = ev.signature ? clientSignature(ev.signature, ev.signatureOrigin) : undefined;
        if (ev.text) {
          this.reasoningWithText.add(ev.index);
          return this.chunk([...this.sigs.flush(), { text: ev.text, thought: true, ...(sig ? { thoughtSignature: sig } : {}) }]);
        }
        if (!sig) return '';
        // A signature closing a thought (Claude-style) stays on a thought part;
        // a bare one belongs to the part that comes next (Gemini-style).
        if (this.reasoningWithText.has(ev.index)) return this.chunk([{ text: '', thought: true, thoughtSignature: sig }]);
        const stale = this.sigs.flush();
        this.sigs.pending = sig;
        return stale.length ? this.chunk(stale) : '';
      }
      case 'tool-call-start':
        this.calls.set(ev.index, { id: ev.id, name: ev.name, args: [], ...(ev.signature ? { signature: ev.signature } : {}) });
        return '';
      case 'tool-call-delta':
        this.calls.get(ev.index)?.args.push(ev.args);
        return '';
      case 'block-end':
        return this.flushCall(ev.index);
      case 'usage':
        this.usage = ev.usage;
        return this.finished ? this.frame(this.wrap({ usageMetadata: encodeUsage(ev.usage), modelVersion: this.model, responseId: this.id })) : '';
      case 'finish':
        if (ev.usage) this.usage = ev.usage;
        return this.finish(encodeFinishReason(ev.reason, ev.rawReason));
      case 'error':
        this.finished = true;
        this.failed = true;
        return this.frame(errorBody({ status: ev.status, message: ev.message, ...(ev.code ? { code: ev.code } : {}) }).body as Json);
    }
  }

  private flushCall(index: number): string {
    const c = this.calls.get(index);
    if (!c) return '';
    this.calls.delete(index);
    const fc: Json = { name: c.name, args: parseArgsObject(c.args.join('')) };
    if (c.id) fc.id = c.id; // Gemini CLI echoes it back in functionResponse.id, which pairs results exactly
    return this.chunk(this.sigs.take({ functionCall: fc, ...(c.signature ? { thoughtSignature: c.signature } : {}) }));
  }

  private flushAll(): string {
    let out = '';
    for (const index of [...this.calls.keys()]) out += this.flushCall(index);
    return out;
  }

  private finish(reason: string): string {
    let out = this.flushAll();
    const last = this.sigs.flush();
    // usageMetadata sits beside candidates on the chunk that carries finishReason, as Google sends it.
    out += this.chunk(last.length ? last : [{ text: '' }], { finishReason: reason }, this.usage ? { usageMetadata: encodeUsage(this.usage) } : {});
    this.finished = true;
    return out;
  }

  end(): string {
    if (this.closed) return '';
    this.closed = true;
    let out = '';
    // Gemini CLI treats a stream without finishReason as broken, so one is
    // always sent, also when nothing else was (an answer cut right after its
    // start, or an empty one): Google never answers with no chunk at all.
    if (!this.finished) out += this.finish('STOP');
    this.finished = true;
    if (!this.sse) out += ']';
    return out;
  }
}
