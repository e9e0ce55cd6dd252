// Same format in and out: the request only gets the upstream model name, and
// the answer's bytes go to the client untouched — no parse of the stream.
import { getCodec } from '../../pipelines/index.js';
import type { FormatName } from '../../pipelines/ir.js';
import type { ResponseShaper } from './attempt.js';

const EMPTY = Buffer.alloc(0);

export function passthroughShaper(format: FormatName, streamContentType = 'text/event-stream'): ResponseShaper {
  const codec = getCodec(format);
  return {
    streamContentType,
    sse: streamContentType.startsWith('text/event-stream'),
    chunk: (data) => data,
    end: () => EMPTY,
    streamError: (message) => codec.encodeStreamError({ status: 502, message }),
    whole: (status, body, contentType) => ({ status, body, contentType: contentType ?? 'application/json' }),
  };
}

/** The client body with only its model replaced; the original bytes when nothing changes. */
export function withModel(raw: Buffer, body: Record<string, unknown>, model: string): string | Buffer {
  if (body['model'] === model) return raw;
  return JSON.stringify({ ...body, model });
}
