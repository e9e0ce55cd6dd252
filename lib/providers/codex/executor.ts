// The ChatGPT Codex backend (Responses API). It only streams: a non-stream
// client's answer is folded from the stream by the response shaper.
import type { ExecuteInput, ProviderExecutor } from '../executor.js';
import type { UpstreamRequest } from '../upstream.js';

export const CODEX_DEFAULT_BASE = 'https://chatgpt.com/backend-api/codex';

export const codexExecutor: ProviderExecutor = {
  kind: 'codex',
  format: 'codex',
  framing: 'sse',
  alwaysStreams: true,
  buildRequest({ credential, body }: ExecuteInput): UpstreamRequest {
    const base = (credential.baseUrl || CODEX_DEFAULT_BASE).replace(/\/+$/, '');
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      'openai-beta': 'responses=experimental',
      version: '0.21.0',
      originator: 'codex_cli_rs',
      'user-agent': 'cliproxy-ts',
      authorization: `Bearer ${credential.accessToken || credential.apiKey}`,
    };
    if (credential.accountId) headers['chatgpt-account-id'] = credential.accountId;
    for (const k in credential.headers) headers[k.toLowerCase()] = credential.headers[k]!;
    return { url: `${base}/responses`, method: 'POST', headers, body, proxyUrl: credential.proxyUrl };
  },
};
