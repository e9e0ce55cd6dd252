// A misbehaving AI Studio app in its own process: floods the gateway's /v1/ws
// with malformed frames and pings as fast as the socket takes them, while
// still answering http_request frames. Prints "flooding" after 50,000 frames; on
// stdin "stop" prints `{"frames":N,"open":bool,"capped":bool}` and exits.
// Run: node --import tsx test/helpers/relay-flooder.ts ws://127.0.0.1:PORT/v1/ws
import WebSocket from 'ws';

const MAX_FRAMES = 5_000_000;
const JUNK = ['{not json', '[1,2,3]', '{"type":"bogus","id":"x"}', '{"id":"x","type":"stream_chunk","payload":"nope"}', '{"type":"ping","id":"p"}', '{"id":"unknown","type":"stream_end"}'];

const ws = new WebSocket(process.argv[2]!);
let frames = 0;
let stopped = false;
let open = false;
let announced = false;

ws.on('message', (data) => {
  const msg = JSON.parse(data.toString());
  if (msg.type !== 'http_request') return;
  const answer = { candidates: [{ content: { role: 'model', parts: [{ text: 'from the flooder' }] }, finishReason: 'STOP', index: 0 }] };
  ws.send(JSON.stringify({ id: msg.id, type: 'http_response', payload: { status: 200, body: JSON.stringify(answer) } }));
});
ws.on('close', () => (open = false));
ws.on('open', () => {
  open = true;
  const flood = () => {
    if (stopped || !open) return;
    if (frames >= MAX_FRAMES) return;
    // Keep the socket busy without growing this process's buffer without limit.
    if (ws.bufferedAmount < 1024 * 1024) for (let i = 0; i < 2000; i++) ws.send(JUNK[frames++ % JUNK.length]!);
    if (frames >= 50_000 && !announced) {
      announced = true;
      process.stdout.write('flooding\n');
    }
    setImmediate(flood);
  };
  flood();
});

process.stdin.on('data', (d) => {
  if (!d.toString().includes('stop')) return;
  stopped = true;
  process.stdout.write(JSON.stringify({ frames, open, capped: frames >= MAX_FRAMES }) + '\n');
  ws.terminate();
  process.exit(0);
});
