// Chat Completions request bodies ⇄ IRRequest.
import {
  TranslationError,
  type IREffort,
  type IRFunctionTool,
  type IRRequest,
  type IRResponseFormat,
  type IRTool,
  type IRToolChoice,
} from '../../ir.js';
import { budgetToEffort } from '../../reasoning.js';
import { decodeStop, isObject, num, str, type ChatExtras, type Json } from './common.js';
import { decodeMessages, encodeMessages } from './messages.js';

/** Fields this codec maps itself; anything else rides in extras.fields. */
const KNOWN = new Set([
  'model', 'messages', 'tools', 'functions', 'tool_choice', 'function_call', 'parallel_tool_calls',
  'max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'top_k', 'stop', 'seed',
  'presence_penalty', 'frequency_penalty', 'n', 'response_format', 'reasoning_effort', 'stream',
  'stream_options', 'user', 'metadata',
]);

const EFFORTS = new Set<string>(['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'auto']);

function optNumber(body: Json, key: string): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  const n = num(v);
  if (n === undefined) throw new TranslationError(`'${key}' must be a number`);
  return n;
}

function decodeTool(t: unknown, i: number): IRTool {
  if (!isObject(t)) throw new TranslationError(`tools[${i}] must be an object`);
  if (t.type === 'function' || (t.type === undefined && isObject(t.function))) {
    const fn = t.function;
    if (!isObject(fn) || typeof fn.name !== 'string') throw new TranslationError(`tools[${i}].function.name must be a string`);
    return functionTool(fn);
  }
  const { type, ...config } = t;
  return { type: 'builtin', name: String(type), config };
}

function functionTool(fn: Json): IRFunctionTool {
  const tool: IRFunctionTool = {
    type: 'function',
    name: fn.name as string,
    parameters: isObject(fn.parameters) ? fn.parameters : { type: 'object', properties: {} },
  };
  if (typeof fn.description === 'string') tool.description = fn.description;
  if (typeof fn.strict === 'boolean') tool.strict = fn.strict;
  return tool;
}

function decodeToolChoice(v: unknown): IRToolChoice | undefined {
  if (v === 'auto' || v === 'none' || v === 'required') return { type: v };
  if (isObject(v)) {
    const fn = v.function;
    if ((v.type === 'function' || v.type === undefined) && isObject(fn) && typeof fn.name === 'string') {
      return { type: 'tool', name: fn.name };
    }
    if (typeof v.name === 'string' && v.type === undefined) return { type: 'tool', name: v.name }; // legacy function_call
  }
  return undefined;
}

function decodeResponseFormat(v: unknown, extras: ChatExtras): IRResponseFormat | undefined {
  if (!isObject(v)) return undefined;
  if (v.type === 'text' || v.type === 'json_object') return { type: v.type };
  if (v.type === 'json_schema') {
    const js = isObject(v.json_schema) ? v.json_schema : {};
    const rf: IRResponseFormat = { type: 'json_schema', schema: isObject(js.schema) ? js.schema : {} };
    if (typeof js.name === 'string') rf.name = js.name;
    if (typeof js.strict === 'boolean') rf.strict = js.strict;
    if (typeof js.description === 'string') extras.schemaDescription = js.description;
    return rf;
  }
  return undefined;
}

export function decodeRequest(body: unknown): IRRequest {
  if (!isObject(body)) throw new TranslationError('request body must be a JSON object');
  if (body.model !== undefined && typeof body.model !== 'string') throw new TranslationError("'model' must be a string");
  const extras: ChatExtras = {};
  const fields: Json = {};
  for (const k in body) if (!KNOWN.has(k)) fields[k] = body[k];

  const msgs = decodeMessages(body.messages);
  const req: IRRequest = {
    model: (body.model as string | undefined) ?? '',
    system: msgs.system,
    messages: msgs.messages,
    stream: body.stream === true,
    extras: { 'openai-chat': extras },
  };
  if (msgs.systemShape.length > 0) extras.system = msgs.systemShape;

  if (Array.isArray(body.tools)) req.tools = body.tools.map(decodeTool);
  else if (Array.isArray(body.functions)) {
    req.tools = body.functions.map((f, i) => {
      if (!isObject(f) || typeof f.name !== 'string') throw new TranslationError(`functions[${i}].name must be a string`);
      return functionTool(f);
    });
  }
  const choiceRaw = body.tool_choice ?? body.function_call;
  if (choiceRaw !== undefined && choiceRaw !== null) {
    const choice = decodeToolChoice(choiceRaw);
    if (choice) req.toolChoice = choice;
    else fields.tool_choice = choiceRaw; // e.g. allowed_tools: no IR form, passed on verbatim
  }
  if (typeof body.parallel_tool_calls === 'boolean') req.parallelToolCalls = body.parallel_tool_calls;

  const mct = optNumber(body, 'max_completion_tokens');
  const mt = optNumber(body, 'max_tokens');
  if (mct !== undefined) {
    req.maxTokens = mct;
    extras.maxTokensKey = 'max_completion_tokens';
  } else if (mt !== undefined) {
    req.maxTokens = mt;
    extras.maxTokensKey = 'max_tokens';
  }
  const numbers: Array<[string, 'temperature' | 'topP' | 'topK' | 'seed' | 'presencePenalty' | 'frequencyPenalty' | 'candidateCount']> = [
    ['temperature', 'temperature'], ['top_p', 'topP'], ['top_k', 'topK'], ['seed', 'seed'],
    ['presence_penalty', 'presencePenalty'], ['frequency_penalty', 'frequencyPenalty'], ['n', 'candidateCount'],
  ];
  for (const [key, field] of numbers) {
    const v = optNumber(body, key);
    if (v !== undefined) req[field] = v;
  }

  const stop = decodeStop(body.stop);
  if (stop) {
    req.stop = stop.stop;
    if (stop.string) extras.stopString = true;
  }

  const rf = decodeResponseFormat(body.response_format, extras);
  if (rf) req.responseFormat = rf;
  else if (body.response_format !== undefined) fields.response_format = body.response_format;

  const effort = body.reasoning_effort;
  if (typeof effort === 'string' && EFFORTS.has(effort)) req.reasoning = { effort: effort as IREffort };
  else if (effort !== undefined && effort !== null) fields.reasoning_effort = effort;

  if (isObject(body.stream_options)) {
    const { include_usage, ...rest } = body.stream_options;
    if (include_usage === true) req.includeUsage = true;
    if (Object.keys(rest).length > 0) extras.streamOptions = rest;
  }
  if (typeof body.user === 'string') req.user = body.user;
  if (isObject(body.metadata)) req.metadata = body.metadata;
  if (Object.keys(fields).length > 0) extras.fields = fields;
  return req;
}

function encodeEffort(req: IRRequest): string | undefined {
  const r = req.reasoning;
  if (!r) return undefined;
  if (r.effort) return r.effort === 'auto' ? undefined : r.effort;
  // A budget from Claude/Gemini: off and dynamic have no effort that every
  // compatible upstream accepts, so they are left to the upstream's default.
  if (typeof r.budgetTokens === 'number' && r.budgetTokens > 0) return budgetToEffort(r.budgetTokens);
  return undefined;
}

export function encodeRequest(req: IRRequest): Record<string, unknown> {
  const ex = req.extras['openai-chat'];
  // Fields only an OpenAI-shaped client would send (top_k, metadata, hosted
  // tools) go upstream only when the request came from one: strict upstreams
  // reject unknown parameters.
  const sameFamily = ex !== undefined;
  const out: Json = { model: req.model, messages: encodeMessages(req.system, req.messages, ex) };

  if (req.tools && req.tools.length > 0) {
    const tools: Json[] = [];
    for (const t of req.tools) {
      if (t.type === 'function') {
        const fn: Json = { name: t.name };
        if (t.description !== undefined) fn.description = t.description;
        fn.parameters = t.parameters;
        if (t.strict !== undefined) fn.strict = t.strict;
        tools.push({ type: 'function', function: fn });
      } else if (sameFamily) tools.push({ type: t.name, ...t.config });
    }
    if (tools.length > 0) out.tools = tools;
  }
  const tc = req.toolChoice;
  // OpenAI rejects tool_choice (even "none") when no tools are sent.
  if (tc && out.tools) out.tool_choice = tc.type === 'tool' ? { type: 'function', function: { name: tc.name } } : tc.type;
  if (req.parallelToolCalls !== undefined && out.tools) out.parallel_tool_calls = req.parallelToolCalls;

  if (req.maxTokens !== undefined) {
    const key = ex?.maxTokensKey ?? (/^(o\d|gpt-5)/i.test(req.model) ? 'max_completion_tokens' : 'max_tokens');
    out[key] = req.maxTokens;
  }
  if (req.temperature !== undefined) out.temperature = req.temperature;
  if (req.topP !== undefined) out.top_p = req.topP;
  if (req.topK !== undefined && sameFamily) out.top_k = req.topK;
  if (req.stop && req.stop.length > 0) out.stop = ex?.stopString && req.stop.length === 1 ? req.stop[0] : req.stop;
  if (req.seed !== undefined) out.seed = req.seed;
  if (req.presencePenalty !== undefined) out.presence_penalty = req.presencePenalty;
  if (req.frequencyPenalty !== undefined) out.frequency_penalty = req.frequencyPenalty;
  if (req.candidateCount !== undefined) out.n = req.candidateCount;

  const rf = req.responseFormat;
  if (rf) {
    if (rf.type === 'json_schema') {
      const js: Json = { name: rf.name ?? 'response' };
      if (ex?.schemaDescription !== undefined) js.description = ex.schemaDescription;
      js.schema = rf.schema;
      if (rf.strict !== undefined) js.strict = rf.strict;
      out.response_format = { type: 'json_schema', json_schema: js };
    } else out.response_format = { type: rf.type };
  }
  const effort = encodeEffort(req);
  if (effort) out.reasoning_effort = effort;

  out.stream = req.stream;
  // Usage is always requested upstream so the gateway can count it; the
  // client only sees the usage chunk when it asked (req.includeUsage).
  if (req.stream) out.stream_options = { ...ex?.streamOptions, include_usage: true };
  if (req.user !== undefined) out.user = req.user;
  if (req.metadata !== undefined && sameFamily) out.metadata = req.metadata;
  if (ex?.fields) for (const k in ex.fields) if (!(k in out)) out[k] = ex.fields[k];
  return out;
}
