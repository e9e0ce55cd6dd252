// A local Gemini API server following Google's public wire format
// (https://ai.google.dev/api/generate-content, /api/tokens, /gemini-api/docs/troubleshooting):
//   POST /v1beta/models/{model}:generateContent        → GenerateContentResponse JSON
//   POST /v1beta/models/{model}:streamGenerateContent  → `?alt=sse`: `data: {…}\r\n\r\n` events;
//                                                        otherwise one JSON array streamed piecemeal
//   POST /v1beta/models/{model}:countTokens            → {"totalTokens": N, "promptTokensDetails": […]}
// (/v1/ and /v1alpha/ are accepted too). Key via `x-goog-api-key`, `?key=` or an
// `Authorization: Bearer` token. Errors use `{"error":{code,message,status[,details]}}`.
//
// The Code Assist flavour (what gemini-cli talks to, cloudcode-pa.googleapis.com)
// runs on the same server, Bearer auth only:
//   POST /v1internal:generateContent, :streamGenerateContent(?alt=sse), :countTokens,
//        :loadCodeAssist, :onboardUser
// Requests are `{model, project, user_prompt_id?, request:{…GenerateContentRequest}}`,
// answers `{response:{…}, traceId}`; countTokens answers `{totalTokens}` unwrapped.
//
// Requests are validated like the real API: unknown fields (top level,
// generationConfig, thinkingConfig, function declarations) are rejected; a
// function declaration's `parameters` must be an OpenAPI-subset Schema (no
// `$schema`, `additionalProperties`, `$ref`, `const`, … ; `type` a single enum
// string); roles are user/model/function; parts must carry data; a
// functionResponse turn must follow a functionCall turn with matching names
// and count.
//
// Behaviour is steered by the model name (from the URL, or `model` for Code Assist):
//   fail-<status>      that status with a Google error body; fail-429 carries
//                      QuotaFailure + RetryInfo {"retryDelay":"2s"} details
//   tool-call          two functionCall parts (no ids): get_weather {"city":"Paris"},
//                      get_time {"tz":"CET"}
//   thinking           a {text, thought:true, thoughtSignature:"sig-g-1"} part, then the text
//   tool-result-echo   answer text = JSON of [{name, response}] for every functionResponse part
//   hang-stream        stream: first chunk, then never finish
//   break-stream       stream: two chunks, then drop the connection
//   cut-stream         stream: two chunks without finishReason, then end the response (an array stays open)
//   stream-error       stream: one chunk, then an in-stream {"error":{…UNAVAILABLE}} chunk
//   slow-<n>           stream: n text chunks, 20 ms apart
// Anything else: "echo: <last user text>" streamed over ≥3 chunks.
// Usage: promptTokenCount 11, candidatesTokenCount 6, cachedContentTokenCount 3,
// thoughtsTokenCount 2, totalTokenCount 19 (full usage on the last chunk only;
// earlier chunks carry the prompt part, as the real API does).
import http from 'node:http';
import { startRecordingServer } from './recording-server.js';
import type { MockUpstream, RecordedRequest } from './openai-upstream.js';

export type { MockUpstream, RecordedRequest };

export const GEMINI_MOCK_THOUGHT = 'Let me think about this.';
export const GEMINI_MOCK_SIGNATURE = 'sig-g-1';
export const CODE_ASSIST_PROJECT = 'mock-project-123';

export interface MockGeminiOptions {
  /** Project id loadCodeAssist/onboardUser report (default "mock-project-123"). */
  project?: string;
  /** When false, loadCodeAssist reports no current tier/project until onboardUser is called. Default true. */
  onboarded?: boolean;
}

const CHUNK_WORDS = ['Hello', ' from', ' the', ' mock', ' upstream', '.'];

const STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'NOT_IMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};
const MESSAGES: Record<number, string> = {
  429: 'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.',
  500: 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
  503: 'The model is overloaded. Please try again later.',
};

const camel = (k: string) => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

