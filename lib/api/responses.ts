// OpenAI Responses surface: what Codex CLI (wire_api = "responses") and the SDK call.
//   POST /v1/responses            create (JSON, or SSE with stream: true)
//   POST /v1/responses/compact    compaction (responses-compact.ts)
//   GET  /v1/responses + Upgrade  the same over WebSocket (responses-ws.ts)
import type { WebSocketBehavior } from 'uWebSockets.js';
import type { GatewayContext } from '../runtime.js';
import type { Exchange } from '../server/exchange.js';
import { sendError } from './errors.js';
import { guard, handleInference } from './inference.js';
import { responsesWebSocket } from './responses-ws.js';

export { responsesCompact } from './responses-compact.js';

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

/** The WebSocket endpoint; each turn runs the POST handler. */
export function responsesSocket(gw: GatewayContext): WebSocketBehavior<any> {
  return responsesWebSocket(gw, responses(gw));
}

/** A plain GET on the WebSocket path. */
export function responsesUpgradeRequired(ex: Exchange): void {
  sendError(ex, 'openai-responses', 426, 'GET /v1/responses is the Responses API over WebSocket: connect with an Upgrade, or POST /v1/responses', 'upgrade_required');
}
