// Anthropic Messages API (API keys; OAuth tokens reuse it with Bearer auth).
import type { ExecuteInput, ProviderExecutor } from '../executor.js';
import type { UpstreamRequest } from '../upstream.js';

export const CLAUDE_DEFAULT_BASE = 'https://api.anthropic.com';

// Betas the reference sends so thinking interleaves with tools and tool
// arguments stream finely; a client's own anthropic-beta wins (see inbound headers).
const DEFAULT_BETAS = 'interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14';

export const claudeExecutor: ProviderExecutor = {
  kind: 'claude',
  format: 'claude',
  framing: 'sse',
  buildRequest({ credential, body, stream, action, clientHeaders }: ExecuteInput): UpstreamRequest {
    const base = credential.baseUrl || CLAUDE_DEFAULT_BASE;
    const path = action === 'count-tokens' ? '/v1/messages/count_tokens' : '/v1/messages';
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: stream ? 'text/event-stream' : 'application/json',
      'anthropic-version': clientHeaders?.['anthropic-version'] || '2023-06-01',
      'anthropic-beta': clientHeaders?.['anthropic-beta'] || DEFAULT_BETAS,
      'user-agent': 'cliproxy-ts',
    };
    // OAuth access tokens go as Bearer; console API keys as x-api-key.
    if (credential.accessToken) headers['authorization'] = `Bearer ${credential.accessToken}`;
    else if (credential.apiKey) headers['x-api-key'] = credential.apiKey;
    for (const k in credential.headers) headers[k.toLowerCase()] = credential.headers[k]!;
    return { url: `${base.replace(/\/+$/, '')}${path}?beta=true`, method: 'POST', headers, body, proxyUrl: credential.proxyUrl };
  },
};
