// Errors always reach the client in its own format's error shape.
import { getCodec } from '../../pipelines/index.js';
import type { FormatName } from '../../pipelines/ir.js';
import type { Exchange } from '../server/exchange.js';

export function sendError(ex: Exchange, format: FormatName, status: number, message: string, code?: string): void {
  const { status: s, body } = getCodec(format).encodeError({ status, message, code });
  ex.json(s, body);
}

/** An upstream's error answer, reshaped for the client (any upstream body is accepted). */
export function sendUpstreamError(ex: Exchange, format: FormatName, status: number, upstreamBody: string, upstreamFormat: FormatName = format): void {
  const err = getCodec(upstreamFormat).decodeError(status, upstreamBody);
  const { status: s, body } = getCodec(format).encodeError(err);
  ex.json(s, body);
}
