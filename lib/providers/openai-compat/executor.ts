// Any OpenAI-compatible Chat Completions service (OpenRouter, vLLM, Ollama, …).
import type { ExecuteInput, ProviderExecutor } from '../executor.js';
import type { UpstreamRequest } from '../upstream.js';

export const openaiCompatExecutor: ProviderExecutor = {
  kind: 'openai-compat',
  format: 'openai-chat',
  framing: 'sse',
  buildRequest({ credential, body, stream }: ExecuteInput): UpstreamRequest {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: stream ? 'text/event-stream' : 'application/json',
      'user-agent': 'cliproxy-ts',
    };
    if (credential.apiKey) headers['authorization'] = `Bearer ${credential.apiKey}`;
    for (const k in credential.headers) headers[k.toLowerCase()] = credential.headers[k]!;
    return {
      url: `${credential.baseUrl}/chat/completions`,
      method: 'POST',
      headers,
      body,
      proxyUrl: credential.proxyUrl,
    };
  },
};
