// A local Anthropic Messages API server following Anthropic's public wire
// format (https://docs.anthropic.com/en/api/messages, .../messages-streaming,
// .../errors): `POST /v1/messages` (the `?beta=true` query is accepted) and
// `POST /v1/messages/count_tokens`. Requests are validated the way the real API
// does it (auth + `anthropic-version` headers, `max_tokens` required, roles
// limited to user/assistant, no unknown top-level fields, tool_use/tool_result
// pairing, thinking budget rules, thinking signatures and the tool-loop
// thinking rule: claude-validate.ts) so the gateway's translation is tested
// against the same rules. Errors use `{"type":"error","error":{type,message}}`.
//
// Behaviour is steered by the model name:
//   fail-<status>      answer that status with an Anthropic error body (429 adds
//                      `retry-after: 2`; failNext() errors carry only the given headers)
//   tool-call          two parallel tool_use blocks: get_weather {"city":"Paris"},
//                      get_time {"tz":"CET"} (stop_reason "tool_use"); streamed
//                      as input_json_delta fragments (≥2 per call)
//   thinking           a thinking block (signature "sig-mock-1") then the text
//   tool-result-echo   answer text = JSON of [{tool_use_id, content}] for every
//                      tool_result block received, in order
//   hang-stream        stream: send the first delta, then never finish
//   break-stream       stream: send two deltas, then drop the connection
//   cut-stream         stream: send two deltas, then end the response without message_delta/message_stop
//   stream-error       stream: one delta, then an `event: error` (overloaded_error)
//   slow-<n>           stream: n text deltas, 20 ms apart
// Anything else: "echo: <last user text>" (or a fixed greeting).
// Usage everywhere: input_tokens 11, output_tokens 6, cache_read_input_tokens 3,
// cache_creation_input_tokens 0.
import http from 'node:http';
import { CLAUDE_MOCK_SIGNATURE, validate } from './claude-validate.js';
import { startRecordingServer } from './recording-server.js';
import type { MockUpstream, RecordedRequest } from './openai-upstream.js';

export type { MockUpstream, RecordedRequest };

/** Thinking text and signature the `thinking` model answers with. */
export const CLAUDE_MOCK_THINKING = 'Let me think about this.';
export { CLAUDE_MOCK_SIGNATURE };
export const CLAUDE_TOOL_IDS = ['toolu_01MockWeatherA1', 'toolu_01MockTimeB2'] as const;

const DEFAULT_TEXT = 'Hello from the mock upstream.';
const CHUNK_WORDS = ['Hello', ' from', ' the', ' mock', ' upstream', '.'];

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};
const ERROR_MESSAGES: Record<string, string> = {
  rate_limit_error: 'Number of request tokens has exceeded your per-minute rate limit',
  overloaded_error: 'Overloaded',
  api_error: 'Internal server error',
};

type Forced = { status: number; headers: Record<string, string> };

function rid(prefix: string): string {
  return `${prefix}${Math.random().toString(36).slice(2, 12)}${Math.random().toString(36).slice(2, 12)}`;
}

/** Words in every text the request carries (messages' text/string content, system, tool results). */
export function claudeMockTokenCount(body: any): number {
  let n = 0;
  const words = (s: string) => (n += s.split(/\s+/).filter(Boolean).length);
  const walk = (v: any, key?: string): void => {
    if (typeof v === 'string') {
      if (key === 'text' || key === 'content' || key === 'system' || key === 'thinking') words(v);
      return;
    }
    if (Array.isArray(v)) return v.forEach((x) => walk(x, key === 'content' || key === 'system' ? key : undefined));
    if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
  };
  walk({ system: body?.system, messages: body?.messages });
  return Math.max(1, n);
}

function textOf(content: any): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.filter((b: any) => b?.type === 'text' && typeof b.text === 'string').map((b: any) => b.text).join('');
  return '';
}

function lastUserText(body: any): string {
  const msgs: any[] = Array.isArray(body?.messages) ? body.messages : [];
  for (let i = msgs.length - 1; i >= 0; i--) {
    if (msgs[i]?.role !== 'user') continue;
    const t = textOf(msgs[i].content);
    if (t) return t;
  }
  return '';
}

