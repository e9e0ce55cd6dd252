// Test helpers for the Claude codec: SSE framing, folding IR events into an
// answer, and running encoder output through the official SDK's parser.
import Anthropic from '@anthropic-ai/sdk';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StreamFrame } from '../../pipelines/codec.js';
import type { IREvent, IRReasoningPart, IRResponse, IRTextPart, IRToolCallPart } from '../../pipelines/ir.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'claude');

export function fixture(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}

export function fixtureJson(name: string): Record<string, unknown> {
  return JSON.parse(fixture(name)) as Record<string, unknown>;
}

/** Splits SSE text into frames (enough of the SSE grammar for these tests). */
export function parseSse(text: string): StreamFrame[] {
  const frames: StreamFrame[] = [];
  for (const chunk of text.split(/\n\n+/)) {
    let event: string | undefined;
    const data: string[] = [];
    for (const line of chunk.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (data.length) frames.push(event === undefined ? { data: data.join('\n') } : { event, data: data.join('\n') });
  }
  return frames;
}

/** The event types of an SSE text, in order. */
export function eventTypes(text: string): string[] {
  return parseSse(text).map((f) => f.event ?? '');
}

/** Folds IR events into an answer (a test-local fold, independent of pipelines/fold.ts). */
export function fold(events: IREvent[]): IRResponse {
  const res: IRResponse = { id: '', model: '', created: 0, content: [], finishReason: 'stop' };
  const byIndex = new Map<number, IRTextPart | IRReasoningPart | IRToolCallPart>();
  const get = <T extends IRTextPart | IRReasoningPart | IRToolCallPart>(index: number, make: () => T): T => {
    let p = byIndex.get(index);
    if (!p) {
      p = make();
      byIndex.set(index, p);
      res.content.push(p);
    }
    return p as T;
  };
  for (const e of events) {
    switch (e.type) {
      case 'start':
        res.id = e.id;
        res.model = e.model;
        break;
      case 'text-delta':
        get<IRTextPart>(e.index, () => ({ type: 'text', text: '' })).text += e.text;
        break;
      case 'reasoning-delta': {
        const p = get<IRReasoningPart>(e.index, () => ({ type: 'reasoning', text: '' }));
        if (e.text) p.text += e.text;
        if (e.signature) p.signature = e.signature;
        if (e.signatureOrigin) p.signatureOrigin = e.signatureOrigin;
        if (e.encrypted) p.encrypted = e.encrypted;
        if (e.redactedData) p.redactedData = e.redactedData;
        break;
      }
      case 'tool-call-start':
        get<IRToolCallPart>(e.index, () => ({ type: 'tool-call', id: e.id, name: e.name, arguments: '' }));
        break;
      case 'tool-call-delta':
        get<IRToolCallPart>(e.index, () => ({ type: 'tool-call', id: '', name: '', arguments: '' })).arguments += e.args;
        break;
      case 'usage':
        res.usage = e.usage;
        break;
      case 'finish':
        res.finishReason = e.reason;
        if (e.rawReason) res.rawFinishReason = e.rawReason;
        if (e.usage) res.usage = e.usage;
        break;
      default:
        break;
    }
  }
  return res;
}

function sdkClient(sse: string): Anthropic {
  return new Anthropic({
    apiKey: 'test-key',
    baseURL: 'http://127.0.0.1:9',
    maxRetries: 0,
    fetch: async () =>
      new Response(sse, { status: 200, headers: { 'content-type': 'text/event-stream', 'request-id': 'req_test' } }),
  });
}

/** Runs SSE text through the official SDK's messages.stream() and returns
 *  its final message, plus the raw events the SDK saw. */
export async function sdkFinalMessage(sse: string): Promise<{ message: Anthropic.Message; events: string[] }> {
  const stream = sdkClient(sse).messages.stream({ model: 'claude-test', max_tokens: 1024, messages: [{ role: 'user', content: 'hi' }] });
  const events: string[] = [];
  stream.on('streamEvent', (e) => events.push(e.type));
  const message = await stream.finalMessage();
  return { message, events };
}
