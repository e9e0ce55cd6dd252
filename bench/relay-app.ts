// A simulated AI Studio app for the benchmark, in its own process: connects
// RELAY_APPS sockets (default 1) to $GATEWAY_WS (ws://host:port/v1/ws) and
// answers every http_request itself with the same Gemini answer the HTTP
// bench mock gives: the whole JSON for generateContent, and for
// streamGenerateContent 20 SSE chunks, one stream_chunk frame per event-loop
// turn (as the mock writes them). Run: node --import tsx bench/relay-app.ts
import WebSocket from 'ws';

const CHUNKS = Number(process.env.BENCH_CHUNKS ?? 20);
const words = Array.from({ length: CHUNKS }, (_, i) => `tok${i} `);
const usageMetadata = { promptTokenCount: 12, candidatesTokenCount: CHUNKS, totalTokenCount: 12 + CHUNKS };
const chunk = (text: string, last: boolean) =>
  `data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text }] }, ...(last ? { finishReason: 'STOP' } : {}), index: 0 }], ...(last ? { usageMetadata } : {}), modelVersion: 'bench-upstream', responseId: 'bench' })}\r\n\r\n`;
const whole = JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: words.join('') }] }, finishReason: 'STOP', index: 0 }], usageMetadata, modelVersion: 'bench-upstream', responseId: 'bench' });
const streamFrames = (id: string) => words.map((w, i) => JSON.stringify({ id, type: 'stream_chunk', payload: { data: chunk(w, i === words.length - 1) } }));
const headers = { 'Content-Type': ['application/json'] };

function connect(url: string): void {
  const ws = new WebSocket(url);
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString());
    if (msg.type !== 'http_request') return;
    const id: string = msg.id;
    if (!String(msg.payload?.url).includes(':streamGenerateContent')) {
      ws.send(JSON.stringify({ id, type: 'http_response', payload: { status: 200, headers, body: whole } }));
      return;
    }
    ws.send(JSON.stringify({ id, type: 'stream_start', payload: { status: 200, headers: { 'Content-Type': ['text/event-stream'] } } }));
    const frames = streamFrames(id);
    let i = 0;
    const next = () => {
      if (ws.readyState !== ws.OPEN) return;
      ws.send(frames[i++]!);
      if (i < frames.length) setImmediate(next);
      else ws.send(JSON.stringify({ id, type: 'stream_end' }));
    };
    next();
  });
  ws.on('close', () => process.exit(0));
  ws.on('error', (err) => {
    process.stderr.write(`relay app: ${err.message}\n`);
    process.exit(1);
  });
}

const url = process.env.GATEWAY_WS;
if (!url) throw new Error('GATEWAY_WS is required');
for (let i = 0; i < Number(process.env.RELAY_APPS ?? 1); i++) connect(url);
process.on('SIGTERM', () => process.exit(0));