const REQUEST_FIELDS = new Set(['model', 'contents', 'tools', 'toolConfig', 'safetySettings', 'systemInstruction', 'generationConfig', 'cachedContent']);
const CODE_ASSIST_REQUEST_FIELDS = new Set([...REQUEST_FIELDS, 'sessionId', 'labels']);
const GENERATION_CONFIG_FIELDS = new Set([
  'stopSequences',
  'responseMimeType',
  'responseSchema',
  'responseJsonSchema',
  'responseModalities',
  'candidateCount',
  'maxOutputTokens',
  'temperature',
  'topP',
  'topK',
  'seed',
  'presencePenalty',
  'frequencyPenalty',
  'responseLogprobs',
  'logprobs',
  'enableEnhancedCivicAnswers',
  'speechConfig',
  'thinkingConfig',
  'imageConfig',
  'mediaResolution',
  'audioTimestamp',
]);
const THINKING_CONFIG_FIELDS = new Set(['includeThoughts', 'thinkingBudget', 'thinkingLevel']);
const FUNCTION_DECLARATION_FIELDS = new Set(['name', 'description', 'parameters', 'parametersJsonSchema', 'response', 'responseJsonSchema', 'behavior']);
const SCHEMA_FIELDS = new Set([
  'type',
  'format',
  'title',
  'description',
  'nullable',
  'enum',
  'maxItems',
  'minItems',
  'properties',
  'required',
  'minProperties',
  'maxProperties',
  'minLength',
  'maxLength',
  'pattern',
  'example',
  'anyOf',
  'propertyOrdering',
  'default',
  'items',
  'minimum',
  'maximum',
]);
const SCHEMA_TYPES = new Set(['TYPE_UNSPECIFIED', 'STRING', 'NUMBER', 'INTEGER', 'BOOLEAN', 'ARRAY', 'OBJECT', 'NULL']);
const PART_DATA = ['text', 'inlineData', 'functionCall', 'functionResponse', 'fileData', 'executableCode', 'codeExecutionResult'];

class BadRequest extends Error {}

function unknownName(name: string, at: string): BadRequest {
  return new BadRequest(`Invalid JSON payload received. Unknown name "${name}"${at ? ` at '${at}'` : ''}: Cannot find field.`);
}

/** Looks a field up under its lowerCamel or snake_case name (proto JSON accepts both). */
function field(obj: any, name: string): any {
  if (!obj || typeof obj !== 'object') return undefined;
  return obj[name] ?? obj[snake(name)];
}

function checkKeys(obj: any, allowed: Set<string>, at: string): void {
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
    if (obj !== undefined) throw new BadRequest(`Invalid value at '${at}', expected an object`);
    return;
  }
  for (const k of Object.keys(obj)) if (!allowed.has(camel(k))) throw unknownName(k, at);
}

function checkSchema(s: any, at: string): void {
  if (!s || typeof s !== 'object' || Array.isArray(s)) throw new BadRequest(`Invalid value at '${at}', expected a Schema object`);
  checkKeys(s, SCHEMA_FIELDS, at);
  const type = s.type;
  if (type !== undefined && (typeof type !== 'string' || !SCHEMA_TYPES.has(type.toUpperCase())))
    throw new BadRequest(`Invalid value at '${at}.type' (type.googleapis.com/google.ai.generativelanguage.v1beta.Type), ${JSON.stringify(type)}`);
  const props = s.properties;
  if (props !== undefined) {
    if (!props || typeof props !== 'object' || Array.isArray(props)) throw new BadRequest(`Invalid value at '${at}.properties', expected a map`);
    Object.entries(props).forEach(([, v], i) => checkSchema(v, `${at}.properties[${i}].value`));
  }
  if (s.items !== undefined) checkSchema(s.items, `${at}.items`);
  const anyOf = field(s, 'anyOf');
  if (Array.isArray(anyOf)) anyOf.forEach((v: any, i: number) => checkSchema(v, `${at}.any_of[${i}]`));
}

