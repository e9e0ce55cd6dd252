// AI Studio through the WebSocket relay: the same Gemini API requests as the
// gemini executor, executed by the connected app inside the user's browser
// session (which carries the authentication, so no key is sent).
import { relayTransport } from '../../relay/transport.js';
import type { ExecuteInput, ProviderExecutor } from '../executor.js';
import type { UpstreamRequest } from '../upstream.js';

export const AISTUDIO_BASE = 'https://generativelanguage.googleapis.com';

export const aistudioExecutor: ProviderExecutor = {
  kind: 'aistudio',
  format: 'gemini',
  framing: 'sse',
  buildRequest({ credential, upstreamModel, body, stream, action, upstreamSse }: ExecuteInput): UpstreamRequest {
    const method =
      action === 'count-tokens' ? 'countTokens' : !stream ? 'generateContent' : upstreamSse === false ? 'streamGenerateContent' : 'streamGenerateContent?alt=sse';
    return {
      url: `${credential.baseUrl || AISTUDIO_BASE}/v1beta/models/${encodeURIComponent(upstreamModel)}:${method}`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      proxyUrl: '',
      transport: relayTransport(credential.id),
    };
  },
};
