// The ChatGPT Codex backend (Responses API). It only streams: a non-stream
// client's answer is folded from the stream by the response shaper.
// ChatGPT OAuth tokens (--codex-login) also name the account
// (chatgpt-account-id) and say which client they belong to (originator).
// Every request carries a prompt cache key — the client's, or one derived
// from the conversation's start — so one conversation keeps hitting the
// backend's prompt cache; it doubles as session and conversation id.
import { createHash } from 'node:crypto';
import type { ExecuteInput, ProviderExecutor } from '../executor.js';
import type { UpstreamRequest } from '../upstream.js';

export const CODEX_DEFAULT_BASE = 'https://chatgpt.com/backend-api/codex';
const CODEX_UA = 'codex_cli_rs/0.50.0 (Mac OS 26.0.1; arm64) Apple_Terminal/464';

function uuidFrom(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The body with a prompt cache key, and that key. */
function withCacheKey(body: string | Buffer): { body: string | Buffer; key?: string } {
  let obj: Record<string, unknown>;
  try {
    obj = JSON.parse(typeof body === 'string' ? body : body.toString('utf8')) as Record<string, unknown>;
  } catch {
    return { body };
  }
  const given = obj['prompt_cache_key'];
  if (typeof given === 'string' && given) return { body, key: given };
  const input = Array.isArray(obj['input']) ? obj['input'] : [];
  const key = uuidFrom(JSON.stringify([obj['model'], obj['instructions'], input[0] ?? null]));
  obj['prompt_cache_key'] = key;
  return { body: JSON.stringify(obj), key };
}

export const codexExecutor: ProviderExecutor = {
  kind: 'codex',
  format: 'codex',
  framing: 'sse',
  alwaysStreams: true,
  buildRequest({ credential, body }: ExecuteInput): UpstreamRequest {
    const base = (credential.baseUrl || CODEX_DEFAULT_BASE).replace(/\/+$/, '');
    const oauth = !!credential.accessToken;
    const cached = withCacheKey(body);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      'openai-beta': 'responses=experimental',
      version: '0.21.0',
      originator: 'codex_cli_rs',
      'user-agent': oauth ? CODEX_UA : 'cliproxy-ts',
      authorization: `Bearer ${credential.accessToken || credential.apiKey}`,
    };
    if (cached.key) {
      headers['session_id'] = cached.key;
      headers['conversation_id'] = cached.key;
    }
    if (credential.accountId) headers['chatgpt-account-id'] = credential.accountId;
    for (const k in credential.headers) headers[k.toLowerCase()] = credential.headers[k]!;
    return { url: `${base}/responses`, method: 'POST', headers, body: cached.body, proxyUrl: credential.proxyUrl };
  },
};
