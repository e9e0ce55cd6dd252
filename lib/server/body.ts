// Read a request body from uWS with a size cap. uWS neuters each chunk's
// ArrayBuffer when the callback returns, so chunks are copied.
import type { Exchange } from './exchange.js';

export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`request body exceeds the limit of ${limit} bytes`);
  }
}

/** Resolves with the whole body, or rejects with BodyTooLarge; never settles if the client aborts. */
export function readBody(ex: Exchange, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(ex.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new BodyTooLarge(limit));
      return;
    }
    const parts: Buffer[] = [];
    let size = 0;
    let over = false;
    ex.res.onData((chunk, isLast) => {
      if (over) return;
      size += chunk.byteLength;
      if (size > limit) {
        over = true;
        reject(new BodyTooLarge(limit));
        return;
      }
      if (isLast) {
        let body: Buffer;
        if (parts.length === 0) {
          body = Buffer.from(chunk.slice(0));
        } else {
          parts.push(Buffer.from(chunk.slice(0)));
          body = Buffer.concat(parts, size);
        }
        resolve(body);
      } else {
        parts.push(Buffer.from(chunk.slice(0)));
      }
    });
  });
}
