// Anthropic Messages surface: what Claude Code and the Anthropic SDK call.
import { getCodec } from '../../pipelines/index.js';
import { countTokensEstimate, pipedClaudeBody } from '../../pipelines/formats/claude/index.js';
import { TranslationError } from '../../pipelines/ir.js';
import type { Target } from '../routing/registry.js';
import type { GatewayContext } from '../runtime.js';
import type { Exchange } from '../server/exchange.js';
import { sendError } from './errors.js';
import { guard, handleInference } from './inference.js';

export function messages(gw: GatewayContext): (ex: Exchange) => void {
  return guard('claude', (ex) =>
    handleInference(gw, ex, {
      format: 'claude',
      action: 'generate',
      model: (body) => body['model'],
      stream: (body) => body['stream'] === true,
      passthroughBody: claudePassthrough,
    }),
  );
}

/** Claude → Claude: piped, but `role: "system"` messages (Claude Code 2.1)
 *  are folded away first, as the Messages API refuses them, and thinking
 *  blocks Claude did not sign are left out (pipelines/formats/claude/
 *  passthrough.ts). Returned as an object: the credential's patch (Claude
 *  Code identity) still applies before it is serialised. Bodies large enough
 *  to be parsed in a worker are not seen here: the worker applies the same
 *  fixes (pipelines/piped-body.ts). */
function claudePassthrough(body: Record<string, unknown>, target: Target): Record<string, unknown> | undefined {
  const folded = pipedClaudeBody(body);
  return folded ? { ...folded, model: target.upstreamModel } : undefined;
}

/** count_tokens: a Claude upstream counts; for any other upstream the gateway estimates. */
export function countTokens(gw: GatewayContext): (ex: Exchange) => void {
  return guard('claude', (ex) =>
    handleInference(gw, ex, {
      format: 'claude',
      action: 'count-tokens',
      model: (body) => body['model'],
      stream: () => false,
      passthroughBody: claudePassthrough,
      local(body, targets, ex) {
        if (targets.length > 0) return false;
        try {
          const req = getCodec('claude').decodeRequest({ max_tokens: 1, ...body });
          ex.json(200, { input_tokens: countTokensEstimate(req) });
        } catch (err) {
          sendError(ex, 'claude', err instanceof TranslationError ? err.status : 400, (err as Error).message);
        }
        return true;
      },
    }),
  );
}
