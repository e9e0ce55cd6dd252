// End markers of piped streams. The same-format path never parses a stream,
// so it cannot ask a decoder whether the upstream finished: once, when the
// upstream ends, it reads the last bytes the stream carried for the format's
// end marker (no JSON parse, nothing per chunk), and when the marker is not
// there it closes the client's stream with the format's error instead of
// letting a cut answer pass for a whole one (see truncation.ts).
import type { FormatCodec } from './codec.js';
import type { FormatName, IRError } from './ir.js';
import { encodeStreamError as responsesStreamError } from './formats/openai-responses/response.js';
import { truncatedError } from './truncation.js';

/** The last bytes of a piped stream, oldest first. */
export interface StreamTail {
  chunks: readonly Buffer[];
  /** Bytes before chunks[0] are gone (only a bounded tail is kept). */
  partial: boolean;
}

/** How much of the tail the marker checks read first: every end marker sits
 *  in the last event or two, near their end — except Responses' (at the start
 *  of a large event) and a grounded Gemini chunk's, looked for in all that
 *  was kept when not found here. */
const WINDOW = 4096;

// Marker texts as they appear on the wire. A model's own text cannot fake
// them: inside a JSON string a quote is escaped (\") and a line break is \n,
// so `"type":"…"` and a line starting `event: …` only match real frames.
const CHAT_DONE = /\[DONE\]\s*$/;
const CHAT_END = /"finish_reason"\s*:\s*"|"error"\s*:/;
const CLAUDE_END = /\nevent: ?(?:message_stop|message_delta|error)\s|"type"\s*:\s*"(?:message_stop|message_delta|error)"/;
const GEMINI_END = /"(?:finishReason|blockReason)"\s*:\s*"|"error"\s*:\s*\{/;
const RESPONSES_END = /^event: ?(?:response\.(?:completed|incomplete|failed)|error)\s|"type"\s*:\s*"(?:response\.(?:completed|incomplete|failed)|error)"/;

// The common case costs no string: an honest stream's last chunk ends with
// its marker (byte compares on the last chunk only).
const DONE = Buffer.from('[DONE]');
const MESSAGE_STOP = Buffer.from('"type":"message_stop"');

function lastChunkEndsWith(tail: StreamTail, marker: Buffer, slack: number): boolean {
  const c = tail.chunks[tail.chunks.length - 1];
  if (!c) return false;
  let end = c.length;
  while (end > 0 && (c[end - 1] === 10 || c[end - 1] === 13 || c[end - 1] === 32)) end--;
  const from = end - marker.length - slack;
  if (from < 0) return false;
  return c.indexOf(marker, from) >= 0;
}

function lastBytes(tail: StreamTail, max: number): string {
  return lastWindow(tail, max).toString('latin1');
}

function retained(tail: StreamTail): Buffer {
  return tail.chunks.length === 1 ? tail.chunks[0]! : Buffer.concat(tail.chunks as Buffer[]);
}

/** Whether an SSE event boundary lies before the stream's trailing blank lines. */
function hasBoundary(buf: Buffer): boolean {
  let end = buf.length;
  while (end > 0 && (buf[end - 1] === 10 || buf[end - 1] === 13 || buf[end - 1] === 32)) end--;
  return end > 0 && (buf.lastIndexOf('\n\n', end - 1) >= 0 || buf.lastIndexOf('\n\r\n', end - 1) >= 0);
}

/** Gemini: finishReason sits on the last chunk, before its usage — and before
 *  grounding metadata, which can run to kilobytes, hence the second look. */
function geminiEnded(sse: boolean, tail: StreamTail): boolean {
  const s = lastBytes(tail, WINDOW);
  if (!sse && !/\]\s*$/.test(s)) return false; // an array that never closed
  if (GEMINI_END.test(s)) return true;
  const all = retained(tail);
  if (all.length > s.length && GEMINI_END.test(all.toString('latin1'))) return true;
  // The last chunk began before what was kept: cannot tell, so no error.
  // (Array elements have no boundary a byte search can trust.)
  return tail.partial && (!sse || !hasBoundary(all));
}

/** Responses: the marker is the type of the last event, which can be large
 *  (response.completed repeats the whole answer), so its start is looked up. */
function responsesEnded(tail: StreamTail): boolean {
  const buf = retained(tail);
  let end = buf.length;
  // Trailing frames that say nothing ([DONE] some relays add, keep-alive
  // comments) are skipped: the event before them decides.
  for (let frames = 0; frames < 4; frames++) {
    while (end > 0 && (buf[end - 1] === 10 || buf[end - 1] === 13 || buf[end - 1] === 32)) end--;
    if (end === 0) return false;
    const lf = buf.lastIndexOf('\n\n', end - 1);
    const crlf = buf.lastIndexOf('\n\r\n', end - 1);
    // The whole last event is older than what was kept: cannot tell, so no error.
    if (lf < 0 && crlf < 0 && tail.partial) return true;
    const start = lf < 0 && crlf < 0 ? 0 : lf >= crlf ? lf + 2 : crlf + 3;
    const head = buf.toString('latin1', start, Math.min(end, start + 256));
    if (RESPONSES_END.test(head)) return true;
    if (!/^(?::|data: ?\[DONE\])/.test(head)) {
      // Another event, if it says which; one that does not say within its
      // first bytes cannot be told from a final one, so no error either.
      return !/^event:|"type"\s*:\s*"/.test(head);
    }
    end = start;
  }
  return true;
}

