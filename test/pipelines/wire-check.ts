// Independent readers of what the gateway writes, for the cross-format tests
// (golden-matrix.test.ts, property.test.ts). They share no code with the
// codecs: each one parses a client stream or body the way a strict client of
// that format would, collects what a client would see (text, reasoning, tool
// calls, usage, finish), and lists every rule of the format's wire protocol
// the text breaks. Request facts do the same for request bodies of each
// format family, so a body built for one upstream can be compared with the
// client body it came from.
import type { FormatName } from '../../pipelines/ir.js';

export type Json = Record<string, unknown>;

export const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

// ───────────────────────────── frames ─────────────────────────────

export interface WireFrame {
  event?: string;
  data: string;
}

/** A strict SSE reader for encoder output: every event ends with a blank
 *  line, and only `event:`, `data:` and comment lines occur. */
export function strictSse(text: string, problems: string[]): WireFrame[] {
  const t = text.replace(/\r\n/g, '\n');
  if (t.length > 0 && !t.endsWith('\n\n')) problems.push('the text does not end with a blank line: the last SSE event is unterminated');
  const frames: WireFrame[] = [];
  for (const block of t.split(/\n\n+/)) {
    if (!block) continue;
    let event: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      if (line.startsWith('event:')) event = line.slice(6).replace(/^ /, '');
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      else problems.push(`not an SSE line: ${JSON.stringify(line.slice(0, 80))}`);
    }
    if (data.length) frames.push(event === undefined ? { data: data.join('\n') } : { event, data: data.join('\n') });
    else if (event !== undefined) problems.push(`event ${event} without data`);
  }
  return frames;
}

function parseJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

// ───────────────────────────── answers ─────────────────────────────

export interface ClientCall {
  id: string;
  /** The flat tool name (a Responses namespace is folded in as ns__name). */
  name: string;
  /** Arguments as JSON text (custom tool input as {"input": …}). */
  args: string;
}

/** Usage in the IR's meaning: input includes cache reads and writes,
 *  output includes reasoning. */
export interface ClientUsage {
  input: number;
  output: number;
  cached?: number;
  reasoning?: number;
}

export interface ClientAnswer {
  text: string;
  reasoning: string;
  calls: ClientCall[];
  usage?: ClientUsage;
  /** The raw finish value: finish_reason, stop_reason, finishReason, or the Responses status. */
  finish?: string;
  /** Responses: the final status. */
  status?: string;
  error?: string;
  /** How the stream ended: the format's clean close, an error, or not at all. */
  ended: 'clean' | 'error' | 'none';
}

export interface Checked {
  answer: ClientAnswer;
  problems: string[];
}

/** Which usage details each client format can show. */
export const CARRIES: Record<FormatName, { cached: boolean; reasoningTokens: boolean }> = {
  'openai-chat': { cached: true, reasoningTokens: true },
  'openai-completions': { cached: true, reasoningTokens: true },
  'openai-responses': { cached: true, reasoningTokens: true },
  codex: { cached: true, reasoningTokens: true },
  claude: { cached: true, reasoningTokens: false },
  gemini: { cached: true, reasoningTokens: true },
  'gemini-cli': { cached: true, reasoningTokens: true },
};

function emptyAnswer(): ClientAnswer {
  return { text: '', reasoning: '', calls: [], ended: 'none' };
}

export function qualify(namespace: string | undefined, name: string): string {
  if (!namespace || !name) return name;
  if (name.startsWith('mcp__') || name === namespace || name.startsWith(namespace + '__')) return name;
  if (namespace.endsWith('__')) return namespace + name;
  return namespace + '__' + name;
}

function chatUsage(u: unknown): ClientUsage | undefined {
  if (!isObj(u)) return undefined;
  const out: ClientUsage = { input: num(u.prompt_tokens) ?? 0, output: num(u.completion_tokens) ?? 0 };
  const cached = isObj(u.prompt_tokens_details) ? num(u.prompt_tokens_details.cached_tokens) : undefined;
  if (cached !== undefined) out.cached = cached;
  const reasoning = isObj(u.completion_tokens_details) ? num(u.completion_tokens_details.reasoning_tokens) : undefined;
  if (reasoning !== undefined) out.reasoning = reasoning;
  return out;
}

function claudeUsage(u: Json): ClientUsage {
  const read = num(u.cache_read_input_tokens);
  const out: ClientUsage = {
    input: (num(u.input_tokens) ?? 0) + (read ?? 0) + (num(u.cache_creation_input_tokens) ?? 0),
    output: num(u.output_tokens) ?? 0,
  };
  if (read !== undefined) out.cached = read;
  return out;
}

function responsesUsage(u: unknown): ClientUsage | undefined {
  if (!isObj(u)) return undefined;
  const out: ClientUsage = { input: num(u.input_tokens) ?? 0, output: num(u.output_tokens) ?? 0 };
  const cached = isObj(u.input_tokens_details) ? num(u.input_tokens_details.cached_tokens) : undefined;
  if (cached !== undefined) out.cached = cached;
  const reasoning = isObj(u.output_tokens_details) ? num(u.output_tokens_details.reasoning_tokens) : undefined;
  if (reasoning !== undefined) out.reasoning = reasoning;
  return out;
}

function geminiUsage(u: unknown): ClientUsage | undefined {
  if (!isObj(u)) return undefined;
  // Gemini leaves zero counts out.
  const thoughts = num(u.thoughtsTokenCount) ?? 0;
  return {
    input: num(u.promptTokenCount) ?? 0,
    output: (num(u.candidatesTokenCount) ?? 0) + thoughts,
    cached: num(u.cachedContentTokenCount) ?? 0,
    reasoning: thoughts,
  };
}

// ───────────────────────────── streams ─────────────────────────────

export interface StreamCheckOptions {
  /** Gemini clients: false → a streamed JSON array. */
  sse?: boolean;
  /** Also require what only well-formed input can give (named tool calls,
   *  argument text that parses, no empty output). */
  strict?: boolean;
}

/** Validates a client stream of `format` and reads the answer out of it. */
export function checkStream(format: FormatName, text: string, opts: StreamCheckOptions = {}): Checked {
  const problems: string[] = [];
  const answer = emptyAnswer();
  switch (format) {
    case 'openai-chat':
    case 'openai-completions':
      checkChatStream(strictSse(text, problems), problems, answer, format === 'openai-completions', opts);
      break;
    case 'claude':
      checkClaudeStream(strictSse(text, problems), problems, answer, opts);
      break;
    case 'openai-responses':
    case 'codex':
      checkResponsesStream(strictSse(text, problems), problems, answer, opts);
      break;
    case 'gemini':
    case 'gemini-cli': {
      const sse = opts.sse !== false;
      let elements: unknown[] = [];
      if (sse) {
        for (const f of strictSse(text, problems)) {
          if (f.event !== undefined) problems.push(`gemini SSE frame with an event name (${f.event})`);
          const v = parseJson(f.data);
          if (v === undefined) problems.push(`frame is not JSON: ${f.data.slice(0, 80)}`);
          else elements.push(v);
        }
      } else {
        const v = parseJson(text);
        if (!Array.isArray(v)) problems.push('the JSON-array stream is not one valid JSON array');
        else elements = v;
      }
      checkGeminiChunks(elements, format === 'gemini-cli', problems, answer, opts);
      break;
    }
  }
  return { answer, problems };
}

