// Same-format piped streams (lib/routing/passthrough.ts, pipelines/stream-end.ts):
// the bytes go through unparsed, and only when the upstream ends is its tail
// read for the format's end marker. An honest stream gets nothing appended; a
// stream cut before its marker gets the format's error event, which the
// format's own reader (wire-check.ts) sees as an error, never as a stop.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { passthroughShaper } from '../../lib/routing/passthrough.js';
import { getCodec } from '../../pipelines/index.js';
import type { FormatName } from '../../pipelines/ir.js';
import { pipedStreamEnded } from '../../pipelines/stream-end.js';
import { checkStream } from './wire-check.js';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');

function toJsonArray(sse: string): string {
  return '[' + sse.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join(',\r\n') + ']';
}

interface Case {
  format: FormatName;
  name: string;
  text: string;
  sse: boolean;
  /** Where the answer is whole: the end of the frame that carries its end marker. */
  marker: RegExp;
}

const CASES: Case[] = [
  { format: 'openai-chat', name: 'stream-tools.sse', text: fixture('openai-chat/stream-tools.sse'), sse: true, marker: /"finish_reason":\s*"/ },
  { format: 'openai-chat', name: 'stream-reasoning.sse', text: fixture('openai-chat/stream-reasoning.sse'), sse: true, marker: /"finish_reason":\s*"/ },
  { format: 'claude', name: 'stream-thinking-tools.sse', text: fixture('claude/stream-thinking-tools.sse'), sse: true, marker: /"type":\s*"message_delta"/ },
  { format: 'gemini', name: 'stream-thoughts.sse', text: fixture('gemini/stream-thoughts.sse'), sse: true, marker: /"finishReason"/ },
  { format: 'gemini', name: 'stream-thoughts as a JSON array', text: toJsonArray(fixture('gemini/stream-thoughts.sse')), sse: false, marker: /\]$/ },
  { format: 'gemini-cli', name: 'stream.sse', text: fixture('gemini-cli/stream.sse'), sse: true, marker: /"finishReason"/ },
  { format: 'openai-responses', name: 'stream-reasoning-text-two-calls.sse', text: fixture('openai-responses/stream-reasoning-text-two-calls.sse'), sse: true, marker: /"type":\s*"response\.completed"/ },
  { format: 'codex', name: 'stream-custom-tool.sse', text: fixture('codex/stream-custom-tool.sse'), sse: true, marker: /"type":\s*"response\.completed"/ },
];

/** The client's bytes when `bytes` go through the piped shaper in uneven pieces. */
function pipe(format: FormatName, sse: boolean, bytes: Buffer, lost?: string): string {
  return pipeBytes(format, sse, bytes, lost).toString('utf8');
}

function pipeBytes(format: FormatName, sse: boolean, bytes: Buffer, lost?: string): Buffer {
  const shaper = passthroughShaper(format, sse ? 'text/event-stream' : 'application/json');
  const out: Buffer[] = [];
  for (let at = 0, k = 0; at < bytes.length; k++) {
    const n = [7, 61, 300, 1, 2048][k % 5]!;
    out.push(Buffer.from(shaper.chunk(bytes.subarray(at, at + n))));
    at += n;
  }
  out.push(Buffer.from(lost === undefined ? shaper.end() : shaper.streamError(lost)));
  return Buffer.concat(out);
}

/** Upstream fixtures are not gateway output: Google leaves out a first
 *  candidate's index, OpenAI joins reasoning summary parts in .done texts, hosted web search
 *  events the client reader does not model. */
const problemsOf = (r: { problems: string[] }) => r.problems.filter((p) => !/candidate index is not 0|text differs from its deltas|^unknown (item type|event) .*web_search/.test(p));

/** Byte offsets of frame boundaries (after each blank line or array separator). */
function boundaries(text: string, sse: boolean): number[] {
  const out: number[] = [0];
  const sep = sse ? /\r?\n\r?\n/g : /,\r\n/g;
  for (const m of text.matchAll(sep)) out.push(Buffer.byteLength(text.slice(0, m.index! + (sse ? m[0].length : 0)), 'utf8'));
  return out;
}

for (const c of CASES) {
  t.test(`piped ${c.format} ${c.name}`, async (t) => {
    const bytes = Buffer.from(c.text, 'utf8');
    const whole = pipe(c.format, c.sse, bytes);
    t.equal(whole, c.text, 'an honest stream goes through byte for byte, nothing appended');
    const checked = checkStream(c.format, whole, { sse: c.sse });
    t.same(problemsOf(checked), []);
    t.equal(checked.answer.ended, 'clean');

    // Where the marker frame ends, the answer is whole.
    const at = c.text.search(c.marker);
    t.ok(at >= 0, 'the fixture has its end marker');
    const markerEnd = c.sse ? Buffer.byteLength(c.text.slice(0, c.text.indexOf('\n', at)), 'utf8') : bytes.length;
    for (const cut of boundaries(c.text, c.sse)) {
      if (cut >= bytes.length) continue;
      const out = pipe(c.format, c.sse, bytes.subarray(0, cut));
      const r = checkStream(c.format, out, { sse: c.sse, strict: false });
      const label = `cut at frame boundary ${cut}/${bytes.length}`;
      if (cut >= markerEnd) {
        t.equal(out, bytes.subarray(0, cut).toString('utf8'), `${label}: after the end marker, nothing appended`);
        continue;
      }
      t.same(problemsOf(r), [], `${label}: a valid ${c.format} stream`);
      t.equal(r.answer.ended, 'error', `${label}: ends with an error`);
      t.match(r.answer.error, /upstream stream ended before completion/, `${label}: saying why`);
      // The connection failing there instead: the same error shape, with its own message.
      const lost = checkStream(c.format, pipe(c.format, c.sse, bytes.subarray(0, cut), 'upstream connection failed mid-stream: reset'), { sse: c.sse, strict: false });
      t.same(problemsOf(lost), [], `${label}, connection lost: a valid stream`);
      t.match(lost.answer.error, /connection failed/, `${label}, connection lost: an error`);
    }
    // A cut inside a frame: the error still comes as a frame of its own.
    if (c.sse) {
      const mid = Math.floor(markerEnd / 2);
      const out = pipeBytes(c.format, c.sse, bytes.subarray(0, mid));
      t.match(out.subarray(mid).toString('utf8'), /^\n\n/, 'mid-frame cut: a blank line before the error');
      t.not(checkStream(c.format, out.toString('utf8'), { sse: true, strict: false }).answer.ended, 'clean', 'mid-frame cut: not a clean end');
    }
  });
}

t.test('piped: a connection lost after the end marker adds nothing', async (t) => {
  const text = fixture('claude/stream-thinking-tools.sse');
  t.equal(pipe('claude', true, Buffer.from(text), 'upstream connection failed mid-stream: reset'), text);
});

t.test('piped: the answer of a long stream is judged from its last bytes', async (t) => {
  const chunk = (s: string) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content: s }, finish_reason: null }] })}\n\n`;
  let body = '';
  for (let i = 0; i < 800; i++) body += chunk(`word ${i} `);
  const end = `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`;
  t.ok(body.length > 64 * 1024, 'longer than what the shaper keeps');
  t.equal(pipe('openai-chat', true, Buffer.from(body + end + 'data: [DONE]\n\n')), body + end + 'data: [DONE]\n\n', 'whole: nothing appended');
  t.equal(pipe('openai-chat', true, Buffer.from(body + end)), body + end, 'finish_reason without [DONE]: nothing appended');
  const cut = checkStream('openai-chat', pipe('openai-chat', true, Buffer.from(body)), { strict: false });
  t.equal(cut.answer.ended, 'error', 'cut: an error');
});

t.test('piped Responses: a final event larger than the kept tail is not mistaken for a cut', async (t) => {
  const ev = (type: string, o: Record<string, unknown>, n: number) => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: n, ...o })}\n\n`;
  const big = 'x'.repeat(80 * 1024);
  const head = ev('response.created', { response: { id: 'r', object: 'response', status: 'in_progress', output: [] } }, 0);
  const delta = ev('response.output_text.delta', { output_index: 0, content_index: 0, delta: big }, 1);
  const done = ev('response.completed', { response: { id: 'r', object: 'response', status: 'completed', instructions: big, output: [] } }, 2);
  t.equal(pipe('openai-responses', true, Buffer.from(head + delta + done)), head + delta + done, 'whole: nothing appended');
  const out = pipe('openai-responses', true, Buffer.from(head + delta + ev('response.output_text.delta', { output_index: 0, content_index: 0, delta: 'more' }, 2)));
  t.match(out.slice(-400), /event: error\ndata: \{"type":"error","sequence_number":3,/, 'cut: an error event with the next sequence number');
  t.equal(pipe('openai-responses', true, Buffer.from(head + done + 'data: [DONE]\n\n')), head + done + 'data: [DONE]\n\n', 'a [DONE] after response.completed is no cut');
});

