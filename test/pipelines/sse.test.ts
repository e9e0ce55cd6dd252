import t from 'tap';
import { readFileSync } from 'node:fs';
import { JSONArrayFramer, SSEParser, SSE_DONE, sseComment, sseData, sseEvent } from '../../pipelines/sse.js';
import type { StreamFrame } from '../../pipelines/codec.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/openai-chat/${name}`, import.meta.url));

function parseAll(chunks: Array<Buffer | string>): StreamFrame[] {
  const p = new SSEParser();
  const out: StreamFrame[] = [];
  for (const c of chunks) out.push(...p.push(c));
  out.push(...p.end());
  return out;
}

function splitAt(buf: Buffer, i: number): Buffer[] {
  return [buf.subarray(0, i), buf.subarray(i)];
}

// A stream with everything a real upstream mixes: comments, named events,
// multi-line data, non-ASCII text and an empty data field.
const REALISTIC = Buffer.from(
  ': keep-alive\n\n' +
    'event: message_start\ndata: {"type":"message_start","text":"héllo 漢字 🎉"}\n\n' +
    'data: first line\ndata: second line\n\n' +
    'id: 7\nretry: 1000\ndata:no-space\n\n' +
    'event: ping\ndata\n\n' +
    'data: {"emoji":"👩‍💻","x":"a:b"}\n\n' +
    'data: [DONE]\n\n',
);
const EXPECTED: StreamFrame[] = [
  { event: 'message_start', data: '{"type":"message_start","text":"héllo 漢字 🎉"}' },
  { data: 'first line\nsecond line' },
  { data: 'no-space' },
  { event: 'ping', data: '' },
  { data: '{"emoji":"👩‍💻","x":"a:b"}' },
  { data: '[DONE]' },
];

t.test('SSE parser: whole stream', async (t) => {
  t.same(parseAll([REALISTIC]), EXPECTED);
});

t.test('SSE parser: split at every byte offset (also inside UTF-8 sequences)', async (t) => {
  let failures = 0;
  for (let i = 0; i <= REALISTIC.length; i++) {
    const got = parseAll(splitAt(REALISTIC, i));
    if (JSON.stringify(got) !== JSON.stringify(EXPECTED)) {
      failures++;
      if (failures < 3) t.same(got, EXPECTED, `split at ${i}`);
    }
  }
  t.equal(failures, 0, 'every two-piece split parses identically');
});

t.test('SSE parser: one byte at a time', async (t) => {
  const bytes: Buffer[] = [];
  for (let i = 0; i < REALISTIC.length; i++) bytes.push(REALISTIC.subarray(i, i + 1));
  t.same(parseAll(bytes), EXPECTED);
});

t.test('SSE parser: three-piece splits of a fixture stream', async (t) => {
  const buf = fixture('stream-reasoning.sse');
  const expected = parseAll([buf]);
  t.equal(expected.length, 7);
  t.equal(expected[6]!.data, '[DONE]');
  let failures = 0;
  for (let i = 0; i < buf.length; i += 7) {
    for (let j = i; j < buf.length; j += 13) {
      const got = parseAll([buf.subarray(0, i), buf.subarray(i, j), buf.subarray(j)]);
      if (JSON.stringify(got) !== JSON.stringify(expected)) failures++;
    }
  }
  t.equal(failures, 0);
});

t.test('SSE parser: CRLF and CR line ends, split between CR and LF', async (t) => {
  const lf = REALISTIC.toString('utf8');
  for (const eol of ['\r\n', '\r']) {
    const buf = Buffer.from(lf.replace(/\n/g, eol));
    t.same(parseAll([buf]), EXPECTED, `whole with ${JSON.stringify(eol)}`);
    let failures = 0;
    for (let i = 0; i <= buf.length; i++) {
      if (JSON.stringify(parseAll(splitAt(buf, i))) !== JSON.stringify(EXPECTED)) failures++;
    }
    t.equal(failures, 0, `every split with ${JSON.stringify(eol)}`);
  }
  // mixed line ends inside one stream
  t.same(parseAll(['data: a\r\ndata: b\rdata: c\n\r\n']), [{ data: 'a\nb\nc' }]);
});

t.test('SSE parser: comments, BOM, events without data, leniency at end', async (t) => {
  t.same(parseAll([':comment only\n\n: another\n\n']), []);
  t.same(parseAll(['\uFEFFdata: x\n\n']), [{ data: 'x' }]);
  t.same(parseAll([Buffer.from([0xef, 0xbb]), Buffer.from([0xbf]), 'data: y\n\n']), [{ data: 'y' }], 'BOM split across chunks');
  t.same(parseAll(['event: lonely\n\n']), [], 'an event with no data is not dispatched');
  t.same(parseAll(['data: no blank line at the end']), [{ data: 'no blank line at the end' }]);
  t.same(parseAll(['data: a\n']), [{ data: 'a' }]);
  t.same(parseAll(['event: x\ndata: 1\n\ndata: 2\n\n']), [{ event: 'x', data: '1' }, { data: '2' }], 'event name resets after dispatch');
  t.same(parseAll(['data:  two spaces\n\n']), [{ data: ' two spaces' }], 'only one leading space is stripped');
});

