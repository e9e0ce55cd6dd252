// Anthropic Messages surface: what Claude Code and the Anthropic SDK call.
import { getCodec } from '../../pipelines/index.js';
import { countTokensEstimate } from '../../pipelines/formats/claude/index.js';
import { TranslationError } from '../../pipelines/ir.js';
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
    }),
  );
}

/** count_tokens: a Claude upstream counts; for any other upstream the gateway estimates. */
export function countTokens(gw: GatewayContext): (ex: Exchange) => void {
  return guard('claude', (ex) =>
    handleInference(gw, ex, {
      format: 'claude',
      action: 'count-tokens',
      model: (body) => body['model'],
      stream: () => false,
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