function validateContents(contents: any, prefix: string): void {
  if (!Array.isArray(contents) || contents.length === 0) throw new BadRequest(`* ${prefix}.contents: contents is not specified\n`);
  let prevCalls: string[] | null = null;
  contents.forEach((c: any, i: number) => {
    const role = c?.role ?? 'user';
    if (role !== 'user' && role !== 'model' && role !== 'function') throw new BadRequest('Please use a valid role: user, model.');
    const parts = c?.parts;
    if (!Array.isArray(parts) || parts.length === 0) throw new BadRequest(`* ${prefix}.contents[${i}].parts: contents.parts must not be empty.\n`);
    parts.forEach((p: any, j: number) => {
      if (!PART_DATA.some((k) => field(p, k) !== undefined))
        throw new BadRequest(`* ${prefix}.contents[${i}].parts[${j}].data: required oneof field 'data' must have one initialized field\n`);
    });
    const calls = parts.map((p: any) => field(p, 'functionCall')).filter(Boolean);
    const responses = parts.map((p: any) => field(p, 'functionResponse')).filter(Boolean);
    if (calls.length && role !== 'model') throw new BadRequest('Please ensure that function call turns come from the model role.');
    if (calls.length && i > 0) {
      const prev = contents[i - 1];
      const prevIsResponse = (prev?.parts ?? []).some((p: any) => field(p, 'functionResponse'));
      if ((prev?.role ?? 'user') === 'model' && !prevIsResponse)
        throw new BadRequest('Please ensure that function call turn comes immediately after a user turn or after a function response turn.');
    }
    if (responses.length) {
      if (!prevCalls?.length) throw new BadRequest('Please ensure that function response turn comes immediately after a function call turn.');
      if (responses.length !== prevCalls.length)
        throw new BadRequest('Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.');
      for (const r of responses)
        if (!prevCalls.includes(r?.name))
          throw new BadRequest(`Please ensure that the function response turn matches the function call turn: function response name "${r?.name}" has no matching function call.`);
    }
    prevCalls = calls.map((fc: any) => fc?.name);
  });
}

/** Throws BadRequest when the real API would reject this GenerateContentRequest. */
function validateRequest(req: any, allowed: Set<string>, prefix = 'GenerateContentRequest', toolsPrefix = ''): void {
  if (!req || typeof req !== 'object' || Array.isArray(req)) throw new BadRequest('Invalid JSON payload received. Expected an object.');
  for (const k of Object.keys(req)) if (!allowed.has(camel(k))) throw unknownName(k, toolsPrefix.replace(/\.$/, ''));
  validateContents(field(req, 'contents'), prefix);
  const gc = field(req, 'generationConfig');
  checkKeys(gc, GENERATION_CONFIG_FIELDS, `${toolsPrefix}generation_config`);
  checkKeys(field(gc, 'thinkingConfig'), THINKING_CONFIG_FIELDS, `${toolsPrefix}generation_config.thinking_config`);
  const si = field(req, 'systemInstruction');
  if (si !== undefined && (!si || !Array.isArray(si.parts))) throw new BadRequest(`Invalid value at '${toolsPrefix}system_instruction', expected Content with parts`);
  const tools = req.tools;
  if (tools === undefined) return;
  if (!Array.isArray(tools)) throw new BadRequest(`Invalid value at '${toolsPrefix}tools', expected a list`);
  tools.forEach((t: any, i: number) => {
    const decls = field(t, 'functionDeclarations');
    if (decls === undefined) return;
    if (!Array.isArray(decls)) throw new BadRequest(`Invalid value at '${toolsPrefix}tools[${i}].function_declarations', expected a list`);
    decls.forEach((d: any, j: number) => {
      const at = `${toolsPrefix}tools[${i}].function_declarations[${j}]`;
      checkKeys(d, FUNCTION_DECLARATION_FIELDS, at);
      if (typeof d?.name !== 'string' || !/^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$/.test(d.name))
        throw new BadRequest(
          `* ${prefix}.tools[${i}].function_declarations[${j}].name: Invalid function name. Must start with a letter or an underscore. Must be a-z, A-Z, 0-9, or contain underscores, dots, colons and dashes, with a maximum length of 64.\n`,
        );
      if (d.parameters !== undefined) checkSchema(d.parameters, `${at}.parameters`);
      if (d.parameters !== undefined && field(d, 'parametersJsonSchema') !== undefined)
        throw new BadRequest(`* ${prefix}.tools[${i}].function_declarations[${j}]: parameters and parameters_json_schema are mutually exclusive\n`);
    });
  });
}

/** Words in every text part of the request (contents + systemInstruction). */
export function geminiMockTokenCount(req: any): number {
  let n = 0;
  const add = (content: any) => {
    for (const p of Array.isArray(content?.parts) ? content.parts : []) if (typeof p?.text === 'string') n += p.text.split(/\s+/).filter(Boolean).length;
  };
  for (const c of Array.isArray(req?.contents) ? req.contents : []) add(c);
  add(field(req, 'systemInstruction'));
  return Math.max(1, n);
}

