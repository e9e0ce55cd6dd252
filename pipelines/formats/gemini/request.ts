// Gemini generateContent body → IR.
//
// What the IR cannot model is kept in req.extras.gemini so a Gemini→Gemini
// trip loses nothing (see EXTRAS below); parts keep theirs in part.extras.gemini.
import { TranslationError } from '../../ir.js';
import type {
  GeminiExtras,
  IREffort,
  IRMessage,
  IRPart,
  IRReasoningConfig,
  IRRequest,
  IRResponseFormat,
  IRTextPart,
  IRTool,
  IRToolChoice,
  IRToolResultPart,
} from '../../ir.js';
import { lowerSchemaTypes } from '../../schema.js';
import { CLAUDE_SIGNATURE_PREFIX, isEmpty, isObj, num, pick, restOf, signatureFromClient, str } from './util.js';
import type { Json } from './util.js';

// req.extras.gemini:
//   rest              top-level fields the IR has no slot for (safetySettings, cachedContent, labels, …)
//   generationConfig  unknown generationConfig fields (responseModalities, speechConfig, imageConfig, …)
//   thinkingConfig    unknown thinkingConfig fields (thinkingLevel); present ⇔ the client sent thinkingConfig
//   toolConfig        unknown toolConfig fields (retrievalConfig)
//   functionCalling   {mode, allowedFunctionNames} when toolChoice cannot say it (VALIDATED, several names)
//   tools             tool entries with no IR builtin (googleSearchRetrieval, fileSearch, computerUse, …)
//   declExtras        per-function extra declaration fields (behavior, response…), by name
//   jsonSchemaTools   names declared with parametersJsonSchema (re-sent that way)
//   responseSchemaField 'responseSchema' when JSON mode used the OpenAPI field
//   systemRole        systemInstruction.role as sent
//   callIds           true when the client itself sent functionCall/functionResponse ids
//   origin            true: the request came from a Gemini client (encoders then add no
//                     bypass signatures and send thinkingConfig even for unknown models)
// part.extras.gemini:
//   thoughtSignature  on plain text and media parts (tool calls use IRToolCallPart.signature)
//   rawPart           a part with no IR type (executableCode, codeExecutionResult, …), sent back verbatim
//   responseKey       on tool results: the single key a string response sat under ({output: "…"})
//   (other keys)      part fields such as videoMetadata or mediaResolution, functionResponse extras
export const GEMINI_ORIGIN = 'origin';

const TOP_KNOWN = ['model', 'contents', 'systemInstruction', 'tools', 'toolConfig', 'generationConfig', 'stream'];
const GEN_KNOWN = [
  'maxOutputTokens', 'temperature', 'topP', 'topK', 'stopSequences', 'candidateCount', 'seed',
  'presencePenalty', 'frequencyPenalty', 'responseMimeType', 'responseSchema', 'responseJsonSchema', 'thinkingConfig',
];
const PART_MAIN = ['text', 'thought', 'thoughtSignature', 'inlineData', 'fileData', 'functionCall', 'functionResponse'];

