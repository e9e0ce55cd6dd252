// Chat Completions messages ⇄ IR messages. OpenAI puts tool results in their
// own role:"tool" messages; the IR (like Claude and Gemini) carries them as
// parts of a user message, so a run of tool messages becomes one user message
// and the encoder splits it back out, one tool message per result, in order.
import {
  TranslationError,
  type IRAudioPart,
  type IRFilePart,
  type IRImagePart,
  type IRMessage,
  type IRPart,
  type IRTextPart,
  type IRToolCallPart,
  type IRToolResultPart,
} from '../../ir.js';
import {
  audioFormat,
  audioMediaType,
  dataUrl,
  isObject,
  parseDataUrl,
  str,
  type ChatExtras,
  type Json,
} from './common.js';

type MediaPart = IRTextPart | IRImagePart | IRFilePart | IRAudioPart;

function decodePart(p: unknown, where: string): MediaPart | undefined {
  if (typeof p === 'string') return { type: 'text', text: p };
  if (!isObject(p)) throw new TranslationError(`${where}: content parts must be objects`);
  switch (p.type) {
    case 'text': {
      if (typeof p.text !== 'string') throw new TranslationError(`${where}: text part without a string 'text'`);
      const part: IRTextPart = { type: 'text', text: p.text };
      if (isObject(p.cache_control)) part.cacheControl = p.cache_control as unknown as IRTextPart['cacheControl'];
      return part;
    }
    case 'refusal':
      return typeof p.refusal === 'string' ? { type: 'text', text: p.refusal } : undefined;
    case 'image_url': {
      const iu = p.image_url;
      const url = typeof iu === 'string' ? iu : isObject(iu) ? str(iu.url) : undefined;
      if (!url) throw new TranslationError(`${where}: image_url part without a url`);
      const part: IRImagePart = { type: 'image' };
      const inline = parseDataUrl(url);
      if (inline) {
        part.mediaType = inline.mediaType;
        part.data = inline.data;
      } else part.url = url;
      const detail = isObject(iu) ? str(iu.detail) : undefined;
      if (detail) part.detail = detail;
      return part;
    }
    case 'input_audio': {
      const a = p.input_audio;
      if (!isObject(a) || typeof a.data !== 'string') throw new TranslationError(`${where}: input_audio part without data`);
      const format = str(a.format) ?? 'wav';
      return { type: 'audio', format, mediaType: audioMediaType(format), data: a.data };
    }
    case 'file': {
      const f = p.file;
      if (!isObject(f)) throw new TranslationError(`${where}: file part without 'file'`);
      const part: IRFilePart = { type: 'file' };
      const fileData = str(f.file_data);
      if (fileData) {
        const inline = parseDataUrl(fileData);
        if (inline) {
          part.mediaType = inline.mediaType;
          part.data = inline.data;
        } else part.data = fileData; // bare base64, as some clients send it
      }
      const fileId = str(f.file_id);
      if (fileId) part.fileId = fileId;
      const filename = str(f.filename);
      if (filename) part.filename = filename;
      return part;
    }
    default:
      return undefined; // unknown part kinds are dropped rather than failing the request
  }
}

function decodeContent(content: unknown, where: string): MediaPart[] {
  if (content === undefined || content === null) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  if (!Array.isArray(content)) throw new TranslationError(`${where}: content must be a string or an array`);
  const parts: MediaPart[] = [];
  for (const p of content) {
    const part = decodePart(p, where);
    if (part) parts.push(part);
  }
  return parts;
}

const MESSAGE_KEYS = new Set(['role', 'content', 'tool_calls', 'function_call', 'reasoning_content', 'reasoning', 'refusal', 'tool_call_id']);

/** Message fields the IR has no slot for (`name`, provider additions), kept
 *  so a same-format round trip writes them back. */
function messageFields(m: Json): Json | undefined {
  let fields: Json | undefined;
  for (const k in m) {
    if (MESSAGE_KEYS.has(k)) continue;
    (fields ??= {})[k] = m[k];
  }
  return fields;
}

function withFields(msg: IRMessage, m: Json): IRMessage {
  const fields = messageFields(m);
  if (fields) msg.extras = { 'openai-chat': fields };
  return msg;
}

function textOnly(parts: MediaPart[]): IRTextPart[] {
  return parts.filter((p): p is IRTextPart => p.type === 'text');
}

export interface DecodedMessages {
  system: IRTextPart[];
  systemShape: NonNullable<ChatExtras['system']>;
  messages: IRMessage[];
}