function lastUserText(req: any): string {
  const contents: any[] = Array.isArray(req?.contents) ? req.contents : [];
  for (let i = contents.length - 1; i >= 0; i--) {
    const c = contents[i];
    if ((c?.role ?? 'user') !== 'user') continue;
    const t = (Array.isArray(c.parts) ? c.parts : [])
      .filter((p: any) => typeof p?.text === 'string' && !p.thought)
      .map((p: any) => p.text)
      .join('');
    if (t) return t;
  }
  return '';
}

function functionResponses(req: any): Array<{ name: string; response: unknown }> {
  const out: Array<{ name: string; response: unknown }> = [];
  for (const c of Array.isArray(req?.contents) ? req.contents : [])
    for (const p of Array.isArray(c?.parts) ? c.parts : []) {
      const fr = field(p, 'functionResponse');
      if (fr) out.push({ name: fr.name, response: fr.response });
    }
  return out;
}

function splitText(s: string): string[] {
  if (s.length < 2) return [s];
  const mid = Math.ceil(s.length / 2);
  return [s.slice(0, mid), s.slice(mid)];
}

function errorBody(status: number, message?: string, details?: unknown[]): string {
  const error: Record<string, unknown> = {
    code: status,
    message: message ?? MESSAGES[status] ?? `mock upstream error ${status}`,
    status: STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION'),
  };
  if (details) error.details = details;
  return JSON.stringify({ error });
}

function sendError(res: http.ServerResponse, status: number, message?: string, details?: unknown[], headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
  res.end(errorBody(status, message, details));
}

function quotaDetails(model: string): unknown[] {
  return [
    {
      '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
      violations: [
        {
          quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
          quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
          quotaDimensions: { location: 'global', model },
          quotaValue: '10',
        },
      ],
    },
    { '@type': 'type.googleapis.com/google.rpc.Help', links: [{ description: 'Learn more about Gemini API quotas', url: 'https://ai.google.dev/gemini-api/docs/rate-limits' }] },
    { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '2s' },
  ];
}

type Forced = { status: number; headers: Record<string, string> };

export async function startMockGemini(opts: MockGeminiOptions = {}): Promise<MockUpstream> {
  const forced: Forced[] = [];
  const state = { project: opts.project ?? CODE_ASSIST_PROJECT, onboarded: opts.onboarded ?? true };
  const { port, requests, close } = await startRecordingServer((req, res, body) => {
    try {
      handle(req, res, body, forced, state);
    } catch (e) {
      if (e instanceof BadRequest) sendError(res, 400, e.message);
      else sendError(res, 500, String(e));
    }
  });
  return {
    // Gemini base URLs carry no version: clients append /v1beta/models/… (or /v1internal:…).
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    failNext(status, count = 1, headers = {}) {
      for (let i = 0; i < count; i++) forced.push({ status, headers });
    },
    close,
  };
}

const GEMINI_PATH = /^\/(v1beta|v1|v1alpha)\/models\/([^/:]+):(generateContent|streamGenerateContent|countTokens)$/;
const CODE_ASSIST_PATH = /^\/v1internal:(generateContent|streamGenerateContent|countTokens|loadCodeAssist|onboardUser)$/;

