// Responses `input` items ⇄ IR messages.
//
// The IR groups an assistant turn (reasoning, text, tool calls) into one
// message and a run of tool outputs into one user message, the way Claude and
// Gemini need it. Responses has one item per piece, each with ids, statuses
// and item kinds the IR has no field for. So every decoded IR message carries
// a layout in its extras: which of its parts form which item, the item's other
// fields, and opaque items (web_search_call, local_shell_call, item_reference,
// additional_tools, …) in their place. Encoding follows the layout while it
// still fits the parts; otherwise (a foreign IR, or edited parts) it groups
// parts the plain way.
import { TranslationError } from '../../ir.js';
import type { IRMessage, IRPart, IRRole, IRTextPart, ResponsesPartSlot as PartSlot, ResponsesRawSlot as RawSlot, ResponsesSlot as Slot } from '../../ir.js';
import { EXTRAS_KEY, isObj, str, rest, qualifyName, wrapCustomInput, unwrapCustomInput } from './shared.js';
import type { Obj, ToolContext } from './shared.js';
import { decodeContentPart, decodeOutputPart, encodeContentPart } from './parts.js';

// The layout's slots (PartSlot, RawSlot) are typed in pipelines/extras.ts.

export interface DecodedInput {
  messages: IRMessage[];
  /** Opaque items with no message to ride on (an input of only such items). */
  lead?: unknown[];
  /** `tools` arrays of additional_tools items, for the tool list. */
  additionalTools: unknown[][];
}

type Group = 'assistant' | 'results' | 'single';

export function decodeInput(items: unknown[]): DecodedInput {
  const messages: IRMessage[] = [];
  const additionalTools: unknown[][] = [];
  const callNames = new Map<string, string>();
  let cur: IRMessage | undefined;
  let slots: Slot[] = [];
  let group: Group | undefined;
  let pending: unknown[] = [];

  const open = (role: IRRole, g: Group): IRMessage => {
    slots = pending.map((raw) => ({ raw }));
    pending = [];
    cur = { role, content: [], extras: { [EXTRAS_KEY]: { items: slots } } };
    messages.push(cur);
    group = g;
    return cur;
  };
  const assistant = (): IRMessage => (group === 'assistant' && cur ? cur : open('assistant', 'assistant'));
  const results = (): IRMessage => (group === 'results' && cur ? cur : open('user', 'results'));
  const opaque = (raw: unknown): void => {
    if (cur) slots.push({ raw });
    else pending.push(raw);
  };

  items.forEach((item, i) => {
    if (!isObj(item)) throw new TranslationError(`input[${i}] must be an object`);
    const type = str(item.type) ?? (item.role !== undefined ? 'message' : undefined);
    switch (type) {
      case 'message': {
        const role = str(item.role);
        if (role === 'assistant') {
          const m = assistant();
          slots.push(decodeMessageContent(item, 'assistant', m.content, i));
        } else if (role === 'user' || role === 'system' || role === 'developer') {
          const m = open(role === 'user' ? 'user' : 'system', 'single');
          slots.push(decodeMessageContent(item, m.role, m.content, i));
        } else {
          throw new TranslationError(`input[${i}].role must be user, assistant, system or developer`);
        }
        return;
      }
      case 'reasoning': {
        const m = assistant();
        const summary = Array.isArray(item.summary) ? item.summary : [];
        const texts = summary.map((s) => (isObj(s) ? str(s.text) ?? '' : ''));
        if (texts.length === 0) texts.push('');
        texts.forEach((text, k) => {
          const part: IRPart = { type: 'reasoning', text };
          if (k === 0) {
            if (typeof item.id === 'string') part.id = item.id;
            if (typeof item.encrypted_content === 'string') part.encrypted = item.encrypted_content;
          }
          m.content.push(part);
        });
        slots.push(slot(texts.length, rest(item, ['id', 'summary', 'encrypted_content'])));
        return;
      }
      case 'function_call':
      case 'custom_tool_call': {
        const callId = str(item.call_id);
        const name = str(item.name);
        if (!callId || !name) throw new TranslationError(`input[${i}] (${type}) needs call_id and name`);
        const namespace = str(item.namespace);
        const flat = qualifyName(namespace, name);
        callNames.set(callId, flat);
        const args = type === 'custom_tool_call' ? wrapCustomInput(str(item.input) ?? '') : argumentsText(item.arguments);
        assistant().content.push({ type: 'tool-call', id: callId, name: flat, arguments: args });
        // The name stays in the item fields only when a namespace must be restored with it.
        const skip = namespace ? ['call_id', 'arguments', 'input'] : ['call_id', 'name', 'arguments', 'input'];
        slots.push(slot(1, rest(item, skip)));
        return;
      }
      case 'function_call_output':
      case 'custom_tool_call_output': {
        const callId = str(item.call_id);
        if (!callId) throw new TranslationError(`input[${i}] (${type}) needs call_id`);
        const out = item.output;
        const content = Array.isArray(out) ? out.map(decodeOutputPart).filter((p) => p !== undefined) : [{ type: 'text' as const, text: typeof out === 'string' ? out : JSON.stringify(out ?? '') }];
        const part: IRPart = { type: 'tool-result', callId, content };
        const name = callNames.get(callId);
        if (name) part.name = name;
        results().content.push(part);
        const s = slot(1, rest(item, ['call_id', 'output']));
        if (Array.isArray(out)) s.arr = true;
        slots.push(s);
        return;
      }
      case 'additional_tools':
        if (Array.isArray(item.tools)) additionalTools.push(item.tools);
        opaque(item);
        return;
      default:
        opaque(item);
    }
  });
  return pending.length ? { messages, lead: pending, additionalTools } : { messages, additionalTools };
}

