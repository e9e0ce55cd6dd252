// What a client key and a model name allow, checked on every inference route
// (HTTP, the Responses WebSocket's turns, /v1/responses/compact) and answered
// in the client's own error format: the key's request rate (429 with
// Retry-After), the `model(level)` suffix (400 when malformed), and the
// key's model list (403 naming the model).
import type { FormatName } from '../../pipelines/ir.js';
import type { AccessResult } from '../access/client-keys.js';
import { rateLimiterOf } from '../access/rate-limit.js';
import { parseModelSyntax } from '../routing/model-syntax.js';
import type { Target } from '../routing/registry.js';
import type { GatewayContext } from '../runtime.js';
import type { Exchange } from '../server/exchange.js';
import { sendError } from './errors.js';

/** Count the request against its key's rate; answers 429 and returns false when over it. */
export function admitKey(gw: GatewayContext, ex: Exchange, fmt: FormatName, access: AccessResult): boolean {
  if (!access.ok || !access.rules || access.rules.maxRequestsPerMinute <= 0) return true;
  const waitMs = rateLimiterOf(gw.routing, gw.routing.cooldowns.now).take(access.rules);
  if (waitMs <= 0) return true;
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  sendError(
    ex,
    fmt,
    429,
    `This API key allows ${access.rules.maxRequestsPerMinute} requests per minute; retry after ${seconds}s`,
    'rate_limit_exceeded',
    { 'retry-after': String(seconds) },
  );
  return false;
}

export interface ClientModel {
  /** The name that routes (any `(…)` suffix removed): what usage and metrics label. */
  model: string;
  /** Reasoning the suffix asked for. */
  thinking?: string | number;
}

/** Split off a `(level)` / `(budget)` suffix and check the key may use the model; answers 400/403 otherwise. */
export function clientModel(ex: Exchange, fmt: FormatName, name: string, access: AccessResult): ClientModel | undefined {
  const parsed = parseModelSyntax(name);
  if ('error' in parsed) {
    sendError(ex, fmt, 400, parsed.error, 'invalid_model_suffix');
    return undefined;
  }
  if (access.ok && access.rules && !access.rules.allows(parsed.model)) {
    sendError(ex, fmt, 403, `This API key may not use the model '${parsed.model}'`, 'model_not_allowed');
    return undefined;
  }
  return parsed;
}

/** The targets with the suffix's reasoning (it overrides what an alias carries). */
export function withThinking(targets: Target[], thinking: string | number | undefined): Target[] {
  return thinking === undefined ? targets : targets.map((t) => ({ ...t, thinking }));
}
