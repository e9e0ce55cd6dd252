// JSON.parse accepts any nesting, but everything after it (codecs, stringify,
// structuredClone to a worker) recurses and overflows the stack on a body
// nested a million deep. One byte scan before parsing refuses such bodies as
// a client error; it is linear and allocation-free, so it costs a 1 KB request
// about a microsecond.

/** Deepest nesting a request body may have. Real tool schemas stay far below. */
export const MAX_JSON_DEPTH = 256;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/** True when the bytes open more than `limit` nested arrays/objects (strings are skipped). */
export function jsonTooDeep(bytes: Uint8Array, limit = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
      continue;
    }
    if (b === QUOTE) inString = true;
    else if (b === OPEN_BRACE || b === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (b === CLOSE_BRACE || b === CLOSE_BRACKET) depth--;
  }
  return false;
}
