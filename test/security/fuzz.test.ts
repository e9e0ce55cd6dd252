// Seeded fuzzing of every inbound surface of a real gateway: the inference
// routes of every client format (over all four upstream kinds, mocks that
// answer honestly and validate what they get), Responses compaction and the
// Responses WebSocket, the model lists, the root, the Code Assist routes, the
// management API, /metrics, the control panel and the AI Studio relay
// (upgrade, frames, answers). Inputs are valid requests mutated by a seeded
// PRNG plus hand-written kinds of bad input (truncated/huge/deep JSON, wrong
// types in every field family, bad UTF-8, lone surrogates, bad escapes, NUL
// bytes, odd numbers and literals, duplicate keys, $ref bombs, oversize
// headers, bad percent-escapes, unknown methods, slow and aborted bodies,
// wrong Content-Length, request smuggling, bad relay frames and answers).
//
// Checked for every answer: one arrives within a bounded time; no 5xx unless
// an upstream answered 5xx (only the relay scenarios let an "upstream" do
// that); every error is JSON in the route's own client shape (uWS's own
// refusals of broken HTTP — 400/431/505 pages — excepted where the request
// was broken at the HTTP level); afterwards the gateway still serves honest
// requests of every format, nothing logged at error level, the management
// config is unchanged and RSS stayed bounded.
//
// Replay a run:      FUZZ_SEED=<seed printed below> npx tap test/security/fuzz.test.ts
// One phase only:    FUZZ_SEED=<n> npx tap --grep='relay: an app' test/security/fuzz.test.ts
//                    (each phase draws from its own stream, so it replays alike alone)
// More mutations:    FUZZ_CASES=3000 FUZZ_SEED=<n> npx tap --timeout=600 test/security/fuzz.test.ts
// Some body kinds:   FUZZ_KINDS='offloaded|deep' …   Gateway log on stderr: FUZZ_DEBUG=1 …
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import t, { type Test } from 'tap';
import WebSocket from 'ws';
import { log, setLogSink } from '../../lib/logging/logger.js';
import { managementEndpoints } from '../../lib/management/router.js';
import { asSse } from '../../lib/relay/protocol.js';
import { SimulatedApp, until, type HttpRequestFrame } from '../helpers/relay-app.js';
import { KEY as MGMT_KEY, mgmtGateway } from '../management/helpers.js';
import { startMockClaude } from '../mocks/claude-upstream.js';
import { startMockCodex } from '../mocks/codex-upstream.js';
import { startMockGemini } from '../mocks/gemini-upstream.js';
import { startMockOpenAI } from '../mocks/openai-upstream.js';
import { Rng } from '../helpers/rng.js';

const SEED = process.env['FUZZ_SEED'] !== undefined ? Number(process.env['FUZZ_SEED']) >>> 0 : randomInt(1, 2 ** 31);
const CASES = Number(process.env['FUZZ_CASES'] ?? 320);
const CONCURRENCY = 8;
/** Every answer must be complete within this long (relay answers: relay-timeout-seconds 3 + slack). */
const ANSWER_MS = 10_000;
const KEY = 'sk-fuzz-client-key-0123456789abcdef';
const MAX_BODY = 3 * 1024 * 1024;
const RELAY_MAX_FRAME = 1024 * 1024;
const RELAY_MODEL = 'gemini-2.5-flash';
t.comment(`fuzz seed ${SEED} (replay: FUZZ_SEED=${SEED} npx tap test/security/fuzz.test.ts)`);

// ───────────────────────────── PRNG ─────────────────────────────


const WEIRD_STRINGS = [
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\ud83dy',
  '\u202e\u2066rtl',
  '\ufeff',
  '\u2028\u2029',
  '😀'.repeat(50),
  '%00%ZZ%',
  '../../../etc/passwd',
  'models/x:generateContent',
  'a:b:c',
  'data:image/png;base64,!!!not-base64',
  'http://169.254.169.254/latest/meta-data',
  '{"nested":"json"}',
  '\r\nX-Injected: 1',
  'null',
  '__proto__',
  'constructor',
  ' ',
  '\t\n',
  'x'.repeat(300),
  'x'.repeat(70_000),
];

/** A value of a random wrong type (or an odd value of a right one). */
function junk(r: Rng, depth = 0): unknown {
  switch (r.int(0, 19)) {
    case 0:
      return null;
    case 1:
      return r.chance(0.5);
    case 2:
      return r.pick([0, -1, -0, 1.5, 1e308, -1e308, 2 ** 53 + 2, 5e-324, 4294967296, -2147483649, 1e21]);
    case 3:
      return '';
    case 4:
    case 5:
      return r.pick(WEIRD_STRINGS);
    case 6:
      return [];
    case 7:
      return depth < 3 ? [junk(r, depth + 1), junk(r, depth + 1)] : [null];
    case 8:
      return {};
    case 9:
      return depth < 3 ? { type: junk(r, depth + 1), text: junk(r, depth + 1) } : { type: null };
    case 10:
      return nested(r.int(5, 120), r.chance(0.5));
    case 11:
      return Array.from({ length: r.int(100, 1500) }, () => r.pick<unknown>([null, 1, 'a', {}, [], { type: 'text', text: 'x' }]));
    case 12:
      return Object.fromEntries(Array.from({ length: r.int(50, 800) }, (_, i) => [`k${i}`, i]));
    case 13:
      return r.pick(['123', '1e999', 'true', 'NaN', '-1', '0x10']);
    case 14:
      return { type: 'object', properties: { a: { $ref: '#' }, b: { type: ['string', 'null'], anyOf: [{ type: 'STRING' }] } }, required: 'a' };
    case 15:
      return { type: 'function', function: junk(r, depth + 1), name: junk(r, depth + 1) };
    case 16:
      return [{ role: junk(r, depth + 1), content: junk(r, depth + 1) }];
    case 17:
      return { text: 'x', inlineData: { mimeType: 'image/png', data: '!!!' }, functionCall: { name: 5, args: 'x' } };
    case 18:
      return r.pick(['auto', 'none', 'required', 'any', 'function', 'enabled', 'high', 'json_schema']);
    default:
      return 'x'.repeat(r.int(257, 5000));
  }
}

function nested(depth: number, arrays: boolean): unknown {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = arrays ? [v] : { a: v };
  return v;
}

// ───────────────────────────── raw HTTP ─────────────────────────────

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

interface Outcome {
  replies: Reply[];
  /** The server closed the connection (before or after answering). */
  closed: boolean;
  timedOut: boolean;
  ms: number;
}

interface RawOpts {
  /** The request bytes, or pieces written with pauses between them. */
  data: Buffer | Buffer[];
  pauseMs?: number;
  /** Final replies to wait for (pipelining). */
  replies?: number;
  /** Which replies answer a HEAD request (no body). */
  head?: boolean[];
  timeoutMs?: number;
  /** Destroy the socket right after writing: the client went away mid-request. */
  destroyAfterWrite?: boolean;
  /** Half-close after writing (FIN): the body ends early. */
  endAfterWrite?: boolean;
  /** Called with the socket once the first body bytes of a reply arrived. */
  onBody?: (sock: net.Socket) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function findCrlf2(buf: Buffer, from: number): number {
  return buf.indexOf('\r\n\r\n', from, 'latin1');
}

/** One reply starting at `off`; undefined while incomplete. */
function parseReply(buf: Buffer, off: number, head: boolean, closed: boolean): { reply: Reply; next: number } | undefined {
  const end = findCrlf2(buf, off);
  if (end < 0) return undefined;
  const lines = buf.toString('latin1', off, end).split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  const status = m ? Number(m[1]) : 0;
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  let p = end + 4;
  if (head || (status >= 100 && status < 200) || status === 204 || status === 304) return { reply: { status, headers, body: Buffer.alloc(0) }, next: p };
  if (headers['transfer-encoding']?.toLowerCase().includes('chunked')) {
    const parts: Buffer[] = [];
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', p, 'latin1');
      if (lineEnd < 0) return undefined;
      const size = parseInt(buf.toString('latin1', p, lineEnd), 16);
      if (!Number.isFinite(size)) return { reply: { status, headers, body: Buffer.concat(parts) }, next: buf.length };
      if (buf.length < lineEnd + 2 + size + 2) return undefined;
      if (size === 0) return { reply: { status, headers, body: Buffer.concat(parts) }, next: lineEnd + 4 };
      parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
      p = lineEnd + 2 + size + 2;
    }
  }
  if (headers['content-length'] !== undefined) {
    const n = Number(headers['content-length']);
    if (buf.length < p + n) return undefined;
    return { reply: { status, headers, body: buf.subarray(p, p + n) }, next: p + n };
  }
  // No framing: the body runs to the close (uWS's own refusal pages).
  if (!closed) return undefined;
  return { reply: { status, headers, body: buf.subarray(p) }, next: buf.length };
}

function parseReplies(buf: Buffer, head: boolean[], closed: boolean): Reply[] {
  const out: Reply[] = [];
  let off = 0;
  while (off < buf.length) {
    const r = parseReply(buf, off, head[out.length] ?? false, closed);
    if (!r) break;
    off = r.next;
    // Interim answers (100 Continue) are not the answer; 101 is (a WebSocket upgrade).
    if (r.reply.status >= 100 && r.reply.status < 200 && r.reply.status !== 101) continue;
    out.push(r.reply);
    if (r.reply.status === 101) break;
  }
  return out;
}

let PORT = 0;

function rawHttp(o: RawOpts): Promise<Outcome> {
  const started = performance.now();
  const want = o.replies ?? 1;
  const head = o.head ?? [];
  return new Promise((resolve) => {
    const sock = net.connect(PORT, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    let closed = false;
    let sawBody = false;
    const signal = AbortSignal.timeout(o.timeoutMs ?? ANSWER_MS);
    const finish = (timedOut: boolean) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onTimeout);
      const buf = Buffer.concat(chunks);
      sock.destroy();
      resolve({ replies: parseReplies(buf, head, closed), closed, timedOut, ms: performance.now() - started });
    };
    const onTimeout = () => finish(true);
    signal.addEventListener('abort', onTimeout);
    sock.on('data', (d: Buffer) => {
      chunks.push(d);
      const buf = Buffer.concat(chunks);
      if (o.onBody && !sawBody) {
        const end = findCrlf2(buf, 0);
        if (end >= 0 && buf.length > end + 4) {
          sawBody = true;
          o.onBody(sock);
        }
      }
      if (parseReplies(buf, head, false).length >= want) finish(false);
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      closed = true;
      finish(false);
    });
    sock.on('connect', async () => {
      const pieces = Array.isArray(o.data) ? o.data : [o.data];
      for (let i = 0; i < pieces.length && !settled; i++) {
        if (i > 0 && o.pauseMs) await sleep(o.pauseMs);
        if (!sock.destroyed) sock.write(pieces[i]!);
      }
      if (o.destroyAfterWrite) {
        // Give the bytes a moment to leave, then vanish.
        setTimeout(() => {
          closed = true;
          finish(false);
        }, 20);
      } else if (o.endAfterWrite) sock.end();
    });
  });
}

type Headers = Array<[string, string]>;

function httpBytes(method: string, path: string, headers: Headers, body?: Buffer | string, o: { length?: string | null; host?: string | null; close?: boolean } = {}): Buffer {
  const b = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const lines = [`${method} ${path} HTTP/1.1`];
  if (o.host !== null) lines.push(`Host: ${o.host ?? `127.0.0.1:${PORT}`}`);
  for (const [k, v] of headers) lines.push(`${k}: ${v}`);
  if (o.length !== null && (b !== undefined || o.length !== undefined)) lines.push(`Content-Length: ${o.length ?? b!.length}`);
  if (o.close !== false) lines.push('Connection: close');
  const headBytes = Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
  return b ? Buffer.concat([headBytes, b]) : headBytes;
}

// ───────────────────────────── shapes and verdicts ─────────────────────────────

type Shape = 'openai' | 'claude' | 'gemini' | 'mgmt' | 'any';

const isObj = (v: unknown): v is Record<string, any> => v !== null && typeof v === 'object' && !Array.isArray(v);

const SHAPES: Record<Shape, (b: any, status: number) => boolean> = {
  openai: (b) => isObj(b?.error) && typeof b.error.message === 'string' && typeof b.error.type === 'string' && (!('code' in b.error) || b.error.code === null || ['string', 'number'].includes(typeof b.error.code)),
  claude: (b) => isObj(b) && b.type === 'error' && isObj(b.error) && typeof b.error.type === 'string' && typeof b.error.message === 'string',
  gemini: (b, status) => isObj(b?.error) && b.error.code === status && typeof b.error.message === 'string' && typeof b.error.status === 'string',
  mgmt: (b) => isObj(b) && (typeof b.error === 'string' || isObj(b.error)),
  any: (b) => isObj(b) && b.error !== undefined,
};

interface Case {
  kind: string;
  label: string;
  shape: Shape;
  opts: RawOpts;
  /** Statuses this input must get (first reply). */
  expect?: number[];
  /** Closing without an answer is fine (the client broke the framing or went away). */
  closeOk?: boolean;
  /** uWS's own non-JSON refusal pages are fine (the request is broken at the HTTP level). */
  transport?: boolean;
  /** The upstream is broken on purpose (relay answer scenarios): it may cause a 5xx, and its 200s are not checked. */
  upstream5xx?: boolean;
  /** Shapes accepted for 404s on unknown methods/paths (the generic not-found). */
  notFoundShape?: Shape;
}

const UWS_PAGE = /^<h1>/;
const problems: string[] = [];
const kindsSeen = new Set<string>();
const statusCounts = new Map<number, number>();

function problem(c: Pick<Case, 'kind' | 'label'>, what: string): void {
  problems.push(`[${c.kind}] ${c.label}: ${what} (FUZZ_SEED=${SEED})`);
}

function snippet(b: Buffer): string {
  const s = b.toString('utf8');
  return JSON.stringify(s.length > 300 ? s.slice(0, 300) + '…' : s);
}

/** Checks one answer body for a 2xx: JSON parses; SSE data lines are JSON or [DONE]. */
function checkSuccess(c: Case, r: Reply): void {
  const ct = r.headers['content-type'] ?? '';
  if (r.body.length === 0) return;
  if (ct.startsWith('application/json')) {
    let v: unknown;
    try {
      v = JSON.parse(r.body.toString('utf8'));
    } catch {
      problem(c, `${r.status} answer is not JSON: ${snippet(r.body)}`);
      return;
    }
    // A Gemini JSON-array stream that broke off ends with an error element in the Gemini shape.
    if (Array.isArray(v)) for (const el of v) if (isObj(el) && el.error !== undefined && !SHAPES[c.shape](el, el.error?.code)) problem(c, `stream error element not in the ${c.shape} shape: ${JSON.stringify(el).slice(0, 300)}`);
  } else if (ct.startsWith('text/event-stream')) {
    for (const line of r.body.toString('utf8').split(/\r?\n/)) {
      if (!line.startsWith('data:')) continue;
      const data = line.slice(5).trim();
      if (data === '[DONE]' || data === '') continue;
      let v: any;
      try {
        v = JSON.parse(data);
      } catch {
        problem(c, `stream data line is not JSON: ${JSON.stringify(line.slice(0, 200))}`);
        return;
      }
      // An error event inside the stream is in the client's shape too (Gemini's code is the error's status, not the 200's).
      if (isObj(v) && v.error !== undefined && !SHAPES[c.shape](v, c.shape === 'gemini' ? v.error?.code : 200)) problem(c, `stream error event not in the ${c.shape} shape: ${JSON.stringify(line.slice(0, 300))}`);
    }
  }
}