function checkChatStream(frames: WireFrame[], p: string[], a: ClientAnswer, completions: boolean, opts: StreamCheckOptions): void {
  let id: string | undefined;
  let finishSeen = false;
  let first = true;
  const tools = new Map<number, ClientCall>();
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!;
    if (a.ended !== 'none') {
      p.push(`frame after the end of the stream: ${f.data.slice(0, 60)}`);
      break;
    }
    if (f.event !== undefined && f.event !== 'error') p.push(`unexpected event name ${f.event}`);
    if (f.data === '[DONE]') {
      if (!finishSeen) p.push('[DONE] without a finish chunk before it');
      a.ended = 'clean';
      continue;
    }
    const o = parseJson(f.data);
    if (!isObj(o)) {
      p.push(`frame is not a JSON object: ${f.data.slice(0, 60)}`);
      continue;
    }
    if (o.error !== undefined) {
      a.ended = 'error';
      a.error = isObj(o.error) ? str(o.error.message) : undefined;
      if (a.error === undefined) p.push('error frame without error.message');
      continue;
    }
    if (o.object !== (completions ? 'text_completion' : 'chat.completion.chunk')) p.push(`chunk object is ${String(o.object)}`);
    if (typeof o.id !== 'string' || !o.id) p.push('chunk without an id');
    else if (id === undefined) id = o.id;
    else if (o.id !== id) p.push(`chunk id changed from ${id} to ${o.id}`);
    if (typeof o.created !== 'number') p.push('chunk without created');
    if (typeof o.model !== 'string') p.push('chunk without model');
    if (!Array.isArray(o.choices)) {
      p.push('chunk without choices');
      continue;
    }
    if (o.choices.length === 0) {
      if (!isObj(o.usage)) p.push('chunk with empty choices and no usage');
      else {
        if (!finishSeen) p.push('usage chunk before the finish chunk');
        a.usage = chatUsage(o.usage);
      }
      continue;
    }
    if (isObj(o.usage)) a.usage = chatUsage(o.usage);
    const c = o.choices[0];
    if (!isObj(c) || c.index !== 0) {
      p.push('choices[0] is not index 0');
      continue;
    }
    if (finishSeen) p.push('a content chunk after the finish chunk');
    if (completions) {
      if (typeof c.text !== 'string') p.push('completion chunk without text');
      else a.text += c.text;
    } else {
      const d = c.delta;
      if (!isObj(d)) {
        p.push('chunk without delta');
        continue;
      }
      if (first && d.role !== 'assistant') p.push('the first chunk does not carry role assistant');
      if (typeof d.content === 'string') a.text += d.content;
      if (typeof d.reasoning_content === 'string') a.reasoning += d.reasoning_content;
      if (Array.isArray(d.tool_calls)) {
        for (const tc of d.tool_calls) {
          if (!isObj(tc) || typeof tc.index !== 'number') {
            p.push('tool call delta without index');
            continue;
          }
          const fn = isObj(tc.function) ? tc.function : {};
          let call = tools.get(tc.index);
          if (!call) {
            if (tc.index !== tools.size) p.push(`tool call index ${tc.index} is not the next one (${tools.size})`);
            if (typeof tc.id !== 'string' || !tc.id) p.push('the first delta of a tool call has no id');
            if (tc.type !== 'function') p.push('the first delta of a tool call has no type function');
            if (typeof fn.name !== 'string' || (opts.strict && !fn.name)) p.push('the first delta of a tool call has no name');
            call = { id: str(tc.id) ?? '', name: str(fn.name) ?? '', args: '' };
            tools.set(tc.index, call);
            a.calls.push(call);
          } else if (tc.id !== undefined && tc.id !== call.id) p.push('a tool call id changed mid-stream');
          if (typeof fn.arguments === 'string') call.args += fn.arguments;
        }
      }
    }
    first = false;
    if (c.finish_reason !== null && c.finish_reason !== undefined) {
      if (typeof c.finish_reason !== 'string') p.push('finish_reason is not a string');
      if (finishSeen) p.push('a second finish chunk');
      finishSeen = true;
      a.finish = String(c.finish_reason);
    }
  }
  if (a.ended === 'none') p.push('the stream ended without [DONE] or an error frame');
}

interface ClaudeOpen {
  index: number;
  type: string;
  call?: ClientCall;
}

