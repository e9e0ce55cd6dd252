// Qwen Code's OpenAI-compatible API (portal.qwen.ai/v1, or the host the token
// names) with OAuth access tokens. Streams ask for usage and carry a tool
// (patch.ts).
import type { ExecuteInput, ProviderExecutor } from '../executor.js';
import type { UpstreamRequest } from '../upstream.js';
import { chatCompletionsRequest } from '../openai-compat/chat-request.js';
import { qwenPatch } from './patch.js';

export const qwenExecutor: ProviderExecutor = {
  kind: 'qwen',
  format: 'openai-chat',
  framing: 'sse',
  patch: qwenPatch,
  buildRequest({ credential, body, stream }: ExecuteInput): UpstreamRequest {
    return chatCompletionsRequest(credential, body, stream, credential.accessToken || credential.apiKey, {
      'user-agent': 'google-api-nodejs-client/9.15.1',
      'x-goog-api-client': 'gl-node/22.17.0',
      'client-metadata': 'ideType=IDE_UNSPECIFIED,platform=PLATFORM_UNSPECIFIED,pluginType=GEMINI',
    });
  },
};
