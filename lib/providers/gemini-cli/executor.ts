// Gemini Code Assist (cloudcode-pa …/v1internal) with Google OAuth tokens:
// the Gemini request travels in an envelope naming the account's project.
import type { ExecuteInput, ProviderExecutor } from '../executor.js';
import type { UpstreamRequest } from '../upstream.js';

export const CODE_ASSIST_BASE = 'https://cloudcode-pa.googleapis.com';

const HEADERS = {
  'user-agent': 'google-api-nodejs-client/9.15.1',
  'x-goog-api-client': 'gl-node/22.17.0',
  'client-metadata': 'ideType=IDE_UNSPECIFIED,platform=PLATFORM_UNSPECIFIED,pluginType=GEMINI',
};

/** The envelope with this account's project and the upstream model (count-tokens carries neither). */
function envelope(body: string | Buffer, project: string, model: string, count: boolean): string {
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(typeof body === 'string' ? body : body.toString('utf8')) as Record<string, unknown>;
  } catch {
    return typeof body === 'string' ? body : body.toString('utf8');
  }
  if (count) {
    delete obj['project'];
    delete obj['model'];
  } else {
    obj['project'] = project;
    obj['model'] = model;
  }
  return JSON.stringify(obj);
}

export const geminiCliExecutor: ProviderExecutor = {
  kind: 'gemini-cli',
  format: 'gemini-cli',
  framing: 'sse',
  buildRequest({ credential, upstreamModel, body, stream, action, upstreamSse }: ExecuteInput): UpstreamRequest {
    const base = (credential.baseUrl || CODE_ASSIST_BASE).replace(/\/+$/, '');
    const count = action === 'count-tokens';
    const method = count ? 'countTokens' : !stream ? 'generateContent' : upstreamSse === false ? 'streamGenerateContent' : 'streamGenerateContent?alt=sse';
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
      body: envelope(body, credential.projectId ?? '', upstreamModel, count),
      proxyUrl: credential.proxyUrl,
    };
  },
};