function handle(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  body: any,
  forced: Forced[],
  state: { project: string; onboarded: boolean },
): void {
  const u = new URL(req.url ?? '/', 'http://mock');
  let path: string;
  try {
    path = decodeURIComponent(u.pathname);
  } catch {
    path = u.pathname;
  }
  const g = GEMINI_PATH.exec(path);
  const ca = CODE_ASSIST_PATH.exec(path);
  if (req.method !== 'POST' || (!g && !ca)) return sendError(res, 404, `Method not found.`);
  const bearer = typeof req.headers['authorization'] === 'string' && /^Bearer\s+\S/i.test(req.headers['authorization']);
  if (ca) {
    if (!bearer)
      return sendError(
        res,
        401,
        'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
      );
  } else {
    const key = req.headers['x-goog-api-key'] ?? u.searchParams.get('key');
    if (!key && !bearer)
      return sendError(
        res,
        403,
        "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
      );
    if (key === 'invalid-key')
      return sendError(res, 400, 'API key not valid. Please pass a valid API key.', [
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } },
      ]);
  }
  const f = forced.shift();
  if (f) return sendError(res, f.status, undefined, undefined, f.headers);
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body))
    return sendError(res, 400, 'Invalid JSON payload received. Unexpected token.');

  const alt = u.searchParams.get('alt') ?? u.searchParams.get('$alt');
  const sse = alt === 'sse';

  if (ca) {
    const action = ca[1]!;
    if (action === 'loadCodeAssist') return loadCodeAssist(res, body, state);
    if (action === 'onboardUser') return onboardUser(res, body, state);
    const inner = body.request;
    if (!inner || typeof inner !== 'object') throw new BadRequest('Request contains an invalid argument.');
    if (action === 'countTokens') {
      validateContents(field(inner, 'contents'), 'CountTokensRequest.request');
      return sendJson(res, { totalTokens: geminiMockTokenCount(inner) });
    }
    if (typeof body.model !== 'string' || !body.model) throw new BadRequest('Request contains an invalid argument.');
    validateRequest(inner, CODE_ASSIST_REQUEST_FIELDS, 'GenerateContentRequest', 'request.');
    return generate(res, body.model, inner, action === 'streamGenerateContent', sse, true);
  }

  const model = g![2]!;
  const action = g![3]!;
  if (action === 'countTokens') {
    for (const k of Object.keys(body)) if (!['contents', 'generateContentRequest'].includes(camel(k))) throw unknownName(k, '');
    const gcr = field(body, 'generateContentRequest');
    if (gcr !== undefined) {
      if (body.contents !== undefined) throw new BadRequest('contents and generate_content_request are mutually exclusive.');
      validateRequest(gcr, REQUEST_FIELDS, 'CountTokensRequest.generate_content_request', 'generate_content_request.');
      return sendJson(res, countTokensBody(geminiMockTokenCount(gcr)));
    }
    validateContents(body.contents, 'CountTokensRequest');
    return sendJson(res, countTokensBody(geminiMockTokenCount(body)));
  }
  validateRequest(body, REQUEST_FIELDS);
  return generate(res, model, body, action === 'streamGenerateContent', sse, false);
}

function countTokensBody(n: number) {
  return { totalTokens: n, promptTokensDetails: [{ modality: 'TEXT', tokenCount: n }] };
}

function sendJson(res: http.ServerResponse, value: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
  res.end(JSON.stringify(value));
}

function tiers() {
  return [
    {
      id: 'free-tier',
      name: 'Gemini Code Assist for individuals',
      description: 'Gemini Code Assist for individuals',
      userDefinedCloudaicompanionProject: false,
      isDefault: true,
      privacyNotice: { showNotice: false },
    },
    {
      id: 'standard-tier',
      name: 'Gemini Code Assist Standard',
      description: 'Gemini Code Assist Standard',
      userDefinedCloudaicompanionProject: true,
    },
  ];
}

function loadCodeAssist(res: http.ServerResponse, body: any, state: { project: string; onboarded: boolean }): void {
  if (body.metadata !== undefined && (typeof body.metadata !== 'object' || Array.isArray(body.metadata))) throw new BadRequest('Request contains an invalid argument.');
  const allowedTiers = tiers();
  if (!state.onboarded) return sendJson(res, { allowedTiers, gcpManaged: false });
  const { isDefault: _d, privacyNotice: _p, ...currentTier } = allowedTiers[0]!;
  sendJson(res, { currentTier, allowedTiers, cloudaicompanionProject: state.project, gcpManaged: false });
}

function onboardUser(res: http.ServerResponse, body: any, state: { project: string; onboarded: boolean }): void {
  if (typeof body.tierId !== 'string' || !body.tierId) throw new BadRequest('Request contains an invalid argument.');
  if (typeof body.cloudaicompanionProject === 'string' && body.cloudaicompanionProject) state.project = body.cloudaicompanionProject;
  state.onboarded = true;
  sendJson(res, {
    name: `operations/mock-onboard-${Date.now()}`,
    done: true,
    response: {
      '@type': 'type.googleapis.com/google.internal.cloud.code.v1internal.OnboardUserResponse',
      cloudaicompanionProject: { id: state.project, name: state.project },
    },
  });
}

