// Errors always reach the client in its own format's error shape.
import { getCodec } from '../../pipelines/index.js';
import type { FormatName } from '../../pipelines/ir.js';
import type { Reply } from '../routing/types.js';
import type { Exchange } from '../server/exchange.js';

export function sendError(ex: Exchange, format: FormatName, status: number, message: string, code?: string, headers?: Record<string, string>): void {
  // A Retry-After also goes into the body where the format has a place for it (Gemini's RetryInfo, which Gemini CLI reads).
  const retry = headers?.['retry-after'];
  const retryAfterMs = retry !== undefined && /^\d{1,9}$/.test(retry) ? Number(retry) * 1000 : undefined;
  const { status: s, body } = getCodec(format).encodeError({ status, message, code, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
  ex.json(s, body, headers);
}

/** An upstream's error answer, reshaped for the client (any upstream body is accepted).
 *  A wait the upstream's body asked for (e.g. Google's RetryInfo) reaches every client as Retry-After. */
export function sendUpstreamError(ex: Exchange, format: FormatName, status: number, upstreamBody: string, upstreamFormat: FormatName = format, retryAfterSeconds?: number): void {
  const err = getCodec(upstreamFormat).decodeError(status, upstreamBody);
  const { status: s, body } = getCodec(format).encodeError(err);
  // The upstream's Retry-After header wins over a hint in its body.
  if (retryAfterSeconds !== undefined) return ex.json(s, body, { 'retry-after': String(retryAfterSeconds) });
  const wait = err.retryAfterMs;
  ex.json(s, body, s === 429 && wait !== undefined && wait > 0 ? { 'retry-after': String(Math.ceil(wait / 1000)) } : undefined);
}

/** What routing decided to answer (a Reply), written in the client's format. */
export function sendReply(ex: Exchange, format: FormatName, reply: Reply): void {
  switch (reply.kind) {
    case 'error':
      return sendError(ex, format, reply.status, reply.message);
    case 'upstream-error':
      return sendUpstreamError(ex, format, reply.status, reply.body, reply.format, reply.retryAfterSeconds);
    case 'cooldown':
      return sendCooldown(ex, format, reply.model, reply.waitMs, reply.now);
  }
}

/**
 * Every credential for the model cools down: a 429 in the client's own error
 * shape, so each SDK raises its rate-limit error (openai / @anthropic-ai/sdk
 * RateLimitError, @google/genai ApiError 429), with Retry-After. Where the
 * shape has room, the reset time rides along: OpenAI-style bodies keep
 * CLIProxyAPI's model_cooldown fields; Gemini gets them as google.rpc
 * RetryInfo and ErrorInfo details; Anthropic's error object is {type, message}
 * only, so there the message and the header carry them.
 */
function sendCooldown(ex: Exchange, format: FormatName, model: string, waitMs: number, now: number): void {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  const message = `All credentials for model ${model} are cooling down; retry after ${seconds}s`;
  const resetTime = new Date(now + waitMs).toISOString();
  const headers = { 'retry-after': String(seconds) };
  ex.json(429, cooldownBody(format, { model, message, resetTime, seconds }), headers);
}

function cooldownBody(format: FormatName, c: { model: string; message: string; resetTime: string; seconds: number }): unknown {
  switch (format) {
    case 'claude':
      return { type: 'error', error: { type: 'rate_limit_error', message: c.message } };
    case 'gemini':
    case 'gemini-cli':
      return {
        error: {
          code: 429,
          message: c.message,
          status: 'RESOURCE_EXHAUSTED',
          details: [
            { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${c.seconds}s` },
            // ErrorInfo metadata is a string map.
            { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'MODEL_COOLDOWN', domain: 'cliproxy', metadata: { model: c.model, reset_time: c.resetTime, reset_seconds: String(c.seconds) } },
          ],
        },
      };
    default:
      // OpenAI Chat/Completions/Responses: the reference's model_cooldown body, with the `type` OpenAI errors carry.
      return { error: { code: 'model_cooldown', type: 'rate_limit_error', message: c.message, model: c.model, reset_time: c.resetTime, reset_seconds: c.seconds } };
  }
}
