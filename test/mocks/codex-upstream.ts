// A local ChatGPT Codex backend / OpenAI Responses API server following the
// public Responses wire format (https://platform.openai.com/docs/api-reference/responses,
// .../responses-streaming): `event: <type>\ndata: {"type":…,"sequence_number":n,…}\n\n`.
//
// Two flavours on one server, chosen by path:
//   …/responses (e.g. /backend-api/codex/responses, /responses) — the Codex
//       backend: always SSE; 400 {"detail":"Stream must be set to true"} unless
//       stream:true, {"detail":"Store must be set to false"} unless store:false,
//       {"detail":"Instructions are required"} without non-empty instructions,
//       {"detail":"Unsupported parameter: <p>"} for max_output_tokens,
//       max_completion_tokens, temperature, top_p; {"detail":"Input must be a list"};
//       fail-429 answers the Codex usage_limit_reached body.
//   /v1/responses — the public OpenAI Responses API: stream optional (stream
//       false → one JSON response object), store/instructions/sampling free.
// Both: Bearer auth (401 OpenAI error body without it), unknown top-level
// parameters rejected ("Unknown parameter: 'x'."), input roles limited to
// user/assistant/system/developer with the matching content part types, every
// function_call_output must follow its function_call (and vice versa), and
// with store:false a reasoning item must carry encrypted_content.
//
// Behaviour is steered by the model name:
//   fail-<status>      that status with an error body
//   tool-call          two function_call items (call_id call_mock_a1 / call_mock_b2):
//                      get_weather {"city":"Paris"}, get_time {"tz":"CET"}, arguments
//                      streamed via response.function_call_arguments.delta/done
//   thinking           a reasoning item first (summary_text deltas; encrypted_content
//                      "enc-mock-1" when include has "reasoning.encrypted_content"), then text
//   tool-result-echo   answer text = JSON of [{call_id, output}] for every function_call_output
//   hang-stream        first text delta, then never finish
//   break-stream       two text deltas, then drop the connection
//   cut-stream         two text deltas, then end the response without response.completed
//   stream-error       one text delta, then response.failed (error.code "server_error")
//   slow-<n>           n text deltas, 20 ms apart
//   phased             two assistant messages: phase "commentary" (CODEX_MOCK_COMMENTARY),
//                      then phase "final_answer" with the echo
// POST …/responses/compact answers a `response.compaction` object (codex-compact.ts).
// Anything else: "echo: <last user text>".
// Usage: input_tokens 11 (cached_tokens 3), output_tokens 6 (reasoning_tokens 2), total 17.
import http from 'node:http';
import { compact } from './codex-compact.js';
import { startRecordingServer } from './recording-server.js';
import type { MockUpstream, RecordedRequest } from './openai-upstream.js';

export type { RecordedRequest };

export interface MockCodexUpstream extends MockUpstream {
  /** Codex backend base URL (…/backend-api/codex); clients append /responses. */
  url: string;
  /** Public OpenAI API base URL (…/v1); clients append /responses. */
  openaiUrl: string;
}

export const CODEX_MOCK_REASONING = 'Thinking about the request.';
export const CODEX_MOCK_ENCRYPTED = 'enc-mock-1';
export const CODEX_CALL_IDS = ['call_mock_a1', 'call_mock_b2'] as const;
export const CODEX_MOCK_COMMENTARY = 'Looking into it.';
export { CODEX_MOCK_COMPACTED } from './codex-compact.js';

const CHUNK_WORDS = ['Hello', ' from', ' the', ' mock', ' upstream', '.'];
const KNOWN_PARAMS = new Set([
  'model',
  'input',
  'instructions',
  'stream',
  'stream_options',
  'store',
  'include',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'reasoning',
  'text',
  'previous_response_id',
  'conversation',
  'prompt',
  'prompt_cache_key',
  'prompt_cache_retention',
  'safety_identifier',
  'max_output_tokens',
  'max_tool_calls',
  'temperature',
  'top_p',
  'top_logprobs',
  'metadata',
  'user',
  'service_tier',
  'truncation',
  'background',
  'client_metadata',
]);
const CODEX_UNSUPPORTED = ['max_output_tokens', 'max_completion_tokens', 'temperature', 'top_p'];
const USER_PARTS = ['input_text', 'input_image', 'input_file', 'input_audio'];
const ASSISTANT_PARTS = ['output_text', 'refusal'];