export function decodeMessages(raw: unknown): DecodedMessages {
  if (!Array.isArray(raw)) throw new TranslationError("'messages' must be an array");
  const out: DecodedMessages = { system: [], systemShape: [], messages: [] };
  const names = new Map<string, string>(); // tool call id → function name, for tool results
  const legacyCalls: Array<{ id: string; name: string }> = []; // function_call ids awaiting a result
  let toolMsg: IRMessage | undefined; // the user message collecting consecutive tool results
  let leading = true;
  raw.forEach((m, i) => {
    const where = `messages[${i}]`;
    if (!isObject(m)) throw new TranslationError(`${where} must be an object`);
    const role = m.role;
    if (role === 'system' || role === 'developer') {
      const parts = textOnly(decodeContent(m.content, where));
      if (leading) {
        out.system.push(...parts);
        const shape: NonNullable<ChatExtras['system']>[number] = { role, parts: parts.length, string: typeof m.content === 'string' };
        const fields = messageFields(m);
        if (fields) shape.fields = fields;
        out.systemShape.push(shape);
      } else {
        out.messages.push(withFields({ role: 'system', content: parts }, m));
        toolMsg = undefined;
      }
      return;
    }
    leading = false;
    if (role === 'tool' || role === 'function') {
      let callId = str(m.tool_call_id);
      let name = str(m.name);
      if (role === 'function') {
        const k = legacyCalls.findIndex((c) => c.name === name);
        callId = k >= 0 ? legacyCalls.splice(k, 1)[0]!.id : 'call_' + (name ?? 'function');
      }
      if (!callId) throw new TranslationError(`${where}: tool message without tool_call_id`);
      name ??= names.get(callId);
      const result: IRToolResultPart = {
        type: 'tool-result',
        callId,
        content: decodeContent(m.content, where).filter((p): p is IRTextPart | IRImagePart | IRFilePart => p.type !== 'audio'),
      };
      if (name) result.name = name;
      const fields = messageFields(m);
      if (fields) result.extras = { 'openai-chat': fields };
      if (!toolMsg) {
        toolMsg = { role: 'user', content: [] };
        out.messages.push(toolMsg);
      }
      toolMsg.content.push(result);
      return;
    }
    toolMsg = undefined;
    if (role === 'user') {
      out.messages.push(withFields({ role: 'user', content: decodeContent(m.content, where) }, m));
      return;
    }
    if (role !== 'assistant') throw new TranslationError(`${where}: unknown role ${JSON.stringify(role)}`);
    const content: IRPart[] = [];
    // DeepSeek/Qwen put the model's thinking beside the answer; OpenRouter calls it `reasoning`.
    const reasoning = str(m.reasoning_content) ?? str(m.reasoning);
    if (reasoning) content.push({ type: 'reasoning', text: reasoning });
    for (const p of decodeContent(m.content, where)) if (p.type === 'text') content.push(p);
    if (typeof m.refusal === 'string' && m.refusal) content.push({ type: 'text', text: m.refusal });
    if (Array.isArray(m.tool_calls)) {
      m.tool_calls.forEach((tc, j) => {
        if (!isObject(tc)) throw new TranslationError(`${where}.tool_calls[${j}] must be an object`);
        // GPT-5 custom tools call with {custom: {name, input}}; the IR only knows functions.
        const fn = isObject(tc.function) ? tc.function : isObject(tc.custom) ? { name: tc.custom.name, arguments: tc.custom.input } : {};
        const call: IRToolCallPart = {
          type: 'tool-call',
          id: str(tc.id) || `call_${i}_${j}`,
          name: str(fn.name) ?? '',
          arguments: typeof fn.arguments === 'string' ? fn.arguments : fn.arguments === undefined ? '' : JSON.stringify(fn.arguments),
        };
        names.set(call.id, call.name);
        content.push(call);
      });
    } else if (isObject(m.function_call)) {
      const fc = m.function_call;
      const name = str(fc.name) ?? '';
      const id = `call_${i}_0`;
      legacyCalls.push({ id, name });
      names.set(id, name);
      content.push({ type: 'tool-call', id, name, arguments: str(fc.arguments) ?? '' });
    }
    out.messages.push(withFields({ role: 'assistant', content }, m));
  });
  return out;
}

// ---- encoding ----

/** `keepCache`: cache_control breakpoints go out only to a same-format
 *  upstream; other OpenAI-compatible providers may reject the field. */
