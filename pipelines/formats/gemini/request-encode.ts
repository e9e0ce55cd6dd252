// IR → Gemini generateContent body (no model: the executor puts it in the URL).
import type { GeminiExtras, IRMessage, IRPart, IRPartExtras, IRRequest, IRTool, IRToolCallPart, IRToolResultPart } from '../../ir.js';
import { clampBudget, requestedBudget, thinkingRange } from '../../reasoning.js';
import { buildToolNameMap, hasGeminiParameters, sanitizeFunctionName, toGeminiSchema } from '../../schema.js';
import { GEMINI_ORIGIN } from './request.js';
import { SignatureCarrier, geminiExtras, isEmpty, isObj, parseJsonObject, str } from './util.js';
import type { Json } from './util.js';

/** Gemini's documented escape hatch for a functionCall whose thought
 *  signature was lost (history from a client that never saw it). Gemini 3
 *  rejects the first call of a model turn without one. */
export const SKIP_SIGNATURE = 'skip_thought_signature_validator';

// What the reference attaches when the client sent no safetySettings.
export const DEFAULT_SAFETY_SETTINGS = [
  { category: 'HARM_CATEGORY_HARASSMENT', threshold: 'OFF' },
  { category: 'HARM_CATEGORY_HATE_SPEECH', threshold: 'OFF' },
  { category: 'HARM_CATEGORY_SEXUALLY_EXPLICIT', threshold: 'OFF' },
  { category: 'HARM_CATEGORY_DANGEROUS_CONTENT', threshold: 'OFF' },
  { category: 'HARM_CATEGORY_CIVIC_INTEGRITY', threshold: 'BLOCK_NONE' },
];

/** Every function name the request uses, tools first, in a fixed order, so
 *  encoder and decoders build the same sanitized-name map independently. */
function functionNames(req: IRRequest): string[] {
  const names: string[] = [];
  for (const t of req.tools ?? []) if (t.type === 'function') names.push(t.name);
  for (const m of req.messages) for (const p of m.content) if (p.type === 'tool-call') names.push(p.name);
  return names;
}

/** upstream name → client name, for the names sanitizing changed. Pass it to
 *  the Gemini decoders so tool calls come back under the client's names. */
export function geminiToolNameMap(req: IRRequest): Map<string, string> {
  return buildToolNameMap(functionNames(req)).toClient;
}

export function encodeRequest(req: IRRequest): Json {
  const gx = geminiExtras(req.extras) ?? {};
  const fromGemini = gx[GEMINI_ORIGIN] === true;
  const names = buildToolNameMap(functionNames(req)).toUpstream;
  const upName = (n: string) => names.get(n) ?? sanitizeFunctionName(n);

  const out: Json = isObj(gx.rest) ? { ...gx.rest } : {};
  delete out.model;
  out.contents = encodeContents(req.messages, upName, { fromGemini, callIds: gx.callIds === true });
  if (req.system.length > 0) {
    out.systemInstruction = { role: str(gx.systemRole) ?? (fromGemini ? undefined : 'user'), parts: req.system.map((p) => ({ text: p.text })) };
    if ((out.systemInstruction as Json).role === undefined) delete (out.systemInstruction as Json).role;
  }
  const tools = encodeTools(req.tools, gx, upName);
  if (tools.length) out.tools = tools;
  const toolConfig = encodeToolConfig(req, gx, upName);
  if (toolConfig) out.toolConfig = toolConfig;
  const gen = encodeGenerationConfig(req, gx, fromGemini);
  if (!isEmpty(gen)) out.generationConfig = gen;
  if (out.safetySettings === undefined && out.safety_settings === undefined) out.safetySettings = DEFAULT_SAFETY_SETTINGS.map((s) => ({ ...s }));
  return out;
}

interface ContentOpts {
  fromGemini: boolean;
  callIds: boolean;
}

interface Turn {
  role: 'user' | 'model';
  parts: IRPart[];
}

