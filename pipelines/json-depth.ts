// JSON.parse accepts any nesting, but everything after it (codecs, stringify,
// structuredClone to a worker) recurses and overflows the stack on a body
// nested a million deep. One byte scan before parsing refuses such bodies as
// a client error; it is linear and allocation-free, so it costs a 1 KB request
// about a microsecond.

/** Deepest nesting a request body may have. Real tool schemas stay far below. */
export const MAX_JSON_DEPTH = 256;

/** The character codes JSON structure is made of (bytes and UTF-16 units alike). */
export const QUOTE = 34;
export const BACKSLASH = 92;
export const OPEN_BRACE = 123;
export const CLOSE_BRACE = 125;
export const OPEN_BRACKET = 91;
export const CLOSE_BRACKET = 93;
export const COMMA = 44;

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