function toolResults(body: any): Array<{ tool_use_id: string; content: unknown }> {
  const out: Array<{ tool_use_id: string; content: unknown }> = [];
  for (const m of Array.isArray(body?.messages) ? body.messages : []) {
    if (!Array.isArray(m?.content)) continue;
    for (const b of m.content) if (b?.type === 'tool_result') out.push({ tool_use_id: b.tool_use_id, content: b.content });
  }
  return out;
}

function splitText(s: string): string[] {
  if (s.length < 2) return [s];
  const mid = Math.ceil(s.length / 2);
  return [s.slice(0, mid), s.slice(mid)];
}

function answerPieces(model: string, body: any): string[] {
  if (model === 'tool-result-echo') return splitText(JSON.stringify(toolResults(body)));
  const echo = lastUserText(body);
  return echo ? ['echo', ': ', ...splitText(echo)] : CHUNK_WORDS;
}

export async function startMockClaude(): Promise<MockUpstream> {
  const forced: Forced[] = [];
  const { port, requests, close } = await startRecordingServer((req, res, body) => handle(req, res, body, forced));

  return {
    // Anthropic base URLs carry no version: clients append /v1/messages.
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    failNext(status, count = 1, headers = {}) {
      for (let i = 0; i < count; i++) forced.push({ status, headers });
    },
    close,
  };
}

function sendError(res: http.ServerResponse, status: number, message?: string, headers: Record<string, string> = {}): void {
  const type = ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
  const requestId = rid('req_011Mock');
  res.writeHead(status, { 'content-type': 'application/json', 'request-id': requestId, 'x-should-retry': String(status === 429 || status >= 500), ...headers });
  res.end(JSON.stringify({ type: 'error', error: { type, message: message ?? ERROR_MESSAGES[type] ?? `mock upstream error ${status}` }, request_id: requestId }));
}

