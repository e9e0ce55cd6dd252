// Start an account login from the API (the same flows as the CLI flags) and
// follow it: GET /<provider>-auth-url → {url, state}; GET /get-auth-status.
import type { Register } from './context.js';
import type { LoginProvider } from '../types.js';

const ENDPOINTS: Array<[string, LoginProvider]> = [
  ['/anthropic-auth-url', 'anthropic'],
  ['/codex-auth-url', 'codex'],
  ['/gemini-cli-auth-url', 'gemini-cli'],
  ['/qwen-auth-url', 'qwen'],
  ['/iflow-auth-url', 'iflow'],
];

export const LOGINS_UNAVAILABLE = { error: 'login flows not available' };

export function registerLogins(add: Register): void {
  for (const [p, provider] of ENDPOINTS) {
    add('GET', p, async (c) => {
      const logins = c.m.logins;
      if (!logins) return c.reply(503, LOGINS_UNAVAILABLE);
      const webui = /^(1|true|yes|on)$/i.test(c.query('is_webui') ?? '');
      const projectId = c.query('project_id')?.trim() || undefined;
      try {
        const { url, state } = await logins.start(provider, { projectId, webui, gatewayUrl: c.m.gatewayUrl() });
        c.reply(200, { status: 'ok', url, state });
      } catch (err) {
        c.reply(500, { error: `failed to start ${provider} login: ${(err as Error).message}` });
      }
    });
  }
  add('GET', '/get-auth-status', (c) => {
    const logins = c.m.logins;
    if (!logins) return c.reply(503, LOGINS_UNAVAILABLE);
    const state = c.query('state') ?? '';
    if (!state) return c.reply(400, { error: 'missing state' });
    const s = logins.status(state);
    c.reply(200, s ?? { status: 'error', error: 'unknown or expired login state' });
  });
}
