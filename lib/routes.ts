// Every HTTP route the gateway serves.
import { chatCompletions } from './api/openai.js';
import { listModels } from './api/models.js';
import { hello } from './api/root.js';
import type { GatewayContext } from './runtime.js';
import type { Route } from './server/app.js';
import type { Exchange } from './server/exchange.js';

export function routes(gw: GatewayContext): Route[] {
  return [
    { method: 'get', path: '/', handler: hello },
    { method: 'head', path: '/', handler: hello },
    { method: 'get', path: '/v1/models', handler: listModels(gw) },
    { method: 'post', path: '/v1/chat/completions', handler: chatCompletions(gw) },
  ];
}

export function notFound(ex: Exchange): void {
  ex.json(404, { error: { message: `Unknown endpoint: ${ex.method} ${ex.url}`, type: 'invalid_request_error', code: 'not_found' } });
}
