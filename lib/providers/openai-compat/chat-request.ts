// The Chat Completions request every OpenAI-chat upstream gets (OpenAI-
// compatible services, Qwen, iFlow): only the token, user agent and a few
// extra headers differ between them.
import type { Credential } from '../../routing/credentials.js';
import type { UpstreamRequest } from '../upstream.js';

export function chatCompletionsRequest(
  credential: Credential,
  body: string | Buffer,
  stream: boolean,
  token: string | undefined,
  extra: Record<string, string>,
): UpstreamRequest {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: stream ? 'text/event-stream' : 'application/json',
    ...extra,
  };
  if (token) headers['authorization'] = `Bearer ${token}`;
  for (const k in credential.headers) headers[k.toLowerCase()] = credential.headers[k]!;
  return { url: `${credential.baseUrl}/chat/completions`, method: 'POST', headers, body, proxyUrl: credential.proxyUrl };
}