type Forced = { status: number; headers: Record<string, string> };

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(JSON.stringify(body));
  }
}
const detail = (msg: string) => new ApiError(400, { detail: msg });
const invalid = (message: string, param: string | null, code: string | null = null, status = 400) =>
  new ApiError(status, { error: { message, type: 'invalid_request_error', param, code } });

function rid(prefix: string): string {
  return `${prefix}${Math.random().toString(16).slice(2, 14)}${Math.random().toString(16).slice(2, 14)}`;
}

function inputItems(body: any): any[] {
  if (typeof body?.input === 'string') return [{ type: 'message', role: 'user', content: body.input }];
  return Array.isArray(body?.input) ? body.input : [];
}

function textOf(content: any): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.filter((p: any) => typeof p?.text === 'string' && (p.type === 'input_text' || p.type === 'output_text')).map((p: any) => p.text).join('');
  return '';
}

function lastUserText(body: any): string {
  const items = inputItems(body);
  for (let i = items.length - 1; i >= 0; i--) {
    const it = items[i];
    if (it?.role !== 'user' || (it.type !== undefined && it.type !== 'message')) continue;
    const t = textOf(it.content);
    if (t) return t;
  }
  return '';
}

function validateInput(body: any, codex: boolean): void {
  const input = body.input;
  if (input === undefined) {
    if (codex) throw detail('Input must be a list');
    return;
  }
  if (typeof input === 'string') {
    if (codex) throw detail('Input must be a list');
    return;
  }
  if (!Array.isArray(input)) throw codex ? detail('Input must be a list') : invalid("Invalid type for 'input': expected one of a string or array of input items.", 'input', 'invalid_type');
  const calls = new Map<string, number>();
  const outputs = new Set<string>();
  input.forEach((it: any, i: number) => {
    if (!it || typeof it !== 'object') throw invalid(`Invalid type for 'input[${i}]': expected an object.`, `input[${i}]`, 'invalid_type');
    const type = it.type ?? (it.role !== undefined ? 'message' : undefined);
    if (type === 'message') {
      if (!['user', 'assistant', 'system', 'developer'].includes(it.role))
        throw invalid(`Invalid value: '${it.role}'. Supported values are: 'assistant', 'system', 'developer', and 'user'.`, `input[${i}].role`, 'invalid_value');
      if (typeof it.content === 'string') return;
      if (!Array.isArray(it.content)) throw invalid(`Invalid type for 'input[${i}].content': expected one of a string or array of input items.`, `input[${i}].content`, 'invalid_type');
      const allowed = it.role === 'assistant' ? ASSISTANT_PARTS : USER_PARTS;
      it.content.forEach((p: any, j: number) => {
        if (!allowed.includes(p?.type)) {
          const list = allowed.map((a) => `'${a}'`);
          const said = list.length === 2 ? list.join(' and ') : `${list.slice(0, -1).join(', ')}, and ${list[list.length - 1]}`;
          throw invalid(`Invalid value: '${p?.type}'. Supported values are: ${said}.`, `input[${i}].content[${j}]`, 'invalid_value');
        }
      });
      return;
    }
    if (type === 'function_call') {
      if (typeof it.call_id !== 'string' || typeof it.name !== 'string' || typeof it.arguments !== 'string')
        throw invalid(`Missing required parameter: 'input[${i}].call_id', 'name' and 'arguments' are required.`, `input[${i}]`, 'missing_required_parameter');
      calls.set(it.call_id, i);
      return;
    }
    if (type === 'function_call_output') {
      if (!calls.has(it.call_id) && !body.previous_response_id)
        throw invalid(`No tool call found for function call output with call_id ${it.call_id}.`, 'input', null);
      outputs.add(it.call_id);
      return;
    }
    if (type === 'reasoning') {
      if (body.store === false && typeof it.encrypted_content !== 'string' && typeof it.id === 'string')
        throw invalid(
          `Item with id '${it.id}' not found. Items are not persisted when \`store\` is set to false. Try again with \`store\` set to true, or remove this item from your input.`,
          'input',
          null,
          404,
        );
      return;
    }
  });
  for (const [callId] of calls) if (!outputs.has(callId)) throw invalid(`No tool output found for function call ${callId}.`, 'input', null);
}