function judge(c: Case, out: Outcome): void {
  kindsSeen.add(c.kind);
  if (out.timedOut) return problem(c, `no complete answer within ${Math.round(out.ms)} ms (${out.replies.length} replies)`);
  const want = c.opts.replies ?? 1;
  if (out.replies.length < want) {
    if (c.closeOk) return;
    return problem(c, `connection closed after ${out.replies.length} of ${want} answers`);
  }
  for (const [i, r] of out.replies.entries()) {
    statusCounts.set(r.status, (statusCounts.get(r.status) ?? 0) + 1);
    if (i === 0 && c.expect && !c.expect.includes(r.status)) problem(c, `status ${r.status}, expected ${c.expect.join('/')}: ${snippet(r.body)}`);
    // uWS answers a request line it cannot parse (a space in the path, TLS bytes, HTTP/1.0) with its own 505 page: not ours to change.
    const uwsPage = (c.transport || i > 0) && UWS_PAGE.test(r.body.toString('latin1'));
    if (r.status >= 500 && !c.upstream5xx && !(uwsPage && r.status === 505)) problem(c, `5xx for client input: ${r.status} ${snippet(r.body)}`);
    if (r.status < 400) {
      // A broken upstream's 200 is piped as it came (same-format traffic is not parsed): only its errors are checked.
      if (!c.opts.head?.[i] && !c.upstream5xx) checkSuccess(c, r);
      continue;
    }
    if (uwsPage) continue;
    const ct = r.headers['content-type'] ?? '';
    if (!ct.startsWith('application/json')) {
      problem(c, `${r.status} error without a JSON content-type (${ct || 'none'}): ${snippet(r.body)}`);
      continue;
    }
    let body: unknown;
    try {
      body = JSON.parse(r.body.toString('utf8'));
    } catch {
      problem(c, `${r.status} error body is not JSON: ${snippet(r.body)}`);
      continue;
    }
    // A cooling pool's 429 (lib/api/errors.ts sendCooldown) is in each client format's own shape: checked like any other error.
    if (r.status === 429 && JSON.stringify(body).includes('cooling down')) kindsSeen.add('cooldown');
    const shape = i > 0 ? 'any' : c.shape;
    const ok = SHAPES[shape](body, r.status) || (r.status === 404 && c.notFoundShape !== undefined && SHAPES[c.notFoundShape](body, r.status));
    if (!ok) problem(c, `${r.status} error not in the ${shape} shape: ${snippet(r.body)}`);
  }
}

async function run(c: Case): Promise<Outcome> {
  const out = await rawHttp(c.opts);
  judge(c, out);
  return out;
}

async function pool<T>(items: T[], n: number, fn: (x: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

function report(t: Test, from: number, what: string): void {
  const m = process.memoryUsage();
  t.comment(`after ${what}: rss ${(m.rss / 2 ** 20).toFixed(0)} MiB, heap ${(m.heapUsed / 2 ** 20).toFixed(0)} MiB, external ${(m.external / 2 ** 20).toFixed(0)} MiB`);
  const mine = problems.slice(from);
  for (const p of mine.slice(0, 25)) t.fail(p);
  if (mine.length > 25) t.fail(`…and ${mine.length - 25} more problems`);
  if (mine.length === 0) t.pass(`${what}: every answer bounded, well-shaped, no 5xx`);
}

// ───────────────────────────── the gateway ─────────────────────────────

const [openai, claude, gemini, codex] = await Promise.all([startMockOpenAI(), startMockClaude(), startMockGemini(), startMockCodex()]);
const BEHAVIOURS: Record<string, string> = { echo: 'echo', tools: 'tool-call', think: 'thinking', result: 'tool-result-echo', '400': 'fail-400' };
const PREFIXES = ['oa', 'cl', 'gm', 'cx'] as const;
const models = (p: string, extra: Record<string, string> = {}) =>
  Object.entries({ ...BEHAVIOURS, ...extra })
    .map(([suffix, name]) => `      - { name: "${name}", alias: "${p}-${suffix}" }`)
    .join('\n');
const ALIASES = PREFIXES.flatMap((p) => Object.keys(BEHAVIOURS).map((s) => `${p}-${s}`));
const yaml = [
  'request-retry: 0',
  `api-keys: ["${KEY}"]`,
  'max-body-size: 3MiB',
  'relay-timeout-seconds: 3',
  'relay-max-frame-size: 1MiB',
  'openai-compatibility:',
  '  - name: oa',
  `    base-url: "${openai.url}"`,
  '    api-key-entries: [{ api-key: "sk-oa" }]',
  '    models:',
  models('oa', { hang: 'hang-stream', break: 'break-stream' }),
  'claude-api-key:',
  `  - api-key: "sk-ant-test"`,
  `    base-url: "${claude.url}"`,
  '    models:',
  models('cl', { break: 'break-stream', streamerr: 'stream-error' }),
  'gemini-api-key:',
  `  - api-key: "AIza-test"`,
  `    base-url: "${gemini.url}"`,
  '    models:',
  models('gm'),
  'codex-api-key:',
  `  - api-key: "sk-codex"`,
  `    base-url: "${codex.url}"`,
  '    models:',
  models('cx'),
  '',
].join('\n');
const gw = await mgmtGateway(yaml);
PORT = gw.port;

// Error-level log lines while the fuzz runs: a handler that threw shows here even when its answer was already committed.
const logged: string[] = [];
const debug = process.env['FUZZ_DEBUG'] !== undefined;
const prevSink = setLogSink({ write: (line) => void (debug ? process.stderr.write(line) : logged.push(line)) });
const prevLevel = log.level;
log.level = debug ? 'debug' : 'error';
t.teardown(async () => {
  setLogSink(prevSink);
  log.level = prevLevel;
  await gw.close();
  await Promise.all([openai.close(), claude.close(), gemini.close(), codex.close()]);
});

// ───────────────────────────── request bodies per format ─────────────────────────────

type Fmt = 'chat' | 'completions' | 'responses' | 'claude' | 'claude-count' | 'gemini' | 'gemini-count' | 'cli';

const fixture = (p: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(`../fixtures/${p}`, import.meta.url), 'utf8'));
const BASES: Record<Fmt, Array<Record<string, unknown>>> = {
  chat: [
    fixture('openai-chat/request-basic.json'),
    fixture('openai-chat/request-tools.json'),
    fixture('openai-chat/request-multimodal.json'),
    fixture('openai-chat/request-reasoning.json'),
    { model: 'm', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: [{ type: 'text', text: 'hi' }] }], max_tokens: 64, temperature: 0.3, stop: ['x'], metadata: { a: 'b' }, user: 'u' },
  ],
  completions: [{ model: 'm', prompt: 'Say hi', max_tokens: 32, temperature: 0.2, stop: ['\n\n'], stream: false, echo: false, user: 'u', n: 1 }],
  responses: [
    fixture('openai-responses/sdk-request.json'),
    fixture('openai-responses/codex-cli-request.json'),
    { model: 'm', input: [{ role: 'user', content: [{ type: 'input_text', text: 'hi' }] }], instructions: 'be brief', max_output_tokens: 64, reasoning: { effort: 'low' }, stream: false },
  ],
  claude: [
    fixture('claude/claude-code-request.json'),
    {
      model: 'm',
      max_tokens: 64,
      system: 'be brief',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } }] }],
      tools: [{ name: 'get_weather', description: 'w', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
      tool_choice: { type: 'auto' },
      stop_sequences: ['x'],
      temperature: 0.5,
      metadata: { user_id: 'u' },
    },
  ],
  'claude-count': [{ model: 'm', system: 'be brief', messages: [{ role: 'user', content: 'count me' }], tools: [{ name: 't', input_schema: { type: 'object' } }] }],
  gemini: [
    fixture('gemini/request-tools.json'),
    {
      contents: [{ role: 'user', parts: [{ text: 'hi' }, { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } }] }],
      systemInstruction: { parts: [{ text: 'be brief' }] },
      generationConfig: { temperature: 0.3, maxOutputTokens: 64, stopSequences: ['x'], thinkingConfig: { thinkingBudget: 128 } },
      tools: [{ functionDeclarations: [{ name: 'f', description: 'd', parameters: { type: 'OBJECT', properties: { a: { type: 'STRING' } } } }] }],
    },
  ],
  'gemini-count': [{ contents: [{ role: 'user', parts: [{ text: 'count me' }] }] }, { generateContentRequest: { model: 'models/x', contents: [{ role: 'user', parts: [{ text: 'count me' }] }] } }],
  cli: [fixture('gemini-cli/request.json'), { model: 'm', project: 'p', user_prompt_id: 'u', request: { contents: [{ role: 'user', parts: [{ text: 'hi' }] }], generationConfig: { maxOutputTokens: 64 } } }],
};

interface JsonRoute {
  id: string;
  fmt: Fmt;
  shape: Shape;
  /** Path for a model (URL models are already encoded) and a stream choice. */
  path(model: string, r: Rng): string;
  modelInUrl: boolean;
  /** Body field that asks for a stream (undefined: the URL decides). */
  streamField: boolean;
  keyHeaders: Array<(k: string) => [string, string] | string>;
}

const bearer = (k: string): [string, string] => ['Authorization', `Bearer ${k}`];
const xApiKey = (k: string): [string, string] => ['x-api-key', k];
const googKey = (k: string): [string, string] => ['x-goog-api-key', k];
const queryKey = (k: string) => `key=${encodeURIComponent(k)}`;
const ALL_KEYS = [bearer, xApiKey, googKey, queryKey];

const altQuery = (r: Rng) => r.pick(['?alt=sse', '?alt=sse', '', '?alt=json', '?alt=', '?alt=%ZZ', '?alt=sse&alt=json', '?alt=SSE&x=%']);
const JSON_ROUTES: JsonRoute[] = [
  { id: 'chat', fmt: 'chat', shape: 'openai', path: () => '/v1/chat/completions', modelInUrl: false, streamField: true, keyHeaders: [bearer, bearer, ...ALL_KEYS] },
  { id: 'completions', fmt: 'completions', shape: 'openai', path: () => '/v1/completions', modelInUrl: false, streamField: true, keyHeaders: [bearer, ...ALL_KEYS] },
  { id: 'responses', fmt: 'responses', shape: 'openai', path: () => '/v1/responses', modelInUrl: false, streamField: true, keyHeaders: [bearer, ...ALL_KEYS] },
  { id: 'responses:compact', fmt: 'responses', shape: 'openai', path: () => '/v1/responses/compact', modelInUrl: false, streamField: false, keyHeaders: [bearer, ...ALL_KEYS] },
  { id: 'messages', fmt: 'claude', shape: 'claude', path: () => '/v1/messages', modelInUrl: false, streamField: true, keyHeaders: [xApiKey, xApiKey, ...ALL_KEYS] },
  { id: 'count_tokens', fmt: 'claude-count', shape: 'claude', path: () => '/v1/messages/count_tokens', modelInUrl: false, streamField: false, keyHeaders: [xApiKey, ...ALL_KEYS] },
  { id: 'gemini:generate', fmt: 'gemini', shape: 'gemini', path: (m) => `/v1beta/models/${m}:generateContent`, modelInUrl: true, streamField: false, keyHeaders: [googKey, queryKey, ...ALL_KEYS] },
  { id: 'gemini:stream', fmt: 'gemini', shape: 'gemini', path: (m, r) => `/v1beta/models/${m}:streamGenerateContent${altQuery(r)}`, modelInUrl: true, streamField: false, keyHeaders: [googKey, queryKey, ...ALL_KEYS] },
  { id: 'gemini:count', fmt: 'gemini-count', shape: 'gemini', path: (m) => `/v1beta/models/${m}:countTokens`, modelInUrl: true, streamField: false, keyHeaders: [googKey, queryKey, ...ALL_KEYS] },
  { id: 'cli:generate', fmt: 'cli', shape: 'gemini', path: () => '/v1internal:generateContent', modelInUrl: false, streamField: false, keyHeaders: [bearer, ...ALL_KEYS] },
  { id: 'cli:stream', fmt: 'cli', shape: 'gemini', path: (_m, r) => `/v1internal:streamGenerateContent${altQuery(r)}`, modelInUrl: false, streamField: false, keyHeaders: [bearer, ...ALL_KEYS] },
  { id: 'cli:count', fmt: 'cli', shape: 'gemini', path: () => '/v1internal:countTokens', modelInUrl: false, streamField: false, keyHeaders: [bearer, ...ALL_KEYS] },
];

function routeOf(id: string): JsonRoute {
  const r = JSON_ROUTES.find((x) => x.id === id);
  if (!r) throw new Error(`no route ${id}`);
  return r;
}

