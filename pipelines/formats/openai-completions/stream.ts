// text_completion streams ⇄ IR events.
import type { StreamDecoder, StreamEncoder, StreamFrame } from '../../codec.js';
import type { IREvent, IRRequest, IRUsage } from '../../ir.js';
import { SSE_DONE } from '../../sse.js';
import { encodeUsage, isObject, nowSeconds } from '../openai-chat/common.js';
import { encodeStreamError } from '../openai-chat/errors.js';
import { ChatStreamDecoder } from '../openai-chat/stream.js';
import { echoText } from './request.js';
import { asChatChoices, completionFinishReason, completionId } from './response.js';

/**
 * Upstream completion chunks → IR events, through the Chat Completions
 * decoder: chunks carrying `text` are rewritten as chat deltas, everything
 * else (usage chunks, errors, [DONE]) goes through as it came. The rewrite
 * costs a second parse per text chunk; no built-in provider streams legacy
 * completions, so simplicity wins over speed here.
 */
export class CompletionsStreamDecoder implements StreamDecoder {
  private readonly chat = new ChatStreamDecoder();

  push(frame: StreamFrame): IREvent[] {
    const data = frame.data;
    if (data.indexOf('"text"') < 0) return this.chat.push(frame);
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      return this.chat.push(frame);
    }
    if (!isObject(parsed) || !Array.isArray(parsed.choices)) return this.chat.push(frame);
    parsed.choices = asChatChoices(parsed.choices, 'delta');
    return this.chat.push({ ...frame, data: JSON.stringify(parsed) });
  }

  end(): IREvent[] {
    return this.chat.end();
  }
}

/**
 * IR events → the chunks the legacy API streams: one text_completion chunk
 * per text delta (choice 0, logprobs null, finish_reason null), a final
 * chunk with empty text and the finish reason, a usage chunk with empty
 * choices when the client asked for it, then [DONE]. Reasoning and tool
 * calls have no place in a completion and are dropped. With echo, the
 * prompt comes first as a chunk of its own.
 */
export class CompletionsStreamEncoder implements StreamEncoder {
  private head = ''; // chunk text up to the choice's text value
  private usageHead = '';
  private started = false;
  private finished = false;
  private closed = false;
  private usage: IRUsage | undefined;

  constructor(private readonly req: IRRequest) {}

  push(ev: IREvent): string {
    if (this.closed) return '';
    switch (ev.type) {
      case 'start':
        return this.begin(ev.id, ev.model, ev.created);
      case 'text-delta':
        if (!ev.text || this.finished) return '';
        return this.begin() + this.chunk(ev.text, null);
      case 'usage':
        this.usage = ev.usage;
        return this.finished ? this.tail() : '';
      case 'finish': {
        if (this.finished) return '';
        if (ev.usage) this.usage = ev.usage;
        this.finished = true;
        const out = this.begin() + this.chunk('', completionFinishReason(ev.reason));
        // Without usage yet, wait: it may still come as its own event.
        return this.usage ? out + this.tail() : out;
      }
      case 'error':
        this.closed = true;
        return encodeStreamError({ status: ev.status, message: ev.message, ...(ev.code !== undefined ? { code: ev.code } : {}) });
      default:
        return ''; // reasoning, tool calls, block ends
    }
  }

  end(): string {
    if (this.closed) return '';
    let out = this.begin();
    if (!this.finished) {
      this.finished = true;
      out += this.chunk('', 'stop');
    }
    return out + this.tail();
  }

  private begin(id?: string, model?: string, created?: number): string {
    if (this.started) return '';
    this.started = true;
    const meta =
      '{"id":' + JSON.stringify(completionId(id ?? '')) +
      ',"object":"text_completion","created":' + (created || nowSeconds()) +
      ',"model":' + JSON.stringify(model || this.req.model);
    this.head = meta + ',"choices":[{"text":';
    this.usageHead = meta + ',"choices":[],"usage":';
    const echo = echoText(this.req);
    return echo ? this.chunk(echo, null) : '';
  }

  private chunk(text: string, finish: string | null): string {
    return 'data: ' + this.head + JSON.stringify(text) + ',"index":0,"logprobs":null,"finish_reason":' + (finish ? '"' + finish + '"' : 'null') + '}]}\n\n';
  }

  private tail(): string {
    this.closed = true;
    if (!this.req.includeUsage) return SSE_DONE;
    const usage = this.usage ?? { inputTokens: 0, outputTokens: 0 };
    return 'data: ' + this.usageHead + JSON.stringify(encodeUsage(usage)) + '}\n\n' + SSE_DONE;
  }
}
