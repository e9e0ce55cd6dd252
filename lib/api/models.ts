// GET /v1/models: the models some configured credential can serve.
import type { GatewayContext } from '../runtime.js';
import type { Exchange } from '../server/exchange.js';
import { sendError } from './errors.js';
import { keyAllows } from '../access/client-keys.js';

export function isClaudeClient(ex: Exchange): boolean {
  return Boolean(ex.headers['anthropic-version']) || /claude-cli|claude-code|anthropic/i.test(ex.headers['user-agent'] ?? '');
}

export function listModels(gw: GatewayContext): (ex: Exchange) => void {
  return (ex) => {
    const rt = gw.runtime();
    const claude = isClaudeClient(ex);
    const access = rt.keys.check({ headers: ex.headers, queryKey: ex.queryParam('key') });
    if (!access.ok) return sendError(ex, claude ? 'claude' : 'openai-chat', 401, access.message, 'invalid_api_key');
    // A key with a model list sees only the models it may use.
    const models = rt.registry.list().filter((m) => keyAllows(access, m.id));
    if (claude) {
      const data = models.map((m) => ({
        type: 'model',
        id: m.id,
        display_name: m.id,
        created_at: new Date(m.created * 1000).toISOString(),
      }));
      return ex.json(200, { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
    }
    ex.json(200, { object: 'list', data: models.map((m) => ({ id: m.id, object: 'model', created: m.created, owned_by: m.ownedBy })) });
  };
}