t.test('piped Gemini: a final chunk with kilobytes of grounding after its finishReason is no cut', async (t) => {
  const chunk = (text: string, finish?: string, extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text }] }, ...(finish ? { finishReason: finish } : {}), ...extra, index: 0 }], responseId: 'r' })}\r\n\r\n`;
  const grounding = { groundingMetadata: { searchEntryPoint: { renderedContent: '<style>' + 'a{b:c}'.repeat(2000) + '</style>' } } };
  const whole = chunk('a') + chunk('b', 'STOP', grounding);
  t.equal(pipe('gemini', true, Buffer.from(whole)), whole, 'nothing appended');
  let long = '';
  for (let i = 0; i < 600; i++) long += chunk(`word ${i} `);
  t.ok(long.length > 64 * 1024);
  t.equal(checkStream('gemini', pipe('gemini', true, Buffer.from(long)), { strict: false }).answer.ended, 'error', 'a long stream cut short: an error');
  t.equal(pipe('gemini', true, Buffer.from(long + whole)), long + whole, 'a long whole stream: nothing appended');
});

t.test('piped end markers: what counts as an end, per format', async (t) => {
  const ended = (f: FormatName, s: string, sse = true) => pipedStreamEnded(f, sse, { chunks: [Buffer.from(s)], partial: false });
  t.ok(ended('openai-chat', 'data: {"choices":[]}\n\ndata: [DONE]\n\n'));
  t.ok(ended('openai-chat', 'data: {"error":{"message":"x"}}\n\n'), "the upstream's own error frame ends it");
  t.notOk(ended('openai-chat', 'data: {"choices":[{"delta":{"content":"\\"finish_reason\\":\\"stop\\""},"finish_reason":null}]}\n\n'), 'quoted text is not a marker');
  t.notOk(ended('openai-chat', ''), 'an empty stream did not end');
  t.ok(ended('claude', 'event: message_stop\ndata: {"type":"message_stop"}\n\n'));
  t.ok(ended('claude', 'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"}}\n\n'), 'only message_stop lost');
  t.ok(ended('claude', 'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n'));
  t.notOk(ended('claude', 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"event: message_stop\\n"}}\n\n'));
  t.ok(ended('gemini', 'data: {"candidates":[{"content":{"parts":[{"text":"a"}]},"finishReason":"STOP"}]}\r\n\r\n'));
  t.ok(ended('gemini', 'data: {"error":{"code":503,"message":"x","status":"UNAVAILABLE"}}\r\n\r\n'));
  t.notOk(ended('gemini', '[{"candidates":[{"content":{"parts":[{"text":"a"}]},"finishReason":"STOP"}]}', false), 'an array that never closed');
  t.ok(ended('gemini', '[{"candidates":[{"content":{"parts":[{"text":"a"}]},"finishReason":"STOP"}]}]', false));
  t.notOk(ended('gemini', '[{"candidates":[{"content":{"parts":[{"text":"a"}]}}]}]', false), 'closed without a finishReason');
  t.ok(ended('codex', 'event: response.failed\ndata: {"type":"response.failed","response":{"status":"failed"}}\n\n'));
  t.ok(ended('codex', 'data: {"type":"response.incomplete","response":{}}\n\n'));
  t.notOk(ended('codex', 'data: {"type":"response.output_text.delta","delta":"response.completed"}\n\n'));
  t.equal(getCodec('codex').name, 'codex');
});