function handle(req: http.IncomingMessage, res: http.ServerResponse, body: any, forced: Forced[]): void {
  const path = new URL(req.url ?? '/', 'http://mock').pathname;
  const isCount = path === '/v1/messages/count_tokens';
  if (req.method !== 'POST' || (path !== '/v1/messages' && !isCount)) return sendError(res, 404, 'Not Found');
  const auth = req.headers['authorization'];
  const key = req.headers['x-api-key'] ?? (typeof auth === 'string' && /^Bearer\s+\S/i.test(auth) ? auth : undefined);
  if (!key) return sendError(res, 401, 'x-api-key header is required');
  if (key === 'invalid' || key === 'Bearer invalid') return sendError(res, 401, 'invalid x-api-key');
  if (!req.headers['anthropic-version']) return sendError(res, 400, 'anthropic-version: header is required');
  const f = forced.shift();
  if (f) return sendError(res, f.status, undefined, f.headers);
  if (body === undefined) return sendError(res, 400, 'There was an error parsing the body of your request: invalid JSON');
  const invalid = validate(body, isCount);
  if (invalid) return sendError(res, 400, invalid);
  const model: string = body.model;
  const failure = /^fail-(\d{3})$/.exec(model);
  if (failure) return sendError(res, Number(failure[1]), undefined, failure[1] === '429' ? { 'retry-after': '2' } : {});

  const headers = { 'request-id': rid('req_011Mock'), 'anthropic-organization-id': 'mock-org' };
  if (isCount) {
    res.writeHead(200, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify({ input_tokens: claudeMockTokenCount(body) }));
    return;
  }

  const id = rid('msg_01Mock');
  const cacheCreation = { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 };
  const usage = {
    input_tokens: 11,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 3,
    cache_creation: cacheCreation,
    output_tokens: 6,
    service_tier: 'standard',
  };
  const toolCalls = model === 'tool-call';
  const thinking = model === 'thinking';
  const pieces = answerPieces(model, body);

  if (!body.stream) {
    const content: any[] = [];
    if (thinking) content.push({ type: 'thinking', thinking: CLAUDE_MOCK_THINKING, signature: CLAUDE_MOCK_SIGNATURE });
    if (toolCalls) {
      content.push({ type: 'tool_use', id: CLAUDE_TOOL_IDS[0], name: 'get_weather', input: { city: 'Paris' } });
      content.push({ type: 'tool_use', id: CLAUDE_TOOL_IDS[1], name: 'get_time', input: { tz: 'CET' } });
    } else content.push({ type: 'text', text: pieces.join('') || DEFAULT_TEXT });
    res.writeHead(200, { 'content-type': 'application/json', ...headers });
    res.end(
      JSON.stringify({
        id,
        type: 'message',
        role: 'assistant',
        model,
        content,
        stop_reason: toolCalls ? 'tool_use' : 'end_turn',
        stop_sequence: null,
        usage,
      }),
    );
    return;
  }

  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...headers });
  const ev = (type: string, data: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  const start = ev('message_start', {
    message: {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...usage, output_tokens: 1 },
    },
  });
  const ping = ev('ping', {});
  const blockStart = (index: number, block: any) => ev('content_block_start', { index, content_block: block });
  const delta = (index: number, d: any) => ev('content_block_delta', { index, delta: d });
  const blockStop = (index: number) => ev('content_block_stop', { index });
  const finish = (stop: string) =>
    ev('message_delta', { delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: 6 } }) + ev('message_stop', {});
  const textDelta = (index: number, text: string) => delta(index, { type: 'text_delta', text });

  if (toolCalls) {
    let out = start;
    const calls: Array<[string, string, string[]]> = [
      [CLAUDE_TOOL_IDS[0], 'get_weather', ['{"city":', ' "Paris"}']],
      [CLAUDE_TOOL_IDS[1], 'get_time', ['{"tz": ', '"CET"}']],
    ];
    calls.forEach(([tid, name, frags], index) => {
      out += blockStart(index, { type: 'tool_use', id: tid, name, input: {} });
      if (index === 0) out += ping;
      out += delta(index, { type: 'input_json_delta', partial_json: '' });
      for (const p of frags) out += delta(index, { type: 'input_json_delta', partial_json: p });
      out += blockStop(index);
    });
    res.end(out + finish('tool_use'));
    return;
  }
  if (model === 'hang-stream') {
    res.write(start + blockStart(0, { type: 'text', text: '' }) + ping + textDelta(0, 'first'));
    return; // never ends: the test aborts the client
  }
  if (model === 'break-stream' || model === 'cut-stream') {
    res.write(start + blockStart(0, { type: 'text', text: '' }) + ping + textDelta(0, 'part one'));
    res.write(textDelta(0, ', part two'));
    if (model === 'cut-stream') res.end(); // a clean HTTP end, no end marker
    else setTimeout(() => res.socket?.destroy(), 20);
    return;
  }
  if (model === 'stream-error') {
    res.end(
      start +
        blockStart(0, { type: 'text', text: '' }) +
        ping +
        textDelta(0, 'partial') +
        ev('error', { error: { type: 'overloaded_error', message: 'Overloaded' } }),
    );
    return;
  }
  const slow = /^slow-(\d+)$/.exec(model);
  if (slow) {
    const n = Number(slow[1]);
    let i = 0;
    res.write(start + blockStart(0, { type: 'text', text: '' }) + ping);
    const t = setInterval(() => {
      if (i < n) res.write(textDelta(0, `w${i++} `));
      else {
        clearInterval(t);
        res.end(blockStop(0) + finish('end_turn'));
      }
    }, 20);
    res.on('close', () => clearInterval(t));
    return;
  }
  let out = start;
  let index = 0;
  if (thinking) {
    out += blockStart(0, { type: 'thinking', thinking: '', signature: '' }) + ping;
    for (const p of splitText(CLAUDE_MOCK_THINKING)) out += delta(0, { type: 'thinking_delta', thinking: p });
    out += delta(0, { type: 'signature_delta', signature: CLAUDE_MOCK_SIGNATURE }) + blockStop(0);
    index = 1;
  }
  out += blockStart(index, { type: 'text', text: '' });
  if (!thinking) out += ping;
  for (const p of pieces) if (p) out += textDelta(index, p);
  out += blockStop(index) + finish('end_turn');
  res.end(out);
}