function encodePart(p: IRPart, keepCache: boolean): Json | undefined {
  switch (p.type) {
    case 'text': {
      const o: Json = { type: 'text', text: p.text };
      if (p.cacheControl && keepCache) o.cache_control = p.cacheControl;
      return o;
    }
    case 'image': {
      const url = p.data !== undefined ? dataUrl(p.mediaType, p.data, 'image/png') : p.url;
      if (!url) return undefined;
      const iu: Json = { url };
      if (p.detail) iu.detail = p.detail;
      return { type: 'image_url', image_url: iu };
    }
    case 'file': {
      const f: Json = {};
      // Bare base64 stays bare: it arrived that way and the filename tells the type.
      if (p.data !== undefined) f.file_data = p.mediaType ? dataUrl(p.mediaType, p.data, '') : p.data;
      else if (p.fileId) f.file_id = p.fileId;
      else if (p.url && p.mediaType?.startsWith('image/')) return { type: 'image_url', image_url: { url: p.url } };
      else return undefined; // chat completions cannot fetch files by URL
      if (p.filename) f.filename = p.filename;
      return { type: 'file', file: f };
    }
    case 'audio':
      return { type: 'input_audio', input_audio: { data: p.data, format: p.format ?? audioFormat(p.mediaType) } };
    default:
      return undefined;
  }
}

/** A lone plain text part goes out as a string: every compatible upstream takes that. */
function encodeContent(parts: IRPart[], keepCache: boolean): string | Json[] {
  if (parts.length === 1 && parts[0]!.type === 'text' && !(keepCache && parts[0]!.cacheControl)) return parts[0]!.text;
  const out: Json[] = [];
  for (const p of parts) {
    const e = encodePart(p, keepCache);
    if (e) out.push(e);
  }
  return out.length === 0 ? '' : out;
}

function joinText(parts: IRPart[], sep: string): string {
  let s = '';
  let first = true;
  for (const p of parts) {
    if (p.type !== 'text') continue;
    s = first ? p.text : s + sep + p.text;
    first = false;
  }
  return s;
}

function fieldsOf(m: IRMessage): Json | undefined {
  return m.extras?.['openai-chat'];
}

function encodeSystem(system: IRTextPart[], shape: ChatExtras['system'], keepCache: boolean, out: Json[]): void {
  if (system.length === 0) return;
  const total = shape?.reduce((n, s) => n + s.parts, 0);
  if (!shape || total !== system.length) {
    out.push({ role: 'system', content: encodeContent(system, keepCache) });
    return;
  }
  let at = 0;
  for (const s of shape) {
    const parts = system.slice(at, at + s.parts);
    at += s.parts;
    out.push({ role: s.role, content: s.string ? joinText(parts, '') : parts.map((p) => encodePart(p, keepCache)!), ...s.fields });
  }
}

function encodeUser(m: IRMessage, keepCache: boolean, out: Json[]): void {
  const rest: IRPart[] = [];
  for (const p of m.content) {
    if (p.type !== 'tool-result') {
      rest.push(p);
      continue;
    }
    out.push({ role: 'tool', tool_call_id: p.callId, content: joinText(p.content, '\n'), ...p.extras?.['openai-chat'] });
    // Tool messages carry text only; images a tool returned follow in a user message.
    for (const c of p.content) if (c.type !== 'text') rest.push(c);
  }
  if (rest.length > 0 || m.content.length === 0) out.push({ role: 'user', content: encodeContent(rest, keepCache), ...fieldsOf(m) });
}

function encodeAssistant(m: IRMessage, out: Json[]): void {
  const msg: Json = { role: 'assistant' };
  const calls: Json[] = [];
  let reasoning = '';
  for (const p of m.content) {
    if (p.type === 'reasoning' && p.text) reasoning += p.text;
    else if (p.type === 'tool-call') {
      calls.push({ id: p.id, type: 'function', function: { name: p.name, arguments: p.arguments || '{}' } });
    }
  }
  const text = joinText(m.content, '');
  msg.content = text === '' && calls.length > 0 ? null : text;
  if (reasoning) msg.reasoning_content = reasoning;
  if (calls.length > 0) msg.tool_calls = calls;
  out.push(Object.assign(msg, fieldsOf(m)));
}

export function encodeMessages(system: IRTextPart[], messages: IRMessage[], extras: ChatExtras | undefined): Json[] {
  const out: Json[] = [];
  const keepCache = extras !== undefined;
  encodeSystem(system, extras?.system, keepCache, out);
  for (const m of messages) {
    if (m.role === 'system') {
      out.push({ role: 'system', content: encodeContent(m.content.filter((p) => p.type === 'text'), keepCache), ...fieldsOf(m) });
    }
    else if (m.role === 'user') encodeUser(m, keepCache, out);
    else encodeAssistant(m, out);
  }
  return out;
}
