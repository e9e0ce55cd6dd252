// The ChatGPT Codex backend (Responses API). It only streams: a non-stream
// client's answer is folded from the stream by the response shaper.
// ChatGPT OAuth tokens (--codex-login) also name the account
// (chatgpt-account-id) and say which client they belong to (originator).
// The prompt cache key (patch.ts) doubles as session and conversation id:
// those headers come from the patch, as patchHeaders.
import type { ExecuteInput, ProviderExecutor } from '../executor.js';
import type { UpstreamRequest } from '../upstream.js';
import { codexPatch } from './patch.js';

export const CODEX_DEFAULT_BASE = 'https://chatgpt.com/backend-api/codex';
const CODEX_UA = 'codex_cli_rs/0.50.0 (Mac OS 26.0.1; arm64) Apple_Terminal/464';

export const codexExecutor: ProviderExecutor = {
  kind: 'codex',
  format: 'codex',
  framing: 'sse',
  alwaysStreams: true,
  patch: codexPatch,
  buildRequest({ credential, body, patchHeaders, action }: ExecuteInput): UpstreamRequest {
    // Compaction is a unary JSON call on its own path; everything else streams.
    const base = (credential.baseUrl || CODEX_DEFAULT_BASE).replace(/\/+$/, '');
    const oauth = !!credential.accessToken;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: action === 'compact' ? 'application/json' : 'text/event-stream',
      'openai-beta': 'responses=experimental',
      version: '0.21.0',
      originator: 'codex_cli_rs',
      'user-agent': oauth ? CODEX_UA : 'cliproxy-ts',
      authorization: `Bearer ${credential.accessToken || credential.apiKey}`,
      ...patchHeaders,
    };
    if (credential.accountId) headers['chatgpt-account-id'] = credential.accountId;
    for (const k in credential.headers) headers[k.toLowerCase()] = credential.headers[k]!;
    return { url: `${base}/responses${action === 'compact' ? '/compact' : ''}`, method: 'POST', headers, body, proxyUrl: credential.proxyUrl };
  },
};
