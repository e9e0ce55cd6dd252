// Anthropic Messages API. Console API keys go as x-api-key; Claude OAuth
// tokens (token files from --claude-login) as Bearer, with the headers and
// betas Claude Code sends — the API serves OAuth tokens only to Claude Code —
// and its identity as the first system block (patch.ts).
import type { ExecuteInput, ProviderExecutor } from '../executor.js';
import type { UpstreamRequest } from '../upstream.js';
import { claudePatch } from './patch.js';

export { CLAUDE_CODE_IDENTITY } from './patch.js';

export const CLAUDE_DEFAULT_BASE = 'https://api.anthropic.com';

// Betas the reference sends so thinking interleaves with tools and tool
// arguments stream finely; a client's own anthropic-beta wins (see inbound headers).
const DEFAULT_BETAS = 'interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14';
const OAUTH_BETA = 'oauth-2025-04-20';
const OAUTH_BETAS = `claude-code-20250219,${OAUTH_BETA},${DEFAULT_BETAS}`;

/** What Claude Code sends besides auth (reference a7d105bd6, applyClaudeHeaders). */
const CLAUDE_CODE_HEADERS: Record<string, string> = {
  'anthropic-dangerous-direct-browser-access': 'true',
  'x-app': 'cli',
  'x-stainless-helper-method': 'stream',
  'x-stainless-retry-count': '0',
  'x-stainless-runtime-version': 'v24.3.0',
  'x-stainless-package-version': '0.55.1',
  'x-stainless-runtime': 'node',
  'x-stainless-lang': 'js',
  'x-stainless-arch': 'arm64',
  'x-stainless-os': 'MacOS',
  'x-stainless-timeout': '60',
  'user-agent': 'claude-cli/1.0.83 (external, cli)',
};

export const claudeExecutor: ProviderExecutor = {
  kind: 'claude',
  format: 'claude',
  framing: 'sse',
  patch: claudePatch,
  buildRequest({ credential, body, stream, action, clientHeaders }: ExecuteInput): UpstreamRequest {
    const base = credential.baseUrl || CLAUDE_DEFAULT_BASE;
    const path = action === 'count-tokens' ? '/v1/messages/count_tokens' : '/v1/messages';
    const oauth = !!credential.accessToken;
    const clientBeta = clientHeaders?.['anthropic-beta'];
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: stream ? 'text/event-stream' : 'application/json',
      'anthropic-version': clientHeaders?.['anthropic-version'] || '2023-06-01',
      'anthropic-beta': clientBeta || DEFAULT_BETAS,
      'user-agent': 'cliproxy-ts',
    };
    if (oauth) {
      Object.assign(headers, CLAUDE_CODE_HEADERS);
      headers['anthropic-beta'] = clientBeta ? (clientBeta.includes(OAUTH_BETA) ? clientBeta : `${clientBeta},${OAUTH_BETA}`) : OAUTH_BETAS;
      headers['authorization'] = `Bearer ${credential.accessToken}`;
    } else if (credential.apiKey) headers['x-api-key'] = credential.apiKey;
    for (const k in credential.headers) headers[k.toLowerCase()] = credential.headers[k]!;
    return { url: `${base.replace(/\/+$/, '')}${path}?beta=true`, method: 'POST', headers, body, proxyUrl: credential.proxyUrl };
  },
};
