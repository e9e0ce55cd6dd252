// OpenAI Responses surface: what Codex CLI (wire_api = "responses") and the SDK call.
import type { GatewayContext } from '../runtime.js';
import type { Exchange } from '../server/exchange.js';
import { sendError } from './errors.js';
import { guard, handleInference } from './inference.js';

export function responses(gw: GatewayContext): (ex: Exchange) => void {
  return guard('openai-responses', (ex) =>
    handleInference(gw, ex, {
      format: 'openai-responses',
      action: 'generate',
      model: (body) => body['model'],
      stream: (body) => body['stream'] === true,
    }),
  );
}

/** Codex CLI first tries Responses over WebSocket (GET with Upgrade); a clear
 *  refusal makes it fall back to POST. */
export function responsesWebSocket(ex: Exchange): void {
  sendError(ex, 'openai-responses', 426, 'The Responses API over WebSocket is not supported by this gateway; use POST /v1/responses', 'websocket_not_supported');
}
