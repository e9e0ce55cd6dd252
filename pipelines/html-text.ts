// Reading the words out of an upstream's error text (HTML pages from proxies
// and CDNs, plain text). That text is whatever the other end chose to send, so
// every function here makes one forward pass: regexes such as /<[^>]*>/g or
// /<script[\s\S]*?<\/script>/ rescan the rest of the input from every '<' that
// has no match after it, which is quadratic (128 KiB of '<' held the event loop
// for seconds). Each function matches the regex it replaced, noted on it.

const LT = 0x3c;
const SLASH = 0x2f;
const AMP = 0x26;

/** What /\s/ matches (and String.prototype.trim removes). */
export function isSpace(c: number): boolean {
  return (
    c === 0x20 ||
    (c >= 0x09 && c <= 0x0d) ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

function isAsciiLetter(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

/** `needle` (lower-case ASCII) at `at`, letters compared case-insensitively as /i does. */
function matchesAt(text: string, at: number, needle: string): boolean {
  if (at + needle.length > text.length) return false;
  for (let k = 0; k < needle.length; k++) {
    const n = needle.charCodeAt(k);
    const c = text.charCodeAt(at + k);
    // c | 0x20 equals a lower-case letter only when c is that letter in either case.
    if (c !== n && !(isAsciiLetter(n) && (c | 0x20) === n)) return false;
  }
  return true;
}

/** First index ≥ from of `needle` (lower-case ASCII, starting with '<'), or -1. */
function findTag(text: string, needle: string, from: number): number {
  for (let i = text.indexOf('<', from); i >= 0; i = text.indexOf('<', i + 1)) {
    if (matchesAt(text, i, needle)) return i;
  }
  return -1;
}

/** Whitespace runs become one space, with none at either end (/\s+/g → ' ',
 *  then trim()); stops taking text once it holds more than `max` characters,
 *  so its length says whether the full text would be longer. */
class Words {
  text = '';
  private gap = false;
  constructor(private readonly max: number) {}
  get full(): boolean {
    return this.text.length > this.max;
  }
  space(): void {
    if (this.text.length > 0) this.gap = true;
  }
  add(s: string): void {
    if (this.gap) {
      this.text += ' ';
      this.gap = false;
    }
    this.text += s;
  }
  addText(src: string, from: number, to: number): void {
    for (let i = from; i < to && !this.full; i++) {
      const c = src.charCodeAt(i);
      if (isSpace(c)) this.space();
      else this.add(src[i]!);
    }
  }
}

/** `text.replace(/\s+/g, ' ').trim()`, cut once longer than `max` (callers
 *  clip to `max`; a result longer than `max` means there was more). */
export function squeezeSpaces(text: string, max: number): string {
  const w = new Words(max);
  w.addText(text, 0, text.length);
  return w.text;
}

type Block = 'script' | 'style';

/** Where `<script…</script>` / `<style…</style>` opened at `i` ends (the index
 *  after it), or -1. `closed` remembers a kind whose closing tag is nowhere
 *  after some point: it is nowhere after any later point either, so the search
 *  runs at most once per kind past the last match (linear overall). */
function blockEnd(text: string, i: number, closed: Record<Block, boolean>): number {
  const kind: Block | undefined = matchesAt(text, i, '<script') ? 'script' : matchesAt(text, i, '<style') ? 'style' : undefined;
  if (!kind || closed[kind]) return -1;
  const close = `</${kind}>`;
  const at = findTag(text, close, i + 1 + kind.length);
  if (at < 0) {
    closed[kind] = true;
    return -1;
  }
  return at + close.length;
}

export interface HtmlTextOptions {
  /** Drop whole `<script…</script>` and `<style…</style>` blocks (openai-chat's
   *  /<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>|<[^>]*>/gi, one pass). */
  dropBlocks?: boolean;
  /** `<>` is a tag (/<[^>]*>/) rather than text (/<[^>]+>/). */
  emptyTag?: boolean;
  /** Decode &nbsp; &lt; &gt; &amp; in the text between tags. */
  entities?: boolean;
}

/** An HTML page's words: every tag becomes a space (a '<' with no '>' after
 *  it is text), then whitespace is squeezed as by squeezeSpaces. */
export function htmlText(text: string, max: number, opts: HtmlTextOptions = {}): string {
  const w = new Words(max);
  const closed: Record<Block, boolean> = { script: false, style: false };
  const n = text.length;
  // Once no '>' follows, no later '<' opens a tag either.
  let noGt = false;
  let i = 0;
  while (i < n && !w.full) {
    const c = text.charCodeAt(i);
    if (c === LT) {
      if (opts.dropBlocks) {
        const end = blockEnd(text, i, closed);
        if (end >= 0) {
          w.space();
          i = end;
          continue;
        }
      }
      if (!noGt) {
        const gt = text.indexOf('>', i + 1);
        if (gt < 0) noGt = true;
        else if (gt > i + 1 || opts.emptyTag) {
          w.space();
          i = gt + 1;
          continue;
        }
      }
    } else if (c === AMP && opts.entities) {
      if (text.startsWith('&nbsp;', i)) {
        w.space();
        i += 6;
        continue;
      }
      const decoded = text.startsWith('&lt;', i) ? '<' : text.startsWith('&gt;', i) ? '>' : text.startsWith('&amp;', i) ? '&' : undefined;
      if (decoded) {
        w.add(decoded);
        i += decoded === '&' ? 5 : 4;
        continue;
      }
    }
    if (isSpace(c)) w.space();
    else w.add(text[i]!);
    i++;
  }
  return w.text;
}

/** Script and style blocks replaced by a space, everything else kept
 *  (/<(script|style)[\s\S]*?<\/\1>/gi → ' '). */
export function dropScriptBlocks(text: string): string {
  const closed: Record<Block, boolean> = { script: false, style: false };
  const parts: string[] = [];
  let kept = 0;
  for (let i = text.indexOf('<'); i >= 0; ) {
    const end = blockEnd(text, i, closed);
    if (end < 0) {
      i = text.indexOf('<', i + 1);
      continue;
    }
    parts.push(text.slice(kept, i), ' ');
    kept = end;
    i = text.indexOf('<', end);
  }
  if (kept === 0) return text;
  parts.push(text.slice(kept));
  return parts.join('');
}

/** The text of the first complete `<title…>text</title>`, or undefined
 *  (/<title[^>]*>([^<]*)<\/title>/i). */
export function htmlTitle(text: string): string | undefined {
  let from = 0;
  for (;;) {
    const open = findTag(text, '<title', from);
    if (open < 0) return undefined;
    const gt = text.indexOf('>', open + 6);
    if (gt < 0) return undefined;
    const end = text.indexOf('<', gt + 1);
    if (end < 0) return undefined;
    if (matchesAt(text, end, '</title>')) return text.slice(gt + 1, end);
    // Every '<title' before `end` shares this '>' and this '<': none can match.
    from = end;
  }
}

/** Whether the text has a tag-like `<x` or `</x` with a '>' somewhere after
 *  it (/<\/?[a-z][\s\S]*>/i). */
export function looksLikeHtml(text: string): boolean {
  const last = text.lastIndexOf('>');
  for (let i = text.indexOf('<'); i >= 0 && i < last; i = text.indexOf('<', i + 1)) {
    const j = text.charCodeAt(i + 1) === SLASH ? i + 2 : i + 1;
    if (j < last && isAsciiLetter(text.charCodeAt(j))) return true;
  }
  return false;
}
