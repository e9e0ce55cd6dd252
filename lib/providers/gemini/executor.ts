// Google Generative Language API with API keys: the model lives in the URL.
import type { ExecuteInput, ProviderExecutor } from '../executor.js';
import type { UpstreamRequest } from '../upstream.js';

export const GEMINI_DEFAULT_BASE = 'https://generativelanguage.googleapis.com';

export const geminiExecutor: ProviderExecutor = {
  kind: 'gemini',
  format: 'gemini',
  framing: 'sse',
  buildRequest({ credential, upstreamModel, body, stream, action, upstreamSse }: ExecuteInput): UpstreamRequest {
    const base = (credential.baseUrl || GEMINI_DEFAULT_BASE).replace(/\/+$/, '');
    const method =
      action === 'count-tokens' ? 'countTokens' : !stream ? 'generateContent' : upstreamSse === false ? 'streamGenerateContent' : 'streamGenerateContent?alt=sse';
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'cliproxy-ts' };
    if (credential.accessToken) headers['authorization'] = `Bearer ${credential.accessToken}`;
    else if (credential.apiKey) headers['x-goog-api-key'] = credential.apiKey;
    for (const k in credential.headers) headers[k.toLowerCase()] = credential.headers[k]!;
    return {
      url: `${base}/v1beta/models/${encodeURIComponent(upstreamModel)}:${method}`,
      method: 'POST',
      headers,
      body,
      proxyUrl: credential.proxyUrl,
    };
  },
};