// Gemini wants strict alternation and a function-response turn right after
// each function-call turn, answering every call of it by name. IR from other
// formats only roughly follows that, so turns are merged, results re-paired
// and ordered by call, and stray results turned into text.
function encodeContents(messages: IRMessage[], upName: (n: string) => string, opts: ContentOpts): Json[] {
  const turns: Turn[] = [];
  for (const m of messages) {
    const role = m.role === 'assistant' ? 'model' : 'user'; // mid-conversation system prompts ride as user text
    const last = turns[turns.length - 1];
    if (last && last.role === role) last.parts.push(...m.content);
    else turns.push({ role, parts: [...m.content] });
  }
  const contents: Json[] = [];
  // A turn that encodes to nothing (an empty assistant message, one holding
  // only unsigned empty thoughts) leaves its neighbours side by side: they
  // become one turn, so roles still alternate.
  const add = (role: 'user' | 'model', parts: Json[]): void => {
    if (!parts.length) return;
    const last = contents[contents.length - 1];
    if (last && last.role === role) (last.parts as Json[]).push(...parts);
    else contents.push({ role, parts });
  };
  let calls: IRToolCallPart[] = [];
  for (const turn of turns) {
    if (turn.role === 'model') {
      const parts = encodeModelParts(turn.parts, upName, opts);
      calls = turn.parts.filter((p): p is IRToolCallPart => p.type === 'tool-call');
      add('model', parts);
      continue;
    }
    const parts = encodeUserParts(turn.parts, calls, upName, opts);
    calls = [];
    add('user', parts);
  }
  // A conversation may not open with the model (prefilled history from some clients).
  if (contents[0]?.role === 'model') contents.unshift({ role: 'user', parts: [{ text: '' }] });
  return contents;
}

function withExtras(base: Json, part: { extras?: IRPartExtras }): Json {
  const x = geminiExtras(part.extras);
  return x ? { ...x, ...base } : base;
}

const EXT_MIME: Record<string, string> = {
  jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', webp: 'image/webp', heic: 'image/heic',
  pdf: 'application/pdf', txt: 'text/plain', md: 'text/markdown', csv: 'text/csv', html: 'text/html',
  mp3: 'audio/mpeg', wav: 'audio/wav', ogg: 'audio/ogg', flac: 'audio/flac', mp4: 'video/mp4', webm: 'video/webm', mov: 'video/quicktime',
};

