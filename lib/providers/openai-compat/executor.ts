// Any OpenAI-compatible Chat Completions service (OpenRouter, vLLM, Ollama, …).
import type { ExecuteInput, ProviderExecutor } from '../executor.js';
import type { UpstreamRequest } from '../upstream.js';
import { chatCompletionsRequest } from './chat-request.js';

export const openaiCompatExecutor: ProviderExecutor = {
  kind: 'openai-compat',
  format: 'openai-chat',
  framing: 'sse',
  buildRequest({ credential, body, stream }: ExecuteInput): UpstreamRequest {
    return chatCompletionsRequest(credential, body, stream, credential.apiKey, { 'user-agent': 'cliproxy-ts' });
  },
};