function slot(n: number, f: Obj | undefined): PartSlot {
  return f ? { n, f } : { n };
}

function argumentsText(v: unknown): string {
  if (typeof v === 'string') return v;
  return v === undefined ? '' : JSON.stringify(v);
}

function decodeMessageContent(item: Obj, role: IRRole, into: IRPart[], i: number): PartSlot {
  const s = slot(0, rest(item, ['content']));
  const content = item.content;
  if (typeof content === 'string') {
    into.push({ type: 'text', text: content });
    s.n = 1;
    s.str = true;
    return s;
  }
  if (!Array.isArray(content)) throw new TranslationError(`input[${i}].content must be a string or an array`);
  const pf: Array<Obj | null> = [];
  for (const p of content) {
    if (!isObj(p)) throw new TranslationError(`input[${i}].content parts must be objects`);
    const d = decodeContentPart(p, role);
    if (!d) continue;
    into.push(d.part);
    pf.push(d.extra ?? null);
  }
  s.n = pf.length;
  if (pf.some((x) => x !== null)) s.pf = pf;
  return s;
}

// ── encoding ────────────────────────────────────────────────────────────────

export function encodeInput(messages: IRMessage[], lead: unknown[] | undefined, ctx: ToolContext): unknown[] {
  const out: unknown[] = lead ? [...lead] : [];
  const customCalls = new Set<string>();
  for (const m of messages) {
    const layout = m.extras?.[EXTRAS_KEY]?.items;
    if (Array.isArray(layout) && fits(layout, m.content)) encodeWithLayout(m, layout, out, ctx, customCalls);
    else encodePlain(m, out, ctx, customCalls);
  }
  return out;
}

function isRaw(s: Slot): s is RawSlot {
  return 'raw' in s;
}

function slotKind(s: PartSlot): string {
  return str(s.f?.type) ?? 'message';
}

const CONTENT_PARTS = new Set(['text', 'image', 'file', 'audio']);

function fits(layout: Slot[], parts: IRPart[]): boolean {
  let i = 0;
  for (const s of layout) {
    if (!isObj(s)) return false;
    if (isRaw(s)) continue;
    if (typeof s.n !== 'number' || i + s.n > parts.length) return false;
    const chunk = parts.slice(i, i + s.n);
    i += s.n;
    const kind = slotKind(s);
    const ok =
      kind === 'message' ? chunk.every((p) => CONTENT_PARTS.has(p.type))
      : kind === 'reasoning' ? s.n > 0 && chunk.every((p) => p.type === 'reasoning')
      : kind === 'function_call' || kind === 'custom_tool_call' ? s.n === 1 && chunk[0]!.type === 'tool-call'
      : kind === 'function_call_output' || kind === 'custom_tool_call_output' ? s.n === 1 && chunk[0]!.type === 'tool-result'
      : false;
    if (!ok) return false;
  }
  return i === parts.length;
}