/** Field families and where each format keeps them (-1: the last element). */
type Path = Array<string | number>;
const FAMILIES: Record<string, Partial<Record<Fmt, Path[]>>> = {
  model: { chat: [['model']], completions: [['model']], responses: [['model']], claude: [['model']], 'claude-count': [['model']], cli: [['model']], 'gemini-count': [['generateContentRequest', 'model']] },
  messages: { chat: [['messages']], completions: [['prompt']], responses: [['input']], claude: [['messages']], 'claude-count': [['messages']], gemini: [['contents']], 'gemini-count': [['contents']], cli: [['request', 'contents']] },
  message: { chat: [['messages', 0], ['messages', -1]], completions: [['prompt', 0]], responses: [['input', 0], ['input', -1]], claude: [['messages', 0], ['messages', -1]], 'claude-count': [['messages', 0]], gemini: [['contents', 0], ['contents', -1]], cli: [['request', 'contents', 0]] },
  role: { chat: [['messages', -1, 'role']], responses: [['input', 0, 'role']], claude: [['messages', -1, 'role']], 'claude-count': [['messages', 0, 'role']], gemini: [['contents', 0, 'role']], cli: [['request', 'contents', 0, 'role']] },
  content: { chat: [['messages', -1, 'content']], responses: [['input', 0, 'content']], claude: [['messages', -1, 'content']], 'claude-count': [['messages', 0, 'content']], gemini: [['contents', -1, 'parts']], 'gemini-count': [['contents', 0, 'parts']], cli: [['request', 'contents', 0, 'parts']] },
  'content-part': { chat: [['messages', -1, 'content', 0]], responses: [['input', 0, 'content', 0]], claude: [['messages', 0, 'content', 0], ['messages', -1, 'content', -1]], gemini: [['contents', 0, 'parts', 0], ['contents', 0, 'parts', -1]], cli: [['request', 'contents', 0, 'parts', 0]] },
  'part-field': {
    chat: [['messages', -1, 'content', 0, 'text'], ['messages', -1, 'content', -1, 'image_url'], ['messages', 0, 'name']],
    responses: [['input', 0, 'content', 0, 'text'], ['input', 0, 'content', 0, 'type']],
    claude: [['messages', 0, 'content', 0, 'text'], ['messages', 0, 'content', -1, 'source'], ['messages', 0, 'content', 0, 'type'], ['messages', 0, 'content', 0, 'cache_control']],
    gemini: [['contents', 0, 'parts', 0, 'text'], ['contents', 0, 'parts', -1, 'inlineData'], ['contents', 0, 'parts', 0, 'thought']],
    cli: [['request', 'contents', 0, 'parts', 0, 'text']],
  },
  tools: { chat: [['tools'], ['functions']], completions: [['tools']], responses: [['tools']], claude: [['tools']], 'claude-count': [['tools']], gemini: [['tools']], cli: [['request', 'tools']] },
  tool: { chat: [['tools', 0], ['tools', -1]], responses: [['tools', 0], ['tools', -1]], claude: [['tools', 0], ['tools', -1]], gemini: [['tools', 0], ['tools', 0, 'functionDeclarations', 0]], cli: [['request', 'tools', 0, 'functionDeclarations', 0]] },
  'tool-schema': {
    chat: [['tools', 0, 'function', 'parameters']],
    responses: [['tools', 0, 'parameters']],
    claude: [['tools', 0, 'input_schema']],
    gemini: [['tools', 0, 'functionDeclarations', 0, 'parameters'], ['tools', 0, 'functionDeclarations', 0, 'parametersJsonSchema']],
    cli: [['request', 'tools', 0, 'functionDeclarations', 0, 'parametersJsonSchema']],
  },
  'tool-name': { chat: [['tools', 0, 'function', 'name']], responses: [['tools', 0, 'name']], claude: [['tools', 0, 'name']], gemini: [['tools', 0, 'functionDeclarations', 0, 'name']], cli: [['request', 'tools', 0, 'functionDeclarations', 0, 'name']] },
  tool_choice: { chat: [['tool_choice'], ['function_call']], responses: [['tool_choice']], claude: [['tool_choice']], 'claude-count': [['tool_choice']], gemini: [['toolConfig'], ['toolConfig', 'functionCallingConfig']], cli: [['request', 'toolConfig']] },
  'tool-calls': { chat: [['messages', 2, 'tool_calls'], ['messages', 2, 'tool_calls', 0, 'function', 'arguments']], responses: [['input', 4], ['input', 4, 'arguments']], claude: [['messages', 1, 'content', -1]], gemini: [['contents', 1, 'parts', 0, 'functionCall']], cli: [['request', 'contents', 1, 'parts', 0, 'functionCall']] },
  'tool-results': { chat: [['messages', 3], ['messages', 3, 'tool_call_id']], responses: [['input', 6], ['input', 6, 'output']], claude: [['messages', 2, 'content', 0]], gemini: [['contents', 2, 'parts', 0, 'functionResponse']], cli: [['request', 'contents', 2, 'parts', 0, 'functionResponse']] },
  stream: { chat: [['stream']], completions: [['stream']], responses: [['stream']], claude: [['stream']], 'claude-count': [['stream']], cli: [['stream']] },
  stream_options: { chat: [['stream_options']], completions: [['stream_options']], responses: [['stream_options']] },
  max_tokens: { chat: [['max_tokens'], ['max_completion_tokens']], completions: [['max_tokens']], responses: [['max_output_tokens']], claude: [['max_tokens']], gemini: [['generationConfig', 'maxOutputTokens']], cli: [['request', 'generationConfig', 'maxOutputTokens']] },
  temperature: { chat: [['temperature'], ['top_p']], completions: [['temperature'], ['top_p']], responses: [['temperature'], ['top_p']], claude: [['temperature'], ['top_k'], ['top_p']], gemini: [['generationConfig', 'temperature'], ['generationConfig', 'topK']], cli: [['request', 'generationConfig', 'temperature']] },
  stop: { chat: [['stop']], completions: [['stop']], responses: [['stop']], claude: [['stop_sequences']], gemini: [['generationConfig', 'stopSequences']], cli: [['request', 'generationConfig', 'stopSequences']] },
  response_format: { chat: [['response_format'], ['response_format', 'json_schema']], completions: [['response_format']], responses: [['text'], ['text', 'format']], claude: [['output_format'], ['output_config']], gemini: [['generationConfig', 'responseSchema'], ['generationConfig', 'responseMimeType'], ['generationConfig', 'responseJsonSchema']], cli: [['request', 'generationConfig', 'responseSchema']] },
  reasoning: { chat: [['reasoning_effort']], completions: [['reasoning_effort']], responses: [['reasoning'], ['reasoning', 'effort']], claude: [['thinking'], ['thinking', 'budget_tokens']], 'claude-count': [['thinking']], gemini: [['generationConfig', 'thinkingConfig'], ['generationConfig', 'thinkingConfig', 'thinkingBudget']], cli: [['request', 'generationConfig', 'thinkingConfig']] },
  system: { chat: [['messages', 0, 'content']], responses: [['instructions']], claude: [['system'], ['system', 0]], 'claude-count': [['system']], gemini: [['systemInstruction'], ['systemInstruction', 'parts']], cli: [['request', 'systemInstruction']] },
  metadata: { chat: [['metadata'], ['user']], completions: [['user']], responses: [['metadata'], ['user']], claude: [['metadata'], ['metadata', 'user_id']], gemini: [['labels']], cli: [['project'], ['user_prompt_id'], ['request', 'session_id']] },
  'sampling-misc': {
    chat: [['n'], ['seed'], ['logit_bias'], ['presence_penalty'], ['parallel_tool_calls'], ['logprobs']],
    completions: [['n'], ['echo'], ['suffix'], ['logprobs'], ['best_of']],
    responses: [['include'], ['store'], ['previous_response_id'], ['truncation'], ['parallel_tool_calls']],
    claude: [['service_tier'], ['container'], ['context_management'], ['mcp_servers']],
    gemini: [['generationConfig', 'candidateCount'], ['safetySettings'], ['cachedContent'], ['generationConfig', 'responseModalities']],
    cli: [['request', 'safetySettings']],
  },
  'whole-config': { gemini: [['generationConfig']], cli: [['request', 'generationConfig'], ['request']], 'gemini-count': [['generateContentRequest']] },
  'unknown-field': { chat: [['x_unknown']], completions: [['x_unknown']], responses: [['x_unknown']], claude: [['x_unknown']], 'claude-count': [['x_unknown']], gemini: [['xUnknown']], 'gemini-count': [['xUnknown']], cli: [['xUnknown'], ['request', 'xUnknown']] },
};

function resolveParent(root: unknown, path: Path, create: boolean): { parent: any; key: string | number } | undefined {
  let cur: any = root;
  const at = (o: any, k: string | number): any => o[k];
  for (let i = 0; i < path.length - 1; i++) {
    let k = path[i]!;
    if (Array.isArray(cur)) {
      if (cur.length === 0 || typeof k !== 'number') return undefined;
      k = k < 0 || k >= cur.length ? cur.length - 1 : k;
    } else if (!isObj(cur) || typeof k !== 'string') return undefined;
    const child = at(cur, k);
    if (child === undefined || child === null || typeof child !== 'object') {
      if (!create || Array.isArray(cur)) return undefined;
      (cur as Record<string, unknown>)[k as string] = typeof path[i + 1] === 'number' ? [{}] : {};
    }
    cur = at(cur, k);
  }
  let key = path[path.length - 1]!;
  if (Array.isArray(cur)) {
    if (typeof key !== 'number') return undefined;
    if (cur.length === 0) return { parent: cur, key: 0 };
    key = key < 0 || key >= cur.length ? cur.length - 1 : key;
  } else if (!isObj(cur) || typeof key !== 'string') return undefined;
  return { parent: cur, key };
}

function allPaths(v: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  if (prefix.length > 0) out.push(prefix);
  if (prefix.length >= 7) return out;
  if (Array.isArray(v)) v.slice(0, 6).forEach((x, i) => allPaths(x, [...prefix, i], out));
  else if (isObj(v)) for (const k of Object.keys(v).slice(0, 30)) allPaths(v[k], [...prefix, k], out);
  return out;
}

const TREE_OPS = ['replace', 'replace', 'replace', 'delete', 'inflate', 'wrap', 'stringify', 'unknown-key'] as const;

function applyOp(r: Rng, root: unknown, path: Path, op: (typeof TREE_OPS)[number]): void {
  const at = resolveParent(root, path, op === 'replace');
  if (!at) return;
  const { parent, key } = at;
  const cur = parent[key];
  switch (op) {
    case 'replace':
      parent[key] = junk(r);
      break;
    case 'delete':
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
      break;
    case 'inflate':
      if (Array.isArray(cur) && cur.length > 0) {
        const n = r.int(50, 400);
        parent[key] = Array.from({ length: n }, (_, i) => cur[i % cur.length]);
      } else if (typeof cur === 'string') parent[key] = cur.repeat(r.int(2, 200)).slice(0, 200_000);
      else parent[key] = junk(r);
      break;
    case 'wrap':
      parent[key] = r.chance(0.5) ? [cur] : { value: cur };
      break;
    case 'stringify':
      parent[key] = JSON.stringify(cur ?? null);
      break;
    case 'unknown-key':
      if (isObj(cur)) cur[r.pick(['__proto__', 'constructor', 'x-unknown', '', '\u0000', 'type'])] = junk(r);
      else parent[key] = { [r.pick(['__proto__', 'prototype', 'x'])]: cur };
      break;
  }
}

const RAW_OPS: Array<[string, (s: Buffer, r: Rng) => Buffer]> = [
  ['raw:truncate', (s, r) => s.subarray(0, r.int(0, Math.max(0, s.length - 1)))],
  ['raw:byte-flip', (s, r) => {
    const b = Buffer.from(s);
    if (b.length > 0) b[r.int(0, b.length - 1)] = r.int(0, 255);
    return b;
  }],
  ['raw:insert-bad-utf8', (s, r) => {
    const i = r.int(0, s.length);
    return Buffer.concat([s.subarray(0, i), Buffer.from(r.pick([[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]])), s.subarray(i)]);
  }],
  ['raw:duplicate-key', (s, r) => Buffer.from(s.toString('utf8').replace(/"(model|messages|contents|input|stream|max_tokens|tools)":/, (m) => `${m}${JSON.stringify(junk(r) ?? null)},${m}`))],
  ['raw:bad-escape', (s, r) => Buffer.from(s.toString('utf8').replace(/":"/, `":"${r.pick(['\\u12', '\\x41', '\\q', '\\ud800', '\\udc00\\ud800', '\\u0000', '\\'])}`))],
  ['raw:insert-nul', (s, r) => {
    const i = r.int(0, s.length);
    return Buffer.concat([s.subarray(0, i), Buffer.from([0]), s.subarray(i)]);
  }],
];

function chooseModel(r: Rng): string {
  if (r.chance(0.88)) return r.pick(ALIASES);
  return String(r.pick(['unknown-model', 'gpt-4o', 'claude-x', 'gemini-9-ultra', '', 'x'.repeat(257), ...WEIRD_STRINGS.slice(0, 12)]));
}