// fileData needs a mimeType; OpenAI-style image URLs come without one.
function guessMime(p: { type: string; url?: string; filename?: string }): string {
  const name = (p.filename ?? p.url ?? '').split(/[?#]/)[0]!;
  const ext = /\.([a-z0-9]+)$/i.exec(name)?.[1]?.toLowerCase();
  return (ext && EXT_MIME[ext]) ?? (p.type === 'image' ? 'image/jpeg' : 'application/octet-stream');
}

function encodeMedia(p: IRPart): Json | undefined {
  if (p.type === 'image' || p.type === 'file' || p.type === 'audio') {
    const mimeType = p.mediaType ?? (p.type === 'audio' ? `audio/${p.format ?? 'wav'}` : guessMime(p));
    const data = p.data;
    const url = p.type === 'audio' ? undefined : p.url;
    let base: Json;
    if (data) base = { inlineData: { mimeType, data } };
    else if (url?.startsWith('data:')) {
      const m = /^data:([^;,]+)?(?:;[^,]*)?,(.*)$/s.exec(url);
      base = { inlineData: { mimeType: m?.[1] ?? mimeType, data: m?.[2] ?? '' } };
    } else if (url) base = { fileData: { mimeType, fileUri: url } };
    else return undefined;
    return withExtras(base, p);
  }
  return undefined;
}

function encodeModelParts(parts: IRPart[], upName: (n: string) => string, opts: ContentOpts): Json[] {
  const out: Json[] = [];
  const sigs = new SignatureCarrier();
  let firstCall = true;
  for (const p of parts) {
    switch (p.type) {
      case 'reasoning': {
        // Gemini checks its own signatures only; Claude's mean nothing to it.
        const sig = p.signatureOrigin === 'claude' ? undefined : p.signature;
        if (p.text) out.push(...sigs.flush(), { text: p.text, thought: true, ...(sig ? { thoughtSignature: sig } : {}) });
        else if (sig) sigs.pending = sig; // belongs to the part that follows
        break;
      }
      case 'text': {
        const raw = geminiExtras(p.extras)?.rawPart;
        out.push(...sigs.take(isObj(raw) ? raw : withExtras({ text: p.text }, p)));
        break;
      }
      case 'tool-call': {
        const fc: Json = { name: upName(p.name), args: parseArgs(p.arguments) };
        if (opts.callIds && p.id) fc.id = p.id;
        const part: Json = { functionCall: fc };
        if (p.signature) part.thoughtSignature = p.signature;
        else if (!sigs.pending && firstCall && !opts.fromGemini) part.thoughtSignature = SKIP_SIGNATURE;
        out.push(...sigs.take(part));
        firstCall = false;
        break;
      }
      case 'tool-result':
        // A result inside a model turn cannot be sent as such; keep its words.
        out.push(...sigs.take({ text: resultText(p) }));
        break;
      default: {
        const media = encodeMedia(p);
        if (media) out.push(...sigs.take(media));
      }
    }
  }
  out.push(...sigs.flush());
  return out;
}

function parseArgs(args: string): Json {
  if (!args || !args.trim()) return {};
  const obj = parseJsonObject(args);
  // Gemini's args is a Struct: a model that emitted non-object JSON still needs an object.
  if (obj) return obj;
  try {
    return { value: JSON.parse(args) as unknown };
  } catch {
    return { value: args };
  }
}

function resultText(p: IRToolResultPart): string {
  return p.content.filter((c) => c.type === 'text').map((c) => (c as { text: string }).text).join('\n');
}

function encodeUserParts(parts: IRPart[], calls: IRToolCallPart[], upName: (n: string) => string, opts: ContentOpts): Json[] {
  const results = parts.filter((p): p is IRToolResultPart => p.type === 'tool-result');
  const answered = new Map<IRToolCallPart, IRToolResultPart>();
  const orphans: IRToolResultPart[] = [];
  const free = (c: IRToolCallPart) => !answered.has(c);
  for (const r of results) {
    let match = calls.find((c) => free(c) && c.id === r.callId);
    if (!match && !calls.some((c) => c.id === r.callId)) {
      // The id means nothing here (a client that rewrote ids, or none at all):
      // fall back to the same name, then to position, among calls no other result claims by id.
      const unclaimed = (c: IRToolCallPart) => free(c) && !results.some((o) => o !== r && o.callId === c.id);
      // A result naming a function this turn never called answers nothing here.
      match = r.name !== undefined ? calls.find((c) => unclaimed(c) && c.name === r.name) : calls.find(unclaimed);
    }
    if (match) answered.set(match, r);
    else orphans.push(r);
  }
  const out: Json[] = [];
  const media: Json[] = [];
  for (const c of calls) {
    const r = answered.get(c);
    const fr: Json = { name: upName(c.name), response: r ? resultResponse(r) : { error: 'No result was returned for this call.' } };
    if (opts.callIds && c.id) fr.id = c.id;
    const x = r ? geminiExtras(r.extras) : undefined;
    if (x) for (const [k, v] of Object.entries(x)) if (k !== 'responseKey' && fr[k] === undefined) fr[k] = v;
    out.push({ functionResponse: fr });
    if (r) for (const m of r.content) if (m.type !== 'text') media.push(...[encodeMedia(m)].filter(isObj));
  }
  out.push(...media);
  for (const o of orphans) out.push({ text: `[Result of tool call ${o.name ?? o.callId}]\n${resultText(o)}` });
  for (const p of parts) {
    if (p.type === 'tool-result' || p.type === 'tool-call') continue;
    if (p.type === 'reasoning') continue; // user turns carry no thoughts
    if (p.type === 'text') {
      const raw = geminiExtras(p.extras)?.rawPart;
      out.push(isObj(raw) ? raw : withExtras({ text: p.text }, p));
      continue;
    }
    const m = encodeMedia(p);
    if (m) out.push(m);
  }
  return out;
}

// functionResponse.response must be a JSON object (a Struct).
function resultResponse(r: IRToolResultPart): Json {
  const text = resultText(r);
  const key = str(geminiExtras(r.extras)?.responseKey);
  if (key) return { [key]: text };
  const obj = parseJsonObject(text);
  if (obj) return obj;
  return r.isError ? { error: text } : { result: text };
}

const BUILTIN: Record<string, string> = {
  google_search: 'googleSearch',
  web_search: 'googleSearch',
  web_search_preview: 'googleSearch',
  code_execution: 'codeExecution',
  url_context: 'urlContext',
};

function encodeTools(tools: IRTool[] | undefined, gx: GeminiExtras, upName: (n: string) => string): Json[] {
  const decls: Json[] = [];
  const others: Json[] = [];
  const jsonSchemaTools = new Set(Array.isArray(gx.jsonSchemaTools) ? gx.jsonSchemaTools : []);
  const declExtras = isObj(gx.declExtras) ? gx.declExtras : {};
  for (const t of tools ?? []) {
    if (t.type === 'builtin') {
      const key = BUILTIN[t.name];
      // Only the Gemini-named builtins carry a Gemini-shaped config; web_search's is OpenAI's or Claude's.
      const native = t.name === 'google_search' || t.name === 'code_execution' || t.name === 'url_context';
      if (key) others.push({ [key]: native && isObj(t.config) ? t.config : {} });
      continue;
    }
    const d: Json = { ...(isObj(declExtras[t.name]) ? (declExtras[t.name] as Json) : {}), name: upName(t.name) };
    if (t.description !== undefined) d.description = t.description;
    if (jsonSchemaTools.has(t.name)) d.parametersJsonSchema = t.parameters;
    else {
      const params = toGeminiSchema(t.parameters);
      if (hasGeminiParameters(params)) d.parameters = params;
    }
    decls.push(d);
  }
  const out: Json[] = decls.length ? [{ functionDeclarations: decls }] : [];
  out.push(...others);
  if (Array.isArray(gx.tools)) out.push(...gx.tools.filter(isObj));
  return out;
}

function encodeToolConfig(req: IRRequest, gx: GeminiExtras, upName: (n: string) => string): Json | undefined {
  const out: Json = isObj(gx.toolConfig) ? { ...gx.toolConfig } : {};
  const fc = isObj(gx.functionCalling) ? gx.functionCalling : undefined;
  const tc = req.toolChoice;
  if (fc && (!tc || tc.type !== 'none')) {
    const names = Array.isArray(fc.allowedFunctionNames) ? fc.allowedFunctionNames.filter((n): n is string => typeof n === 'string') : [];
    out.functionCallingConfig = { mode: fc.mode, ...(names.length ? { allowedFunctionNames: names.map(upName) } : {}) };
  } else if (tc) {
    if (tc.type === 'auto') out.functionCallingConfig = { mode: 'AUTO' };
    else if (tc.type === 'none') out.functionCallingConfig = { mode: 'NONE' };
    else if (tc.type === 'required') out.functionCallingConfig = { mode: 'ANY' };
    else out.functionCallingConfig = { mode: 'ANY', allowedFunctionNames: [upName(tc.name)] };
  }
  return isEmpty(out) ? undefined : out;
}

function encodeGenerationConfig(req: IRRequest, gx: GeminiExtras, fromGemini: boolean): Json {
  const g: Json = isObj(gx.generationConfig) ? { ...gx.generationConfig } : {};
  if (req.maxTokens !== undefined) g.maxOutputTokens = req.maxTokens;
  if (req.temperature !== undefined) g.temperature = req.temperature;
  if (req.topP !== undefined) g.topP = req.topP;
  if (req.topK !== undefined) g.topK = req.topK;
  if (req.stop?.length) g.stopSequences = req.stop;
  if (req.candidateCount !== undefined) g.candidateCount = req.candidateCount;
  if (req.seed !== undefined) g.seed = req.seed;
  if (req.presencePenalty !== undefined) g.presencePenalty = req.presencePenalty;
  if (req.frequencyPenalty !== undefined) g.frequencyPenalty = req.frequencyPenalty;
  const rf = req.responseFormat;
  if (rf?.type === 'json_object') g.responseMimeType = 'application/json';
  else if (rf?.type === 'json_schema') {
    g.responseMimeType = 'application/json';
    if (gx.responseSchemaField === 'responseSchema') g.responseSchema = toGeminiSchemaLoose(rf.schema);
    else g.responseJsonSchema = rf.schema;
  } else if (rf?.type === 'text' && fromGemini) g.responseMimeType = 'text/plain';

  const thinking = encodeThinking(req, gx, fromGemini);
  if (thinking) g.thinkingConfig = thinking;
  return g;
}

// responseSchema (the OpenAPI field) takes the same dialect as parameters, but a
// response may legitimately be a scalar or array, so only clean, never force an object.
function toGeminiSchemaLoose(schema: Record<string, unknown>): Json {
  const wrapped = toGeminiSchema({ type: 'object', properties: { v: schema }, required: ['v'] });
  const v = isObj(wrapped.properties) ? wrapped.properties.v : undefined;
  return isObj(v) ? v : { type: 'object' };
}

function encodeThinking(req: IRRequest, gx: GeminiExtras, fromGemini: boolean): Json | undefined {
  const r = req.reasoning;
  const raw = isObj(gx.thinkingConfig) ? gx.thinkingConfig : undefined;
  if (!r && !raw) return undefined;
  const range = thinkingRange(req.model);
  // Known non-thinking models (image generation) reject thinkingConfig; unknown
  // models get it only when a Gemini client asked for it itself.
  if (range ? range.max <= 0 : !(fromGemini && raw)) return undefined;
  const tc: Json = raw ? { ...raw } : {};
  const hasLevel = tc.thinkingLevel !== undefined || tc.thinking_level !== undefined;
  const budget = hasLevel && r?.budgetTokens === undefined ? undefined : requestedBudget(r);
  if (budget !== undefined) {
    tc.thinkingBudget = range ? clampBudget(req.model, budget) : budget;
    delete tc.thinkingLevel;
    delete tc.thinking_level;
  }
  // "Thinking off" stays off in what the client sees even where the model cannot go below its minimum.
  const include = r?.includeThoughts ?? (budget !== undefined && !fromGemini ? budget !== 0 : undefined);
  if (include !== undefined) tc.includeThoughts = include;
  return isEmpty(tc) ? undefined : tc;
}
