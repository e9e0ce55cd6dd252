// Incremental framers for upstream streams: Server-Sent Events and the
// streamed JSON array Gemini sends without `alt=sse`. Both take raw chunks cut
// anywhere (also inside a multi-byte UTF-8 character) and return whole frames.
import type { StreamFrame } from './codec.js';
import { BACKSLASH, CLOSE_BRACE, CLOSE_BRACKET, COMMA, OPEN_BRACE, OPEN_BRACKET, QUOTE } from './json-depth.js';

const LF = 10;
const CR = 13;
const COLON = 58;
const SPACE = 32;

/** Text decoding shared by both framers: a streaming decoder keeps the
 *  trailing bytes of a split UTF-8 sequence until the next chunk. */
class ChunkText {
  private readonly decoder = new TextDecoder('utf-8');
  private bomChecked = false;

  text(chunk: Buffer | Uint8Array | string): string {
    let s = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    if (!this.bomChecked && s.length > 0) {
      this.bomChecked = true;
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    }
    return s;
  }

  flush(): string {
    return this.decoder.decode();
  }
}

/**
 * SSE parser following the WHATWG event-stream rules (LF, CRLF and CR line
 * ends; `data:` lines joined with "\n"; comments; an event dispatched on a
 * blank line). Lenient where upstreams are sloppy: end() dispatches an event
 * whose terminating blank line never came.
 */
export class SSEParser {
  private readonly input = new ChunkText();
  /** Pieces of the current, still unterminated line. Kept as parts so a huge
   *  data line arriving in many chunks is joined once, not re-scanned. */
  private pending: string[] = [];
  /** The last chunk ended in CR: a LF starting the next one belongs to it. */
  private skipLF = false;
  private data = '';
  private hasData = false;
  private event: string | undefined = undefined;

  push(chunk: Buffer | Uint8Array | string): StreamFrame[] {
    const out: StreamFrame[] = [];
    this.scan(this.input.text(chunk), out);
    return out;
  }

  end(): StreamFrame[] {
    const out: StreamFrame[] = [];
    const tail = this.input.flush();
    if (tail) this.scan(tail, out);
    if (this.pending.length > 0) {
      const line = this.pending.join('');
      this.pending = [];
      this.line(line, out);
    }
    this.dispatch(out);
    return out;
  }

  private scan(text: string, out: StreamFrame[]): void {
    const len = text.length;
    let pos = 0;
    if (this.skipLF) {
      this.skipLF = false;
      if (len > 0 && text.charCodeAt(0) === LF) pos = 1;
    }
    // Two cached searches: streams without CR pay for one failed indexOf per chunk.
    let nl = text.indexOf('\n', pos);
    let cr = text.indexOf('\r', pos);
    if (nl < 0 && cr < 0) {
      if (pos < len) this.pending.push(pos === 0 ? text : text.slice(pos));
      return;
    }
    while (pos < len) {
      if (nl >= 0 && nl < pos) nl = text.indexOf('\n', pos);
      if (cr >= 0 && cr < pos) cr = text.indexOf('\r', pos);
      let end: number;
      if (nl < 0) end = cr;
      else if (cr < 0) end = nl;
      else end = nl < cr ? nl : cr;
      if (end < 0) {
        this.pending.push(text.slice(pos));
        return;
      }
      let line = text.slice(pos, end);
      if (this.pending.length > 0) {
        this.pending.push(line);
        line = this.pending.join('');
        this.pending = [];
      }
      this.line(line, out);
      if (end === cr) {
        if (end + 1 < len) pos = text.charCodeAt(end + 1) === LF ? end + 2 : end + 1;
        else {
          this.skipLF = true;
          pos = end + 1;
        }
      } else pos = end + 1;
    }
  }

  private line(line: string, out: StreamFrame[]): void {
    if (line.length === 0) {
      this.dispatch(out);
      return;
    }
    const c0 = line.charCodeAt(0);
    if (c0 === COLON) return; // comment / keep-alive
    // Fast path for the field that carries nearly every byte.
    if (c0 === 100 /* d */ && line.startsWith('data:')) {
      this.appendData(line.charCodeAt(5) === SPACE ? line.slice(6) : line.slice(5));
      return;
    }
    const colon = line.indexOf(':');
    let field: string;
    let value: string;
    if (colon < 0) {
      field = line;
      value = '';
    } else {
      field = line.slice(0, colon);
      value = line.charCodeAt(colon + 1) === SPACE ? line.slice(colon + 2) : line.slice(colon + 1);
    }
    if (field === 'data') this.appendData(value);
    else if (field === 'event') this.event = value;
    // id and retry mean nothing to a proxy reading an upstream once.
  }

  private appendData(value: string): void {
    if (this.hasData) this.data += '\n' + value;
    else {
      this.data = value;
      this.hasData = true;
    }
  }

  private dispatch(out: StreamFrame[]): void {
    if (this.hasData) {
      out.push(this.event !== undefined && this.event !== '' ? { event: this.event, data: this.data } : { data: this.data });
      this.data = '';
      this.hasData = false;
    }
    this.event = undefined;
  }
}