/** Percent-encodes the UTF-8 bytes of any string (lone surrogates too, where encodeURIComponent throws). */
function pct(s: string): string {
  return [...Buffer.from(s, 'utf8')].map((b) => (/[A-Za-z0-9._~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

/** A model as a URL path segment: usually encoded, sometimes raw junk. */
function urlModel(r: Rng, model: string, junkIt: boolean): string {
  if (!junkIt) return pct(model);
  return r.pick([
    '%ZZ',
    '%E0%A4%A',
    '%',
    '%%',
    '%00',
    'a%2Fb',
    '..%2F..%2Fv1%2Fmodels',
    'x'.repeat(300),
    '',
    'a:b',
    `${pct(model)}:generateContent`,
    pct(String(r.pick(WEIRD_STRINGS))),
    '%F0%9F%98',
    '%C0%AF',
    '%ED%A0%80',
    'm%20x',
  ]);
}

interface Built {
  route: JsonRoute;
  model?: string;
  path: string;
  body: Buffer;
  headers: Headers;
  kinds: string[];
}

function keyedPath(path: string, q: string): string {
  return path + (path.includes('?') ? '&' : '?') + q;
}

function build(r: Rng, route: JsonRoute, body: Buffer, model: string, urlJunk = false, keyless?: string): Built {
  let path = route.path(route.modelInUrl ? urlModel(r, model, urlJunk) : '', r);
  const headers: Headers = [];
  if (r.chance(0.85)) headers.push(['Content-Type', r.pick(['application/json', 'application/json; charset=utf-8', 'application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1'])]);
  if (route.id === 'messages' || route.id === 'count_tokens') headers.push(['anthropic-version', r.pick(['2023-06-01', '2023-06-01', 'garbage'])]);
  const key = keyless ?? KEY;
  if (keyless !== '') {
    const kh = r.pick(route.keyHeaders)(key);
    if (typeof kh === 'string') path = keyedPath(path, kh);
    else headers.push(kh);
  }
  return { route, path, body, headers, kinds: [], model };
}

function caseFor(b: Built, kind: string, extra: Partial<Case> = {}): Case {
  return {
    kind,
    label: `POST ${b.path.length > 120 ? b.path.slice(0, 120) + '…' : b.path} (${b.route.id}${b.model ? ` → ${b.model.slice(0, 40)}` : ''}, ${b.body.length} B)`,
    shape: b.route.shape,
    opts: { data: httpBytes('POST', b.path, b.headers, b.body) },
    // The *-tools mocks answer tool calls even to compaction's tool-less summary request: that
    // upstream answer is unusable, and 502 "the model returned an empty summary" says so.
    upstream5xx: b.route.id === 'responses:compact' && b.model?.endsWith('-tools') ? true : undefined,
    ...extra,
  };
}

// ───────────────────────────── baseline ─────────────────────────────

async function honest(): Promise<string[]> {
  const fails: string[] = [];
  const msgs = [{ role: 'user', content: 'still here' }];
  const checks: Array<[string, string, unknown, Headers, (body: any) => boolean]> = [
    ['chat', '/v1/chat/completions', { model: 'oa-echo', messages: msgs }, [bearer(KEY)], (b) => b.choices?.[0]?.message?.content === 'echo: still here'],
    ['chat→claude', '/v1/chat/completions', { model: 'cl-echo', messages: msgs }, [bearer(KEY)], (b) => b.choices?.[0]?.message?.content === 'echo: still here'],
    ['completions→gemini', '/v1/completions', { model: 'gm-echo', prompt: 'still here' }, [bearer(KEY)], (b) => typeof b.choices?.[0]?.text === 'string'],
    ['responses→codex', '/v1/responses', { model: 'cx-echo', input: 'still here' }, [bearer(KEY)], (b) => JSON.stringify(b.output ?? '').includes('echo: still here')],
    ['messages', '/v1/messages', { model: 'cl-echo', max_tokens: 32, messages: msgs }, [xApiKey(KEY), ['anthropic-version', '2023-06-01']], (b) => b.content?.[0]?.text === 'echo: still here'],
    ['count_tokens', '/v1/messages/count_tokens', { model: 'gm-echo', messages: msgs }, [xApiKey(KEY)], (b) => typeof b.input_tokens === 'number'],
    ['gemini', '/v1beta/models/gm-echo:generateContent', { contents: [{ role: 'user', parts: [{ text: 'still here' }] }] }, [googKey(KEY)], (b) => JSON.stringify(b.candidates ?? '').includes('echo: still here')],
    ['gemini→openai', '/v1beta/models/oa-echo:generateContent', { contents: [{ role: 'user', parts: [{ text: 'still here' }] }] }, [googKey(KEY)], (b) => JSON.stringify(b.candidates ?? '').includes('echo: still here')],
    ['gemini-cli', '/v1internal:generateContent', { model: 'gm-echo', request: { contents: [{ role: 'user', parts: [{ text: 'still here' }] }] } }, [bearer(KEY)], (b) => JSON.stringify(b).includes('echo: still here')],
  ];
  for (const [name, path, body, headers, ok] of checks) {
    const out = await rawHttp({ data: httpBytes('POST', path, [['Content-Type', 'application/json'], ...headers], JSON.stringify(body)) });
    const r = out.replies[0];
    let parsed: unknown;
    try {
      parsed = r ? JSON.parse(r.body.toString('utf8')) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!r || r.status !== 200 || !ok(parsed)) fails.push(`${name}: ${r ? `${r.status} ${snippet(r.body)}` : out.timedOut ? 'timed out' : 'closed'}`);
  }
  const streamed = await rawHttp({ data: httpBytes('POST', '/v1/chat/completions', [bearer(KEY)], JSON.stringify({ model: 'gm-echo', stream: true, messages: msgs })) });
  if (streamed.replies[0]?.status !== 200 || !streamed.replies[0].body.toString().includes('[DONE]')) fails.push(`chat stream→gemini: ${streamed.replies[0]?.status}`);
  for (const [name, path, headers] of [
    ['models', '/v1/models', [bearer(KEY)]],
    ['gemini models', '/v1beta/models', [googKey(KEY)]],
    ['management', '/v0/management/config', [bearer(MGMT_KEY)]],
    ['metrics', '/metrics', []],
  ] as Array<[string, string, Headers]>) {
    const out = await rawHttp({ data: httpBytes('GET', path, headers) });
    if (out.replies[0]?.status !== 200) fails.push(`${name}: ${out.replies[0]?.status ?? 'no answer'}`);
  }
  return fails;
}

let rssBefore = 0;
t.test('the gateway serves honest requests of every format before the fuzz', async (t) => {
  t.same(await honest(), []);
  // Start both translation workers (bodies over 1 MiB) now: their threads are part of the RSS baseline.
  const big = JSON.stringify({ model: 'oa-echo', messages: [{ role: 'user', content: 'w'.repeat(1_200_000) }] });
  const warm = await Promise.all([1, 2, 3].map(() => rawHttp({ data: httpBytes('POST', '/v1/chat/completions', [bearer(KEY)], big) })));
  t.same(warm.map((o) => o.replies[0]?.status), [200, 200, 200], 'large bodies are served (translation workers started)');
  rssBefore = process.memoryUsage().rss;
  t.comment(`RSS baseline ${(rssBefore / 2 ** 20).toFixed(0)} MiB`);
});
/** Each phase draws from its own stream, so a phase replays alike when run alone (tap --grep). */
const phaseRng = (phase: number) => new Rng((SEED ^ Math.imul(phase + 1, 0x9e3779b1)) >>> 0);

// ───────────────────────────── 1. mutated valid requests ─────────────────────────────

t.test(`${CASES} mutated valid requests over every inference route and upstream`, async (t) => {
  const from = problems.length;
  const r = phaseRng(1);
  const cases: Case[] = [];
  for (let i = 0; i < CASES; i++) {
    const route = r.pick(JSON_ROUTES);
    const fmtFamilies = Object.entries(FAMILIES).filter(([, per]) => per[route.fmt]);
    const body = structuredClone(r.pick(BASES[route.fmt]));
    const model = chooseModel(r);
    if (!route.modelInUrl) {
      if (route.fmt === 'gemini-count') {
        /* no model in the body */
      } else body['model'] = model;
    }
    if (route.streamField && r.chance(0.4)) body['stream'] = true;
    else if (route.streamField && body['stream'] !== undefined && r.chance(0.5)) body['stream'] = false;
    const kinds: string[] = [];
    let urlJunk = false;
    const n = r.int(1, 3);
    for (let j = 0; j < n; j++) {
      if (route.modelInUrl && r.chance(0.1)) {
        urlJunk = true;
        kinds.push('url:model-segment');
        continue;
      }
      if (r.chance(0.65) && fmtFamilies.length > 0) {
        const [family, per] = r.pick(fmtFamilies);
        applyOp(r, body, r.pick(per[route.fmt]!), r.chance(0.8) ? 'replace' : r.pick(TREE_OPS));
        kinds.push(`field:${family}`);
      } else {
        const paths = allPaths(body);
        const op = r.pick(TREE_OPS);
        if (paths.length > 0) applyOp(r, body, r.pick(paths), op);
        kinds.push(`tree:${op}`);
      }
    }
    let bytes: Buffer = Buffer.from(JSON.stringify(body), 'utf8');
    if (r.chance(0.18)) {
      const [kind, op] = r.pick(RAW_OPS);
      bytes = op(bytes, r);
      kinds.push(kind);
    }
    let keyless: string | undefined;
    if (r.chance(0.07)) {
      keyless = r.pick(['', 'sk-wrong', `${KEY}x`, KEY.slice(0, -1), ' ', 'ключ']);
      kinds.push('auth:missing-or-wrong-key');
    }
    const b = build(r, route, bytes, model, urlJunk, keyless);
    for (const k of kinds.slice(1)) kindsSeen.add(k);
    // A junk model segment may be 70 KB: uWS's 431 page is then the answer.
    cases.push(caseFor(b, kinds[0] ?? 'tree:none', { transport: urlJunk, expect: keyless !== undefined ? [401] : undefined, label: `${caseFor(b, '').label} {${kinds.join(', ')}}` }));
  }
  await pool(cases, CONCURRENCY, run);
  report(t, from, 'mutated requests');
});

// ───────────────────────────── 2. hand-written bad bodies ─────────────────────────────

const PLACEHOLDER = '"__FUZZ_PLACEHOLDER__"';

/** The valid body with one field (of a family, else a new top-level key) set to raw JSON text. */
function withRaw(route: JsonRoute, base: Record<string, unknown>, families: string[], raw: string): Buffer {
  const body = structuredClone(base);
  let placed = false;
  for (const f of families) {
    const paths = FAMILIES[f]?.[route.fmt];
    if (!paths) continue;
    const at = resolveParent(body, paths[0]!, true);
    if (!at) continue;
    at.parent[at.key] = '__FUZZ_PLACEHOLDER__';
    placed = true;
    break;
  }
  if (!placed) body['x_fuzz'] = '__FUZZ_PLACEHOLDER__';
  return Buffer.from(JSON.stringify(body).replace(PLACEHOLDER, () => raw), 'utf8');
}

/** Bytes spliced into the first string value of the body. */
function intoString(valid: Buffer, bytes: number[] | string): Buffer {
  const s = valid.toString('latin1');
  const i = s.indexOf('":"') + 3;
  const insert = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes);
  return Buffer.concat([valid.subarray(0, i), insert, valid.subarray(i)]);
}

const pad = (valid: Buffer, bytes: number) => Buffer.concat([Buffer.from('{"x_pad":"'), Buffer.alloc(bytes, 'a'), Buffer.from('",'), valid.subarray(1)]);

interface BodyKind {
  kind: string;
  make(valid: Buffer, route: JsonRoute, base: Record<string, unknown>): Buffer | string;
  expect?: number[];
  /** Large: sent to a few routes only. */
  big?: boolean;
}

const r0 = new Rng(SEED ^ 0x5eed);
const TEXT_FAMILIES = ['part-field', 'system', 'model', 'metadata'];
const NUMBER_FAMILIES = ['max_tokens', 'temperature'];

const BODY_KINDS: BodyKind[] = [
  { kind: 'body:empty', make: () => '' },
  { kind: 'body:whitespace', make: () => ' \r\n\t ', expect: [400] },
  { kind: 'body:truncated', make: (v) => v.subarray(0, Math.floor(v.length / 2)), expect: [400] },
  { kind: 'body:cut-after-key', make: (v) => v.subarray(0, v.indexOf(':') + 1), expect: [400] },
  { kind: 'body:top-level-array', make: (v) => `[${v}]`, expect: [400] },
  { kind: 'body:top-level-string', make: () => '"hello"', expect: [400] },
  { kind: 'body:top-level-number', make: () => '42', expect: [400] },
  { kind: 'body:top-level-null', make: () => 'null', expect: [400] },
  { kind: 'body:top-level-bool', make: () => 'true', expect: [400] },
  { kind: 'json:deep-arrays-over-limit', make: (v) => `{"x":${'['.repeat(300)}${']'.repeat(300)},${v.subarray(1)}`, expect: [400] },
  { kind: 'json:deep-objects-over-limit', make: (v) => `{"x":${'{"a":'.repeat(300)}1${'}'.repeat(300)},${v.subarray(1)}`, expect: [400] },
  { kind: 'json:deep-million', make: (v) => `{"x":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)},${v.subarray(1)}`, expect: [400], big: true },
  { kind: 'json:deep-within-limit', make: (_v, route, base) => withRaw(route, base, ['metadata', 'tool-schema', 'part-field'], JSON.stringify(nested(200, false))) },
  { kind: 'json:deep-in-schema', make: (_v, route, base) => withRaw(route, base, ['tool-schema'], JSON.stringify(nested(180, false))) },
  { kind: 'body:over-max-size', make: (v) => pad(v, MAX_BODY + 1024), expect: [413], big: true },
  { kind: 'body:offloaded-valid', make: (v) => pad(v, 1_200_000), big: true },
  { kind: 'body:offloaded-truncated', make: (v) => pad(v, 1_200_000).subarray(0, 1_200_000 + Math.floor(v.length / 2)), expect: [400], big: true },
  { kind: 'body:offloaded-deep', make: (v) => Buffer.concat([Buffer.from(`{"x":${'['.repeat(300)}${']'.repeat(300)},`), pad(v, 1_200_000).subarray(1)]), expect: [400], big: true },
  { kind: 'body:offloaded-non-object', make: () => `[${'"x",'.repeat(300_000)}1]`, expect: [400], big: true },
  { kind: 'body:offloaded-bad-utf8', make: (v) => intoString(pad(v, 1_200_000), [0xff, 0xfe, 0xed, 0xa0, 0x80]), big: true },
  { kind: 'utf8:invalid-in-string', make: (v) => intoString(v, [0xff, 0xfe, 0xc3]) },
  { kind: 'utf8:invalid-outside-string', make: (v) => Buffer.concat([v.subarray(0, 1), Buffer.from([0xc3, 0x28]), v.subarray(1)]), expect: [400] },
  { kind: 'utf8:encoded-surrogate', make: (v) => intoString(v, [0xed, 0xa0, 0x80, 0xed, 0xbf, 0xbf]) },
  { kind: 'utf8:overlong', make: (v) => intoString(v, [0xc0, 0xaf, 0xe0, 0x80, 0xaf]) },
  { kind: 'utf8:beyond-unicode', make: (v) => intoString(v, [0xf4, 0x90, 0x80, 0x80, 0xf8, 0x88, 0x80, 0x80, 0x80]) },
  { kind: 'utf8:cut-sequence-at-end', make: (v) => Buffer.concat([v, Buffer.from([0xe2, 0x82])]), expect: [400] },
  { kind: 'escape:lone-high-surrogate', make: (_v, route, base) => withRaw(route, base, TEXT_FAMILIES, '"before \\ud800 after"') },
  { kind: 'escape:lone-low-surrogate', make: (_v, route, base) => withRaw(route, base, TEXT_FAMILIES, '"\\udc00\\ud800"') },
  { kind: 'escape:surrogate-model', make: (_v, route, base) => withRaw(route, base, ['model'], '"oa-echo\\ud800"') },
  { kind: 'escape:short-unicode', make: (_v, route, base) => withRaw(route, base, TEXT_FAMILIES, '"a\\u12"'), expect: [400] },
  { kind: 'escape:hex-x', make: (_v, route, base) => withRaw(route, base, TEXT_FAMILIES, '"a\\x41"'), expect: [400] },
  { kind: 'escape:unknown-letter', make: (_v, route, base) => withRaw(route, base, TEXT_FAMILIES, '"a\\q"'), expect: [400] },
  { kind: 'escape:trailing-backslash', make: (_v, route, base) => withRaw(route, base, TEXT_FAMILIES, '"a\\"'), expect: [400] },
  { kind: 'nul:raw-byte', make: (v) => intoString(v, [0x00]), expect: [400] },
  { kind: 'nul:escaped', make: (_v, route, base) => withRaw(route, base, TEXT_FAMILIES, '"a\\u0000b\\u0000"') },
  { kind: 'nul:escaped-model', make: (_v, route, base) => withRaw(route, base, ['model'], '"cl-echo\\u0000"') },
  { kind: 'control:raw-newline-in-string', make: (v) => intoString(v, '\n\t\r'), expect: [400] },
  { kind: 'number:overflow-literal', make: (_v, route, base) => withRaw(route, base, NUMBER_FAMILIES, '1e999') },
  { kind: 'number:negative-overflow', make: (_v, route, base) => withRaw(route, base, NUMBER_FAMILIES, '-1e999') },
  { kind: 'number:many-digits', make: (_v, route, base) => withRaw(route, base, NUMBER_FAMILIES, '1234567890123456789012345678901234567890') },
  { kind: 'number:tiny-and-negative-zero', make: (_v, route, base) => withRaw(route, base, NUMBER_FAMILIES, r0.pick(['1e-999', '-0', '-0.0e0'])) },
  { kind: 'number:huge-exponent-text', make: (_v, route, base) => withRaw(route, base, NUMBER_FAMILIES, '1' + '0'.repeat(5000)) },
  { kind: 'literal:NaN', make: (_v, route, base) => withRaw(route, base, NUMBER_FAMILIES, 'NaN'), expect: [400] },
  { kind: 'literal:Infinity', make: (_v, route, base) => withRaw(route, base, NUMBER_FAMILIES, '-Infinity'), expect: [400] },
  { kind: 'literal:undefined', make: (_v, route, base) => withRaw(route, base, NUMBER_FAMILIES, 'undefined'), expect: [400] },
  { kind: 'literal:hex-number', make: (_v, route, base) => withRaw(route, base, NUMBER_FAMILIES, '0x10'), expect: [400] },
  { kind: 'json:duplicate-keys', make: (v) => `{"model":"x","stream":"yes","contents":5,"messages":5,${v.subarray(1)}` },
  { kind: 'json:duplicate-keys-after', make: (v) => `${v.subarray(0, v.length - 1)},"model":null,"stream":true,"max_tokens":-1}` },
  { kind: 'json:proto-keys', make: (v) => `{"__proto__":{"model":"oa-echo","stream":true},"constructor":{"prototype":{"polluted":1}},${v.subarray(1)}` },
  { kind: 'json:bom-prefix', make: (v) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), v]) },
  { kind: 'json:trailing-garbage', make: (v) => `${v}garbage`, expect: [400] },
  { kind: 'json:concatenated', make: (v) => `${v}${v}`, expect: [400] },
  { kind: 'json:comments', make: (v) => `/* c */${v}`, expect: [400] },
  { kind: 'json:single-quotes', make: () => "{'model':'oa-echo'}", expect: [400] },
  { kind: 'json:trailing-comma', make: (v) => `${v.subarray(0, v.length - 1)},}`, expect: [400] },
  { kind: 'json:unquoted-keys', make: () => '{model:"oa-echo",messages:[]}', expect: [400] },
  { kind: 'json:huge-string-field', make: (_v, route, base) => withRaw(route, base, TEXT_FAMILIES, JSON.stringify('y'.repeat(900_000))) },
  { kind: 'json:many-keys', make: (v) => `{${Array.from({ length: 20_000 }, (_, i) => `"k${i}":${i}`).join(',')},${v.subarray(1)}` },
  { kind: 'json:wide-array', make: (_v, route, base) => withRaw(route, base, ['messages'], `[${'{},'.repeat(50_000)}{}]`) },
];
t.test(`${BODY_KINDS.length} hand-written kinds of bad body on every JSON route`, async (t) => {
  const from = problems.length;
  const r = phaseRng(2);
  const cases: Case[] = [];
  const only = process.env['FUZZ_KINDS'] ? new RegExp(process.env['FUZZ_KINDS']) : undefined;
  for (const k of BODY_KINDS) {
    if (only && !only.test(k.kind)) continue;
    const routes = k.big ? [r.pick(JSON_ROUTES), r.pick(JSON_ROUTES)] : JSON_ROUTES;
    for (const route of routes) {
      const base = structuredClone(BASES[route.fmt][0]!);
      const model = r.pick(ALIASES);
      if (!route.modelInUrl && route.fmt !== 'gemini-count') base['model'] = model;
      const valid = Buffer.from(JSON.stringify(base), 'utf8');
      const made = k.make(valid, route, base);
      const bytes = typeof made === 'string' ? Buffer.from(made, 'utf8') : made;
      const b = build(r, route, bytes, model);
      // The local countTokens/loadCodeAssist answers do not parse some of these; expectations are for the JSON parse step.
      cases.push(caseFor(b, k.kind, { expect: k.expect }));
    }
  }
  await pool(cases, CONCURRENCY, run);
  // Valid count requests over the offload threshold (1 MiB), estimated locally: the estimate must
  // read the whole body (it saw only the top-level scalars: Claude answered 400, Gemini 0 tokens).
  const text = 'word '.repeat(240_000);
  const counts: Array<[string, Headers, unknown, string]> = [
    ['/v1/messages/count_tokens', [xApiKey(KEY)], { model: 'gm-echo', messages: [{ role: 'user', content: text }] }, 'input_tokens'],
    ['/v1beta/models/oa-echo:countTokens', [googKey(KEY)], { contents: [{ role: 'user', parts: [{ text }] }] }, 'totalTokens'],
  ];
  for (const [path, headers, body, field] of counts) {
    const out = await rawHttp({ data: httpBytes('POST', path, headers, JSON.stringify(body)) });
    const r0 = out.replies[0];
    const n = r0?.status === 200 ? (JSON.parse(r0.body.toString()) as Record<string, number>)[field] : undefined;
    t.ok(n !== undefined && n > 200_000, `${path} over 1 MiB: a local estimate of the whole body (${r0?.status} ${n ?? r0?.body.toString().slice(0, 200)})`);
  }
  kindsSeen.add('body:offloaded-count-tokens');
  // A $ref bomb: 30 definitions, each referencing the next twice (2^30 nodes when inlined for Gemini).
  const defs: Record<string, unknown> = { d30: { type: 'string' } };
  for (let i = 0; i < 30; i++) defs[`d${i}`] = { type: 'object', properties: { a: { $ref: `#/$defs/d${i + 1}` }, b: { $ref: `#/$defs/d${i + 1}` } } };
  const bomb = { type: 'object', $defs: defs, properties: { x: { $ref: '#/$defs/d0' } } };
  const gBefore = gemini.requests.length;
  const bombs: Array<[string, Headers, unknown, Shape]> = [
    ['/v1/chat/completions', [bearer(KEY)], { model: 'gm-echo', messages: [{ role: 'user', content: 'bomb' }], tools: [{ type: 'function', function: { name: 'f', parameters: bomb } }] }, 'openai'],
    ['/v1/messages', [xApiKey(KEY)], { model: 'gm-echo', max_tokens: 9, messages: [{ role: 'user', content: 'bomb' }], tools: [{ name: 'f', input_schema: bomb }] }, 'claude'],
    ['/v1/responses', [bearer(KEY)], { model: 'gm-echo', input: 'bomb', tools: [{ type: 'function', name: 'f', parameters: bomb }] }, 'openai'],
  ];
  for (const [path, headers, body, shape] of bombs) {
    await run({ kind: 'json:ref-bomb-schema', label: `${path} → gemini with a $ref bomb`, shape, expect: [200], opts: { data: httpBytes('POST', path, headers, JSON.stringify(body)), timeoutMs: 5000 } });
  }
  const biggest = Math.max(0, ...gemini.requests.slice(gBefore).map((q) => JSON.stringify(q.body ?? '').length));
  t.ok(biggest < 2_000_000, `a $ref bomb stays bounded upstream (${biggest} bytes)`);
  report(t, from, 'hand-written bodies');
});