function validate(body: any, codex: boolean): void {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw invalid("We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly.)", null);
  if (codex) {
    if (body.stream !== true) throw detail('Stream must be set to true');
    if (body.store !== false) throw detail('Store must be set to false');
    if (typeof body.instructions !== 'string' || !body.instructions.trim()) throw detail('Instructions are required');
    for (const p of CODEX_UNSUPPORTED) if (body[p] !== undefined) throw detail(`Unsupported parameter: ${p}`);
  }
  for (const k of Object.keys(body)) if (!KNOWN_PARAMS.has(k)) throw invalid(`Unknown parameter: '${k}'.`, k, 'unknown_parameter');
  if (typeof body.model !== 'string' || !body.model) throw invalid("Missing required parameter: 'model'.", 'model', 'missing_required_parameter');
  validateInput(body, codex);
}

export async function startMockCodex(): Promise<MockCodexUpstream> {
  const forced: Forced[] = [];
  const { port, requests, close } = await startRecordingServer((req, res, body) => {
    try {
      handle(req, res, body, forced);
    } catch (e) {
      if (e instanceof ApiError) sendJson(res, e.status, e.body);
      else sendJson(res, 500, { error: { message: String(e), type: 'server_error', param: null, code: null } });
    }
  });
  return {
    url: `http://127.0.0.1:${port}/backend-api/codex`,
    openaiUrl: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    failNext(status, count = 1, headers = {}) {
      for (let i = 0; i < count; i++) forced.push({ status, headers });
    },
    close,
  };
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': rid('req_'), ...headers });
  res.end(JSON.stringify(body));
}

function errorBody(status: number, codex: boolean): unknown {
  if (status === 429 && codex) {
    const resetsIn = 3600;
    return {
      error: {
        type: 'usage_limit_reached',
        message: 'The usage limit has been reached',
        plan_type: 'plus',
        resets_at: Math.floor(Date.now() / 1000) + resetsIn,
        resets_in_seconds: resetsIn,
      },
    };
  }
  if (status === 429)
    return { error: { message: 'Rate limit reached for requests. Please try again in 2s.', type: 'requests', param: null, code: 'rate_limit_exceeded' } };
  return {
    error: {
      message: `mock upstream error ${status}`,
      type: status >= 500 ? 'server_error' : 'invalid_request_error',
      param: null,
      code: status >= 500 ? 'server_error' : null,
    },
  };
}

const RATE_HEADERS = {
  'x-codex-primary-used-percent': '12',
  'x-codex-primary-window-minutes': '300',
  'x-codex-primary-reset-after-seconds': '3600',
  'x-codex-secondary-used-percent': '5',
  'x-codex-secondary-window-minutes': '10080',
  'x-codex-secondary-reset-after-seconds': '86400',
};

