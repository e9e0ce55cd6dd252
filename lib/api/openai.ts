// OpenAI Chat Completions and legacy Completions surfaces.
import type { GatewayContext } from '../runtime.js';
import type { Exchange } from '../server/exchange.js';
import { guard, handleInference } from './inference.js';

export function chatCompletions(gw: GatewayContext): (ex: Exchange) => void {
  return guard('openai-chat', (ex) =>
    handleInference(gw, ex, {
      format: 'openai-chat',
      action: 'generate',
      model: (body) => body['model'],
      stream: (body) => body['stream'] === true,
    }),
  );
}

/** Legacy completions: translated onto whatever upstream serves the model. */
export function completions(gw: GatewayContext): (ex: Exchange) => void {
  return guard('openai-completions', (ex) =>
    handleInference(gw, ex, {
      format: 'openai-completions',
      action: 'generate',
      model: (body) => body['model'],
      stream: (body) => body['stream'] === true,
    }),
  );
}
