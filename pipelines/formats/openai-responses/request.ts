// Responses request body ⇄ IR request.
import { TranslationError } from '../../ir.js';
import type { IREffort, IRReasoningConfig, IRRequest, IRResponseFormat } from '../../ir.js';
import { requestedEffort } from '../../reasoning.js';
import { EXTRAS_KEY, isObj, rest, responsesExtras, toolContext } from './shared.js';
import type { Obj, ResponsesExtras } from './shared.js';
import { decodeInput, encodeInput } from './input.js';
import { decodeTools, decodeToolChoice, encodeTools, encodeToolChoice } from './tools.js';

/** Top-level fields with an IR home; everything else rides in extras.rest. */
const MAPPED = [
  'model', 'instructions', 'input', 'tools', 'tool_choice', 'parallel_tool_calls', 'max_output_tokens',
  'temperature', 'top_p', 'text', 'reasoning', 'stream', 'metadata', 'user',
];

const EFFORTS = new Set<string>(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']);

export function decodeRequest(body: unknown): IRRequest {
  if (!isObj(body)) throw new TranslationError('request body must be a JSON object');
  const model = body.model;
  if (typeof model !== 'string' || model === '') throw new TranslationError('model is required');

  // Nulls and empty instructions carry no IR meaning but must survive a round trip.
  const skip = MAPPED.filter((k) => body[k] !== null && !(k === 'instructions' && body[k] === ''));
  const ex: ResponsesExtras = {};
  const extra = rest(body, skip);
  if (extra) ex.rest = extra;

  const req: IRRequest = { model, system: [], messages: [], stream: false, extras: { [EXTRAS_KEY]: ex } };

  const instructions = body.instructions;
  if (typeof instructions === 'string') {
    if (instructions !== '') req.system.push({ type: 'text', text: instructions });
  } else if (instructions !== undefined && instructions !== null) {
    throw new TranslationError('instructions must be a string');
  }

  const input = body.input;
  let additional: unknown[][] = [];
  if (typeof input === 'string') {
    req.messages.push({ role: 'user', content: [{ type: 'text', text: input }] });
    ex.inputString = true;
  } else if (Array.isArray(input)) {
    const d = decodeInput(input);
    req.messages = d.messages;
    if (d.lead) ex.lead = d.lead;
    additional = d.additionalTools;
  } else if (input !== undefined && input !== null) {
    throw new TranslationError('input must be a string or an array of items');
  }

  const tools = body.tools;
  if (tools !== undefined && tools !== null && !Array.isArray(tools)) throw new TranslationError('tools must be an array');
  if (Array.isArray(tools) || additional.length) {
    const d = decodeTools(Array.isArray(tools) ? tools : [], additional);
    if (d.tools.length) req.tools = d.tools;
    if (Array.isArray(tools)) ex.tools = tools;
    if (Object.keys(d.ns).length) ex.ns = d.ns;
    if (d.custom.length) ex.custom = d.custom;
    if (d.inputTools.length) ex.inputTools = d.inputTools;
  }

  if (body.tool_choice !== undefined && body.tool_choice !== null) {
    const tc = decodeToolChoice(body.tool_choice);
    if (tc) req.toolChoice = tc;
    ex.toolChoice = body.tool_choice;
    ex.toolChoiceFp = JSON.stringify(tc ?? null);
  }

  const parallel = optional(body, 'parallel_tool_calls', 'boolean');
  if (parallel !== undefined) req.parallelToolCalls = parallel as boolean;
  const max = optional(body, 'max_output_tokens', 'number');
  if (max !== undefined) req.maxTokens = max as number;
  const temperature = optional(body, 'temperature', 'number');
  if (temperature !== undefined) req.temperature = temperature as number;
  const topP = optional(body, 'top_p', 'number');
  if (topP !== undefined) req.topP = topP as number;
  const stream = optional(body, 'stream', 'boolean');
  if (stream !== undefined) req.stream = stream as boolean;
  else ex.noStream = true;
  const user = optional(body, 'user', 'string');
  if (user !== undefined) req.user = user as string;
  if (isObj(body.metadata)) req.metadata = body.metadata;
  else if (body.metadata !== undefined && body.metadata !== null) throw new TranslationError('metadata must be an object');

  if (isObj(body.text)) {
    const { format, ...others } = body.text;
    if (format !== undefined) {
      const rf = decodeFormat(format);
      if (rf) req.responseFormat = rf;
      ex.format = format;
      ex.formatFp = JSON.stringify(rf ?? null);
    }
    if (Object.keys(others).length) ex.text = others;
  } else if (body.text !== undefined && body.text !== null) {
    throw new TranslationError('text must be an object');
  }

  if (isObj(body.reasoning)) {
    const r: IRReasoningConfig = {};
    const { effort, summary, ...others } = body.reasoning;
    if (typeof effort === 'string' && EFFORTS.has(effort)) r.effort = effort as IREffort;
    else if (effort !== undefined) others.effort = effort;
    if (typeof summary === 'string') r.summary = summary;
    else if (summary !== undefined) others.summary = summary;
    if (Object.keys(r).length) req.reasoning = r;
    if (Object.keys(others).length) ex.reasoning = others;
  } else if (body.reasoning !== undefined && body.reasoning !== null) {
    throw new TranslationError('reasoning must be an object');
  }
  return req;
}

function optional(body: Obj, key: string, type: 'boolean' | 'number' | 'string'): unknown {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== type || (type === 'number' && !Number.isFinite(v))) throw new TranslationError(`${key} must be a ${type}`);
  return v;
}

