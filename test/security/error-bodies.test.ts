// An upstream's error answer is attacker-shaped text (a hostile or
// compromised upstream, a proxy in front of it, a relay app). Reading it must
// cost time linear in its size and keep at most 64 KiB of it: one crafted error
// page used to block every other request of the gateway for seconds.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import t from 'tap';
import { ErrorBodyBuffer, MAX_ERROR_BODY } from '../../lib/routing/attempt.js';
import { getCodec, type FormatName } from '../../pipelines/index.js';
import { gatewayFromYaml } from '../helpers/gateway.js';
import { waitFor } from '../helpers/wait.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const CAP = 64 * KiB;

function fill(unit: string, size: number): string {
  return unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
}

/** Bodies that drive naive tag stripping, title extraction, whitespace
 *  collapsing or JSON parsing into superlinear work. */
const HOSTILE: Record<string, (size: number) => string> = {
  'all <': (n) => '<'.repeat(n),
  '<a repeated': (n) => fill('<a', n),
  '</a repeated': (n) => fill('</a', n),
  '<script unclosed': (n) => fill('<script', n),
  '<script> without </script>': (n) => fill('<script>x', n),
  '<style unclosed': (n) => fill('<style', n),
  '<title> unclosed': (n) => fill('<title>', n),
  '<title without >': (n) => fill('<title', n),
  'html then <': (n) => '<html><body>' + '<'.repeat(n - 12),
  'whitespace runs and <': (n) => fill('<' + ' \t\n'.repeat(40), n),
  'whitespace then x': (n) => ' '.repeat(n - 1) + 'x',
  'entities': (n) => '<p>' + fill('&amp;&lt;&nbsp;&', n - 3),
  'nested [': (n) => '['.repeat(n),
  'nested {': (n) => fill('{"a":', n),
  'nested [{ with error': (n) => fill('[{"error":', n),
  'json-ish then <': (n) => '{"error":"' + '<'.repeat(n - 10),
  'retry hint bait': (n) => JSON.stringify({ error: { code: 429, message: fill('retry in 1.1.1', n - 60) } }),
};

const FORMATS: FormatName[] = ['openai-chat', 'openai-completions', 'openai-responses', 'codex', 'claude', 'gemini', 'gemini-cli'];

// ── unit: every codec's decodeError is linear in the body's size ─────────────