// ───────────────────────────── 3. HTTP-level abuse ─────────────────────────────

t.test('HTTP-level abuse: headers, methods, paths, framing, auth', async (t) => {
  const from = problems.length;
  const r = phaseRng(3);
  const chat = JSON.stringify({ model: 'oa-echo', messages: [{ role: 'user', content: 'hi' }] });
  const auth = bearer(KEY);
  const H = (method: string, path: string, headers: Headers = [auth], body?: string | Buffer, o?: Parameters<typeof httpBytes>[4]) => httpBytes(method, path, headers, body, o);
  const cases: Case[] = [
    { kind: 'http:oversize-header', label: '100 KB header', shape: 'openai', transport: true, expect: [431], opts: { data: H('POST', '/v1/chat/completions', [auth, ['X-Big', 'a'.repeat(100_000)]], chat) } },
    { kind: 'http:oversize-auth-header', label: '60 KB bearer', shape: 'openai', transport: true, expect: [401, 431], opts: { data: H('POST', '/v1/chat/completions', [['Authorization', `Bearer ${'k'.repeat(60_000)}`]], chat) } },
    { kind: 'http:many-headers', label: '500 headers', shape: 'openai', transport: true, expect: [431], opts: { data: H('GET', '/v1/models', [auth, ...Array.from({ length: 500 }, (_, i): [string, string] => [`X-H${i}`, 'v'])]) } },
    { kind: 'http:long-url', label: '100 KB URL', shape: 'openai', transport: true, opts: { data: H('GET', `/v1/models?${'q'.repeat(100_000)}`) } },
    { kind: 'http:long-url-under-limit', label: '3 KB path', shape: 'gemini', opts: { data: H('POST', `/v1beta/models/${'m'.repeat(3000)}:generateContent`, [googKey(KEY)], '{}') }, expect: [400] },
    { kind: 'http:header-nul', label: 'NUL in a header value', shape: 'openai', transport: true, opts: { data: Buffer.concat([H('GET', '/v1/models', [auth, ['X-A', 'a\u0000b']])]) } },
    { kind: 'http:header-obs-fold', label: 'folded header line', shape: 'openai', transport: true, opts: { data: Buffer.from(`GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${KEY}\r\nX-A: a\r\n b\r\nConnection: close\r\n\r\n`, 'latin1') } },
    { kind: 'http:header-no-colon', label: 'header line without a colon', shape: 'openai', transport: true, opts: { data: Buffer.from(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\ngarbage\r\n\r\n`, 'latin1') } },
    { kind: 'http:header-non-ascii', label: 'latin-1 bytes in header values', shape: 'openai', transport: true, opts: { data: Buffer.concat([Buffer.from(`POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \xff\xfe${KEY}\r\nX-N: \xe9\xe8\r\nContent-Length: ${chat.length}\r\nConnection: close\r\n\r\n`, 'latin1'), Buffer.from(chat)]) }, expect: [401] },
    { kind: 'http:underscore-header', label: 'session_id header (Codex)', shape: 'openai', opts: { data: H('POST', '/v1/chat/completions', [auth, ['session_id', 'x'], ['conversation_id', 'y']], chat) }, expect: [200] },
    { kind: 'http:http10-no-host', label: 'HTTP/1.0', shape: 'openai', transport: true, opts: { data: Buffer.from('GET /v1/models HTTP/1.0\r\n\r\n') } },
    { kind: 'http:http11-no-host', label: 'HTTP/1.1 without Host', shape: 'openai', transport: true, opts: { data: H('GET', '/v1/models', [auth], undefined, { host: null }) } },
    { kind: 'http:foreign-host', label: 'Host: attacker.example', shape: 'openai', opts: { data: H('POST', '/v1/chat/completions', [auth], chat, { host: 'attacker.example' }) }, expect: [403] },
    { kind: 'http:browser-origin', label: 'foreign Origin on each format', shape: 'claude', opts: { data: H('POST', '/v1/messages', [xApiKey(KEY), ['Origin', 'https://evil.example'], ['Content-Type', 'text/plain']], chat) }, expect: [403] },
    { kind: 'http:tls-on-plain-port', label: 'TLS ClientHello bytes', shape: 'openai', transport: true, opts: { data: Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, ...Array(64).fill(7)]) } },
    { kind: 'http:binary-garbage', label: 'random bytes', shape: 'openai', transport: true, closeOk: true, opts: { data: Buffer.from(Array.from({ length: 512 }, () => r.int(0, 255))), endAfterWrite: true } },
    { kind: 'method:unknown', label: 'FOO /v1/chat/completions', shape: 'openai', opts: { data: H('FOO', '/v1/chat/completions', [auth], chat) }, expect: [405] },
    { kind: 'method:lowercase', label: 'post /v1/messages', shape: 'claude', opts: { data: H('post', '/v1/messages', [auth], chat) }, expect: [405] },
    { kind: 'method:odd-characters', label: 'G@T /', shape: 'openai', transport: true, opts: { data: H('G@T', '/') } },
    { kind: 'method:very-long', label: '5 KB method', shape: 'openai', transport: true, opts: { data: H('X'.repeat(5000), '/v1/models') } },
    { kind: 'method:connect', label: 'CONNECT', shape: 'openai', transport: true, opts: { data: Buffer.from('CONNECT 127.0.0.1:80 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n') } },
    { kind: 'method:options-star', label: 'OPTIONS *', shape: 'openai', transport: true, opts: { data: Buffer.from('OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n') } },
    { kind: 'method:trace', label: 'TRACE /', shape: 'openai', opts: { data: H('TRACE', '/', [auth, ['Cookie', 'secret']]) }, expect: [405] },
    { kind: 'path:absolute-uri', label: 'GET http://evil/v1/models', shape: 'openai', transport: true, opts: { data: H('GET', 'http://evil/v1/models') } },
    { kind: 'path:space', label: 'space in path', shape: 'openai', transport: true, opts: { data: H('GET', '/v1/mo dels') } },
    { kind: 'path:non-ascii-bytes', label: 'raw bytes in path', shape: 'openai', opts: { data: Buffer.from('GET /v1/\xff\xfe HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', 'latin1') }, expect: [404] },
    { kind: 'path:control-bytes', label: 'control bytes in path', shape: 'openai', transport: true, opts: { data: Buffer.from('GET /v1/\x01\x7f HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', 'latin1') } },
    { kind: 'path:dot-segments', label: '/v1/../v1/models', shape: 'openai', opts: { data: H('GET', '/v1/../v1/models') }, expect: [404] },
    { kind: 'path:double-slash', label: '//v1//chat/completions', shape: 'openai', opts: { data: H('POST', '//v1//chat/completions', [auth], chat) }, expect: [404] },
    { kind: 'path:encoded-slash', label: '/v1/chat%2Fcompletions', shape: 'openai', opts: { data: H('POST', '/v1/chat%2Fcompletions', [auth], chat) }, expect: [404] },
    { kind: 'path:trailing-slash', label: '/v1/messages/', shape: 'claude', notFoundShape: 'claude', opts: { data: H('POST', '/v1/messages/', [xApiKey(KEY)], chat) } },
    { kind: 'path:fragment-and-query', label: '#frag and ?a=%ZZ&&=', shape: 'openai', opts: { data: H('GET', '/v1/models?a=%ZZ&&=&key=%&x#frag') }, expect: [200] },
    { kind: 'query:key-bad-escape', label: '?key=%ZZ', shape: 'openai', opts: { data: H('GET', '/v1/models?key=%ZZ%', []) }, expect: [401] },
    { kind: 'query:key-many', label: 'key twice', shape: 'gemini', opts: { data: H('POST', `/v1beta/models/gm-echo:generateContent?key=wrong&key=${KEY}`, [], JSON.stringify({ contents: [{ parts: [{ text: 'x' }] }] })) }, expect: [200, 401] },
    { kind: 'auth:empty-bearer', label: 'Authorization: Bearer', shape: 'openai', opts: { data: H('POST', '/v1/chat/completions', [['Authorization', 'Bearer ']], chat) }, expect: [401] },
    { kind: 'auth:basic-scheme', label: 'Authorization: Basic', shape: 'claude', opts: { data: H('POST', '/v1/messages', [['Authorization', `Basic ${Buffer.from(`x:${KEY}`).toString('base64')}`]], chat) }, expect: [401] },
    { kind: 'auth:two-keys-one-wrong', label: 'x-api-key wrong + bearer right', shape: 'openai', opts: { data: H('POST', '/v1/chat/completions', [['x-api-key', 'wrong'], auth], chat) } },
    { kind: 'auth:missing-key-every-route', label: 'no key on a Claude route', shape: 'claude', opts: { data: H('POST', '/v1/messages/count_tokens', [], chat) }, expect: [401] },
    { kind: 'auth:missing-key-gemini-bad-path', label: 'no key + bad escape', shape: 'gemini', opts: { data: H('POST', '/v1beta/models/%E0%A4%A:generateContent', [], '{}') }, expect: [401] },
    { kind: 'content-type:multipart', label: 'multipart body', shape: 'openai', opts: { data: H('POST', '/v1/chat/completions', [auth, ['Content-Type', 'multipart/form-data; boundary=zz']], `--zz\r\nContent-Disposition: form-data; name="model"\r\n\r\noa-echo\r\n--zz--\r\n`) }, expect: [400] },
    { kind: 'content-type:gzip-claimed', label: 'Content-Encoding: gzip, plain body', shape: 'openai', opts: { data: H('POST', '/v1/chat/completions', [auth, ['Content-Encoding', 'gzip']], chat) } },
    { kind: 'header:expect-100', label: 'Expect: 100-continue', shape: 'openai', opts: { data: H('POST', '/v1/chat/completions', [auth, ['Expect', '100-continue']], chat) }, expect: [200] },
    { kind: 'cl:non-numeric', label: 'Content-Length: abc', shape: 'openai', transport: true, opts: { data: H('POST', '/v1/chat/completions', [auth], chat, { length: 'abc' }) } },
    { kind: 'cl:negative', label: 'Content-Length: -1', shape: 'openai', transport: true, opts: { data: H('POST', '/v1/chat/completions', [auth], chat, { length: '-1' }) } },
    { kind: 'cl:huge', label: 'Content-Length: 10^20', shape: 'openai', transport: true, opts: { data: H('POST', '/v1/chat/completions', [auth], chat, { length: '100000000000000000000' }) } },
    { kind: 'cl:over-max-declared', label: 'Content-Length over max-body-size, body never sent', shape: 'openai', expect: [413], closeOk: false, opts: { data: H('POST', '/v1/chat/completions', [auth], undefined, { length: String(MAX_BODY + 1) }) } },
    { kind: 'cl:list-value', label: 'Content-Length: 2, 2', shape: 'openai', transport: true, opts: { data: H('POST', '/v1/chat/completions', [auth], '{}', { length: '2, 2' }) } },
    {
      kind: 'cl:conflicting-duplicates',
      label: 'two Content-Length headers (request smuggling)',
      shape: 'openai',
      transport: true,
      // Refused with the connection closed (lib/server/app.ts): uWS alone framed by the first one and ran the bytes after it as a second request.
      closeOk: true,
      opts: { replies: 2, timeoutMs: 3000, data: Buffer.from(`POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${KEY}\r\nContent-Length: 2\r\nContent-Length: 60\r\n\r\n{}GET /v1/models?smuggled=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, 'latin1') },
    },
    { kind: 'cl:smaller-than-body', label: 'Content-Length 10, body longer', shape: 'openai', transport: true, closeOk: true, opts: { replies: 2, data: H('POST', '/v1/chat/completions', [auth], chat, { length: '10' }) } },
    { kind: 'cl:larger-than-body-then-fin', label: 'Content-Length 5000, 100 bytes, FIN', shape: 'openai', closeOk: true, opts: { data: H('POST', '/v1/chat/completions', [auth], chat.slice(0, 40), { length: '5000' }), endAfterWrite: true, timeoutMs: 5000 } },
    { kind: 'te:chunked', label: 'chunked body', shape: 'openai', expect: [200], opts: { data: H('POST', '/v1/chat/completions', [auth, ['Transfer-Encoding', 'chunked']], `${chat.length.toString(16)}\r\n${chat}\r\n0\r\n\r\n`, { length: null }) } },
    { kind: 'te:chunked-malformed', label: 'chunk size ZZ', shape: 'openai', transport: true, opts: { data: H('POST', '/v1/chat/completions', [auth, ['Transfer-Encoding', 'chunked']], 'ZZ\r\n{}\r\n0\r\n\r\n', { length: null }) } },
    { kind: 'te:chunked-with-length', label: 'Transfer-Encoding and Content-Length', shape: 'openai', transport: true, opts: { data: H('POST', '/v1/chat/completions', [auth, ['Transfer-Encoding', 'chunked']], '2\r\n{}\r\n0\r\n\r\n', { length: '2' }) } },
    { kind: 'te:chunked-over-max', label: '4 MiB in chunks, no length', shape: 'openai', expect: [413], closeOk: true, opts: { data: H('POST', '/v1/chat/completions', [auth, ['Transfer-Encoding', 'chunked']], `400000\r\n${'a'.repeat(0x400000)}\r\n0\r\n\r\n`, { length: null }) } },
    { kind: 'te:unknown-coding', label: 'Transfer-Encoding: gzip', shape: 'openai', transport: true, closeOk: true, opts: { data: H('POST', '/v1/chat/completions', [auth, ['Transfer-Encoding', 'gzip']], chat, { length: null }), timeoutMs: 4000 } },
    {
      kind: 'http:pipelined',
      label: 'HEAD / + GET /v1/models + POST chat in one write',
      shape: 'any',
      opts: {
        replies: 3,
        head: [true],
        data: Buffer.concat([H('HEAD', '/', [], undefined, { close: false }), H('GET', '/v1/models', [auth], undefined, { close: false }), H('POST', '/v1/chat/completions', [auth], chat)]),
      },
    },
    { kind: 'upgrade:websocket-on-http-route', label: 'Upgrade on /v1/models', shape: 'openai', opts: { data: H('GET', '/v1/models', [auth, ['Upgrade', 'websocket'], ['Connection', 'Upgrade'], ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='], ['Sec-WebSocket-Version', '13']], undefined, { close: false }) }, expect: [200] },
    { kind: 'upgrade:responses-websocket', label: 'Codex Responses over WebSocket', shape: 'openai', opts: { data: H('GET', '/v1/responses', [auth, ['Upgrade', 'websocket'], ['Connection', 'Upgrade'], ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='], ['Sec-WebSocket-Version', '13']], undefined, { close: false }) }, expect: [101] },
  ];
  // Wrong methods on every route: the generic not-found (OpenAI shape), never a crash.
  for (const p of ['/v1/chat/completions', '/v1/completions', '/v1/responses', '/v1/messages', '/v1/messages/count_tokens', '/v1/models', '/v1beta/models', '/v1beta/models/gm-echo:generateContent', '/v1internal:generateContent', '/v1/ws', '/metrics', '/management.html', '/']) {
    for (const m of ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'POST']) {
      cases.push({ kind: 'method:wrong-for-route', label: `${m} ${p}`, shape: 'any', opts: { data: H(m, p, [auth, googKey(KEY)], m === 'GET' || m === 'OPTIONS' ? undefined : '{}') } });
    }
  }
  // Bad percent-escapes everywhere a path is read.
  for (const p of ['/v1beta/models/%ZZ', '/v1beta/models/%E0%A4%A:generateContent', '/v1beta/models/%:countTokens', '/v1beta/models/%%:streamGenerateContent', '/v1beta/models/a%00b:generateContent', '/v1/%ZZ', '/v0/management/%ZZ', '/v0/management/config%', '/%', '/v1internal:%ZZ', '/v1/ws%ZZ', '/metrics%00']) {
    cases.push({ kind: 'path:bad-percent-escape', label: `POST ${p}`, shape: p.startsWith('/v1beta') ? 'gemini' : 'any', notFoundShape: 'any', opts: { data: H(p.includes(':') ? 'POST' : 'GET', p, [auth, googKey(KEY), ['Content-Type', 'application/json']], p.includes(':') ? '{}' : undefined) } });
  }
  await pool(cases, CONCURRENCY, async (c) => {
    const out = await run(c);
    if (c.kind === 'cl:conflicting-duplicates' && out.replies.some((x) => x.status === 200)) problem(c, 'the bytes after the first Content-Length were served as a second request');
  });
  report(t, from, 'HTTP-level abuse');
});

// ───────────────────────────── 4. GET routes, management, Code Assist set-up ─────────────────────────────

t.test('model lists, root, metrics, panel, management API and Code Assist set-up calls', async (t) => {
  const from = problems.length;
  const r = phaseRng(4);
  const cases: Case[] = [];
  const get = (kind: string, path: string, headers: Headers, shape: Shape, expect?: number[]): Case => ({ kind, label: `GET ${path}`, shape, expect, opts: { data: httpBytes('GET', path, headers) } });
  cases.push(
    get('models:list', '/v1/models', [bearer(KEY)], 'openai', [200]),
    get('models:list-claude-client', '/v1/models', [xApiKey('wrong'), ['anthropic-version', '2023-06-01']], 'claude', [401]),
    get('models:list-no-key', '/v1/models', [], 'openai', [401]),
    get('models:gemini-list', `/v1beta/models?key=${KEY}&pageSize=-1&pageToken=%ZZ`, [], 'gemini', [200]),
    get('models:gemini-one', `/v1beta/models/gm-echo?key=${KEY}`, [], 'gemini', [200]),
    get('models:gemini-unknown', `/v1beta/models/${pct('\u0000\ud800x')}?key=${KEY}`, [], 'gemini', [404]),
    get('models:gemini-bad-escape', `/v1beta/models/%E0%A4%A?key=${KEY}`, [], 'gemini', [400]),
    get('models:gemini-no-key', '/v1beta/models/gm-echo', [], 'gemini', [401]),
    get('root:hello', '/?x=%ZZ', [], 'any', [200]),
    { kind: 'root:head', label: 'HEAD /', shape: 'any', expect: [200], opts: { data: httpBytes('HEAD', '/', []), head: [true] } },
    get('relay:plain-get', '/v1/ws', [bearer(KEY)], 'openai', [426]),
    get('metrics:local', '/metrics?name[]=%ZZ', [], 'mgmt', [200]),
    get('panel:get', '/management.html?x=%ZZ', [], 'mgmt'),
  );
  // The management API: keyless and wrong keys are refused before any body is read; with the key, junk bodies get 4xx.
  // Not the login starters (/…-auth-url): they bind callback ports and call the providers' real endpoints.
  const endpoints = managementEndpoints()
    .map((e) => e.split(' ') as [string, string])
    .filter(([, p]) => !p.endsWith('-auth-url'));
  const JUNK_BODIES = ['', '{', 'null', '123', '"s"', '[1,null,{}]', '{"value":[1],"items":{}}', '\xff\xfe{', `{"a":${'['.repeat(300)}${']'.repeat(300)}}`, '{"index":"0","value":[5]}', '{"old":5,"new":null}'];
  for (const [method, sub] of endpoints) {
    const path = `/v0/management${sub}`;
    cases.push({ kind: 'mgmt:no-key', label: `${method} ${path}`, shape: 'mgmt', expect: [401], opts: { data: httpBytes(method, path, [], method === 'GET' ? undefined : '{"value":true}') } });
    if (method === 'GET') {
      cases.push({ kind: 'mgmt:get-with-key', label: `GET ${path}`, shape: 'mgmt', opts: { data: httpBytes('GET', `${path}?name=${r.pick(['%ZZ', '..%2F..%2Fetc%2Fpasswd', 'x'.repeat(300), ''])}&limit=-1&after=abc`, [bearer(MGMT_KEY)]) } });
    } else if (method !== 'DELETE') {
      // Only bodies no handler accepts: the fuzz must not edit the gateway's own config (api-keys, providers).
      const body = r.pick(JUNK_BODIES);
      cases.push({ kind: 'mgmt:junk-body', label: `${method} ${path} ${JSON.stringify(body.slice(0, 30))}`, shape: 'mgmt', opts: { data: httpBytes(method, path, [bearer(MGMT_KEY), ['Content-Type', r.pick(['application/json', 'application/yaml', 'multipart/form-data; boundary=x'])]], Buffer.from(body, 'latin1')) } });
    }
  }
  cases.push(
    { kind: 'mgmt:wrong-key', label: 'GET /v0/management/config with a wrong key', shape: 'mgmt', expect: [401], opts: { data: httpBytes('GET', '/v0/management/config', [bearer('wrong-management-key')]) } },
    { kind: 'mgmt:huge-key', label: 'management key of 30 KB', shape: 'mgmt', transport: true, expect: [401, 431], opts: { data: httpBytes('GET', '/v0/management/config', [['X-Management-Key', 'k'.repeat(30_000)]]) } },
    { kind: 'mgmt:unknown-endpoint', label: 'GET /v0/management/nope', shape: 'mgmt', expect: [404], opts: { data: httpBytes('GET', '/v0/management/nope/%ZZ', [bearer(MGMT_KEY)]) } },
    { kind: 'mgmt:dot-segments', label: 'GET /v0/management/../config', shape: 'mgmt', expect: [404], opts: { data: httpBytes('GET', '/v0/management/../../config', [bearer(MGMT_KEY)]) } },
    { kind: 'mgmt:config-yaml-junk', label: 'PUT /v0/management/config.yaml with broken YAML', shape: 'mgmt', opts: { data: httpBytes('PUT', '/v0/management/config.yaml', [bearer(MGMT_KEY)], 'a: [\n\tb: {') } },
    { kind: 'mgmt:oversize-body', label: 'PUT /v0/management/api-keys, 12 MB', shape: 'mgmt', closeOk: true, opts: { data: httpBytes('PUT', '/v0/management/api-keys', [bearer(MGMT_KEY)], Buffer.alloc(12 * 1024 * 1024, 'a')) }, expect: [413] },
  );
  // Code Assist set-up methods answer locally: still key-checked, any body drained.
  for (const m of ['loadCodeAssist', 'onboardUser', 'listExperiments', 'retrieveUserQuota', 'recordCodeAssistMetrics', 'fetchAdminControls', 'setCodeAssistGlobalUserSetting']) {
    cases.push({ kind: 'cli:setup-junk-body', label: `POST /v1internal:${m}`, shape: 'gemini', expect: [200], opts: { data: httpBytes('POST', `/v1internal:${m}`, [bearer(KEY)], Buffer.from(r.pick(JUNK_BODIES), 'latin1')) } });
    cases.push({ kind: 'cli:setup-no-key', label: `POST /v1internal:${m} without key`, shape: 'gemini', expect: [401], opts: { data: httpBytes('POST', `/v1internal:${m}`, [], '{}') } });
  }
  cases.push({ kind: 'cli:unknown-method', label: 'POST /v1internal:deleteEverything', shape: 'any', expect: [404], opts: { data: httpBytes('POST', '/v1internal:deleteEverything', [bearer(KEY)], '{}') } });
  const config = async () => (await rawHttp({ data: httpBytes('GET', '/v0/management/config', [bearer(MGMT_KEY)]) })).replies[0]?.body.toString();
  const before = await config();
  await pool(cases, CONCURRENCY, run);
  t.equal(await config(), before, 'no junk body changed the configuration');
  report(t, from, 'GET routes and management');
});

// ───────────────────────────── 5. slow and aborted clients ─────────────────────────────

t.test('slow bodies, bodies cut off, clients that leave mid-answer', async (t) => {
  const from = problems.length;
  const r = phaseRng(5);
  const cases: Array<Promise<unknown>> = [];
  // Slow bodies: a valid request in small pieces with pauses (bounded: about 1.5 s each), one per format.
  const hi = [{ role: 'user', content: 'slow hi' }];
  const slow: Array<[string, string, Headers, unknown, Shape]> = [
    ['chat', '/v1/chat/completions', [bearer(KEY)], { model: 'oa-echo', messages: hi }, 'openai'],
    ['messages', '/v1/messages', [xApiKey(KEY), ['anthropic-version', '2023-06-01']], { model: 'cl-echo', max_tokens: 32, messages: hi }, 'claude'],
    ['gemini', '/v1beta/models/gm-echo:generateContent', [googKey(KEY)], { contents: [{ role: 'user', parts: [{ text: 'slow hi' }] }] }, 'gemini'],
    ['cli', '/v1internal:generateContent', [bearer(KEY)], { model: 'gm-echo', request: { contents: [{ role: 'user', parts: [{ text: 'slow hi' }] }] } }, 'gemini'],
    ['responses', '/v1/responses', [bearer(KEY)], { model: 'cx-echo', input: 'slow hi', stream: true }, 'openai'],
  ];
  for (const [name, path, headers, body, shape] of slow) {
    const all = httpBytes('POST', path, headers, JSON.stringify(body));
    const pieces: Buffer[] = [];
    for (let i = 0; i < all.length; ) {
      const n = Math.max(1, Math.ceil(all.length / 40) + r.int(-3, 3));
      pieces.push(all.subarray(i, i + n));
      i += n;
    }
    cases.push(run({ kind: 'slow:body-in-pieces', label: `${name} in ${pieces.length} pieces`, shape, expect: [200], opts: { data: pieces, pauseMs: 35, timeoutMs: ANSWER_MS + 3000 } }));
  }
  // Slow headers.
  const head = httpBytes('GET', '/v1/models', [bearer(KEY)]);
  cases.push(run({ kind: 'slow:headers', label: 'headers byte by byte', shape: 'openai', expect: [200], opts: { data: Array.from({ length: 30 }, (_, i) => head.subarray(Math.floor((i * head.length) / 30), Math.floor(((i + 1) * head.length) / 30))), pauseMs: 30 } }));
  // Bodies that stop midway: the client leaves; nothing of them may go upstream.
  const mocks = [openai, claude, gemini, codex];
  const before = mocks.map((m) => m.requests.length);
  const marker = 'midway-'.repeat(200);
  for (const path of ['/v1/chat/completions', '/v1/messages', '/v1beta/models/gm-echo:generateContent', '/v1/responses', '/v1internal:generateContent', '/v1internal:loadCodeAssist', '/v0/management/api-keys']) {
    const body = JSON.stringify({ model: 'oa-echo', messages: [{ role: 'user', content: marker }] });
    for (const declared of [body.length + 10_000, MAX_BODY]) {
      const data = httpBytes(path.includes('management') ? 'PUT' : 'POST', path, [bearer(KEY), googKey(KEY), bearer(MGMT_KEY)], body.slice(0, 1000), { length: String(declared) });
      cases.push(rawHttp({ data, destroyAfterWrite: true }).then(() => kindsSeen.add('abort:body-midway')));
    }
  }
  // A client that leaves while its stream is running: the upstream request must be cancelled.
  const hangBefore = openai.requests.length;
  cases.push(
    rawHttp({
      data: httpBytes('POST', '/v1/chat/completions', [bearer(KEY)], JSON.stringify({ model: 'oa-hang', stream: true, messages: [{ role: 'user', content: 'hang' }] })),
      onBody: (sock) => sock.destroy(),
      timeoutMs: 5000,
    }).then(() => kindsSeen.add('abort:mid-stream')),
  );
  // Upstreams that break off mid-stream: every client stream still ends, with an error event in its own shape.
  const streams: Array<[string, string, Headers, (m: string) => unknown, Shape]> = [
    ['chat', '/v1/chat/completions', [bearer(KEY)], (m) => ({ model: m, stream: true, messages: hi }), 'openai'],
    ['completions', '/v1/completions', [bearer(KEY)], (m) => ({ model: m, stream: true, prompt: 'x' }), 'openai'],
    ['responses', '/v1/responses', [bearer(KEY)], (m) => ({ model: m, stream: true, input: 'x' }), 'openai'],
    ['messages', '/v1/messages', [xApiKey(KEY)], (m) => ({ model: m, stream: true, max_tokens: 9, messages: hi }), 'claude'],
    ['gemini sse', '/v1beta/models/MODEL:streamGenerateContent?alt=sse', [googKey(KEY)], () => ({ contents: [{ role: 'user', parts: [{ text: 'x' }] }] }), 'gemini'],
    ['gemini array', '/v1beta/models/MODEL:streamGenerateContent', [googKey(KEY)], () => ({ contents: [{ role: 'user', parts: [{ text: 'x' }] }] }), 'gemini'],
    ['cli', '/v1internal:streamGenerateContent?alt=sse', [bearer(KEY)], (m) => ({ model: m, request: { contents: [{ role: 'user', parts: [{ text: 'x' }] }] } }), 'gemini'],
  ];
  for (const model of ['oa-break', 'cl-break', 'cl-streamerr']) {
    for (const [name, path, headers, body, shape] of streams) {
      cases.push(run({ kind: 'upstream:breaks-mid-stream', label: `${name} ← ${model}`, shape, opts: { data: httpBytes('POST', path.replace('MODEL', model), headers, JSON.stringify(body(model))) } }));
    }
  }
  await Promise.all(cases);
  const leaked = mocks.flatMap((m, i) => m.requests.slice(before[i])).filter((q) => JSON.stringify(q.body ?? '').includes('midway-midway'));
  t.same(leaked.length, 0, 'no half-received body went upstream');
  const rec = openai.requests.slice(hangBefore).find((x) => x.body?.model === 'hang-stream');
  t.ok(rec, 'the hanging stream reached the upstream');
  if (rec) {
    const closed = await Promise.race([rec.closed.then(() => true), sleep(3000).then(() => false)]);
    t.ok(closed, 'the upstream request was cancelled when the client left');
  }
  report(t, from, 'slow and aborted clients');
});

// ───────────────────────────── 6. the Responses WebSocket ─────────────────────────────

/** A Responses WebSocket client that records every frame it gets. */
async function responsesSocket(): Promise<{ ws: WebSocket; frames: string[]; closed: Promise<number> }> {
  const ws = new WebSocket(`ws://127.0.0.1:${PORT}/v1/responses`, { headers: { authorization: `Bearer ${KEY}` } });
  const frames: string[] = [];
  ws.on('message', (d) => frames.push(d.toString()));
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, frames, closed };
}

const TERMINAL = new Set(['error', 'response.completed', 'response.failed', 'response.incomplete']);

t.test('Responses WebSocket: junk frames, bad requests, floods', async (t) => {
  const from = problems.length;
  const r = phaseRng(7);
  const sock = await responsesSocket();
  /** Sends a frame; the turn it starts must end with a terminal frame within the bound, every frame JSON. */
  const turn = async (kind: string, frame: string | Buffer, o: { binary?: boolean; expectError?: boolean; ignored?: boolean } = {}) => {
    kindsSeen.add(kind);
    const c = { kind, label: `ws frame ${JSON.stringify(frame.toString().slice(0, 80))}` };
    const start = sock.frames.length;
    sock.ws.send(frame, { binary: o.binary ?? false });
    if (o.ignored) return;
    let last: any;
    try {
      await until('a terminal frame', () => {
        for (const f of sock.frames.slice(start)) {
          try {
            const v = JSON.parse(f);
            if (TERMINAL.has(v?.type)) last = v;
          } catch {
            /* checked below */
          }
        }
        return last !== undefined;
      }, 1000);
    } catch {
      return problem(c, `no terminal frame within 10 s (${sock.frames.length - start} frames)`);
    }
    for (const f of sock.frames.slice(start)) {
      try {
        JSON.parse(f);
      } catch {
        problem(c, `a frame is not JSON: ${JSON.stringify(f.slice(0, 200))}`);
      }
    }
    if (last.type === 'error') {
      if (typeof last.status !== 'number' || typeof last.error?.message !== 'string') problem(c, `error frame without status/message: ${JSON.stringify(last).slice(0, 300)}`);
      else if (last.status >= 500) problem(c, `5xx error frame for client input: ${JSON.stringify(last).slice(0, 300)}`);
    } else if (o.expectError) problem(c, `expected an error frame, got ${last.type}`);
  };
  const create = (body: Record<string, unknown>) => JSON.stringify({ type: 'response.create', ...body });
  await turn('responses-ws:not-json', 'not json', { expectError: true });
  await turn('responses-ws:empty-frame', '', { expectError: true });
  await turn('responses-ws:non-object', '[1,2]', { expectError: true });
  await turn('responses-ws:non-object', 'null', { expectError: true });
  await turn('responses-ws:missing-type', '{"model":"oa-echo"}', { expectError: true });
  await turn('responses-ws:type-not-string', '{"type":{"a":1}}', { expectError: true });
  await turn('responses-ws:unknown-type', '{"type":"response.cancel"}', { expectError: true });
  await turn('responses-ws:ignored-ack', '{"type":"response.processed","x":[1]}', { ignored: true });
  await turn('responses-ws:missing-model', create({ input: 'hi' }), { expectError: true });
  await turn('responses-ws:model-wrong-type', create({ model: ['oa-echo'], input: 'hi' }), { expectError: true });
  await turn('responses-ws:model-too-long', create({ model: 'x'.repeat(300), input: 'hi' }), { expectError: true });
  await turn('responses-ws:unknown-model', create({ model: 'no-such-model', input: 'hi' }), { expectError: true });
  await turn('responses-ws:input-wrong-type', create({ model: 'oa-echo', input: 5 }));
  await turn('responses-ws:input-junk-items', create({ model: 'cl-echo', input: [null, 5, {}, [], { type: 'message', role: 7, content: {} }] }));
  await turn('responses-ws:unknown-previous-id', create({ model: 'oa-echo', previous_response_id: 'resp_nope', input: 'hi' }), { expectError: true });
  await turn('responses-ws:previous-id-object', create({ model: 'oa-echo', previous_response_id: { a: 1 }, input: 'hi' }), { expectError: true });
  await turn('responses-ws:deep-input-over-limit', create({ model: 'oa-echo', input: nested(300, true) }), { expectError: true });
  await turn('responses-ws:deep-input-huge', `{"type":"response.create","model":"oa-echo","input":${'['.repeat(100_000)}${']'.repeat(100_000)}}`, { expectError: true });
  await turn('responses-ws:prewarm-junk-tools', create({ model: 'oa-echo', generate: false, tools: [5, null, { type: 'function' }], input: 'hi' }));
  await turn('responses-ws:binary-frame', Buffer.from(create({ model: 'oa-echo', input: 'binary' })), { binary: true });
  await turn('responses-ws:bad-utf8-in-binary', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: true, expectError: true });
  await turn('responses-ws:lone-surrogates', '{"type":"response.create","model":"oa-echo","input":"\\ud800 \\u0000"}');
  // Mutated Responses requests as frames.
  for (let i = 0; i < 25; i++) {
    const body = structuredClone(r.pick(BASES.responses));
    body['model'] = r.pick(ALIASES);
    const fams = Object.entries(FAMILIES).filter(([, per]) => per.responses);
    const [family, per] = r.pick(fams);
    applyOp(r, body, r.pick(per.responses!), 'replace');
    await turn(`responses-ws:field:${family}`, create(body));
  }
  // A flood: more than the 16 waiting requests a socket may queue; every one is answered.
  const before = sock.frames.length;
  for (let i = 0; i < 40; i++) sock.ws.send(create({ model: 'oa-echo', input: `flood ${i}` }));
  kindsSeen.add('responses-ws:flood');
  try {
    await until('40 flood answers', () => sock.frames.slice(before).filter((f) => TERMINAL.has((JSON.parse(f) as { type?: string }).type ?? '')).length >= 40, 1000);
  } catch {
    problem({ kind: 'responses-ws:flood', label: '40 frames at once' }, 'not every frame got a terminal answer');
  }
  // The socket still serves an honest turn.
  const start = sock.frames.length;
  sock.ws.send(create({ model: 'oa-echo', input: 'still ws' }));
  await until('completed', () => sock.frames.slice(start).some((f) => f.includes('response.completed')), 1000).catch(() => undefined);
  t.ok(sock.frames.slice(start).some((f) => f.includes('echo: still ws')), 'an honest turn works after the junk');
  // Frames that must close a socket: invalid UTF-8 text, over max-body-size.
  for (const [kind, act] of [
    ['responses-ws:invalid-utf8-text', (ws: WebSocket) => ws.send(Buffer.from([0x7b, 0xff, 0x7d]), { binary: false })],
    ['responses-ws:oversized-frame', (ws: WebSocket) => ws.send(Buffer.alloc(MAX_BODY + 1024, 0x20), { binary: false })],
  ] as Array<[string, (ws: WebSocket) => void]>) {
    kindsSeen.add(kind);
    const s2 = await responsesSocket();
    act(s2.ws);
    const code = await within(5000, s2.closed);
    if (code === 'timeout') {
      problem({ kind, label: 'responses socket' }, 'not closed within 5 s');
      s2.ws.terminate();
    }
  }
  sock.ws.close();
  await within(5000, sock.closed);
  report(t, from, 'Responses WebSocket');
});

// ───────────────────────────── 6. the relay ─────────────────────────────

t.test('relay: upgrade abuse', async (t) => {
  const from = problems.length;
  const ws = (extra: Headers, query = '', keyHeaders: Headers = []): Buffer =>
    httpBytes('GET', `/v1/ws${query}`, [['Upgrade', 'websocket'], ['Connection', 'Upgrade'], ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='], ['Sec-WebSocket-Version', '13'], ...keyHeaders, ...extra], undefined, { close: false });
  const cases: Case[] = [
    { kind: 'relay-upgrade:no-key', label: 'upgrade without a key', shape: 'openai', expect: [401], opts: { data: ws([]) } },
    { kind: 'relay-upgrade:wrong-key', label: 'upgrade with a wrong key', shape: 'openai', expect: [401], opts: { data: ws([], '?key=wrong&auth_token=%ZZ') } },
    { kind: 'relay-upgrade:bad-escape-key', label: 'upgrade ?key=%', shape: 'openai', expect: [401], opts: { data: ws([], '?key=%') } },
    { kind: 'relay-upgrade:origin', label: 'upgrade from a browser page', shape: 'openai', expect: [403], opts: { data: ws([['Origin', 'https://evil.example']], `?key=${KEY}`) } },
    { kind: 'relay-upgrade:missing-ws-key', label: 'upgrade without Sec-WebSocket-Key', shape: 'openai', opts: { data: httpBytes('GET', `/v1/ws?key=${KEY}`, [['Upgrade', 'websocket'], ['Connection', 'Upgrade'], ['Sec-WebSocket-Version', '13']]) } },
    { kind: 'relay-upgrade:bad-version', label: 'Sec-WebSocket-Version: 99', shape: 'openai', opts: { data: httpBytes('GET', `/v1/ws?key=${KEY}`, [['Upgrade', 'websocket'], ['Connection', 'Upgrade'], ['Sec-WebSocket-Key', 'x'], ['Sec-WebSocket-Version', '99']]) } },
    { kind: 'relay-upgrade:junk-protocol-and-extensions', label: 'odd subprotocols and extensions', shape: 'openai', expect: [101], opts: { data: ws([['Sec-WebSocket-Protocol', ' , ,\u0001x'.replace('\u0001', '')], ['Sec-WebSocket-Extensions', 'permessage-deflate; client_max_window_bits=99; x']], `?key=${KEY}`) } },
    { kind: 'relay-upgrade:post', label: 'POST /v1/ws with an upgrade', shape: 'any', opts: { data: httpBytes('POST', `/v1/ws?key=${KEY}`, [['Upgrade', 'websocket'], ['Connection', 'Upgrade'], ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='], ['Sec-WebSocket-Version', '13']], '{}') } },
  ];
  await pool(cases, 4, run);
  await until('no relay credential left', async () => (await modelIds()).every((m) => !m.startsWith('gemini-')), 300);
  report(t, from, 'relay upgrades');
});

async function modelIds(): Promise<string[]> {
  const out = await rawHttp({ data: httpBytes('GET', '/v1/models', [bearer(KEY)]) });
  const r = out.replies[0];
  return r?.status === 200 ? (JSON.parse(r.body.toString()) as { data: Array<{ id: string }> }).data.map((m) => m.id) : [];
}

/** Sends a ping and waits for its pong: the socket is alive and the session reads frames. */
async function alive(app: SimulatedApp, id: string): Promise<boolean> {
  if (app.ws.readyState !== app.ws.OPEN) return false;
  app.send({ id, type: 'ping' });
  try {
    await until(`pong ${id}`, () => app.others.some((f) => f.type === 'pong' && f.id === id), 300);
    return true;
  } catch {
    return false;
  }
}

function within<T>(ms: number, p: Promise<T>): Promise<T | 'timeout'> {
  return Promise.race([p, sleep(ms).then(() => 'timeout' as const)]);
}

t.test('relay: malformed, binary, oversized and unknown frames', async (t) => {
  const from = problems.length;
  const app = await SimulatedApp.connect(`http://127.0.0.1:${PORT}`, { query: `key=${KEY}`, handler: () => {} });
  const longType = 't'.repeat(10_000);
  const frames: Array<[string, string | Buffer, boolean?]> = [
    ['relay-frame:not-json', 'not json at all'],
    ['relay-frame:truncated-json', '{"id":"a","type":"ping"'],
    ['relay-frame:empty-text', ''],
    ['relay-frame:non-object-json', '[1,2,3]'],
    ['relay-frame:non-object-json', '"just a string"'],
    ['relay-frame:non-object-json', 'null'],
    ['relay-frame:non-object-json', '12345'],
    ['relay-frame:missing-type', '{"id":"x","payload":{}}'],
    ['relay-frame:type-not-string', '{"id":"x","type":5}'],
    ['relay-frame:type-not-string', '{"id":"x","type":{"a":1}}'],
    ['relay-frame:unknown-type', '{"id":"x","type":"hello"}'],
    ['relay-frame:unknown-type', JSON.stringify({ id: 'x', type: longType })],
    ['relay-frame:id-not-string', '{"id":{"a":1},"type":"http_response","payload":{}}'],
    ['relay-frame:id-not-string', '{"id":[1],"type":"stream_chunk","payload":{"data":"x"}}'],
    ['relay-frame:id-not-string', '{"id":1e999,"type":"stream_end"}'],
    ['relay-frame:missing-id', '{"type":"http_response","payload":{"status":200,"body":"x"}}'],
    ['relay-frame:unknown-id', '{"id":"nope","type":"http_response","payload":{"status":200,"body":"{}"}}'],
    ['relay-frame:unknown-id', '{"id":"nope","type":"stream_start","payload":{"status":200}}'],
    ['relay-frame:unknown-id', '{"id":"nope","type":"stream_chunk","payload":{"data":"data: {}\\n\\n"}}'],
    ['relay-frame:unknown-id', '{"id":"nope","type":"stream_end"}'],
    ['relay-frame:unknown-id', '{"id":"nope","type":"error","payload":{"error":"x","status":500}}'],
    ['relay-frame:unknown-id', '{"id":"__proto__","type":"stream_end"}'],
    ['relay-frame:unknown-id', '{"id":"constructor","type":"http_response","payload":{}}'],
    ['relay-frame:payload-not-object', '{"id":"x","type":"stream_chunk","payload":"str"}'],
    ['relay-frame:payload-not-object', '{"id":"x","type":"http_response","payload":[1,2]}'],
    ['relay-frame:http-request-from-app', JSON.stringify({ id: 'x', type: 'http_request', payload: { method: 'GET', url: 'http://169.254.169.254/', headers: {}, body: '' } })],
    ['relay-frame:huge-id-ping', JSON.stringify({ id: 'i'.repeat(200_000), type: 'ping' })],
    ['relay-frame:pong', '{"id":"p","type":"pong","payload":{"x":1}}'],
    ['relay-frame:deep-json', `{"id":"d","type":"ping","payload":${'['.repeat(100_000)}${']'.repeat(100_000)}}`],
    ['relay-frame:lone-surrogates', '{"id":"\\ud800","type":"ping","payload":{"x":"\\udc00"}}'],
    ['relay-frame:duplicate-keys', '{"id":"a","id":"b","type":"ping","type":"pong"}'],
    ['relay-frame:bad-escape', '{"id":"a\\x41","type":"ping"}'],
    ['relay-frame:nul-bytes', '{"id":"a\u0000","type":"ping"}'],
    ['relay-frame:binary-json', Buffer.from('{"id":"b","type":"ping"}'), true],
    ['relay-frame:binary-garbage', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) & 0xff)), true],
    ['relay-frame:binary-empty', Buffer.alloc(0), true],
  ];
  let i = 0;
  for (const [kind, frame, binary] of frames) {
    kindsSeen.add(kind);
    app.ws.send(frame, { binary: binary ?? false });
    if (++i % 6 === 0 && !(await alive(app, `live-${i}`))) problem({ kind, label: 'relay socket' }, 'the relay session stopped answering pings after this frame');
  }
  // A flood of junk: logged at a bounded rate, the socket stays usable.
  for (let j = 0; j < 2000; j++) app.ws.send(`junk ${j}`);
  kindsSeen.add('relay-frame:flood');
  // Fragmented (continuation) frames and control frames with payloads.
  const ping = JSON.stringify({ id: 'frag', type: 'ping' });
  app.ws.send(ping.slice(0, 5), { fin: false });
  app.ws.send(ping.slice(5, 12), { fin: false });
  app.ws.send(ping.slice(12), { fin: true });
  app.ws.ping(Buffer.alloc(125, 1));
  app.ws.pong(Buffer.alloc(10, 2));
  kindsSeen.add('relay-frame:fragmented');
  kindsSeen.add('relay-frame:control-frames');
  await until('fragmented ping answered', () => app.others.some((f) => f.type === 'pong' && f.id === 'frag'), 300).catch(() => problem({ kind: 'relay-frame:fragmented', label: 'relay socket' }, 'no pong for a fragmented ping'));
  t.ok(await alive(app, 'after-all'), 'the relay socket still works after every kind of bad frame');

  // Frames that must close the socket: one app each.
  const closers: Array<[string, (a: SimulatedApp) => void, number[]]> = [
    ['relay-frame:oversized', (a) => a.ws.send(JSON.stringify({ id: 'big', type: 'ping', payload: { pad: 'x'.repeat(RELAY_MAX_FRAME + 10) } })), [1009, 1006]],
    ['relay-frame:oversized-binary', (a) => a.ws.send(Buffer.alloc(RELAY_MAX_FRAME + 10, 0x41), { binary: true }), [1009, 1006]],
    ['relay-frame:invalid-utf8-text', (a) => a.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false }), [1007, 1006, 1002]],
    ['relay-frame:close-with-bad-code', (a) => a.ws.close(4999, 'x'.repeat(100)), [4999, 1006, 1002, 1005]],
  ];
  for (const [kind, act, codes] of closers) {
    kindsSeen.add(kind);
    const a = await SimulatedApp.connect(`http://127.0.0.1:${PORT}`, { query: `key=${KEY}`, handler: () => {} });
    act(a);
    const closed = await within(5000, a.closed);
    if (closed === 'timeout') {
      problem({ kind, label: 'relay socket' }, 'not closed within 5 s');
      a.ws.terminate();
    } else if (!codes.includes(closed.code)) problem({ kind, label: 'relay socket' }, `closed with ${closed.code}, expected ${codes.join('/')}`);
  }
  t.ok(await alive(app, 'still'), 'the first app is unaffected by the others being closed');
  await app.close();
  report(t, from, 'relay frames');
});

type Scenario = (req: HttpRequestFrame, app: SimulatedApp) => void;
const SCENARIOS: Record<string, Scenario> = {
  'status-string': (q, a) => a.send({ id: q.id, type: 'http_response', payload: { status: '200', headers: {}, body: '{}' } }),
  'status-999': (q, a) => a.send({ id: q.id, type: 'http_response', payload: { status: 999, body: '{}' } }),
  'status-negative': (q, a) => a.send({ id: q.id, type: 'http_response', payload: { status: -1, body: '' } }),
  'status-float': (q, a) => a.send({ id: q.id, type: 'http_response', payload: { status: 200.5, body: '{}' } }),
  'headers-junk': (q, a) => a.send({ id: q.id, type: 'http_response', payload: { status: 200, headers: { 'content-type': [1, {}], 'content-length': ['99999'], 'transfer-encoding': 'chunked', 'x-a': 5 }, body: '{"candidates":[]}' } }),
  'headers-not-object': (q, a) => a.send({ id: q.id, type: 'http_response', payload: { status: 200, headers: 'x', body: '{}' } }),
  'body-number': (q, a) => a.send({ id: q.id, type: 'http_response', payload: { status: 200, body: 5 } }),
  'body-not-json': (q, a) => a.respond(q.id, 200, 'this is not json <html>'),
  'body-wrong-shape': (q, a) => a.respond(q.id, 200, '{"candidates":5,"usageMetadata":"x"}'),
  'body-candidates-junk': (q, a) => a.respond(q.id, 200, '{"candidates":[{"content":{"parts":[{"text":5},{"functionCall":{"name":null,"args":"x"}},null]},"finishReason":7}]}'),
  'body-lone-surrogate': (q, a) => a.respond(q.id, 200, '{"candidates":[{"content":{"role":"model","parts":[{"text":"\\ud800 \\u0000"}]}}]}'),
  'error-status-string': (q, a) => a.send({ id: q.id, type: 'error', payload: { error: 'boom', status: 'abc' } }),
  'error-status-200': (q, a) => a.send({ id: q.id, type: 'error', payload: { error: 'boom', status: 200 } }),
  'error-no-payload': (q, a) => a.send({ id: q.id, type: 'error' }),
  'error-message-object': (q, a) => a.send({ id: q.id, type: 'error', payload: { error: { nested: true }, message: 5, status: 429 } }),
  'chunk-before-start': (q, a) => {
    a.chunk(q.id, 'data: {"candidates":[{"content":{"parts":[{"text":"x"}]}}]}\n\n');
    a.end(q.id);
  },
  'end-only': (q, a) => a.end(q.id),
  'start-twice': (q, a) => {
    a.start(q.id, 200);
    a.start(q.id, 500);
    a.chunk(q.id, 'data: {}\n\n');
    a.end(q.id);
  },
  'start-bad-status': (q, a) => {
    a.send({ id: q.id, type: 'stream_start', payload: { status: 'x', headers: [] } });
    a.end(q.id);
  },
  'chunk-garbage-sse': (q, a) => {
    a.start(q.id);
    a.chunk(q.id, 'data: {not json\n\nevent: x\n\ndata: [1,2]\n\n: comment\n\n\n\ndata: ');
    a.end(q.id);
  },
  'chunk-data-not-string': (q, a) => {
    a.start(q.id);
    a.send({ id: q.id, type: 'stream_chunk', payload: { data: { a: 1 } } });
    a.send({ id: q.id, type: 'stream_chunk', payload: { data: 5 } });
    a.end(q.id);
  },
  'double-response': (q, a) => {
    a.respond(q.id, 200, '{"candidates":[{"content":{"role":"model","parts":[{"text":"one"}]}}]}');
    a.respond(q.id, 500, '{"error":{}}');
  },
  'response-then-stream': (q, a) => {
    a.respond(q.id, 200, '{"candidates":[]}');
    a.start(q.id);
    a.chunk(q.id, 'data: {}\n\n');
    a.end(q.id);
  },
  'upstream-500': (q, a) => a.respond(q.id, 500, '{"error":{"code":500,"message":"internal","status":"INTERNAL"}}'),
  'upstream-429-junk-body': (q, a) => a.respond(q.id, 429, '<html>slow down</html>'),
  'upstream-400-empty': (q, a) => a.respond(q.id, 400, ''),
  silent: () => {},
};

/** Deeply nested answers: every parse and re-encode of an app's answer must survive them. Sent from every client format, streamed and not. */
const DEEP = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
const DEEP_SCENARIOS: Record<string, Scenario> = {
  'deep-response': (q, a) => a.respond(q.id, 200, `{"candidates":${DEEP}}`),
  'deep-array-response': (q, a) => a.respond(q.id, 200, `[{"candidates":[]},${DEEP}]`),
  'deep-chunk': (q, a) => {
    a.start(q.id);
    a.chunk(q.id, `data: {"candidates":${DEEP}}\n\n`);
    a.end(q.id);
  },
  'deep-error': (q, a) => a.respond(q.id, 400, `{"error":{"code":400,"message":"x","details":${DEEP}}}`),
};
Object.assign(SCENARIOS, DEEP_SCENARIOS);

/**
 * KNOWN, reported (lib/relay/protocol.ts, owned by the relay helper): asSse() re-encodes a whole
 * answer for an SSE request with JSON.stringify outside its try, so a deeply nested answer throws
 * RangeError inside the uWS message callback and the gateway process exits. Probed here directly;
 * the live scenario (which would kill this test process) runs once the probe passes.
 */
const asSseCrashes = (() => {
  try {
    asSse(Buffer.from(`{"candidates":${DEEP}}`));
    return false;
  } catch {
    return true;
  }
})();

/** Scenarios that answer 429: they cool the credential down, so they run last, on their own app. */
const COOLING = new Set(['error-message-object', 'upstream-429-junk-body']);

function relayHandler(q: HttpRequestFrame, a: SimulatedApp): void {
  const name = /scenario=([a-z0-9-]+)/.exec(q.body)?.[1];
  const s = name ? SCENARIOS[name] : undefined;
  if (s) s(q, a);
  else a.respond(q.id, 200, '{"candidates":[{"content":{"role":"model","parts":[{"text":"ok"}]},"finishReason":"STOP"}]}');
}

/** A request for the relay model from a random client format, carrying `prompt`. */
function relayCase(r: Rng, prompt: string, kind: string, expect?: number[], force?: { pick: number; stream: boolean }): Case {
  const stream = force?.stream ?? r.chance(0.5);
  const pick = force?.pick ?? r.int(0, 3);
  let route: JsonRoute;
  let body: Record<string, unknown>;
  if (pick === 0) [route, body] = [routeOf('chat'), { model: RELAY_MODEL, stream, messages: [{ role: 'user', content: prompt }] }];
  else if (pick === 1) [route, body] = [routeOf('messages'), { model: RELAY_MODEL, stream, max_tokens: 64, messages: [{ role: 'user', content: prompt }] }];
  else if (pick === 2) [route, body] = [routeOf('responses'), { model: RELAY_MODEL, stream, input: prompt }];
  else [route, body] = [stream ? routeOf('gemini:stream') : routeOf('gemini:generate'), { contents: [{ role: 'user', parts: [{ text: prompt }] }] }];
  const b = build(r, route, Buffer.from(JSON.stringify(body)), RELAY_MODEL);
  // The "upstream" here is the app: its garbage may be a 502/504, as from any broken upstream.
  return caseFor(b, kind, { upstream5xx: true, expect, label: `${route.id}${stream ? ' stream' : ''} ← ${prompt}` });
}

t.test('relay: an app answering with broken frames', async (t) => {
  const from = problems.length;
  const r = phaseRng(6);
  const url = `http://127.0.0.1:${PORT}`;
  const app = await SimulatedApp.connect(url, { query: `key=${KEY}`, handler: relayHandler });
  await until('the relay model is listed', async () => (await modelIds()).includes(RELAY_MODEL), 300);
  // Unknown gemini-* names go to the app (it accepts any): names that cannot go into its URL must be refused as client errors.
  for (const [model, path] of [
    ['gemini-x\\ud800', '/v1/chat/completions'],
    ['gemini-x\\udc00y', '/v1/messages'],
    ['gemini-x\\u0000', '/v1/responses'],
    ['gemini-x\\ud800', '/v1/responses/compact'],
  ]) {
    const body = `{"model":"${model}","max_tokens":5,"messages":[{"role":"user","content":"hi"}],"input":"hi"}`;
    await run({ kind: 'relay-model:unencodable-name', label: `${path} model ${model}`, shape: path === '/v1/messages' ? 'claude' : 'openai', expect: [400], opts: { data: httpBytes('POST', path, [bearer(KEY), xApiKey(KEY)], body) } });
  }
  const names = Object.keys(SCENARIOS).filter((n) => !COOLING.has(n) && !(n in DEEP_SCENARIOS));
  const cases = names.map((n) => relayCase(r, `scenario=${n}`, `relay-answer:${n}`));
  for (const n of Object.keys(DEEP_SCENARIOS)) {
    for (const pick of [0, 1, 2, 3]) {
      for (const stream of [false, true]) {
        if (asSseCrashes && n.endsWith('response') && stream) continue;
        cases.push(relayCase(r, `scenario=${n}`, `relay-answer:${n}`, undefined, { pick, stream }));
      }
    }
  }
  await pool(cases, CONCURRENCY, run);
  t.notOk(asSseCrashes, 'KNOWN, reported: a deeply nested whole answer to an SSE request must not throw in lib/relay/protocol.ts asSse (it crashes the gateway)');
  // An app that drops its socket mid-stream.
  app.handler = (q, a) => {
    a.start(q.id);
    a.chunk(q.id, 'data: {"candidates":[{"content":{"role":"model","parts":[{"text":"partial"}]}}]}\n\n');
    setTimeout(() => a.ws.terminate(), 30);
  };
  const b = build(r, routeOf('chat'), Buffer.from(JSON.stringify({ model: RELAY_MODEL, stream: true, messages: [{ role: 'user', content: 'x' }] })), RELAY_MODEL);
  await run(caseFor(b, 'relay-answer:socket-dropped-mid-stream', { upstream5xx: true }));
  if ((await within(3000, app.closed)) === 'timeout') {
    problem({ kind: 'relay-answer:socket-dropped-mid-stream', label: 'relay app' }, 'the request never reached the app');
    await app.kill();
  }
  await until('the relay credential is gone', async () => !(await modelIds()).includes(RELAY_MODEL), 300);

  // 429 answers from the app, then the cooldown they cause, asked for by every client format.
  const cooling = await SimulatedApp.connect(url, { query: `key=${KEY}`, handler: relayHandler });
  await until('the relay model is listed', async () => (await modelIds()).includes(RELAY_MODEL), 300);
  for (const n of COOLING) await run(relayCase(r, `scenario=${n}`, `relay-answer:${n}`));
  const during = [0, 1, 2, 3].map(() => relayCase(r, 'while cooling down', 'relay-answer:during-cooldown', [429]));
  for (const c of during) await run(c);
  await cooling.close();
  await until('the relay credential is gone', async () => !(await modelIds()).includes(RELAY_MODEL), 300);

  // An honest app afterwards is served normally.
  const good = await SimulatedApp.connect(url, { query: `key=${KEY}` });
  await until('the relay model is listed again', async () => (await modelIds()).includes(RELAY_MODEL), 300);
  const out = await rawHttp({ data: httpBytes('POST', '/v1/chat/completions', [bearer(KEY)], JSON.stringify({ model: RELAY_MODEL, messages: [{ role: 'user', content: 'relay ok' }] })) });
  t.equal(out.replies[0]?.status, 200, 'an honest relay request works');
  t.match(out.replies[0]?.body.toString() ?? '', /echo: relay ok/);
  await good.close();
  report(t, from, 'relay answers');
});

// ───────────────────────────── afterwards ─────────────────────────────

t.test('afterwards: honest requests, no handler crash logged, RSS bounded, enough kinds', async (t) => {
  t.same(await honest(), [], 'every format still gets 200');
  const crashes = logged.filter((l) => /"level":"(error|fatal)"/.test(l));
  t.same(
    crashes.map((l) => l.slice(0, 600)),
    [],
    'nothing logged at error level (a handler that threw, a worker that failed)',
  );
  const grown = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
  t.comment(`RSS grew by ${grown.toFixed(0)} MiB; statuses: ${[...statusCounts].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`).join(' ')}`);
  t.ok(grown < 400, `RSS grew by ${grown.toFixed(0)} MiB (< 400)`);
  t.comment(`${kindsSeen.size} kinds of bad input: ${[...kindsSeen].sort().join(', ')}`);
  t.ok(kindsSeen.size >= 50, `${kindsSeen.size} distinct kinds of bad input (>= 50)`);
  t.same(problems.length, 0, `no problems in total (FUZZ_SEED=${SEED})`);
});
