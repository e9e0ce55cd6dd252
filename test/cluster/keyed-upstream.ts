// An OpenAI-compatible Chat Completions upstream that tells its API keys
// apart: it counts requests per key and can refuse one key with 429 (and a
// Retry-After), as a provider does when that key's quota is spent. Answers
// carry a fixed usage so usage totals can be checked exactly.
import { startRecordingServer, type RecordedRequest } from '../mocks/recording-server.js';

export const USAGE = { prompt_tokens: 7, completion_tokens: 5, total_tokens: 12 };

export interface KeyedUpstream {
  url: string;
  requests: RecordedRequest[];
  /** Requests seen per key (the Bearer value). */
  perKey(): Record<string, number>;
  /** Answer 429 to every request with this key from now on (undefined: none). */
  limit(key: string | undefined, retryAfterSeconds?: number): void;
  close(): Promise<void>;
}

export async function startKeyedUpstream(): Promise<KeyedUpstream> {
  let limited: { key: string; retryAfter: number } | undefined;
  const srv = await startRecordingServer((req, res, body) => {
    const key = String(req.headers['authorization'] ?? '').replace(/^Bearer\s+/i, '');
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions') || typeof body?.model !== 'string') {
      res.writeHead(400, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ error: { message: 'bad request', type: 'invalid_request_error' } }));
    }
    if (limited && key === limited.key) {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(limited.retryAfter) });
      return void res.end(JSON.stringify({ error: { message: 'Rate limit reached for requests', type: 'rate_limit_exceeded', code: 'rate_limit_exceeded' } }));
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: `chatcmpl-${srv.requests.length}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
        usage: USAGE,
      }),
    );
  });
  return {
    url: `http://127.0.0.1:${srv.port}/v1`,
    requests: srv.requests,
    perKey() {
      const out: Record<string, number> = {};
      for (const r of srv.requests) {
        const k = String(r.headers['authorization'] ?? '').replace(/^Bearer\s+/i, '');
        out[k] = (out[k] ?? 0) + 1;
      }
      return out;
    },
    limit(key, retryAfterSeconds = 600) {
      limited = key === undefined ? undefined : { key, retryAfter: retryAfterSeconds };
    },
    close: srv.close,
  };
}