t.test('SSE parser: a long data line arriving in many chunks', async (t) => {
  const big = 'x'.repeat(200_000);
  const chunks: string[] = ['data: '];
  for (let i = 0; i < big.length; i += 1000) chunks.push(big.slice(i, i + 1000));
  chunks.push('\n\n');
  const got = parseAll(chunks);
  t.equal(got.length, 1);
  t.equal(got[0]!.data.length, big.length);
});

t.test('SSE encoders round-trip through the parser', async (t) => {
  const wire = sseEvent('{"a":1}', 'message_start') + sseEvent('line1\nline2\r\nline3') + sseData('{"b":2}') + sseComment('ping') + SSE_DONE;
  t.same(parseAll([wire]), [
    { event: 'message_start', data: '{"a":1}' },
    { data: 'line1\nline2\nline3' },
    { data: '{"b":2}' },
    { data: '[DONE]' },
  ]);
  t.equal(sseEvent('x'), 'data: x\n\n');
});

// ---- JSON array framer ----

function frameAll(chunks: Array<Buffer | string>): string[] {
  const f = new JSONArrayFramer();
  const out: string[] = [];
  for (const c of chunks) for (const fr of f.push(c)) out.push(fr.data);
  for (const fr of f.end()) out.push(fr.data);
  return out;
}

const ELEMENTS = [
  { candidates: [{ content: { parts: [{ text: 'Hello [world] {braces} "quotes" \\ backslash' }], role: 'model' } }] },
  { candidates: [{ content: { parts: [{ text: 'escapes: \\" \\\\ \n\t \u0000 \u2028 ]}, 漢字 🎉' }] } }], nested: [[1, [2, [3]]], { a: { b: {} } }] },
  { usageMetadata: { promptTokenCount: 4, candidatesTokenCount: 9 }, weird: '\\', empty: '', list: [] },
];
const ARRAY_TEXT = '[' + ELEMENTS.map((e, i) => (i % 2 ? JSON.stringify(e) : JSON.stringify(e, null, 2))).join(',\r\n') + '\n]';
const ARRAY_BUF = Buffer.from(ARRAY_TEXT);

t.test('JSON array framer: whole array', async (t) => {
  const got = frameAll([ARRAY_BUF]);
  t.same(got.map((s) => JSON.parse(s)), ELEMENTS);
});

t.test('JSON array framer: split at every byte offset', async (t) => {
  let failures = 0;
  for (let i = 0; i <= ARRAY_BUF.length; i++) {
    const got = frameAll(splitAt(ARRAY_BUF, i));
    let ok = got.length === ELEMENTS.length;
    if (ok) {
      try {
        ok = JSON.stringify(got.map((s) => JSON.parse(s))) === JSON.stringify(ELEMENTS);
      } catch {
        ok = false;
      }
    }
    if (!ok) {
      failures++;
      if (failures < 3) t.fail(`split at ${i}: ${JSON.stringify(got)}`);
    }
  }
  t.equal(failures, 0);
});

t.test('JSON array framer: one byte at a time, and element text is untouched', async (t) => {
  const bytes: Buffer[] = [];
  for (let i = 0; i < ARRAY_BUF.length; i++) bytes.push(ARRAY_BUF.subarray(i, i + 1));
  const got = frameAll(bytes);
  t.equal(got[0], JSON.stringify(ELEMENTS[0], null, 2), 'pretty-printed element kept byte for byte');
  t.equal(got[1], JSON.stringify(ELEMENTS[1]));
});

t.test('JSON array framer: backslash runs at chunk ends', async (t) => {
  // A string ending in an escaped backslash, split right after each backslash.
  const text = '[{"a":"x\\\\"},{"b":"\\\\\\"]"}]';
  const expected = [{ a: 'x\\' }, { b: '\\"]' }];
  t.same(frameAll([text]).map((s) => JSON.parse(s)), expected);
  for (let i = 0; i <= text.length; i++) {
    for (let j = i; j <= text.length; j++) {
      const got = frameAll([text.slice(0, i), text.slice(i, j), text.slice(j)]);
      if (JSON.stringify(got.map((s) => JSON.parse(s))) !== JSON.stringify(expected)) {
        t.fail(`split ${i}/${j}`);
        return;
      }
    }
  }
  t.pass('all three-piece splits');
});

t.test('JSON array framer: edge shapes', async (t) => {
  t.same(frameAll(['[]']), []);
  t.same(frameAll(['  [ ]  ']), []);
  t.same(frameAll(['{"error":{"code":429,"message":"quota"}}']), ['{"error":{"code":429,"message":"quota"}}'], 'a bare object is one frame');
  t.same(frameAll(['[1, "two", true, null, {"x":[1]}]']), ['1', '"two"', 'true', 'null', '{"x":[1]}']);
  t.same(frameAll(['[{"a":1},{"b":']), ['{"a":1}'], 'an unterminated element is dropped');
  t.same(frameAll(['[{"a":1}] trailing garbage {"b":2}']), ['{"a":1}'], 'nothing after the closing bracket');
});