/** One SSE event as wire text. Multi-line data is split into several
 *  `data:` lines, as the format requires. */
export function sseEvent(data: string, event?: string): string {
  const head = event ? 'event: ' + event + '\n' : '';
  if (data.indexOf('\n') < 0 && data.indexOf('\r') < 0) return head + 'data: ' + data + '\n\n';
  return head + 'data: ' + data.split(/\r\n|\r|\n/).join('\ndata: ') + '\n\n';
}

/** `data: <json>\n\n` for text known to be single-line (JSON.stringify output). */
export function sseData(json: string): string {
  return 'data: ' + json + '\n\n';
}

/** A comment line, e.g. a keep-alive. */
export function sseComment(text = ''): string {
  return ': ' + text + '\n\n';
}

export const SSE_DONE = 'data: [DONE]\n\n';


/**
 * Splits a streamed JSON array (`[{…},\n{…}]` sent piecemeal) into the JSON
 * text of each top-level element. Only brackets and string boundaries are
 * tracked — element text is handed on untouched for the decoder to parse
 * once. A bare top-level object (an error body instead of an array) is
 * framed as one element too.
 */
export class JSONArrayFramer {
  private readonly input = new ChunkText();
  /** Nesting depth inside the current element (0 = between elements). */
  private depth = 0;
  private inArray = false;
  private inString = false;
  /** The previous chunk ended on a backslash inside a string. */
  private escapeNext = false;
  /** A top-level scalar (number, true, …) is being read. */
  private inScalar = false;
  private parts: string[] = [];
  private done = false;

  push(chunk: Buffer | Uint8Array | string): StreamFrame[] {
    const out: StreamFrame[] = [];
    this.scan(this.input.text(chunk), out);
    return out;
  }

  end(): StreamFrame[] {
    const out: StreamFrame[] = [];
    const tail = this.input.flush();
    if (tail) this.scan(tail, out);
    if (this.inScalar) this.emit('', out);
    // An unterminated element is dropped: half a JSON value is no frame.
    this.parts = [];
    return out;
  }

  private emit(last: string, out: StreamFrame[]): void {
    let data: string;
    if (this.parts.length === 0) data = last;
    else {
      this.parts.push(last);
      data = this.parts.join('');
      this.parts = [];
    }
    this.inScalar = false;
    if (data) out.push({ data });
  }

  private scan(text: string, out: StreamFrame[]): void {
    const len = text.length;
    let i = 0;
    // Start of the current element's text within `text`, -1 between elements.
    let start = this.depth > 0 || this.inScalar || this.inString ? 0 : -1;
    if (this.escapeNext && len > 0) {
      this.escapeNext = false;
      i = 1;
    }
    // Cached positions of the next quote and backslash (len = none left), so
    // long strings with many escapes are scanned once.
    let q = -1;
    let bs = -1;
    while (i < len && !this.done) {
      if (this.inString) {
        if (q < i) {
          q = text.indexOf('"', i);
          if (q < 0) q = len;
        }
        if (bs < i) {
          bs = text.indexOf('\\', i);
          if (bs < 0) bs = len;
        }
        if (bs < q) {
          // An escape comes first: skip it and the character it escapes.
          if (bs + 1 >= len) {
            this.escapeNext = true;
            i = len;
          } else i = bs + 2;
          continue;
        }
        if (q >= len) {
          i = len;
          continue;
        }
        this.inString = false;
        i = q + 1;
        if (this.depth === 0 && start >= 0) {
          // A top-level string element ends with its closing quote.
          this.emit(text.slice(start, i), out);
          start = -1;
        }
        continue;
      }
      const c = text.charCodeAt(i);
      if (this.depth > 0) {
        if (c === QUOTE) this.inString = true;
        else if (c === OPEN_BRACE || c === OPEN_BRACKET) this.depth++;
        else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
          if (--this.depth === 0) {
            this.emit(text.slice(start, i + 1), out);
            start = -1;
          }
        }
        i++;
        continue;
      }
      if (this.inScalar) {
        if (c === COMMA || c === CLOSE_BRACKET || c <= SPACE) {
          this.emit(text.slice(start, i), out);
          start = -1;
          continue; // re-examine the delimiter between elements
        }
        i++;
        continue;
      }
      // Between elements.
      if (c <= SPACE || c === COMMA) {
        i++;
      } else if (c === OPEN_BRACKET && !this.inArray) {
        this.inArray = true;
        i++;
      } else if (c === CLOSE_BRACKET) {
        if (this.inArray) this.done = true;
        i++;
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        start = i;
        this.depth = 1;
        i++;
      } else if (c === QUOTE) {
        start = i;
        this.inString = true;
        i++;
      } else {
        start = i;
        this.inScalar = true;
        i++;
      }
    }
    if (start >= 0 && (this.depth > 0 || this.inString || this.inScalar)) {
      this.parts.push(start === 0 ? text : text.slice(start));
    }
  }
}