function encodeWithLayout(m: IRMessage, layout: Slot[], out: unknown[], ctx: ToolContext, customCalls: Set<string>): void {
  let i = 0;
  for (const s of layout) {
    if (isRaw(s)) {
      out.push(s.raw);
      continue;
    }
    const chunk = m.content.slice(i, i + s.n);
    i += s.n;
    const kind = slotKind(s);
    if (kind === 'message') {
      const item: Obj = { ...s.f };
      const role = str(item.role) ?? m.role;
      item.role = role;
      if (s.str && chunk.length === 1 && chunk[0]!.type === 'text') item.content = chunk[0]!.text;
      else item.content = chunk.map((p, k) => encodeContentPart(p, role, s.pf?.[k] ?? undefined));
      out.push(item);
    } else if (kind === 'reasoning') {
      const item = reasoningItem(chunk as Array<Extract<IRPart, { type: 'reasoning' }>>, s.f);
      if (item) out.push(item);
    } else if (kind === 'function_call' || kind === 'custom_tool_call') {
      out.push(toolCallItem(chunk[0] as Extract<IRPart, { type: 'tool-call' }>, kind === 'custom_tool_call', s.f, ctx, customCalls));
    } else {
      const p = chunk[0] as Extract<IRPart, { type: 'tool-result' }>;
      out.push({ ...s.f, call_id: p.callId, output: toolOutput(p, s.arr === true) });
    }
  }
}

function encodePlain(m: IRMessage, out: unknown[], ctx: ToolContext, customCalls: Set<string>): void {
  const role = m.role;
  let buf: IRPart[] = [];
  const flush = (): void => {
    if (buf.length) out.push({ type: 'message', role, content: buf.map((p) => encodeContentPart(p, role, undefined)) });
    buf = [];
  };
  for (const p of m.content) {
    if (CONTENT_PARTS.has(p.type)) {
      buf.push(p);
      continue;
    }
    flush();
    if (p.type === 'reasoning') {
      // Reasoning from other upstreams (Claude signatures, Gemini thoughts)
      // means nothing to a Responses model; only its own encrypted state does.
      if (!p.encrypted && !p.id) continue;
      const item = reasoningItem([p], undefined);
      if (item) out.push(item);
    } else if (p.type === 'tool-call') {
      out.push(toolCallItem(p, ctx.custom.has(p.name), undefined, ctx, customCalls));
    } else if (p.type === 'tool-result') {
      const type = customCalls.has(p.callId) ? 'custom_tool_call_output' : 'function_call_output';
      out.push({ type, call_id: p.callId, output: toolOutput(p, false) });
    }
  }
  flush();
}

function reasoningItem(parts: Array<Extract<IRPart, { type: 'reasoning' }>>, f: Obj | undefined): Obj | undefined {
  const first = parts[0];
  if (!first) return undefined;
  const item: Obj = { type: 'reasoning' };
  if (first.id) item.id = first.id;
  const texts = parts.map((p) => p.text);
  item.summary = texts.length === 1 && texts[0] === '' ? [] : texts.map((text) => ({ type: 'summary_text', text }));
  if (first.encrypted) item.encrypted_content = first.encrypted;
  return f ? { ...item, ...f, summary: item.summary } : item;
}

function toolCallItem(
  p: Extract<IRPart, { type: 'tool-call' }>, custom: boolean, f: Obj | undefined, ctx: ToolContext, customCalls: Set<string>,
): Obj {
  const item: Obj = { type: custom ? 'custom_tool_call' : 'function_call', ...f, call_id: p.id };
  const ns = str(f?.namespace);
  if (ns && p.name === qualifyName(ns, str(f?.name) ?? '')) {
    item.name = f!.name;
  } else if (ctx.ns[p.name]) {
    item.name = ctx.ns[p.name]![1];
    item.namespace = ctx.ns[p.name]![0];
  } else {
    item.name = p.name;
    delete item.namespace;
  }
  if (custom) {
    customCalls.add(p.id);
    item.input = unwrapCustomInput(p.arguments);
  } else {
    item.arguments = p.arguments;
  }
  return item;
}

function toolOutput(p: Extract<IRPart, { type: 'tool-result' }>, asArray: boolean): unknown {
  const allText = p.content.every((c) => c.type === 'text');
  if (allText && !asArray) return p.content.map((c) => (c as IRTextPart).text).join('\n');
  return p.content.map((c) => encodeContentPart(c, 'user', undefined));
}