function handle(req: http.IncomingMessage, res: http.ServerResponse, body: any, forced: Forced[]): void {
  const path = new URL(req.url ?? '/', 'http://mock').pathname;
  const compacting = req.method === 'POST' && path.endsWith('/responses/compact');
  if (!compacting && (req.method !== 'POST' || !path.endsWith('/responses')))
    return sendJson(res, 404, { error: { message: `Invalid URL (${req.method} ${path})`, type: 'invalid_request_error', param: null, code: null } });
  const codex = path !== '/v1/responses';
  const auth = req.headers['authorization'];
  if (typeof auth !== 'string' || !/^Bearer\s+\S/i.test(auth))
    return sendJson(res, 401, {
      error: {
        message: "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });
  const f = forced.shift();
  if (f) return sendJson(res, f.status, errorBody(f.status, codex), f.headers);
  if (compacting) return compact(res, body, !path.startsWith('/v1/'), sendJson);
  validate(body, codex);
  const model: string = body.model;
  const failure = /^fail-(\d{3})$/.exec(model);
  if (failure) return sendJson(res, Number(failure[1]), errorBody(Number(failure[1]), codex));
  respond(res, body, model, codex);
}

function respond(res: http.ServerResponse, body: any, model: string, codex: boolean): void {
  const id = rid('resp_');
  const created = Math.floor(Date.now() / 1000);
  const toolCalls = model === 'tool-call';
  const thinking = model === 'thinking';
  const wantEncrypted = Array.isArray(body.include) && body.include.includes('reasoning.encrypted_content');
  const usage = {
    input_tokens: 11,
    input_tokens_details: { cached_tokens: 3 },
    output_tokens: 6,
    output_tokens_details: { reasoning_tokens: 2 },
    total_tokens: 17,
  };
  const base = (status: string, output: unknown[], extra: Record<string, unknown> = {}) => ({
    id,
    object: 'response',
    created_at: created,
    status,
    background: false,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    max_tool_calls: null,
    model,
    output,
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    prompt_cache_key: body.prompt_cache_key ?? null,
    reasoning: { effort: body.reasoning?.effort ?? null, summary: body.reasoning?.summary ?? null },
    safety_identifier: null,
    service_tier: 'default',
    store: body.store ?? !codex,
    temperature: body.temperature ?? 1,
    text: body.text ?? { format: { type: 'text' }, verbosity: 'medium' },
    tool_choice: body.tool_choice ?? 'auto',
    tools: body.tools ?? [],
    top_logprobs: 0,
    top_p: body.top_p ?? 1,
    truncation: 'disabled',
    usage: null,
    user: null,
    metadata: body.metadata ?? {},
    ...extra,
  });

  let pieces: string[];
  if (model === 'tool-result-echo') {
    const outs = inputItems(body)
      .filter((it: any) => it?.type === 'function_call_output')
      .map((it: any) => ({ call_id: it.call_id, output: it.output }));
    const s = JSON.stringify(outs);
    pieces = [s.slice(0, Math.ceil(s.length / 2)), s.slice(Math.ceil(s.length / 2))].filter(Boolean);
  } else {
    const echo = lastUserText(body);
    pieces = echo ? ['echo', ': ', echo.slice(0, Math.ceil(echo.length / 2)), echo.slice(Math.ceil(echo.length / 2))].filter(Boolean) : CHUNK_WORDS;
  }
  const text = pieces.join('');
  const msgId = rid('msg_');
  const phased = model === 'phased';
  const rsId = rid('rs_');
  const reasoningItem = (done: boolean) => ({
    id: rsId,
    type: 'reasoning',
    summary: done ? [{ type: 'summary_text', text: CODEX_MOCK_REASONING }] : [],
    ...(wantEncrypted ? { encrypted_content: CODEX_MOCK_ENCRYPTED } : {}),
  });
  const outputPart = (t: string) => ({ type: 'output_text', annotations: [], logprobs: [], text: t });
  const messageItem = (done: boolean, t: string, id = msgId, phase = phased ? 'final_answer' : undefined) => ({
    id,
    type: 'message',
    status: done ? 'completed' : 'in_progress',
    content: done ? [outputPart(t)] : [],
    ...(phase ? { phase } : {}),
    role: 'assistant',
  });
  const commentaryId = rid('msg_');
  const calls: Array<[string, string, string, string[]]> = [
    [rid('fc_'), CODEX_CALL_IDS[0], 'get_weather', ['{"city":', '"Paris"}']],
    [rid('fc_'), CODEX_CALL_IDS[1], 'get_time', ['{"tz":', '"CET"}']],
  ];
  const callItem = (c: (typeof calls)[number], done: boolean) => ({
    id: c[0],
    type: 'function_call',
    status: done ? 'completed' : 'in_progress',
    arguments: done ? c[3].join('') : '',
    call_id: c[1],
    name: c[2],
  });
  const finalOutput: unknown[] = [];
  if (thinking) finalOutput.push(reasoningItem(true));
  if (phased) finalOutput.push(messageItem(true, CODEX_MOCK_COMMENTARY, commentaryId, 'commentary'));
  if (toolCalls) for (const c of calls) finalOutput.push(callItem(c, true));
  else finalOutput.push(messageItem(true, text));

  if (!codex && body.stream !== true) {
    sendJson(res, 200, base('completed', finalOutput, { usage }));
    return;
  }

  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-request-id': rid('req_'), ...(codex ? RATE_HEADERS : {}) });
  let seq = 0;
  const ev = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...data })}\n\n`;
  let out = ev('response.created', { response: base('in_progress', []) }) + ev('response.in_progress', { response: base('in_progress', []) });
  let index = 0;
  if (thinking) {
    const where = { item_id: rsId, output_index: index };
    out += ev('response.output_item.added', { output_index: index, item: reasoningItem(false) });
    out += ev('response.reasoning_summary_part.added', { ...where, summary_index: 0, part: { type: 'summary_text', text: '' } });
    const half = Math.ceil(CODEX_MOCK_REASONING.length / 2);
    for (const d of [CODEX_MOCK_REASONING.slice(0, half), CODEX_MOCK_REASONING.slice(half)])
      out += ev('response.reasoning_summary_text.delta', { ...where, summary_index: 0, delta: d });
    out += ev('response.reasoning_summary_text.done', { ...where, summary_index: 0, text: CODEX_MOCK_REASONING });
    out += ev('response.reasoning_summary_part.done', { ...where, summary_index: 0, part: { type: 'summary_text', text: CODEX_MOCK_REASONING } });
    out += ev('response.output_item.done', { output_index: index, item: reasoningItem(true) });
    index++;
  }
  const completed = () => ev('response.completed', { response: base('completed', finalOutput, { usage }) });

  if (toolCalls) {
    for (const c of calls) {
      const where = { item_id: c[0], output_index: index };
      out += ev('response.output_item.added', { output_index: index, item: callItem(c, false) });
      for (const d of c[3]) out += ev('response.function_call_arguments.delta', { ...where, delta: d });
      out += ev('response.function_call_arguments.done', { ...where, arguments: c[3].join('') });
      out += ev('response.output_item.done', { output_index: index, item: callItem(c, true) });
      index++;
    }
    res.end(out + completed());
    return;
  }

  if (phased) {
    const at = { item_id: commentaryId, output_index: index, content_index: 0 };
    out += ev('response.output_item.added', { output_index: index, item: messageItem(false, '', commentaryId, 'commentary') });
    out += ev('response.content_part.added', { ...at, part: outputPart('') });
    out += ev('response.output_text.delta', { ...at, delta: CODEX_MOCK_COMMENTARY, logprobs: [] });
    out += ev('response.output_text.done', { ...at, text: CODEX_MOCK_COMMENTARY, logprobs: [] });
    out += ev('response.content_part.done', { ...at, part: outputPart(CODEX_MOCK_COMMENTARY) });
    out += ev('response.output_item.done', { output_index: index, item: messageItem(true, CODEX_MOCK_COMMENTARY, commentaryId, 'commentary') });
    index++;
  }
  const where = { item_id: msgId, output_index: index, content_index: 0 };
  out += ev('response.output_item.added', { output_index: index, item: messageItem(false, '') });
  out += ev('response.content_part.added', { ...where, part: outputPart('') });
  const delta = (d: string) => ev('response.output_text.delta', { ...where, delta: d, logprobs: [] });
  const finishText = (t: string) =>
    ev('response.output_text.done', { ...where, text: t, logprobs: [] }) +
    ev('response.content_part.done', { ...where, part: outputPart(t) }) +
    ev('response.output_item.done', { output_index: index, item: messageItem(true, t) });

  if (model === 'hang-stream') {
    res.write(out + delta('first'));
    return; // never ends: the test aborts the client
  }
  if (model === 'break-stream' || model === 'cut-stream') {
    res.write(out + delta('part one'));
    res.write(delta(', part two'));
    if (model === 'cut-stream') res.end(); // a clean HTTP end, no end marker
    else setTimeout(() => res.socket?.destroy(), 20);
    return;
  }
  if (model === 'stream-error') {
    res.end(
      out +
        delta('partial') +
        ev('response.failed', {
          response: base('failed', [], { error: { code: 'server_error', message: 'An error occurred while processing your request.' } }),
        }),
    );
    return;
  }
  const slow = /^slow-(\d+)$/.exec(model);
  if (slow) {
    const n = Number(slow[1]);
    let i = 0;
    let acc = '';
    res.write(out);
    const t = setInterval(() => {
      if (i < n) {
        const w = `w${i++} `;
        acc += w;
        res.write(delta(w));
      } else {
        clearInterval(t);
        finalOutput[finalOutput.length - 1] = messageItem(true, acc);
        res.end(finishText(acc) + completed());
      }
    }, 20);
    res.on('close', () => clearInterval(t));
    return;
  }
  for (const p of pieces) out += delta(p);
  res.end(out + finishText(text) + completed());
}