function checkClaudeStream(frames: WireFrame[], p: string[], a: ClientAnswer, opts: StreamCheckOptions): void {
  let started = false;
  let open: ClaudeOpen | undefined;
  let next = 0;
  let deltaSeen = false;
  let usage: Json = {};
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!;
    if (a.ended !== 'none') {
      p.push(`event after the end of the stream (${f.event ?? 'no name'})`);
      break;
    }
    const o = parseJson(f.data);
    if (!isObj(o)) {
      p.push(`data is not a JSON object: ${f.data.slice(0, 60)}`);
      continue;
    }
    const type = f.event;
    if (!type) p.push('event without a name');
    if (o.type !== type) p.push(`event ${String(type)} carries data of type ${String(o.type)}`);
    if (type === 'ping') continue;
    if (type === 'error') {
      a.ended = 'error';
      const e = isObj(o.error) ? o.error : {};
      a.error = str(e.message);
      if (typeof e.type !== 'string' || a.error === undefined) p.push('error event without error.type and error.message');
      continue;
    }
    if (!started && type !== 'message_start') p.push(`first event is ${String(type)}, not message_start`);
    switch (type) {
      case 'message_start': {
        if (started) p.push('a second message_start');
        started = true;
        const m = isObj(o.message) ? o.message : {};
        if (m.type !== 'message' || m.role !== 'assistant' || !Array.isArray(m.content)) p.push('message_start.message is not an empty assistant message');
        if (typeof m.id !== 'string' || !m.id) p.push('message_start without message id');
        if (!isObj(m.usage)) p.push('message_start without usage');
        else usage = { ...m.usage };
        break;
      }
      case 'content_block_start': {
        if (deltaSeen) p.push('content_block_start after message_delta');
        if (open) p.push(`block ${String(o.index)} starts while block ${open.index} is open`);
        if (o.index !== next) p.push(`block index ${String(o.index)}, expected ${next}`);
        next = (num(o.index) ?? next) + 1;
        const b = isObj(o.content_block) ? o.content_block : {};
        open = { index: num(o.index) ?? -1, type: str(b.type) ?? '' };
        switch (b.type) {
          case 'text':
            a.text += str(b.text) ?? '';
            break;
          case 'thinking':
            a.reasoning += str(b.thinking) ?? '';
            break;
          case 'redacted_thinking':
            if (typeof b.data !== 'string') p.push('redacted_thinking without data');
            break;
          case 'tool_use': {
            if (typeof b.id !== 'string' || !b.id) p.push('tool_use block without id');
            if (typeof b.name !== 'string' || (opts.strict && !b.name)) p.push('tool_use block without name');
            if (!isObj(b.input)) p.push('tool_use block without input object');
            const pre = isObj(b.input) && Object.keys(b.input).length ? JSON.stringify(b.input) : '';
            open.call = { id: str(b.id) ?? '', name: str(b.name) ?? '', args: pre };
            a.calls.push(open.call);
            break;
          }
          default:
            p.push(`unknown content block type ${String(b.type)}`);
        }
        break;
      }
      case 'content_block_delta': {
        if (!open || open.index !== o.index) {
          p.push(`delta for block ${String(o.index)}, which is not open`);
          break;
        }
        const d = isObj(o.delta) ? o.delta : {};
        const ok: Record<string, string[]> = {
          text: ['text_delta', 'citations_delta'],
          thinking: ['thinking_delta', 'signature_delta'],
          tool_use: ['input_json_delta'],
          redacted_thinking: [],
        };
        if (!(ok[open.type] ?? []).includes(String(d.type))) p.push(`${String(d.type)} in a ${open.type} block`);
        if (d.type === 'text_delta') a.text += str(d.text) ?? '';
        else if (d.type === 'thinking_delta') a.reasoning += str(d.thinking) ?? '';
        else if (d.type === 'input_json_delta' && open.call) open.call.args += str(d.partial_json) ?? '';
        break;
      }
      case 'content_block_stop':
        if (!open || open.index !== o.index) p.push(`stop for block ${String(o.index)}, which is not open`);
        if (open?.call && opts.strict && open.call.args && !isObj(parseJson(open.call.args))) {
          p.push(`tool_use ${open.call.name} input does not parse as an object: ${open.call.args.slice(0, 60)}`);
        }
        open = undefined;
        break;
      case 'message_delta': {
        if (open) p.push('message_delta while a block is open');
        if (deltaSeen) p.push('a second message_delta');
        deltaSeen = true;
        const d = isObj(o.delta) ? o.delta : {};
        if (typeof d.stop_reason !== 'string') p.push('message_delta without stop_reason');
        a.finish = str(d.stop_reason);
        if (!isObj(o.usage)) p.push('message_delta without usage');
        else for (const [k, v] of Object.entries(o.usage)) if (v !== null) usage[k] = v;
        break;
      }
      case 'message_stop':
        if (!deltaSeen) p.push('message_stop without message_delta');
        a.ended = 'clean';
        break;
      default:
        p.push(`unknown event ${String(type)}`);
    }
  }
  if (started) a.usage = claudeUsage(usage);
  for (const c of a.calls) if (!c.args) c.args = '{}';
  if (a.ended === 'none') p.push('the stream ended without message_stop or an error event');
}

interface RespItem {
  id: string;
  type: string;
  open: boolean;
  text: string;
  partOpen: boolean;
  args: string;
  call?: ClientCall;
}

