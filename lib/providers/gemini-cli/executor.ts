// Gemini Code Assist (cloudcode-pa …/v1internal) with Google OAuth tokens:
// the Gemini request travels in an envelope naming the account's project
// (patch.ts fills it in).
import type { ExecuteInput, ProviderExecutor } from '../executor.js';
import type { UpstreamRequest } from '../upstream.js';
import { geminiCliPatch } from './patch.js';

export const CODE_ASSIST_BASE = 'https://cloudcode-pa.googleapis.com';

const HEADERS = {
  'user-agent': 'google-api-nodejs-client/9.15.1',
  'x-goog-api-client': 'gl-node/22.17.0',
  'client-metadata': 'ideType=IDE_UNSPECIFIED,platform=PLATFORM_UNSPECIFIED,pluginType=GEMINI',
};

export const geminiCliExecutor: ProviderExecutor = {
  kind: 'gemini-cli',
  format: 'gemini-cli',
  framing: 'sse',
  patch: geminiCliPatch,
  buildRequest({ credential, body, stream, action, upstreamSse }: ExecuteInput): UpstreamRequest {
    const base = (credential.baseUrl || CODE_ASSIST_BASE).replace(/\/+$/, '');
    const method = action === 'count-tokens' ? 'countTokens' : !stream ? 'generateContent' : upstreamSse === false ? 'streamGenerateContent' : 'streamGenerateContent?alt=sse';
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: stream && upstreamSse !== false ? 'text/event-stream' : 'application/json',
      ...HEADERS,
      authorization: `Bearer ${credential.accessToken || credential.apiKey}`,
    };
    for (const k in credential.headers) headers[k.toLowerCase()] = credential.headers[k]!;
    return {
      url: `${base}/v1internal:${method}`,
      method: 'POST',
      headers,
      body,
      proxyUrl: credential.proxyUrl,
    };
  },
};
