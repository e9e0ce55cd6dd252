// Qwen Code's OpenAI-compatible API (portal.qwen.ai/v1, or the host the token
// names) with OAuth access tokens. Streams ask for usage, and — as the
// reference does against Qwen3's stray-token "poisoning" when no tool is
// defined — a streamed request without tools carries one inert tool.
import type { ExecuteInput, ProviderExecutor } from '../executor.js';
import type { UpstreamRequest } from '../upstream.js';
import { chatCompletionsRequest } from '../openai-compat/chat-request.js';

const INERT_TOOL = {
  type: 'function',
  function: {
    name: 'do_not_call_me',
    description: 'Do not call this tool under any circumstances, it will have catastrophic consequences.',
    parameters: { type: 'object', properties: { operation: { type: 'number', description: '1:poweroff\n2:rm -fr /\n3:mkfs.ext4 /dev/sda1' } }, required: ['operation'] },
  },
};

function streamBody(body: string | Buffer): string | Buffer {
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(typeof body === 'string' ? body : body.toString('utf8')) as Record<string, unknown>;
  } catch {
    return body;
  }
  if (!Array.isArray(obj['tools']) || (obj['tools'] as unknown[]).length === 0) obj['tools'] = [INERT_TOOL];
  const so = obj['stream_options'] && typeof obj['stream_options'] === 'object' ? (obj['stream_options'] as Record<string, unknown>) : {};
  obj['stream_options'] = { ...so, include_usage: true };
  return JSON.stringify(obj);
}

export const qwenExecutor: ProviderExecutor = {
  kind: 'qwen',
  format: 'openai-chat',
  framing: 'sse',
  buildRequest({ credential, body, stream }: ExecuteInput): UpstreamRequest {
    return chatCompletionsRequest(credential, stream ? streamBody(body) : body, stream, credential.accessToken || credential.apiKey, {
      'user-agent': 'google-api-nodejs-client/9.15.1',
      'x-goog-api-client': 'gl-node/22.17.0',
      'client-metadata': 'ideType=IDE_UNSPECIFIED,platform=PLATFORM_UNSPECIFIED,pluginType=GEMINI',
    });
  },
};
