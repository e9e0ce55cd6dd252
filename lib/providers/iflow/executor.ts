// iFlow's OpenAI-compatible API (apis.iflow.cn/v1) with the API key the
// login fetched. An empty tools list gets a placeholder tool, as the
// reference sends it (iFlow's streaming misbehaves on `tools: []`).
import type { ExecuteInput, ProviderExecutor } from '../executor.js';
import type { UpstreamRequest } from '../upstream.js';

const PLACEHOLDER = [{ type: 'function', function: { name: 'noop', description: 'Placeholder tool to stabilise streaming', parameters: { type: 'object' } } }];

function fixTools(body: string | Buffer): string | Buffer {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  if (!/"tools"\s*:\s*\[\s*\]/.test(text)) return body;
  try {
    const obj = JSON.parse(text) as Record<string, unknown>;
    if (Array.isArray(obj['tools']) && obj['tools'].length === 0) obj['tools'] = PLACEHOLDER;
    return JSON.stringify(obj);
  } catch {
    return body;
  }
}

export const iflowExecutor: ProviderExecutor = {
  kind: 'iflow',
  format: 'openai-chat',
  framing: 'sse',
  buildRequest({ credential, body, stream }: ExecuteInput): UpstreamRequest {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: stream ? 'text/event-stream' : 'application/json',
      authorization: `Bearer ${credential.apiKey || credential.accessToken}`,
      'user-agent': 'iFlow-Cli',
    };
    for (const k in credential.headers) headers[k.toLowerCase()] = credential.headers[k]!;
    return { url: `${credential.baseUrl}/chat/completions`, method: 'POST', headers, body: fixTools(body), proxyUrl: credential.proxyUrl };
  },
};
