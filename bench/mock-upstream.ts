// A minimal, cheap multi-format upstream for benchmarks: fixed answers and
// 20-chunk streams written one chunk per event-loop turn like a real model
// server, in each provider's wire format:
//   POST /v1/chat/completions                       OpenAI-compatible
//   POST /v1/messages                               Anthropic Messages
//   POST /v1beta/models/{m}:generateContent         Gemini (…:streamGenerateContent?alt=sse)
//   POST /responses                                 Codex / Responses (always SSE)
// Prints nothing; listens on $PORT. Run: node --import tsx bench/mock-upstream.ts
import http from 'node:http';

const CHUNKS = Number(process.env.BENCH_CHUNKS ?? 20);
const words = Array.from({ length: CHUNKS }, (_, i) => `tok${i} `);
const sse = (data: unknown, event?: string) => `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`;

interface Answer {
  whole: string;
  stream: string[];
}

function openai(): Answer {
  const base = { id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1700000000, model: 'bench-upstream' };
  return {
    whole: JSON.stringify({
      id: 'chatcmpl-bench', object: 'chat.completion', created: 1700000000, model: 'bench-upstream',
      choices: [{ index: 0, message: { role: 'assistant', content: words.join('') }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 12, completion_tokens: CHUNKS, total_tokens: 12 + CHUNKS },
    }),
    stream: [
      ...words.map((w) => sse({ ...base, choices: [{ index: 0, delta: { content: w }, finish_reason: null }] })),
      sse({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }) + 'data: [DONE]\n\n',
    ],
  };
}

function claude(): Answer {
  const usage = { input_tokens: 12, output_tokens: CHUNKS };
  return {
    whole: JSON.stringify({ id: 'msg_bench', type: 'message', role: 'assistant', model: 'bench-upstream', content: [{ type: 'text', text: words.join('') }], stop_reason: 'end_turn', stop_sequence: null, usage }),
    stream: [
      sse({ type: 'message_start', message: { id: 'msg_bench', type: 'message', role: 'assistant', model: 'bench-upstream', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 12, output_tokens: 1 } } }, 'message_start') +
        sse({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start'),
      ...words.map((w) => sse({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: w } }, 'content_block_delta')),
      sse({ type: 'content_block_stop', index: 0 }, 'content_block_stop') +
        sse({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: CHUNKS } }, 'message_delta') +
        sse({ type: 'message_stop' }, 'message_stop'),
    ],
  };
}

function gemini(): Answer {
  const usageMetadata = { promptTokenCount: 12, candidatesTokenCount: CHUNKS, totalTokenCount: 12 + CHUNKS };
  const chunk = (text: string, last: boolean) =>
    `data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text }] }, ...(last ? { finishReason: 'STOP' } : {}), index: 0 }], ...(last ? { usageMetadata } : {}), modelVersion: 'bench-upstream', responseId: 'bench' })}\r\n\r\n`;
  return {
    whole: JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: words.join('') }] }, finishReason: 'STOP', index: 0 }], usageMetadata, modelVersion: 'bench-upstream', responseId: 'bench' }),
    stream: words.map((w, i) => chunk(w, i === words.length - 1)),
  };
}

function codex(): Answer {
  let seq = 0;
  const ev = (type: string, rest: Record<string, unknown>) => sse({ type, sequence_number: seq++, ...rest }, type);
  const resp = (status: string, output: unknown[]) => ({ id: 'resp_bench', object: 'response', created_at: 1700000000, status, model: 'bench-upstream', output, usage: status === 'completed' ? { input_tokens: 12, input_tokens_details: { cached_tokens: 0 }, output_tokens: CHUNKS, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 12 + CHUNKS } : null });
  const item = { id: 'msg_bench', type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: words.join(''), annotations: [] }] };
  const stream = [
    ev('response.created', { response: resp('in_progress', []) }) +
      ev('response.in_progress', { response: resp('in_progress', []) }) +
      ev('response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', content: [] } }) +
      ev('response.content_part.added', { item_id: 'msg_bench', output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } }),
    ...words.map((w) => ev('response.output_text.delta', { item_id: 'msg_bench', output_index: 0, content_index: 0, delta: w })),
    ev('response.output_text.done', { item_id: 'msg_bench', output_index: 0, content_index: 0, text: words.join('') }) +
      ev('response.content_part.done', { item_id: 'msg_bench', output_index: 0, content_index: 0, part: item.content[0] }) +
      ev('response.output_item.done', { output_index: 0, item }) +
      ev('response.completed', { response: resp('completed', [item]) }),
  ];
  return { whole: stream.join(''), stream };
}

const ANSWERS = { openai: openai(), claude: claude(), gemini: gemini(), codex: codex() };

function kindOf(url: string): keyof typeof ANSWERS | undefined {
  if (url.endsWith('/chat/completions')) return 'openai';
  if (url.startsWith('/v1/messages')) return 'claude';
  if (url.startsWith('/v1beta/models/')) return 'gemini';
  if (url.endsWith('/responses')) return 'codex';
  return undefined;
}

const server = http.createServer((req, res) => {
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => {
    const url = req.url ?? '';
    const kind = kindOf(url.split('?')[0]!);
    if (!kind) {
      res.writeHead(404).end();
      return;
    }
    const answer = ANSWERS[kind];
    const streaming = kind === 'codex' || (kind === 'gemini' ? url.includes('streamGenerateContent') : Buffer.concat(parts).includes('"stream":true'));
    if (!streaming) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer.whole) });
      res.end(answer.whole);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    let i = 0;
    const next = () => {
      if (res.destroyed) return;
      if (i < answer.stream.length - 1) {
        res.write(answer.stream[i++]);
        setImmediate(next);
      } else res.end(answer.stream[i]);
    };
    next();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
