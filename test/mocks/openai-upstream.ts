// A local OpenAI-compatible Chat Completions server following OpenAI's public
// wire format: JSON answers, SSE `chat.completion.chunk` streams ending in
// `data: [DONE]`, and `{"error":{…}}` bodies. Behaviour is steered per request
// by the model name so tests can ask for failures:
//   fail-<status>      answer that status with an OpenAI error body
//   tool-call          answer with two parallel tool calls
//   hang-stream        send one chunk, then never finish (abort tests)
//   break-stream       send two chunks, then drop the connection
//   cut-stream         send two chunks, then end the response without finish_reason or [DONE]
//   stream-error       send two chunks, then an error event (`data: {"error":{…}}`) and end
//   stream-error-split the same, the error event's bytes split across two writes
//   slow-<n>           n chunks, 20 ms apart
// Anything else: echo the last user message back.
import http from 'node:http';
import { startRecordingServer, type RecordedRequest } from './recording-server.js';

export type { RecordedRequest };


export interface MockUpstream {
  url: string; // base URL incl. /v1
  port: number;
  requests: RecordedRequest[];
  /** Force the next N answers to this status (for retry tests). */
  failNext(status: number, count?: number, headers?: Record<string, string>): void;
  close(): Promise<void>;
}

export interface MockOpenAI extends MockUpstream {
  /** Drop the connection of the next N requests without an answer (connection errors). */
  dropNext(count?: number): void;
}

/** A forced "answer" that closes the connection instead. */
const DROP = 0;

const CHUNK_WORDS = ['Hello', ' from', ' the', ' mock', ' upstream', '.'];

function lastUserText(body: any): string {
  const msgs: any[] = Array.isArray(body?.messages) ? body.messages : [];
  for (let i = msgs.length - 1; i >= 0; i--) {
    const m = msgs[i];
    if (m?.role !== 'user') continue;
    if (typeof m.content === 'string') return m.content;
    if (Array.isArray(m.content)) return m.content.filter((p: any) => p?.type === 'text' && typeof p.text === 'string').map((p: any) => p.text).join('');
  }
  return '';
}

export async function startMockOpenAI(opts: { chunks?: number } = {}): Promise<MockOpenAI> {
  const forced: Array<{ status: number; headers: Record<string, string> }> = [];
  const { port, requests, close } = await startRecordingServer((req, res, body) => handle(req, res, body, forced));

  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    failNext(status, count = 1, headers = {}) {
      for (let i = 0; i < count; i++) forced.push({ status, headers });
    },
    dropNext(count = 1) {
      for (let i = 0; i < count; i++) forced.push({ status: DROP, headers: {} });
    },
    close,
  };
}

function sendError(res: http.ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ error: { message: `mock upstream error ${status}`, type: status === 429 ? 'rate_limit_exceeded' : 'server_error', code: String(status) } }));
}

function handle(req: http.IncomingMessage, res: http.ServerResponse, body: any, forced: Array<{ status: number; headers: Record<string, string> }>): void {
  if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error' } }));
    return;
  }
  const f = forced.shift();
  if (f?.status === DROP) return void res.socket?.destroy();
  if (f) return sendError(res, f.status, f.headers);
  if (!body || typeof body.model !== 'string') return sendError(res, 400);
  const model: string = body.model;
  const failure = /^fail-(\d{3})$/.exec(model);
  if (failure) return sendError(res, Number(failure[1]));

  const id = `chatcmpl-mock${Math.floor(Math.random() * 1e9)}`;
  const created = Math.floor(Date.now() / 1000);
  const echo = lastUserText(body);
  const toolCalls = model === 'tool-call';
  const usage = { prompt_tokens: 11, completion_tokens: 6, total_tokens: 17 };

  if (!body.stream) {
    const message: any = toolCalls
      ? {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_a1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_b2', type: 'function', function: { name: 'get_time', arguments: '{"tz":"CET"}' } },
          ],
        }
      : { role: 'assistant', content: echo ? `echo: ${echo}` : CHUNK_WORDS.join('') };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [{ index: 0, message, finish_reason: toolCalls ? 'tool_calls' : 'stop', logprobs: null }],
        usage,
      }),
    );
    return;
  }

  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const chunk = (delta: any, finish: string | null = null, extra: any = {}) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }], ...extra })}\n\n`;

  if (toolCalls) {
    res.write(chunk({ role: 'assistant', content: null }));
    res.write(chunk({ tool_calls: [{ index: 0, id: 'call_a1', type: 'function', function: { name: 'get_weather', arguments: '' } }] }));
    res.write(chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }));
    res.write(chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }));
    res.write(chunk({ tool_calls: [{ index: 1, id: 'call_b2', type: 'function', function: { name: 'get_time', arguments: '{"tz":"CET"}' } }] }));
    res.write(chunk({}, 'tool_calls'));
    res.end('data: [DONE]\n\n');
    return;
  }
  if (model === 'hang-stream') {
    res.write(chunk({ role: 'assistant', content: 'first' }));
    return; // never ends: the test aborts the client
  }
  if (model === 'break-stream' || model === 'cut-stream') {
    res.write(chunk({ role: 'assistant', content: 'part one' }));
    res.write(chunk({ content: ', part two' }));
    if (model === 'cut-stream') res.end(); // a clean HTTP end, no end marker
    else setTimeout(() => res.socket?.destroy(), 20);
    return;
  }
  if (model === 'stream-error' || model === 'stream-error-split') {
    res.write(chunk({ role: 'assistant', content: 'part one' }));
    res.write(chunk({ content: ', part two' }));
    const error = `data: ${JSON.stringify({ error: { message: 'The server had an error while processing your request.', type: 'server_error', param: null, code: null } })}\n\n`;
    if (model === 'stream-error') return void res.end(error);
    res.write(error.slice(0, 9)); // `data: {"e` — the marker split between two writes
    setTimeout(() => res.end(error.slice(9)), 20);
    return;
  }
  const slow = /^slow-(\d+)$/.exec(model);
  const words = echo ? [`echo: `, echo] : CHUNK_WORDS;
  if (slow) {
    const n = Number(slow[1]);
    let i = 0;
    res.write(chunk({ role: 'assistant', content: '' }));
    const t = setInterval(() => {
      if (i < n) res.write(chunk({ content: `w${i++} ` }));
      else {
        clearInterval(t);
        res.write(chunk({}, 'stop'));
        res.end('data: [DONE]\n\n');
      }
    }, 20);
    res.on('close', () => clearInterval(t));
    return;
  }
  let out = chunk({ role: 'assistant', content: '' });
  for (const w of words) out += chunk({ content: w });
  out += chunk({}, 'stop');
  if (body.stream_options?.include_usage) out += `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage })}\n\n`;
  out += 'data: [DONE]\n\n';
  res.end(out);
}