export function decodeRequest(body: unknown): IRRequest {
  if (!isObj(body)) throw new TranslationError('request body must be a JSON object');
  const gx: GeminiExtras = { [GEMINI_ORIGIN]: true };
  const model = str(body.model)?.replace(/^models\//, '') ?? '';
  const req: IRRequest = { model, system: [], messages: [], stream: body.stream === true, extras: { gemini: gx } };

  const rest = restOf(body, TOP_KNOWN);
  if (!isEmpty(rest)) gx.rest = rest;

  const sys = pick(body, 'systemInstruction');
  if (sys !== undefined && sys !== null) {
    if (isObj(sys) && typeof sys.role === 'string') gx.systemRole = sys.role;
    req.system = decodeSystem(sys);
  }

  const contents = body.contents;
  if (contents !== undefined && !Array.isArray(contents)) throw new TranslationError('contents: must be an array');
  req.messages = decodeContents(contents ?? [], gx);

  decodeTools(body.tools, req, gx);
  decodeToolConfig(pick(body, 'toolConfig'), req, gx);
  decodeGenerationConfig(pick(body, 'generationConfig'), req, gx);
  return req;
}

function decodeSystem(sys: unknown): IRTextPart[] {
  if (typeof sys === 'string') return [{ type: 'text', text: sys }];
  if (!isObj(sys)) throw new TranslationError('systemInstruction: must be an object');
  const parts = Array.isArray(sys.parts) ? sys.parts : typeof sys.text === 'string' ? [sys] : [];
  return parts.filter(isObj).flatMap((p) => (typeof p.text === 'string' ? [{ type: 'text' as const, text: p.text }] : []));
}

interface PendingCall {
  id: string;
  name: string;
  answered: boolean;
}

function decodeContents(contents: unknown[], gx: GeminiExtras): IRMessage[] {
  const out: IRMessage[] = [];
  let prevRole = '';
  // Calls of the latest model turn that have not been answered yet: Gemini
  // answers by name and position, the IR pairs by id.
  let pending: PendingCall[] = [];
  contents.forEach((c, ci) => {
    if (!isObj(c)) throw new TranslationError(`contents[${ci}]: must be an object`);
    let role = str(c.role) ?? '';
    if (role === 'function' || role === 'tool') role = 'user';
    // Missing or unknown roles alternate starting with user, as Google's own samples imply.
    if (role !== 'user' && role !== 'model') role = prevRole === 'user' ? 'model' : 'user';
    prevRole = role;
    const rawParts = c.parts === undefined ? [] : c.parts;
    if (!Array.isArray(rawParts)) throw new TranslationError(`contents[${ci}].parts: must be an array`);
    const parts: IRPart[] = [];
    const turnCalls: PendingCall[] = [];
    rawParts.forEach((p, pi) => {
      if (!isObj(p)) throw new TranslationError(`contents[${ci}].parts[${pi}]: must be an object`);
      for (const part of decodePart(p, `${ci}_${pi}`, gx)) {
        if (part.type === 'tool-call') turnCalls.push({ id: part.id, name: part.name, answered: false });
        if (part.type === 'tool-result') pairResult(part, pending, `${ci}_${pi}`);
        parts.push(part);
      }
    });
    if (turnCalls.length > 0) pending = turnCalls;
    out.push({ role: role === 'model' ? 'assistant' : 'user', content: parts });
  });
  return out;
}

// Match by id when the client sent one, else the first unanswered call with the
// same name, else the first unanswered call; an orphan keeps a fresh id.
function pairResult(part: IRToolResultPart, pending: PendingCall[], pos: string): void {
  if (part.callId) {
    const byId = pending.find((p) => p.id === part.callId);
    if (byId) byId.answered = true;
    return;
  }
  const match = pending.find((p) => !p.answered && p.name === part.name) ?? pending.find((p) => !p.answered);
  if (match) {
    match.answered = true;
    part.callId = match.id;
  } else {
    part.callId = `call_${pos}`;
  }
}

function decodePart(p: Json, pos: string, gx: GeminiExtras): IRPart[] {
  const given = str(pick(p, 'thoughtSignature'));
  // A Claude signature the gateway tagged (util.ts) belongs to a thought for
  // Claude; on any other part it is no use to either provider.
  const sig = given?.startsWith(CLAUDE_SIGNATURE_PREFIX) && p.thought !== true ? undefined : given;
  const partRest = restOf(p, PART_MAIN);
  const fc = pick(p, 'functionCall');
  if (isObj(fc)) {
    const id = str(fc.id);
    if (id) gx.callIds = true;
    const args = fc.args === undefined || fc.args === null ? {} : fc.args;
    const call: IRPart = { type: 'tool-call', id: id ?? `call_${pos}`, name: str(fc.name) ?? '', arguments: JSON.stringify(args) };
    if (sig) call.signature = sig;
    return [call];
  }
  const fr = pick(p, 'functionResponse');
  if (isObj(fr)) return [decodeFunctionResponse(fr, gx)];
  // A signature on a non-thought part stays with that part (Gemini checks it
  // there); other formats never see it, so it travels in the part's extras.
  const extras = sig ? { gemini: { ...partRest, thoughtSignature: sig } } : isEmpty(partRest) ? undefined : { gemini: partRest };
  if (typeof p.text === 'string') {
    if (p.thought === true) return [{ type: 'reasoning', text: p.text, ...(sig ? signatureFromClient(sig) : {}) }];
    return [{ type: 'text', text: p.text, ...(extras ? { extras } : {}) }];
  }
  const inline = pick(p, 'inlineData');
  if (isObj(inline)) {
    const mediaType = str(pick(inline, 'mimeType')) ?? 'application/octet-stream';
    const data = str(inline.data) ?? '';
    const x = extras ? { extras } : {};
    if (mediaType.startsWith('image/')) return [{ type: 'image', mediaType, data, ...x }];
    if (mediaType.startsWith('audio/')) return [{ type: 'audio', format: mediaType.slice(6).replace(/^x-/, ''), mediaType, data, ...x }];
    return [{ type: 'file', mediaType, data, ...x }];
  }
  const file = pick(p, 'fileData');
  if (isObj(file)) {
    const mediaType = str(pick(file, 'mimeType'));
    const url = str(pick(file, 'fileUri')) ?? '';
    const x = { ...(mediaType ? { mediaType } : {}), ...(extras ? { extras } : {}) };
    if (mediaType?.startsWith('image/')) return [{ type: 'image', url, ...x }];
    return [{ type: 'file', url, ...x }];
  }
  // executableCode, codeExecutionResult and anything newer: readable text for
  // other formats, the raw part for the way back to Gemini.
  const text = renderSpecialPart(p);
  if (text === undefined && Object.keys(p).length === 0) return [];
  return [{ type: 'text', text: text ?? '', extras: { gemini: { rawPart: p } } }];
}

/** Markdown for the parts Gemini's code-execution tool produces. */
export function renderSpecialPart(p: Json): string | undefined {
  const code = pick(p, 'executableCode');
  if (isObj(code)) return `\n\`\`\`${(str(code.language) ?? '').toLowerCase().replace('language_unspecified', '')}\n${str(code.code) ?? ''}\n\`\`\`\n`;
  const res = pick(p, 'codeExecutionResult');
  if (isObj(res)) return `\n\`\`\`output\n${str(res.output) ?? ''}\n\`\`\`\n`;
  return undefined;
}

// Tool outputs as other formats expect them: text. A response that is a
// single string under a conventional key becomes that string (and the key is
// remembered); anything else is its JSON text, which the encoder parses back.
const RESULT_KEYS = ['output', 'result', 'content', 'error', 'text'];

function decodeFunctionResponse(fr: Json, gx: GeminiExtras): IRToolResultPart {
  const id = str(fr.id);
  if (id) gx.callIds = true;
  const name = str(fr.name);
  const response = fr.response;
  const content: IRToolResultPart['content'] = [];
  const frExtras: Json = restOf(fr, ['id', 'name', 'response', 'parts']);
  let isError = false;
  const keys = isObj(response) ? Object.keys(response) : [];
  if (isObj(response) && keys.length === 1 && RESULT_KEYS.includes(keys[0]!) && typeof response[keys[0]!] === 'string') {
    content.push({ type: 'text', text: response[keys[0]!] as string });
    frExtras.responseKey = keys[0];
    isError = keys[0] === 'error';
  } else if (response !== undefined) {
    content.push({ type: 'text', text: JSON.stringify(response) });
    if (isObj(response) && response.error !== undefined && response.output === undefined && response.result === undefined) isError = true;
  }
  // Multimodal function responses (Gemini 3): their media become result content.
  if (Array.isArray(fr.parts)) {
    for (const p of fr.parts) {
      if (!isObj(p)) continue;
      for (const part of decodePart(p, 'fr', {})) {
        if (part.type === 'text' || part.type === 'image' || part.type === 'file') content.push(part);
      }
    }
  }
  const out: IRToolResultPart = { type: 'tool-result', callId: id ?? '', content };
  if (name !== undefined) out.name = name;
  if (isError) out.isError = true;
  if (!isEmpty(frExtras)) out.extras = { gemini: frExtras };
  return out;
}

function decodeTools(raw: unknown, req: IRRequest, gx: GeminiExtras): void {
  if (raw === undefined || raw === null) return;
  if (!Array.isArray(raw)) throw new TranslationError('tools: must be an array');
  const tools: IRTool[] = [];
  const unknown: Json[] = [];
  const declExtras: Record<string, Json> = {};
  const jsonSchemaTools: string[] = [];
  raw.forEach((t, i) => {
    if (!isObj(t)) throw new TranslationError(`tools[${i}]: must be an object`);
    for (const [key, value] of Object.entries(t)) {
      const camel = key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
      if (camel === 'functionDeclarations') {
        if (!Array.isArray(value)) throw new TranslationError(`tools[${i}].functionDeclarations: must be an array`);
        value.forEach((fd, j) => {
          if (!isObj(fd) || typeof fd.name !== 'string') throw new TranslationError(`tools[${i}].functionDeclarations[${j}].name: field required`);
          const js = pick(fd, 'parametersJsonSchema');
          const params = isObj(js) ? js : pick(fd, 'parameters');
          if (isObj(js)) jsonSchemaTools.push(fd.name);
          const lowered = isObj(params) ? lowerSchemaTypes(params) : undefined;
          tools.push({
            type: 'function',
            name: fd.name,
            ...(typeof fd.description === 'string' ? { description: fd.description } : {}),
            parameters: isObj(lowered) ? lowered : { type: 'object', properties: {} },
          });
          const extra = restOf(fd, ['name', 'description', 'parameters', 'parametersJsonSchema']);
          if (!isEmpty(extra)) declExtras[fd.name] = extra;
        });
      } else if (camel === 'googleSearch' || camel === 'codeExecution' || camel === 'urlContext') {
        const name = camel === 'googleSearch' ? 'google_search' : camel === 'codeExecution' ? 'code_execution' : 'url_context';
        tools.push({ type: 'builtin', name, config: isObj(value) ? value : {} });
      } else {
        unknown.push({ [key]: value });
      }
    }
  });
  if (tools.length) req.tools = tools;
  if (unknown.length) gx.tools = unknown;
  if (!isEmpty(declExtras)) gx.declExtras = declExtras;
  if (jsonSchemaTools.length) gx.jsonSchemaTools = jsonSchemaTools;
}

function decodeToolConfig(raw: unknown, req: IRRequest, gx: GeminiExtras): void {
  if (!isObj(raw)) return;
  const rest = restOf(raw, ['functionCallingConfig']);
  if (!isEmpty(rest)) gx.toolConfig = rest;
  const fcc = pick(raw, 'functionCallingConfig');
  if (!isObj(fcc)) return;
  const mode = (str(fcc.mode) ?? 'AUTO').toUpperCase();
  const allowedRaw = pick(fcc, 'allowedFunctionNames');
  const allowed = Array.isArray(allowedRaw) ? allowedRaw.filter((n): n is string => typeof n === 'string') : [];
  let choice: IRToolChoice;
  if (mode === 'NONE') choice = { type: 'none' };
  else if (mode === 'ANY' && allowed.length === 1) choice = { type: 'tool', name: allowed[0]! };
  else if (mode === 'ANY') choice = { type: 'required' };
  else choice = { type: 'auto' };
  req.toolChoice = choice;
  if (mode === 'VALIDATED' || allowed.length > 1 || (allowed.length === 1 && mode !== 'ANY')) {
    gx.functionCalling = { mode, allowedFunctionNames: allowed };
  }
}

const LEVEL_EFFORT: Record<string, IREffort> = { minimal: 'minimal', low: 'low', medium: 'medium', high: 'high' };

function decodeGenerationConfig(raw: unknown, req: IRRequest, gx: GeminiExtras): void {
  if (raw === undefined || raw === null) return;
  if (!isObj(raw)) throw new TranslationError('generationConfig: must be an object');
  const rest = restOf(raw, GEN_KNOWN);
  const setNum = (key: keyof IRRequest, field: string) => {
    const v = pick(raw, field);
    if (v === undefined || v === null) return;
    const n = num(v);
    if (n === undefined) throw new TranslationError(`generationConfig.${field}: must be a number`);
    (req as unknown as Json)[key] = n;
  };
  setNum('maxTokens', 'maxOutputTokens');
  setNum('temperature', 'temperature');
  setNum('topP', 'topP');
  setNum('topK', 'topK');
  setNum('candidateCount', 'candidateCount');
  setNum('seed', 'seed');
  setNum('presencePenalty', 'presencePenalty');
  setNum('frequencyPenalty', 'frequencyPenalty');
  const stop = pick(raw, 'stopSequences');
  if (Array.isArray(stop)) req.stop = stop.filter((s): s is string => typeof s === 'string');
  else if (typeof stop === 'string') req.stop = [stop];

  const mime = str(pick(raw, 'responseMimeType'));
  const jsonSchema = pick(raw, 'responseJsonSchema');
  const openApiSchema = pick(raw, 'responseSchema');
  let format: IRResponseFormat | undefined;
  if (mime === 'application/json' || (mime === undefined && (isObj(jsonSchema) || isObj(openApiSchema)))) {
    if (isObj(jsonSchema)) format = { type: 'json_schema', schema: jsonSchema };
    else if (isObj(openApiSchema)) {
      const lowered = lowerSchemaTypes(openApiSchema);
      format = { type: 'json_schema', schema: isObj(lowered) ? lowered : {} };
      gx.responseSchemaField = 'responseSchema';
    } else format = { type: 'json_object' };
  } else if (mime === 'text/plain' && jsonSchema === undefined && openApiSchema === undefined) {
    format = { type: 'text' };
  } else {
    // text/x.enum and friends: nothing in the IR says that, keep them verbatim.
    if (mime !== undefined) rest.responseMimeType = mime;
    if (jsonSchema !== undefined) rest.responseJsonSchema = jsonSchema;
    if (openApiSchema !== undefined) rest.responseSchema = openApiSchema;
  }
  if (format) req.responseFormat = format;

  const tc = pick(raw, 'thinkingConfig');
  if (isObj(tc)) {
    const r: IRReasoningConfig = {};
    const budget = num(pick(tc, 'thinkingBudget'));
    if (budget !== undefined) r.budgetTokens = budget;
    const include = pick(tc, 'includeThoughts');
    if (typeof include === 'boolean') r.includeThoughts = include;
    const level = str(pick(tc, 'thinkingLevel'))?.toLowerCase();
    if (level && LEVEL_EFFORT[level] && budget === undefined) r.effort = LEVEL_EFFORT[level];
    if (!isEmpty(r as Json)) req.reasoning = r;
    gx.thinkingConfig = restOf(tc, ['thinkingBudget', 'includeThoughts']);
  }
  if (!isEmpty(rest)) gx.generationConfig = rest;
}