function generate(res: http.ServerResponse, model: string, req: any, stream: boolean, sse: boolean, codeAssist: boolean): void {
  const failure = /^fail-(\d{3})$/.exec(model);
  if (failure) {
    const status = Number(failure[1]);
    return sendError(res, status, undefined, status === 429 ? quotaDetails(model) : undefined);
  }
  const responseId = `mock${Math.random().toString(36).slice(2, 14)}`;
  const traceId = Math.random().toString(16).slice(2, 18);
  const toolCalls = model === 'tool-call';
  const thinking = model === 'thinking';
  const usageFull = {
    promptTokenCount: 11,
    candidatesTokenCount: 6,
    totalTokenCount: 19,
    cachedContentTokenCount: 3,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: 11 }],
    cacheTokensDetails: [{ modality: 'TEXT', tokenCount: 3 }],
    thoughtsTokenCount: 2,
  };
  const usagePrompt = { promptTokenCount: 11, totalTokenCount: 11, promptTokensDetails: [{ modality: 'TEXT', tokenCount: 11 }] };
  const wrap = (r: unknown) => (codeAssist ? { response: r, traceId } : r);
  const chunk = (parts: any[] | null, last: boolean) => {
    const cand: any = { index: 0 };
    if (parts) cand.content = { parts, role: 'model' };
    if (last) cand.finishReason = 'STOP';
    return wrap({ candidates: [cand], usageMetadata: last ? usageFull : usagePrompt, modelVersion: model, responseId });
  };

  const toolParts = [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }, { functionCall: { name: 'get_time', args: { tz: 'CET' } } }];
  const thoughtPart = { text: GEMINI_MOCK_THOUGHT, thought: true, thoughtSignature: GEMINI_MOCK_SIGNATURE };
  let pieces: string[];
  if (model === 'tool-result-echo') pieces = splitText(JSON.stringify(functionResponses(req)));
  else {
    const echo = lastUserText(req);
    pieces = echo ? ['echo', ': ', ...splitText(echo)] : CHUNK_WORDS;
  }
  pieces = pieces.filter(Boolean);

  if (!stream) {
    const parts: any[] = toolCalls ? toolParts : [...(thinking ? [thoughtPart] : []), { text: pieces.join('') }];
    return sendJson(res, chunk(parts, true));
  }

  res.writeHead(200, sse ? { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } : { 'content-type': 'application/json; charset=UTF-8' });
  let first = true;
  const frame = (v: unknown): string => {
    const json = JSON.stringify(v);
    if (sse) return `data: ${json}\r\n\r\n`;
    const s = (first ? '[' : ',\r\n') + json;
    first = false;
    return s;
  };
  const tail = () => (sse ? '' : first ? '[]' : ']');

  if (toolCalls) {
    res.end(frame(chunk(toolParts, true)) + tail());
    return;
  }
  if (model === 'hang-stream') {
    res.write(frame(chunk([{ text: 'first' }], false)));
    return; // never ends: the test aborts the client
  }
  if (model === 'break-stream' || model === 'cut-stream') {
    res.write(frame(chunk([{ text: 'part one' }], false)));
    res.write(frame(chunk([{ text: ', part two' }], false)));
    if (model === 'cut-stream') res.end(); // a clean HTTP end, no end marker
    else setTimeout(() => res.socket?.destroy(), 20);
    return;
  }
  if (model === 'stream-error') {
    res.end(frame(chunk([{ text: 'partial' }], false)) + frame({ error: { code: 503, message: MESSAGES[503], status: 'UNAVAILABLE' } }) + tail());
    return;
  }
  const slow = /^slow-(\d+)$/.exec(model);
  if (slow) {
    const n = Number(slow[1]);
    let i = 0;
    const t = setInterval(() => {
      if (i < n - 1) res.write(frame(chunk([{ text: `w${i++} ` }], false)));
      else {
        clearInterval(t);
        res.end(frame(chunk([{ text: `w${i} ` }], true)) + tail());
      }
    }, 20);
    res.on('close', () => clearInterval(t));
    return;
  }
  let out = '';
  if (thinking) out += frame(chunk([thoughtPart], false));
  pieces.forEach((p, i) => (out += frame(chunk([{ text: p }], i === pieces.length - 1))));
  res.end(out + tail());
}