/** Whether a piped stream reached its format's end marker (or the upstream's
 *  own error event, which ends it too). */
export function pipedStreamEnded(format: FormatName, sse: boolean, tail: StreamTail): boolean {
  switch (format) {
    case 'openai-chat':
    case 'openai-completions': {
      if (lastChunkEndsWith(tail, DONE, 0)) return true;
      const s = lastBytes(tail, WINDOW);
      // [DONE] is the marker; a finish_reason without it still ends the answer.
      return CHAT_DONE.test(s) || CHAT_END.test(s);
    }
    case 'claude':
      if (lastChunkEndsWith(tail, MESSAGE_STOP, 2)) return true; // …"message_stop"}
      // message_delta carries the stop reason: only message_stop came short.
      return CLAUDE_END.test('\n' + lastBytes(tail, WINDOW));
    case 'gemini':
    case 'gemini-cli':
      return geminiEnded(sse, tail);
    case 'openai-responses':
    case 'codex':
      return responsesEnded(tail);
  }
}

// The upstream's own error event: the stream "ended", but as a failure.
// First a byte search for a word every such frame has (no string when absent),
// then the frame's shape: Chat and Gemini data objects with a top-level
// "error" object, Claude's `event: error`, Responses' response.failed / error.
const ERROR_WORD = Buffer.from('error');
const RESPONSES_WORDS = ['response.failed', 'event: error', 'event:error', '"type":"error"'].map((w) => Buffer.from(w));
const CHAT_ERROR = /\ndata: ?\{\s*"error"\s*:/;
const CLAUDE_ERROR = /\nevent: ?error\s|"type"\s*:\s*"error"/;
const GEMINI_ERROR = /\n\s*(?:data: ?|\[|,)\s*\{\s*"error"\s*:\s*\{/;
const RESPONSES_ERROR = /\nevent: ?(?:response\.failed|error)\s|"type"\s*:\s*"(?:response\.failed|error)"/;

/** Whether a piped stream's last bytes carry the upstream's own error event.
 *  Error events end a stream, so they sit in the window the end markers are
 *  read in (all that was kept for Responses, whose response.failed repeats
 *  the whole answer); one split across chunks is whole in the joined bytes. */
export function pipedStreamFailed(format: FormatName, tail: StreamTail): boolean {
  if (format === 'openai-responses' || format === 'codex') {
    const buf = retained(tail);
    // Completed answers carry "error":null: only the exact words lead to a look.
    if (!RESPONSES_WORDS.some((w) => buf.indexOf(w) >= 0)) return false;
    return RESPONSES_ERROR.test('\n' + buf.toString('latin1'));
  }
  const window = lastWindow(tail, WINDOW);
  if (window.indexOf(ERROR_WORD) < 0) return false;
  const s = '\n' + window.toString('latin1');
  switch (format) {
    case 'claude':
      return CLAUDE_ERROR.test(s);
    case 'gemini':
    case 'gemini-cli':
      return GEMINI_ERROR.test(s);
    default:
      return CHAT_ERROR.test(s);
  }
}

function lastWindow(tail: StreamTail, max: number): Buffer {
  const parts: Buffer[] = [];
  let n = 0;
  for (let i = tail.chunks.length - 1; i >= 0 && n < max; i--) {
    const c = tail.chunks[i]!;
    const take = Math.min(c.length, max - n);
    parts.push(take === c.length ? c : c.subarray(c.length - take));
    n += take;
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts.reverse(), n);
}

/** The client's final error text for a piped stream that broke off: the
 *  format's stream error event (after a blank line when the stream stopped
 *  inside a frame, so the error is a frame of its own), a closing array
 *  element for a Gemini JSON array, the next sequence number for Responses. */
export function pipedStreamError(codec: FormatCodec, sse: boolean, tail: StreamTail, err: IRError): string {
  if (!sse && (codec.name === 'gemini' || codec.name === 'gemini-cli')) {
    const json = JSON.stringify(codec.encodeError(err).body);
    const sent = tail.chunks.some((c) => c.length > 0);
    return sent ? `,\r\n${json}]` : `[${json}]`;
  }
  const s = lastBytes(tail, WINDOW);
  const gap = s === '' || /\n\r?\n$/.test(s) ? '' : '\n\n';
  if (codec.name === 'openai-responses' || codec.name === 'codex') {
    let seq = -1;
    for (const m of s.matchAll(/"sequence_number"\s*:\s*(\d+)/g)) seq = Number(m[1]);
    return gap + responsesStreamError(err, seq + 1);
  }
  return gap + codec.encodeStreamError(err);
}

/** What a piped stream's end appends: nothing after its end marker, else the
 *  format's error saying the upstream stream ended before completion. */
export function pipedStreamEnd(codec: FormatCodec, sse: boolean, tail: StreamTail): string {
  if (pipedStreamEnded(codec.name, sse, tail)) return '';
  const { status, message, code } = truncatedError();
  return pipedStreamError(codec, sse, tail, { status, message, code });
}