function checkResponsesStream(frames: WireFrame[], p: string[], a: ClientAnswer, opts: StreamCheckOptions): void {
  let seq = -1;
  let stage = 0;
  const items: RespItem[] = [];
  const itemAt = (o: Json, type: string, what: string): RespItem | undefined => {
    const it = items[num(o.output_index) ?? -1];
    if (!it || !it.open) {
      p.push(`${what} for output_index ${String(o.output_index)}, which is not an open item`);
      return undefined;
    }
    if (it.type !== type) p.push(`${what} on a ${it.type} item`);
    if (o.item_id !== it.id) p.push(`${what} with item_id ${String(o.item_id)}, expected ${it.id}`);
    return it;
  };
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!;
    if (a.ended !== 'none') {
      p.push(`event after the terminal event (${f.event ?? 'no name'})`);
      break;
    }
    const o = parseJson(f.data);
    if (!isObj(o)) {
      p.push(`data is not a JSON object: ${f.data.slice(0, 60)}`);
      continue;
    }
    const type = f.event;
    if (o.type !== type) p.push(`event ${String(type)} carries data of type ${String(o.type)}`);
    const sn = num(o.sequence_number);
    if (sn === undefined) p.push(`${String(type)} without sequence_number`);
    else {
      if (sn <= seq) p.push(`sequence_number ${sn} after ${seq}`);
      seq = sn;
    }
    if (type === 'error') {
      a.ended = 'error';
      a.error = str(o.message) ?? (isObj(o.error) ? str(o.error.message) : undefined);
      if (a.error === undefined) p.push('error event without a message');
      continue;
    }
    if (stage === 0 && type !== 'response.created') p.push(`first event is ${String(type)}, not response.created`);
    switch (type) {
      case 'response.created':
        if (stage !== 0) p.push('a second response.created');
        stage = 1;
        if (!isObj(o.response) || typeof o.response.id !== 'string' || !o.response.id.startsWith('resp_')) p.push('response.created without a resp_ id');
        break;
      case 'response.in_progress':
        if (stage !== 1) p.push('response.in_progress is not right after response.created');
        stage = 2;
        break;
      case 'response.output_item.added': {
        if (o.output_index !== items.length) p.push(`output_index ${String(o.output_index)}, expected ${items.length}`);
        const item = isObj(o.item) ? o.item : {};
        const it: RespItem = { id: str(item.id) ?? '', type: str(item.type) ?? '', open: true, text: '', partOpen: false, args: '' };
        if (!it.id) p.push('output item without id');
        if (items.some((x) => x.id === it.id)) p.push(`duplicate item id ${it.id}`);
        if (!['message', 'reasoning', 'function_call', 'custom_tool_call'].includes(it.type)) p.push(`unknown item type ${it.type}`);
        if (it.type === 'function_call' || it.type === 'custom_tool_call') {
          if (typeof item.call_id !== 'string' || !item.call_id) p.push('tool call item without call_id');
          if (typeof item.name !== 'string' || (opts.strict && !item.name)) p.push('tool call item without name');
          it.call = { id: str(item.call_id) ?? '', name: qualify(str(item.namespace), str(item.name) ?? ''), args: '' };
          a.calls.push(it.call);
        }
        items.push(it);
        break;
      }
      case 'response.content_part.added': {
        const it = itemAt(o, 'message', type);
        if (it) {
          if (it.partOpen) p.push('a second content part opened');
          it.partOpen = true;
        }
        break;
      }
      case 'response.output_text.delta': {
        const it = itemAt(o, 'message', type);
        if (it && !it.partOpen) p.push('output_text.delta outside a content part');
        const d = str(o.delta) ?? '';
        if (it) it.text += d;
        a.text += d;
        break;
      }
      case 'response.output_text.done': {
        const it = itemAt(o, 'message', type);
        if (it && o.text !== it.text) p.push('output_text.done text differs from its deltas');
        break;
      }
      case 'response.content_part.done': {
        const it = itemAt(o, 'message', type);
        if (it) it.partOpen = false;
        break;
      }
      case 'response.reasoning_summary_part.added': {
        const it = itemAt(o, 'reasoning', type);
        if (it) it.partOpen = true;
        break;
      }
      case 'response.reasoning_summary_text.delta': {
        const it = itemAt(o, 'reasoning', type);
        if (it && !it.partOpen) p.push('reasoning delta outside a summary part');
        const d = str(o.delta) ?? '';
        if (it) it.text += d;
        a.reasoning += d;
        break;
      }
      case 'response.reasoning_summary_text.done': {
        const it = itemAt(o, 'reasoning', type);
        if (it && o.text !== it.text) p.push('reasoning_summary_text.done text differs from its deltas');
        break;
      }
      case 'response.reasoning_summary_part.done': {
        const it = itemAt(o, 'reasoning', type);
        if (it) it.partOpen = false;
        break;
      }
      case 'response.function_call_arguments.delta': {
        const it = itemAt(o, 'function_call', type);
        if (it) it.args += str(o.delta) ?? '';
        break;
      }
      case 'response.function_call_arguments.done': {
        const it = itemAt(o, 'function_call', type);
        if (it && o.arguments !== it.args) p.push('function_call_arguments.done differs from its deltas');
        break;
      }
      case 'response.custom_tool_call_input.delta': {
        const it = itemAt(o, 'custom_tool_call', type);
        if (it) it.args += str(o.delta) ?? '';
        break;
      }
      case 'response.custom_tool_call_input.done': {
        const it = itemAt(o, 'custom_tool_call', type);
        if (it && o.input !== it.args) p.push('custom_tool_call_input.done differs from its deltas');
        break;
      }
      case 'response.output_item.done': {
        const it = items[num(o.output_index) ?? -1];
        const item = isObj(o.item) ? o.item : {};
        if (!it || !it.open) {
          p.push(`output_item.done for output_index ${String(o.output_index)}, which is not open`);
          break;
        }
        it.open = false;
        if (it.partOpen) p.push(`item ${it.id} done with a part still open`);
        if (item.id !== it.id || item.type !== it.type) p.push(`output_item.done item ${String(item.id)} is not the item added (${it.id})`);
        if (it.type === 'message') {
          const texts = Array.isArray(item.content) ? item.content.map((c) => (isObj(c) ? str(c.text) ?? '' : '')).join('') : '';
          if (texts !== it.text) p.push('a done message item differs from its deltas');
        } else if (it.type === 'function_call' && it.call) {
          const args = str(item.arguments) ?? '';
          if (it.args && args !== it.args) p.push('a done function_call differs from its argument deltas');
          it.call.args = args;
        } else if (it.type === 'custom_tool_call' && it.call) {
          const input = str(item.input) ?? '';
          if (it.args && input !== it.args) p.push('a done custom_tool_call differs from its input deltas');
          it.call.args = JSON.stringify({ input });
        }
        if (it.call && item.call_id !== it.call.id) p.push('call_id changed between added and done');
        break;
      }
      case 'response.completed':
      case 'response.incomplete':
      case 'response.failed': {
        const r = isObj(o.response) ? o.response : {};
        const status = type.slice('response.'.length);
        if (r.status !== status) p.push(`${type} with response.status ${String(r.status)}`);
        a.status = status;
        if (type === 'response.failed') {
          a.ended = 'error';
          a.error = isObj(r.error) ? str(r.error.message) : undefined;
          if (a.error === undefined) p.push('response.failed without response.error.message');
          break;
        }
        a.ended = 'clean';
        for (const it of items) if (it.open) p.push(`${type} while item ${it.id} is still open`);
        const out = Array.isArray(r.output) ? r.output : [];
        if (out.length !== items.length || out.some((x, k) => !isObj(x) || x.id !== items[k]!.id)) p.push(`${type} output does not list the streamed items`);
        a.usage = responsesUsage(r.usage);
        a.finish = type === 'response.incomplete' && isObj(r.incomplete_details) ? str(r.incomplete_details.reason) : status;
        break;
      }
      default:
        p.push(`unknown event ${String(type)}`);
    }
  }
  if (a.ended === 'none') p.push('the stream ended without response.completed/incomplete/failed or an error event');
}

