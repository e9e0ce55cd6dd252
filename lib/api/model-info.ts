// GET /v1/models/{id}: one model, as the OpenAI SDK's models.retrieve and the
// Anthropic SDK's models.retrieve ask for it (each in its own shape); a model
// no credential serves is a 404 the SDK raises as NotFoundError.
import type { GatewayContext } from '../runtime.js';
import type { Exchange } from '../server/exchange.js';
import { keyAllows } from '../access/client-keys.js';
import { sendError } from './errors.js';
import { isClaudeClient } from './models.js';

const PREFIX = '/v1/models/';

export function retrieveModel(gw: GatewayContext): (ex: Exchange) => void {
  return (ex) => {
    const rt = gw.runtime();
    const fmt = isClaudeClient(ex) ? 'claude' : 'openai-chat';
    const access = rt.keys.check({ headers: ex.headers, queryKey: ex.queryParam('key') });
    if (!access.ok) return sendError(ex, fmt, 401, access.message, 'invalid_api_key');
    let id: string;
    try {
      // The SDKs escape the id (a "/" in it comes as %2F).
      id = decodeURIComponent(ex.url.slice(PREFIX.length));
    } catch {
      return sendError(ex, fmt, 400, 'The model id in the path has a malformed percent-escape', 'invalid_request');
    }
    const m = keyAllows(access, id) ? rt.registry.list().find((e) => e.id === id) : undefined;
    if (!m) return sendError(ex, fmt, 404, `The model '${id.slice(0, 256)}' does not exist or no configured credential serves it`, 'model_not_found');
    if (fmt === 'claude') return ex.json(200, { type: 'model', id: m.id, display_name: m.id, created_at: new Date(m.created * 1000).toISOString() });
    ex.json(200, { id: m.id, object: 'model', created: m.created, owned_by: m.ownedBy });
  };
}