function decodeFormat(f: unknown): IRResponseFormat | undefined {
  if (!isObj(f)) throw new TranslationError('text.format must be an object');
  if (f.type === 'text') return { type: 'text' };
  if (f.type === 'json_object') return { type: 'json_object' };
  if (f.type === 'json_schema') {
    if (!isObj(f.schema)) throw new TranslationError('text.format.schema must be an object');
    const rf: IRResponseFormat = { type: 'json_schema', schema: f.schema };
    if (typeof f.name === 'string') rf.name = f.name;
    if (typeof f.strict === 'boolean') rf.strict = f.strict;
    return rf;
  }
  return undefined;
}

function encodeFormat(rf: IRResponseFormat): Obj {
  if (rf.type !== 'json_schema') return { type: rf.type };
  const o: Obj = { type: 'json_schema', name: rf.name ?? 'response', schema: rf.schema };
  if (rf.strict !== undefined) o.strict = rf.strict;
  return o;
}

/** IR → a Responses body. The Codex flavour reshapes this result further. */
export function encodeResponsesBody(req: IRRequest): Obj {
  const ex = responsesExtras(req);
  const ctx = toolContext(req);
  const body: Obj = { model: req.model };
  if (ex?.rest) Object.assign(body, ex.rest);
  body.model = req.model;

  const instructions = req.system.map((p) => p.text).join('\n\n');
  if (instructions) body.instructions = instructions;

  const only = req.messages[0];
  if (ex?.inputString && req.messages.length === 1 && only?.role === 'user' && only.content.length === 1 && only.content[0]!.type === 'text') {
    body.input = only.content[0]!.text;
  } else {
    body.input = encodeInput(req.messages, ex?.lead, ctx);
  }

  const tools = encodeTools(req.tools, ex);
  if (tools) body.tools = tools;
  const tc = encodeToolChoice(req.toolChoice, ex, ctx.custom, ctx.ns);
  if (tc !== undefined) body.tool_choice = tc;
  if (req.parallelToolCalls !== undefined) body.parallel_tool_calls = req.parallelToolCalls;
  if (req.maxTokens !== undefined) body.max_output_tokens = req.maxTokens;
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.topP !== undefined) body.top_p = req.topP;

  const text: Obj = { ...ex?.text };
  const format = ex && 'format' in ex && ex.formatFp === JSON.stringify(req.responseFormat ?? null)
    ? ex.format
    : req.responseFormat && encodeFormat(req.responseFormat);
  if (format !== undefined) text.format = format;
  if (Object.keys(text).length) body.text = text;

  const reasoning: Obj = { ...ex?.reasoning };
  const effort = requestedEffort(req.reasoning);
  if (effort && effort !== 'auto') reasoning.effort = effort;
  if (req.reasoning?.summary) reasoning.summary = req.reasoning.summary;
  if (Object.keys(reasoning).length) body.reasoning = reasoning;

  if (req.stream || !ex?.noStream) body.stream = req.stream;
  if (req.metadata) body.metadata = req.metadata;
  if (req.user !== undefined) body.user = req.user;
  return body;
}

export function encodeRequest(req: IRRequest): Record<string, unknown> {
  return encodeResponsesBody(req);
}