function checkGeminiChunks(elements: unknown[], cli: boolean, p: string[], a: ClientAnswer, opts: StreamCheckOptions): void {
  let rid: string | undefined;
  let finishSeen = false;
  for (let i = 0; i < elements.length; i++) {
    let o = elements[i];
    if (!isObj(o)) {
      p.push('a stream element is not a JSON object');
      continue;
    }
    if (a.ended === 'error') {
      p.push('an element after the error');
      break;
    }
    if (o.error !== undefined) {
      a.ended = 'error';
      const e = isObj(o.error) ? o.error : {};
      a.error = str(e.message);
      if (typeof e.code !== 'number' || a.error === undefined || typeof e.status !== 'string') p.push('error element without code, message and status');
      continue;
    }
    if (cli) {
      if (!isObj(o.response)) {
        p.push('a gemini-cli chunk without the {response} envelope');
        continue;
      }
      o = o.response;
    }
    const c = o as Json;
    if (typeof c.responseId !== 'string' || !c.responseId) p.push('chunk without responseId');
    else if (rid === undefined) rid = c.responseId;
    else if (c.responseId !== rid) p.push(`responseId changed from ${rid} to ${c.responseId}`);
    if (typeof c.modelVersion !== 'string') p.push('chunk without modelVersion');
    if (isObj(c.usageMetadata)) a.usage = geminiUsage(c.usageMetadata);
    if (c.candidates === undefined) {
      // Usage reported after the finish rides on a chunk of its own.
      if (!finishSeen) p.push('a chunk without candidates before the finish');
      if (!isObj(c.usageMetadata)) p.push('a chunk with neither candidates nor usage');
      continue;
    }
    if (finishSeen) p.push('a candidate chunk after the finish chunk');
    if (!Array.isArray(c.candidates) || c.candidates.length !== 1 || !isObj(c.candidates[0])) {
      p.push('chunk candidates is not one candidate');
      continue;
    }
    const cand = c.candidates[0];
    if (cand.index !== 0) p.push('candidate index is not 0');
    const content = isObj(cand.content) ? cand.content : {};
    if (content.role !== 'model') p.push('candidate content role is not model');
    const parts = Array.isArray(content.parts) ? content.parts : undefined;
    if (!parts || parts.length === 0) p.push('candidate without parts');
    for (const part of parts ?? []) {
      if (!isObj(part)) {
        p.push('a part is not an object');
        continue;
      }
      if (isObj(part.functionCall)) {
        const fc = part.functionCall;
        if (typeof fc.name !== 'string' || (opts.strict && !fc.name)) p.push('functionCall without name');
        if (!isObj(fc.args)) p.push('functionCall args is not an object');
        a.calls.push({ id: str(fc.id) ?? '', name: str(fc.name) ?? '', args: JSON.stringify(fc.args ?? {}) });
      } else if (typeof part.text === 'string') {
        if (part.thought === true) a.reasoning += part.text;
        else a.text += part.text;
      } else if (part.thoughtSignature === undefined) p.push(`a part with no text, call or signature: ${JSON.stringify(part).slice(0, 60)}`);
    }
    if (cand.finishReason !== undefined) {
      if (typeof cand.finishReason !== 'string') p.push('finishReason is not a string');
      finishSeen = true;
      a.finish = str(cand.finishReason);
    }
  }
  if (a.ended !== 'error') {
    if (!finishSeen) p.push('no chunk carries a finishReason');
    else a.ended = 'clean';
  }
}

// ───────────────────────────── bodies ─────────────────────────────

/** Reads a client's non-stream body (or its error body). */
export function readBody(format: FormatName, body: unknown): Checked {
  const p: string[] = [];
  const a = emptyAnswer();
  if (!isObj(body)) {
    p.push('the body is not a JSON object');
    return { answer: a, problems: p };
  }
  try {
    JSON.parse(JSON.stringify(body));
  } catch {
    p.push('the body does not serialise as JSON');
  }
  switch (format) {
    case 'openai-chat':
    case 'openai-completions': {
      if (isObj(body.error)) return errorOf(a, p, str(body.error.message));
      if (body.object !== (format === 'openai-chat' ? 'chat.completion' : 'text_completion')) p.push(`object is ${String(body.object)}`);
      if (typeof body.id !== 'string' || !body.id) p.push('body without id');
      const c = Array.isArray(body.choices) ? body.choices[0] : undefined;
      if (!isObj(c)) {
        p.push('body without choices[0]');
        break;
      }
      a.finish = str(c.finish_reason);
      if (format === 'openai-completions') a.text = str(c.text) ?? '';
      else {
        const m = isObj(c.message) ? c.message : {};
        if (m.role !== 'assistant') p.push('message role is not assistant');
        if (typeof m.content === 'string') a.text = m.content;
        else if (m.content !== null) p.push('message content is neither a string nor null');
        a.reasoning = str(m.reasoning_content) ?? '';
        for (const tc of Array.isArray(m.tool_calls) ? m.tool_calls : []) {
          const fn = isObj(tc) && isObj(tc.function) ? tc.function : {};
          if (!isObj(tc) || typeof tc.id !== 'string' || !tc.id || tc.type !== 'function' || typeof fn.name !== 'string' || typeof fn.arguments !== 'string') {
            p.push('a malformed tool call');
          }
          a.calls.push({ id: isObj(tc) ? str(tc.id) ?? '' : '', name: str(fn.name) ?? '', args: str(fn.arguments) ?? '' });
        }
      }
      a.usage = chatUsage(body.usage);
      break;
    }
    case 'claude': {
      if (body.type === 'error') return errorOf(a, p, isObj(body.error) ? str(body.error.message) : undefined);
      if (body.type !== 'message' || body.role !== 'assistant') p.push('not an assistant message');
      if (typeof body.id !== 'string' || !body.id) p.push('body without id');
      for (const b of Array.isArray(body.content) ? body.content : []) {
        if (!isObj(b)) continue;
        if (b.type === 'text') a.text += str(b.text) ?? '';
        else if (b.type === 'thinking') a.reasoning += str(b.thinking) ?? '';
        else if (b.type === 'tool_use') {
          if (typeof b.id !== 'string' || !b.id || !isObj(b.input)) p.push('a malformed tool_use block');
          a.calls.push({ id: str(b.id) ?? '', name: str(b.name) ?? '', args: JSON.stringify(b.input ?? {}) });
        } else if (b.type !== 'redacted_thinking') p.push(`unknown block ${String(b.type)}`);
      }
      a.finish = str(body.stop_reason);
      if (!isObj(body.usage)) p.push('body without usage');
      else a.usage = claudeUsage(body.usage);
      break;
    }
    case 'openai-responses':
    case 'codex': {
      if (isObj(body.error) && body.object !== 'response') return errorOf(a, p, str(body.error.message));
      if (body.object !== 'response') p.push('object is not response');
      if (typeof body.id !== 'string' || !body.id.startsWith('resp_')) p.push('body without a resp_ id');
      for (const it of Array.isArray(body.output) ? body.output : []) {
        if (!isObj(it)) continue;
        if (typeof it.id !== 'string' || !it.id) p.push('an output item without id');
        if (it.type === 'message') {
          for (const c of Array.isArray(it.content) ? it.content : []) if (isObj(c)) a.text += str(c.text) ?? '';
        } else if (it.type === 'reasoning') {
          a.reasoning += (Array.isArray(it.summary) ? it.summary : []).map((s) => (isObj(s) ? str(s.text) ?? '' : '')).join('\n\n');
        } else if (it.type === 'function_call') {
          a.calls.push({ id: str(it.call_id) ?? '', name: qualify(str(it.namespace), str(it.name) ?? ''), args: str(it.arguments) ?? '' });
        } else if (it.type === 'custom_tool_call') {
          a.calls.push({ id: str(it.call_id) ?? '', name: qualify(str(it.namespace), str(it.name) ?? ''), args: JSON.stringify({ input: str(it.input) ?? '' }) });
        } else p.push(`unknown output item ${String(it.type)}`);
      }
      a.status = str(body.status);
      a.finish = body.status === 'incomplete' && isObj(body.incomplete_details) ? str(body.incomplete_details.reason) : a.status;
      a.usage = responsesUsage(body.usage);
      break;
    }
    case 'gemini':
    case 'gemini-cli': {
      if (isObj(body.error)) return errorOf(a, p, str(body.error.message));
      let o: Json = body;
      if (format === 'gemini-cli') {
        if (!isObj(body.response)) {
          p.push('gemini-cli body without the {response} envelope');
          break;
        }
        o = body.response;
      }
      const cand = Array.isArray(o.candidates) ? o.candidates[0] : undefined;
      if (!isObj(cand)) {
        p.push('body without candidates[0]');
        break;
      }
      const content = isObj(cand.content) ? cand.content : {};
      for (const part of Array.isArray(content.parts) ? content.parts : []) {
        if (!isObj(part)) continue;
        if (isObj(part.functionCall)) {
          const fc = part.functionCall;
          a.calls.push({ id: str(fc.id) ?? '', name: str(fc.name) ?? '', args: JSON.stringify(fc.args ?? {}) });
        } else if (typeof part.text === 'string') {
          if (part.thought === true) a.reasoning += part.text;
          else a.text += part.text;
        }
      }
      a.finish = str(cand.finishReason);
      if (typeof a.finish !== 'string') p.push('candidate without finishReason');
      a.usage = geminiUsage(o.usageMetadata);
      break;
    }
  }
  a.ended = 'clean';
  return { answer: a, problems: p };
}