/** Fastest of `runs` calls, in ms: the least disturbed by GC and neighbours. */
function fastest(runs: number, fn: () => void): number {
  let best = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

// Not a speed test (bench/ shows speed): the bounds below only tell linear
// from quadratic, which costs seconds at 64 KiB and hours at 1 MiB, with a
// margin of two orders of magnitude for a loaded machine.
t.test('decodeError: 1 MiB of hostile text decodes in linear time', async (t) => {
  const report: string[] = [];
  for (const format of FORMATS) {
    const codec = getCodec(format);
    for (const [name, make] of Object.entries(HOSTILE)) {
      const small = make(64 * KiB);
      const big = make(MiB);
      const status = name.includes('retry') ? 429 : 502;
      let err = codec.decodeError(status, small);
      const tSmall = fastest(5, () => (err = codec.decodeError(status, small)));
      t.equal(err.status, status, `${format}, ${name}: the status`);
      // A quadratic decoder takes seconds here; stop before 1 MiB makes it hours.
      if (tSmall > 1000) {
        t.fail(`${format}, ${name}: ${tSmall.toFixed(0)} ms for 64 KiB`);
        continue;
      }
      const tBig = fastest(3, () => (err = codec.decodeError(status, big)));
      // Linear takes milliseconds here; anything quadratic is 256× the 64 KiB time (minutes).
      t.ok(tBig < 3000, `${format}, ${name}: ${tBig.toFixed(1)} ms for 1 MiB, ${tSmall.toFixed(2)} ms for 64 KiB`);
      t.ok(err.message.length > 0 && err.message.length <= 2001, `${format}, ${name}: a bounded message (${err.message.length} chars)`);
      if (tBig > 20) report.push(`${format} ${name}: ${tBig.toFixed(0)} ms`);
    }
  }
  if (report.length) t.comment(`slowest 1 MiB decodes: ${report.join(', ')}`);
});

t.test('decodeError: honest error pages read as before', async (t) => {
  const nginx = '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>';
  t.equal(getCodec('openai-chat').decodeError(502, nginx).message, '502 Bad Gateway', 'openai-chat: the title');
  t.equal(getCodec('gemini').decodeError(502, nginx).message, '502 Bad Gateway 502 Bad Gateway nginx', 'gemini: the words');
  t.equal(getCodec('claude').decodeError(502, nginx).message, '502 Bad Gateway 502 Bad Gateway nginx', 'claude: the words');
  const cloudflare = '<!DOCTYPE html><html><head><style>body{margin:0}</style><script>var a = 1 < 2;</script></head><body><h1>Error 1020</h1><p>Access&nbsp;denied &amp; logged</p></body></html>';
  t.equal(getCodec('openai-chat').decodeError(403, cloudflare).message, 'Error 1020 Access&nbsp;denied &amp; logged', 'openai-chat: no title, scripts and styles dropped');
  t.equal(getCodec('claude').decodeError(403, cloudflare).message, 'Error 1020 Access denied & logged', 'claude: entities decoded');
  for (const format of FORMATS) {
    const long = getCodec(format).decodeError(400, JSON.stringify({ error: { message: 'm'.repeat(50_000), type: 'invalid_request_error' } }));
    t.ok(long.message.startsWith('mmm') && long.message.length <= 2001, `${format}: a JSON message is bounded too (${long.message.length})`);
  }
  const hint = getCodec('gemini').decodeError(429, JSON.stringify({ error: { code: 429, message: 'x'.repeat(5000) + ' Please retry in 7s.', status: 'RESOURCE_EXHAUSTED' } }));
  t.equal(hint.retryAfterMs, 7000, 'gemini: a retry hint past the clipped part still counts');
});

// ── unit: the error-body cap ──────────────────────────────────────────────────

t.test('error bodies are cut to exactly 64 KiB, however they are chunked', async (t) => {
  t.equal(MAX_ERROR_BODY, CAP);
  const body = Buffer.from('abcdefgh'.repeat(MiB / 8));
  const chunkings: Record<string, Buffer[]> = {
    'one 1 MiB chunk': [body],
    '1000-byte chunks': Array.from({ length: Math.ceil(body.length / 1000) }, (_, i) => body.subarray(i * 1000, (i + 1) * 1000)),
    '7-byte chunks': Array.from({ length: Math.ceil(body.length / 7) }, (_, i) => body.subarray(i * 7, (i + 1) * 7)),
    'a chunk ending exactly at the cap, then more': [body.subarray(0, CAP), body.subarray(CAP)],
    'a small chunk, then a big one': [body.subarray(0, 10), body.subarray(10)],
  };
  for (const [name, chunks] of Object.entries(chunkings)) {
    const b = new ErrorBodyBuffer();
    for (const c of chunks) b.push(c);
    t.equal(b.byteLength, CAP, `${name}: ${CAP} bytes kept`);
    t.equal(b.text(), body.subarray(0, CAP).toString('latin1'), `${name}: the first ${CAP} bytes, in order`);
  }

  const exact = new ErrorBodyBuffer();
  exact.push(body.subarray(0, CAP));
  t.equal(exact.text().length, CAP, 'a body of exactly the cap is whole');

  const short = new ErrorBodyBuffer();
  short.push(Buffer.from('{"error":"€'));
  short.push(Buffer.from([0xe2, 0x82]));
  t.equal(short.text(), '{"error":"€\ufffd', 'an uncut body decodes as before (a broken tail becomes U+FFFD)');

  // 3-byte characters: the cap falls inside one, which is dropped, not mangled.
  const euros = Buffer.from('€'.repeat(30_000));
  const cut = new ErrorBodyBuffer();
  cut.push(euros);
  t.equal(cut.byteLength, CAP);
  t.equal(cut.text(), '€'.repeat(Math.floor(CAP / 3)), 'a character split by the cap is dropped');

  const tiny = new ErrorBodyBuffer(5);
  for (const c of ['ab', 'cd', 'ef', 'gh']) tiny.push(Buffer.from(c));
  t.equal(tiny.text(), 'abcde', 'the limit holds across small chunks');
});

// ── end to end: the real gateway in front of a hostile upstream ──────────────

let answer: { status: number; body: Buffer; endless?: boolean } = { status: 500, body: Buffer.alloc(0) };
let endlessClosed = 0;
const mock = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    if (answer.endless) {
      // An error body that never ends: past the cap the gateway must stop reading.
      res.writeHead(answer.status, { 'content-type': 'text/html' });
      res.write(answer.body);
      res.on('close', () => endlessClosed++);
      return;
    }
    res.writeHead(answer.status, { 'content-type': 'text/html', 'content-length': String(answer.body.length) });
    // One write: the gateway sees the body in as few, as large chunks as the socket allows.
    res.end(answer.body);
  });
});
await new Promise<void>((resolve) => mock.listen(0, '127.0.0.1', resolve));
const upstream = `http://127.0.0.1:${(mock.address() as AddressInfo).port}`;

