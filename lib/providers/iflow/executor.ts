// iFlow's OpenAI-compatible API (apis.iflow.cn/v1) with the API key the
// login fetched. An empty tools list gets a placeholder tool (patch.ts).
import type { ExecuteInput, ProviderExecutor } from '../executor.js';
import type { UpstreamRequest } from '../upstream.js';
import { chatCompletionsRequest } from '../openai-compat/chat-request.js';
import { iflowPatch } from './patch.js';

export const iflowExecutor: ProviderExecutor = {
  kind: 'iflow',
  format: 'openai-chat',
  framing: 'sse',
  patch: iflowPatch,
  buildRequest({ credential, body, stream }: ExecuteInput): UpstreamRequest {
    return chatCompletionsRequest(credential, body, stream, credential.apiKey || credential.accessToken, { 'user-agent': 'iFlow-Cli' });
  },
};