function errorOf(a: ClientAnswer, p: string[], message: string | undefined): Checked {
  a.ended = 'error';
  a.error = message;
  if (message === undefined) p.push('error body without a message');
  return { answer: a, problems: p };
}

// ───────────────────────────── requests ─────────────────────────────

export interface Piece {
  role: 'user' | 'assistant' | 'system';
  text: string;
}

export interface ReqCall {
  id?: string;
  name: string;
  args: unknown;
}

export interface ReqResult {
  id?: string;
  name?: string;
  /** The result normalised (see normResult). */
  text: string;
  /** Index in `calls` of the call this result answers under the format's pairing rules. */
  answers?: number;
}

/** What a request body of one format family says, in comparable terms. */
export interface RequestFacts {
  /** The top-level system prompt (leading system messages for Chat). */
  system: string[];
  /** Conversation texts in order (mid-conversation system texts with role system). */
  pieces: Piece[];
  tools: Array<{ name: string; props: string[] }>;
  calls: ReqCall[];
  results: ReqResult[];
  /** Image payloads (base64 data) and URLs. */
  images: string[];
  maxTokens?: number;
  temperature?: number;
  stop?: string[];
  effort?: string;
  budget?: number;
  thinkingType?: string;
  includeThoughts?: boolean;
  /** Breaks of the call/result pairing rules of the format. */
  pairing: string[];
}

const RESULT_KEYS = ['output', 'result', 'content', 'error', 'text'];

function canonical(v: unknown): string {
  if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
  if (isObj(v)) return '{' + Object.keys(v).sort().map((k) => JSON.stringify(k) + ':' + canonical(v[k])).join(',') + '}';
  return JSON.stringify(v) ?? 'null';
}

/** Tool output text compared across formats: a JSON object compares by
 *  value; Gemini's {output: "…"} style wrapper compares as its string. */
export function normResult(v: unknown): string {
  let o = v;
  if (typeof v === 'string') {
    const t = v.trim();
    if (!t.startsWith('{')) return v;
    try {
      o = JSON.parse(t);
    } catch {
      return v;
    }
  }
  if (isObj(o)) {
    const keys = Object.keys(o);
    if (keys.length === 1 && RESULT_KEYS.includes(keys[0]!) && typeof o[keys[0]!] === 'string') return normResult(o[keys[0]!]);
  }
  return canonical(o);
}

export function canonicalJson(v: unknown): string {
  return canonical(v);
}

