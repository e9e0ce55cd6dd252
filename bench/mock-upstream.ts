// A minimal, cheap OpenAI-compatible upstream for benchmarks: fixed answers,
// 20-chunk SSE streams written one chunk per event-loop turn like a real
// model server. Prints its port on stdout. Run: node --import tsx bench/mock-upstream.ts
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const CHUNKS = Number(process.env.BENCH_CHUNKS ?? 20);
const id = 'chatcmpl-bench';
const whole = JSON.stringify({
  id,
  object: 'chat.completion',
  created: 1700000000,
  model: 'bench-upstream',
  choices: [{ index: 0, message: { role: 'assistant', content: 'The quick brown fox jumps over the lazy dog.' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 12, completion_tokens: 10, total_tokens: 22 },
});
const chunk = (content: string) =>
  `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1700000000, model: 'bench-upstream', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
const pieces = Array.from({ length: CHUNKS }, (_, i) => chunk(`tok${i} `));
const tail = `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1700000000, model: 'bench-upstream', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`;

const server = http.createServer((req, res) => {
  let stream = false;
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => {
    stream = Buffer.concat(parts).includes('"stream":true');
    if (!stream) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(whole) });
      res.end(whole);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    let i = 0;
    const next = () => {
      if (res.destroyed) return;
      if (i < pieces.length) {
        res.write(pieces[i++]);
        setImmediate(next);
      } else res.end(tail);
    };
    next();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