const gw = await gatewayFromYaml(
  [
    'request-retry: 0',
    'api-keys: []',
    'openai-compatibility:',
    '  - name: hostile',
    `    base-url: "${upstream}/v1"`,
    '    api-key-entries: [{ api-key: "sk-hostile" }]',
    '    models:',
    '      - { name: "up-openai", alias: "oa-model" }',
    'claude-api-key:',
    '  - api-key: "sk-ant-hostile"',
    `    base-url: "${upstream}"`,
    '    models:',
    '      - { name: "up-claude", alias: "cl-model" }',
    'gemini-api-key:',
    '  - api-key: "AIza-hostile"',
    `    base-url: "${upstream}"`,
    '    models:',
    '      - { name: "up-gemini", alias: "gm-model" }',
  ].join('\n'),
);
t.teardown(async () => {
  await gw.close();
  await new Promise<void>((resolve) => mock.close(() => resolve()));
});

type Client = 'openai' | 'claude' | 'gemini';
const MODELS = ['oa-model', 'cl-model', 'gm-model'];

async function ask(client: Client, model: string): Promise<{ status: number; body: any }> {
  const [path, body] =
    client === 'openai'
      ? ['/v1/chat/completions', { model, messages: [{ role: 'user', content: 'hi' }] }]
      : client === 'claude'
        ? ['/v1/messages', { model, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }]
        : [`/v1beta/models/${model}:generateContent`, { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }];
  const res = await fetch(gw.url + path, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer k' }, body: JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed };
}

/** The error message, when the body is the client format's error shape. */
function messageIn(client: Client, status: number, body: any): string | undefined {
  if (client === 'openai') return typeof body?.error?.message === 'string' && typeof body.error.type === 'string' ? body.error.message : undefined;
  if (client === 'claude') return body?.type === 'error' && typeof body.error?.type === 'string' && typeof body.error.message === 'string' ? body.error.message : undefined;
  return body?.error?.code === status && typeof body.error.status === 'string' && typeof body.error.message === 'string' ? body.error.message : undefined;
}

interface Run {
  stallMs: number;
  pings: number;
  answers: Array<{ client: Client; model: string; status: number; body: unknown }>;
}

/** Every client format against every upstream while another client keeps
 *  calling a cheap route; the loop's worst stall over the whole run. */
async function run(): Promise<Run> {
  const h = monitorEventLoopDelay({ resolution: 5 });
  let stop = false;
  let pings = 0;
  const pinger = (async () => {
    while (!stop) {
      const res = await fetch(gw.url + '/v1/models');
      await res.arrayBuffer();
      pings++;
    }
  })();
  h.enable();
  const answers: Run['answers'] = [];
  try {
    // One at a time: nine 1 MiB answers landing in the same tick would be a
    // stall of the test's own making.
    for (const client of ['openai', 'claude', 'gemini'] as const) {
      for (const model of MODELS) answers.push({ client, model, ...(await ask(client, model)) });
    }
    // Give the pinger a few more rounds after the last answer.
    const seen = pings;
    await waitFor(() => pings >= seen + 3, { timeoutMs: 2000 });
  } finally {
    h.disable();
    stop = true;
    await pinger;
  }
  return { stallMs: h.max / 1e6, pings, answers };
}

const E2E_BODIES = ['all <', '<a repeated', '<title without >', '<script unclosed', 'whitespace runs and <', 'json-ish then <'];

t.test('e2e: warm-up (first calls compile the code paths)', async (t) => {
  answer = { status: 500, body: Buffer.from('<html><title>warm</title></html>') };
  const r = await run();
  t.equal(r.answers.length, 9);
});

for (const [i, name] of E2E_BODIES.entries()) {
  t.test(`e2e: a 1 MiB error page "${name}" stalls nobody`, async (t) => {
    const status = i % 2 === 0 ? 500 : 400;
    answer = { status, body: Buffer.from(HOSTILE[name]!(MiB)) };
    let best: Run | undefined;
    // Best of three: a GC pause or a busy neighbour process is no verdict.
    for (let attempt = 0; attempt < 3; attempt++) {
      const r = await run();
      if (!best || r.stallMs < best.stallMs) best = r;
      if (best.stallMs < 50) break;
    }
    // The old decoders stalled the loop for seconds (15.9 s end to end); the
    // bound tells that apart from a busy machine's scheduling noise.
    t.ok(best!.stallMs < 500, `worst event-loop stall ${best!.stallMs.toFixed(1)} ms (< 500 ms), ${best!.pings} /v1/models answers meanwhile`);
    t.ok(best!.pings > 0, 'the cheap route kept answering');
    for (const a of best!.answers) {
      t.equal(a.status, status, `${a.client} client, ${a.model}: the upstream status`);
      const message = messageIn(a.client, a.status, a.body);
      t.type(message, 'string', `${a.client} client, ${a.model}: an error in the client's own format`);
      t.ok(message !== undefined && message.length > 0 && Buffer.byteLength(message) < 4 * KiB, `${a.client} client, ${a.model}: a short message (${message?.length} chars)`);
    }
  });
}

t.test('e2e: what reaches decodeError is the first 64 KiB of a 1 MiB error sent in one write', async (t) => {
  const seen: Array<{ format: FormatName; bytes: number; head: string }> = [];
  const restore: Array<() => void> = [];
  for (const format of ['openai-chat', 'claude', 'gemini'] as const) {
    const codec = getCodec(format);
    const original = codec.decodeError;
    codec.decodeError = (status, body) => {
      seen.push({ format, bytes: Buffer.byteLength(body), head: body.slice(0, 8) });
      return original.call(codec, status, body);
    };
    restore.push(() => {
      codec.decodeError = original;
    });
  }
  t.teardown(() => restore.forEach((r) => r()));
  answer = { status: 500, body: Buffer.from('abcdefgh' + 'x'.repeat(MiB - 8)) };
  for (const model of MODELS) {
    const r = await ask('openai', model);
    t.equal(r.status, 500, `${model}: the upstream status`);
  }
  t.equal(seen.length, 3, 'each upstream error decoded once');
  for (const s of seen) {
    t.equal(s.bytes, CAP, `${s.format}: exactly ${CAP} bytes kept`);
    t.equal(s.head, 'abcdefgh', `${s.format}: the start of the body`);
  }
});

t.test('e2e: an error body that never ends is answered once the cap is reached', async (t) => {
  answer = { status: 503, body: Buffer.from('<'.repeat(2 * CAP)), endless: true };
  const before = endlessClosed;
  for (const [client, model] of [['openai', 'oa-model'], ['claude', 'cl-model'], ['gemini', 'gm-model']] as const) {
    const r = await ask(client, model);
    t.equal(r.status, 503, `${client} client, ${model}: the upstream status`);
    t.type(messageIn(client, r.status, r.body), 'string', `${client} client, ${model}: an error in the client's own format`);
  }
  await waitFor(() => endlessClosed - before >= 3);
  t.equal(endlessClosed - before, 3, 'the gateway hung up on each endless body');
});
