// Errors always reach the client in its own format's error shape.
import { getCodec } from '../../pipelines/index.js';
import type { FormatName } from '../../pipelines/ir.js';
import type { Reply } from '../routing/types.js';
import type { Exchange } from '../server/exchange.js';

export function sendError(ex: Exchange, format: FormatName, status: number, message: string, code?: string, headers?: Record<string, string>): void {
  const { status: s, body } = getCodec(format).encodeError({ status, message, code });
  ex.json(s, body, headers);
}

/** An upstream's error answer, reshaped for the client (any upstream body is accepted). */
export function sendUpstreamError(ex: Exchange, format: FormatName, status: number, upstreamBody: string, upstreamFormat: FormatName = format): void {
  const err = getCodec(upstreamFormat).decodeError(status, upstreamBody);
  const { status: s, body } = getCodec(format).encodeError(err);
  ex.json(s, body);
}

/** What routing decided to answer (a Reply), written in the client's format. */
export function sendReply(ex: Exchange, format: FormatName, reply: Reply): void {
  switch (reply.kind) {
    case 'error':
      return sendError(ex, format, reply.status, reply.message);
    case 'upstream-error':
      return sendUpstreamError(ex, format, reply.status, reply.body, reply.format);
    case 'cooldown':
      return sendCooldown(ex, reply.model, reply.waitMs, reply.now);
  }
}

/** Every credential for the model cools down: the model_cooldown body, the same for every client format. */
function sendCooldown(ex: Exchange, model: string, waitMs: number, now: number): void {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  ex.json(
    429,
    {
      error: {
        code: 'model_cooldown',
        message: `All credentials for model ${model} are cooling down; retry after ${seconds}s`,
        model,
        reset_time: new Date(now + waitMs).toISOString(),
        reset_seconds: seconds,
      },
    },
    { 'retry-after': String(seconds) },
  );
}