function parseArgs(s: unknown): unknown {
  if (typeof s !== 'string') return s ?? {};
  if (!s.trim()) return {};
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

function dataOf(url: string): string {
  const m = /^data:[^,]*;base64,(.*)$/s.exec(url);
  return m ? m[1]! : url;
}

function propsOf(schema: unknown): string[] {
  return isObj(schema) && isObj(schema.properties) ? Object.keys(schema.properties) : [];
}

function emptyFacts(): RequestFacts {
  return { system: [], pieces: [], tools: [], calls: [], results: [], images: [], pairing: [] };
}

/** Facts of a request body of `format` (gemini-cli: the envelope). */
export function requestFacts(format: FormatName, body: Json): RequestFacts {
  switch (format) {
    case 'openai-chat':
      return chatFacts(body);
    case 'claude':
      return claudeFacts(body);
    case 'gemini':
      return geminiFacts(body);
    case 'gemini-cli':
      return geminiFacts(isObj(body.request) ? body.request : {});
    case 'openai-responses':
    case 'codex':
      return responsesFacts(body);
    default:
      throw new Error(`no request facts for ${format}`);
  }
}

function chatTexts(content: unknown): string[] {
  if (typeof content === 'string') return content ? [content] : [];
  if (!Array.isArray(content)) return [];
  return content.flatMap((c) => (isObj(c) && c.type === 'text' && typeof c.text === 'string' && c.text ? [c.text] : []));
}

function chatFacts(body: Json): RequestFacts {
  const f = emptyFacts();
  let leading = true;
  let pending: Map<string, number> | undefined; // call id → call index, awaiting tool messages
  const answered = new Set<string>();
  const closePending = (): void => {
    if (pending) for (const id of pending.keys()) if (!answered.has(id)) f.pairing.push(`tool call ${id} has no tool message after it`);
    pending = undefined;
  };
  for (const m of Array.isArray(body.messages) ? body.messages : []) {
    if (!isObj(m)) continue;
    const role = m.role;
    if (role !== 'tool') closePending();
    if (role === 'system' || role === 'developer') {
      if (leading) f.system.push(...chatTexts(m.content));
      else for (const t of chatTexts(m.content)) f.pieces.push({ role: 'system', text: t });
      continue;
    }
    leading = false;
    if (role === 'user') {
      for (const t of chatTexts(m.content)) f.pieces.push({ role: 'user', text: t });
      if (Array.isArray(m.content)) {
        for (const c of m.content) {
          if (isObj(c) && c.type === 'image_url') {
            const u = isObj(c.image_url) ? str(c.image_url.url) : str(c.image_url);
            if (u) f.images.push(dataOf(u));
          }
        }
      }
    } else if (role === 'assistant') {
      for (const t of chatTexts(m.content)) f.pieces.push({ role: 'assistant', text: t });
      if (Array.isArray(m.tool_calls) && m.tool_calls.length) {
        pending = new Map();
        answered.clear();
        for (const tc of m.tool_calls) {
          if (!isObj(tc)) continue;
          const fn = isObj(tc.function) ? tc.function : {};
          const id = str(tc.id) ?? '';
          if (!id) f.pairing.push('a tool call without id');
          if (pending.has(id) || f.calls.some((c) => c.id === id)) f.pairing.push(`duplicate tool call id ${id}`);
          pending.set(id, f.calls.length);
          f.calls.push({ id, name: str(fn.name) ?? '', args: parseArgs(fn.arguments) });
        }
      }
    } else if (role === 'tool') {
      const id = str(m.tool_call_id) ?? '';
      const text = typeof m.content === 'string' ? m.content : chatTexts(m.content).join('\n');
      const r: ReqResult = { id, text: normResult(text) };
      if (!pending || !pending.has(id)) f.pairing.push(`tool message for ${id} does not follow its call`);
      else if (answered.has(id)) f.pairing.push(`a second tool message for ${id}`);
      else {
        answered.add(id);
        r.answers = pending.get(id)!;
      }
      f.results.push(r);
    }
  }
  closePending();
  for (const t of Array.isArray(body.tools) ? body.tools : []) {
    if (isObj(t) && isObj(t.function) && typeof t.function.name === 'string') f.tools.push({ name: t.function.name, props: propsOf(t.function.parameters) });
  }
  f.maxTokens = num(body.max_completion_tokens) ?? num(body.max_tokens);
  f.temperature = num(body.temperature);
  if (typeof body.stop === 'string') f.stop = [body.stop];
  else if (Array.isArray(body.stop)) f.stop = body.stop.filter((s): s is string => typeof s === 'string');
  f.effort = str(body.reasoning_effort);
  return f;
}

function claudeImage(b: Json, f: RequestFacts): void {
  const src = isObj(b.source) ? b.source : {};
  if (src.type === 'base64' && typeof src.data === 'string') f.images.push(src.data);
  else if (src.type === 'url' && typeof src.url === 'string') f.images.push(src.url);
}

export const CLAUDE_ID = /^[a-zA-Z0-9_-]+$/;

function claudeFacts(body: Json): RequestFacts {
  const f = emptyFacts();
  if (typeof body.system === 'string') f.system.push(body.system);
  else if (Array.isArray(body.system)) for (const b of body.system) if (isObj(b) && typeof b.text === 'string') f.system.push(b.text);
  const msgs = Array.isArray(body.messages) ? body.messages.filter(isObj) : [];
  const ids = new Set<string>();
  let expect: Map<string, number> | undefined; // tool_use ids of the previous assistant turn
  msgs.forEach((m, mi) => {
    const role = m.role === 'assistant' ? 'assistant' : m.role === 'system' ? 'system' : 'user';
    const blocks: Json[] = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : Array.isArray(m.content) ? m.content.filter(isObj) : [];
    const answered = new Set<string>();
    let leadingResults = true;
    for (const b of blocks) {
      if (b.type !== 'tool_result') leadingResults = false;
      if (b.type === 'text' && typeof b.text === 'string' && b.text) f.pieces.push({ role, text: b.text });
      else if (b.type === 'image') claudeImage(b, f);
      else if (b.type === 'tool_use') {
        const id = str(b.id) ?? '';
        if (!CLAUDE_ID.test(id)) f.pairing.push(`tool_use id ${JSON.stringify(id)} is not a valid Claude id`);
        if (ids.has(id)) f.pairing.push(`duplicate tool_use id ${id}`);
        ids.add(id);
        f.calls.push({ id, name: str(b.name) ?? '', args: b.input ?? {} });
      } else if (b.type === 'tool_result') {
        const id = str(b.tool_use_id) ?? '';
        const c = b.content;
        let text = typeof c === 'string' ? c : '';
        if (Array.isArray(c)) {
          text = c.filter(isObj).filter((x) => x.type === 'text').map((x) => str(x.text) ?? '').join('\n');
          for (const x of c) if (isObj(x) && x.type === 'image') claudeImage(x, f);
        }
        const r: ReqResult = { id, text: normResult(text) };
        if (!expect || !expect.has(id)) f.pairing.push(`tool_result for ${id} is not in the turn right after its tool_use`);
        else if (answered.has(id)) f.pairing.push(`a second tool_result for ${id}`);
        else {
          answered.add(id);
          r.answers = expect.get(id)!;
          if (!leadingResults) f.pairing.push(`tool_result for ${id} is not at the start of its turn`);
        }
        f.results.push(r);
      }
    }
    if (expect) for (const id of expect.keys()) if (!answered.has(id)) f.pairing.push(`tool_use ${id} is not answered in the next turn (message ${mi})`);
    expect = undefined;
    if (role === 'assistant') {
      const calls = blocks.filter((b) => b.type === 'tool_use');
      if (calls.length) {
        expect = new Map();
        const first = f.calls.length - calls.length;
        calls.forEach((b, k) => expect!.set(str(b.id) ?? '', first + k));
      }
    }
  });
  if (expect) {
    // A trailing tool_use is a prefill; fine for a client body, but an upstream body should not end there.
    for (const id of expect.keys()) f.pairing.push(`tool_use ${id} ends the conversation unanswered`);
  }
  for (const t of Array.isArray(body.tools) ? body.tools : []) {
    if (!isObj(t) || typeof t.name !== 'string') continue;
    if (typeof t.type === 'string' && /_\d{8}$/.test(t.type)) continue; // Anthropic-defined / server tools
    f.tools.push({ name: t.name, props: propsOf(t.input_schema) });
  }
  f.maxTokens = num(body.max_tokens);
  f.temperature = num(body.temperature);
  if (Array.isArray(body.stop_sequences)) f.stop = body.stop_sequences.filter((s): s is string => typeof s === 'string');
  if (isObj(body.thinking)) {
    f.thinkingType = str(body.thinking.type);
    f.budget = num(body.thinking.budget_tokens);
  }
  if (isObj(body.output_config)) f.effort = str(body.output_config.effort);
  return f;
}

function geminiFacts(body: Json): RequestFacts {
  const f = emptyFacts();
  const sys = body.systemInstruction;
  if (isObj(sys) && Array.isArray(sys.parts)) for (const p of sys.parts) if (isObj(p) && typeof p.text === 'string') f.system.push(p.text);
  let expect: Array<{ index: number; id?: string; name: string }> | undefined;
  const contents = Array.isArray(body.contents) ? body.contents.filter(isObj) : [];
  contents.forEach((c, ci) => {
    const role = c.role === 'model' ? 'assistant' : 'user';
    const parts = Array.isArray(c.parts) ? c.parts.filter(isObj) : [];
    const responses = parts.filter((p) => isObj(p.functionResponse));
    if (expect) {
      if (role !== 'user') f.pairing.push(`the function-call turn ${ci - 1} is not followed by a user turn`);
      if (responses.length !== expect.length) f.pairing.push(`turn ${ci} answers ${responses.length} of ${expect.length} calls`);
    } else if (responses.length) f.pairing.push(`turn ${ci} has function responses but the turn before made no calls`);
    const turnCalls: Array<{ index: number; id?: string; name: string }> = [];
    let k = 0;
    for (const p of parts) {
      if (typeof p.text === 'string' && p.thought !== true && p.text) f.pieces.push({ role, text: p.text });
      const inline = isObj(p.inlineData) ? p.inlineData : undefined;
      if (inline && String(inline.mimeType).startsWith('image/') && typeof inline.data === 'string') f.images.push(inline.data);
      const file = isObj(p.fileData) ? p.fileData : undefined;
      if (file && String(file.mimeType).startsWith('image/') && typeof file.fileUri === 'string') f.images.push(file.fileUri);
      if (isObj(p.functionCall)) {
        const fc = p.functionCall;
        const call: ReqCall = { name: str(fc.name) ?? '', args: fc.args ?? {} };
        if (typeof fc.id === 'string') call.id = fc.id;
        turnCalls.push({ index: f.calls.length, name: call.name, ...(call.id !== undefined ? { id: call.id } : {}) });
        f.calls.push(call);
        if (role !== 'assistant') f.pairing.push(`a functionCall in a user turn (${ci})`);
      }
      if (isObj(p.functionResponse)) {
        const fr = p.functionResponse;
        const r: ReqResult = { name: str(fr.name) ?? '', text: normResult(fr.response ?? {}) };
        if (typeof fr.id === 'string') r.id = fr.id;
        const want = expect?.[k];
        if (want) {
          if (want.name !== r.name) f.pairing.push(`turn ${ci} response ${k} is for ${String(r.name)}, the call was ${want.name}`);
          if (want.id !== undefined && r.id !== undefined && want.id !== r.id) f.pairing.push(`turn ${ci} response ${k} id ${r.id} ≠ call id ${want.id}`);
          r.answers = want.index;
        }
        k++;
        f.results.push(r);
      }
    }
    expect = turnCalls.length ? turnCalls : undefined;
  });
  if (contents[0] && contents[0].role === 'model') f.pairing.push('the conversation opens with a model turn');
  for (const t of Array.isArray(body.tools) ? body.tools : []) {
    if (!isObj(t) || !Array.isArray(t.functionDeclarations)) continue;
    for (const d of t.functionDeclarations) {
      if (isObj(d) && typeof d.name === 'string') f.tools.push({ name: d.name, props: propsOf(d.parameters ?? d.parametersJsonSchema) });
    }
  }
  const g = isObj(body.generationConfig) ? body.generationConfig : {};
  f.maxTokens = num(g.maxOutputTokens);
  f.temperature = num(g.temperature);
  if (Array.isArray(g.stopSequences)) f.stop = g.stopSequences.filter((s): s is string => typeof s === 'string');
  if (isObj(g.thinkingConfig)) {
    f.budget = num(g.thinkingConfig.thinkingBudget);
    if (typeof g.thinkingConfig.includeThoughts === 'boolean') f.includeThoughts = g.thinkingConfig.includeThoughts;
    const level = str(g.thinkingConfig.thinkingLevel);
    if (level) f.effort = level.toLowerCase();
  }
  return f;
}

function responsesFacts(body: Json): RequestFacts {
  const f = emptyFacts();
  if (typeof body.instructions === 'string' && body.instructions) f.system.push(body.instructions);
  const callIndex = new Map<string, number>();
  const answered = new Set<string>();
  const input = typeof body.input === 'string' ? [{ type: 'message', role: 'user', content: body.input }] : Array.isArray(body.input) ? body.input : [];
  for (const it of input) {
    if (!isObj(it)) continue;
    const type = it.type ?? (it.role !== undefined ? 'message' : undefined);
    if (type === 'message') {
      const role = it.role === 'assistant' ? 'assistant' : it.role === 'user' ? 'user' : 'system';
      const parts = typeof it.content === 'string' ? [{ type: 'input_text', text: it.content }] : Array.isArray(it.content) ? it.content : [];
      for (const p of parts) {
        if (!isObj(p)) continue;
        if ((p.type === 'input_text' || p.type === 'output_text' || p.type === 'text') && typeof p.text === 'string' && p.text) f.pieces.push({ role, text: p.text });
        if (p.type === 'input_image') {
          const u = str(p.image_url) ?? (isObj(p.image_url) ? str(p.image_url.url) : undefined);
          if (u) f.images.push(dataOf(u));
        }
      }
    } else if (type === 'function_call' || type === 'custom_tool_call') {
      const id = str(it.call_id) ?? '';
      if (!id) f.pairing.push('a call item without call_id');
      if (callIndex.has(id)) f.pairing.push(`duplicate call_id ${id}`);
      callIndex.set(id, f.calls.length);
      const name = qualify(str(it.namespace), str(it.name) ?? '');
      f.calls.push({ id, name, args: type === 'custom_tool_call' ? { input: str(it.input) ?? '' } : parseArgs(it.arguments) });
    } else if (type === 'function_call_output' || type === 'custom_tool_call_output') {
      const id = str(it.call_id) ?? '';
      const out = it.output;
      const text = typeof out === 'string' ? out : Array.isArray(out) ? out.map((o) => (isObj(o) ? str(o.text) ?? '' : '')).join('\n') : JSON.stringify(out);
      const r: ReqResult = { id, text: normResult(text) };
      if (!callIndex.has(id)) f.pairing.push(`output for ${id} before (or without) its call`);
      else if (answered.has(id)) f.pairing.push(`a second output for ${id}`);
      else {
        answered.add(id);
        r.answers = callIndex.get(id)!;
      }
      f.results.push(r);
    }
  }
  for (const id of callIndex.keys()) if (!answered.has(id)) f.pairing.push(`call ${id} has no output`);
  const visit = (t: unknown, ns?: string): void => {
    if (!isObj(t) || typeof t.name !== 'string') return;
    if (t.type === 'function') f.tools.push({ name: qualify(ns, t.name), props: propsOf(t.parameters) });
    else if (t.type === 'custom') f.tools.push({ name: qualify(ns, t.name), props: [] });
    else if (t.type === 'namespace' && Array.isArray(t.tools)) for (const c of t.tools) visit(isObj(c) && c.type === undefined ? { ...c, type: 'function' } : c, t.name);
  };
  for (const t of Array.isArray(body.tools) ? body.tools : []) visit(t);
  f.maxTokens = num(body.max_output_tokens);
  f.temperature = num(body.temperature);
  if (isObj(body.reasoning)) f.effort = str(body.reasoning.effort);
  return f;
}
