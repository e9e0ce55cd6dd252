// Every HTTP route the gateway serves.
import { formatForPath } from './api/browser-gate.js';
import { countTokens, messages } from './api/claude.js';
import { sendError } from './api/errors.js';
import { CODE_ASSIST_METHODS, codeAssist } from './api/gemini-cli.js';
import { geminiAction, getGeminiModel, listGeminiModels } from './api/gemini.js';
import { retrieveModel } from './api/model-info.js';
import { listModels } from './api/models.js';
import { chatCompletions, completions } from './api/openai.js';
import { responses, responsesCompact, responsesSocket, responsesUpgradeRequired } from './api/responses.js';
import { hello } from './api/root.js';
import { managementRoutes } from './management/router.js';
import type { Management } from './management/service.js';
import type { GatewayContext } from './runtime.js';
import type { Route } from './server/app.js';
import type { Exchange } from './server/exchange.js';

export function routes(gw: GatewayContext, management: Management): Route[] {
  return [
    ...managementRoutes(management),
    { method: 'get', path: '/', handler: hello },
    { method: 'head', path: '/', handler: hello },
    { method: 'get', path: '/v1/models', handler: listModels(gw) },
    { method: 'get', path: '/v1/models/:id', handler: retrieveModel(gw) },
    { method: 'post', path: '/v1/chat/completions', handler: chatCompletions(gw) },
    { method: 'post', path: '/v1/completions', handler: completions(gw) },
    { method: 'post', path: '/v1/messages', handler: messages(gw) },
    { method: 'post', path: '/v1/messages/count_tokens', handler: countTokens(gw) },
    { method: 'post', path: '/v1/responses', handler: responses(gw) },
    { method: 'post', path: '/v1/responses/compact', handler: responsesCompact(gw) },
    { method: 'get', path: '/v1/responses', handler: responsesUpgradeRequired, upgrade: responsesSocket(gw) },
    { method: 'get', path: '/v1beta/models', handler: listGeminiModels(gw) },
    { method: 'get', path: '/v1beta/models/:model', handler: getGeminiModel(gw) },
    { method: 'post', path: '/v1beta/models/:action', handler: geminiAction(gw) },
    ...CODE_ASSIST_METHODS.map((m): Route => ({ method: 'post', path: `/v1internal:${m}`, handler: codeAssist(gw, m) })),
  ];
}

/** Served by the management side: its own JSON error shape ({"error": "…"}). */
const MANAGEMENT_PAGES = new Set(['/management.html', '/metrics']);

/** Unknown paths: 404. A known path asked with another method (`allow`: the
 *  ones it serves): 405 with Allow, in the error shape that path's clients read. */
export function notFound(ex: Exchange, allow?: string[]): void {
  if (!allow) {
    const message = `Unknown endpoint: ${ex.method} ${ex.url}`;
    // Under the Anthropic and Google prefixes, their own 404 shape; elsewhere OpenAI's (its type for an unknown URL).
    const fmt = formatForPath(ex.url);
    if (fmt === 'claude' || fmt === 'gemini' || fmt === 'gemini-cli') return sendError(ex, fmt, 404, message, 'not_found');
    ex.json(404, { error: { message, type: 'invalid_request_error', code: 'not_found' } });
    return;
  }
  const headers = { allow: allow.join(', ') };
  // A plain OPTIONS (a browser's preflight was answered or refused by the gate already) learns the methods.
  if (ex.method === 'OPTIONS') return ex.send(204, '', headers);
  // Exchange.method is upper-cased: one the path serves came in another case (methods are case-sensitive).
  const message = allow.includes(ex.method)
    ? `Method names are case-sensitive: ${ex.url} accepts ${allow.join(', ')}`
    : `Method ${ex.method} is not allowed on ${ex.url}; it accepts ${allow.join(', ')}`;
  if (MANAGEMENT_PAGES.has(ex.url)) ex.json(405, { error: message }, { ...headers, 'cache-control': 'no-store' });
  else sendError(ex, formatForPath(ex.url), 405, message, 'method_not_allowed', headers);
}
