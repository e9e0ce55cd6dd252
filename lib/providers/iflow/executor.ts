// iFlow's OpenAI-compatible API (apis.iflow.cn/v1) with the API key the
// login fetched. An empty tools list gets a placeholder tool, as the
// reference sends it (iFlow's streaming misbehaves on `tools: []`).
import type { ExecuteInput, ProviderExecutor } from '../executor.js';
import type { UpstreamRequest } from '../upstream.js';
import { chatCompletionsRequest } from '../openai-compat/chat-request.js';

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
    return chatCompletionsRequest(credential, fixTools(body), stream, credential.apiKey || credential.accessToken, { 'user-agent': 'iFlow-Cli' });
  },
};
