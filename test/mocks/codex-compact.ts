// POST …/responses/compact on the mock Codex backend, following the public
// reference (CompactResource in the Open Responses spec, CompactedResponse in
// the openai package): a JSON (never streamed) `response.compaction` object
// whose output is the conversation's user messages followed by one opaque
// compaction item. The Codex flavour wants `input` as a list and instructions,
// and refuses `stream` (the endpoint has no streaming form).
import type http from 'node:http';

export const CODEX_MOCK_COMPACTED = 'enc-compact-1';

type Send = (res: http.ServerResponse, status: number, body: unknown) => void;

const bad = (send: Send, res: http.ServerResponse, detail: string) => send(res, 400, { detail });

export function compact(res: http.ServerResponse, body: any, codex: boolean, send: Send): void {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return bad(send, res, 'Request body must be a JSON object');
  if (typeof body.model !== 'string' || !body.model) return send(res, 400, { error: { message: "Missing required parameter: 'model'.", type: 'invalid_request_error', param: 'model', code: 'missing_required_parameter' } });
  if (body.stream !== undefined) return bad(send, res, 'Unsupported parameter: stream');
  if (codex && !Array.isArray(body.input)) return bad(send, res, 'Input must be a list');
  if (codex && (typeof body.instructions !== 'string' || !body.instructions.trim())) return bad(send, res, 'Instructions are required');
  const failure = /^fail-(\d{3})$/.exec(body.model);
  if (failure) return send(res, Number(failure[1]), { error: { message: `mock upstream error ${failure[1]}`, type: 'invalid_request_error', param: null, code: null } });
  const items: any[] = typeof body.input === 'string' ? [{ type: 'message', role: 'user', content: body.input }] : body.input ?? [];
  const users = items
    .filter((it) => it && (it.type === 'message' || it.type === undefined) && it.role === 'user')
    .map((it, i) => ({
      id: `msg_mock_user_${i}`,
      type: 'message',
      status: 'completed',
      role: 'user',
      content: typeof it.content === 'string' ? [{ type: 'input_text', text: it.content }] : it.content,
    }));
  send(res, 200, {
    id: `resp_compact_${Date.now().toString(36)}`,
    object: 'response.compaction',
    created_at: Math.floor(Date.now() / 1000),
    output: [...users, { id: 'cmp_mock_1', type: 'compaction', encrypted_content: CODEX_MOCK_COMPACTED }],
    usage: { input_tokens: 40, input_tokens_details: { cached_tokens: 0 }, output_tokens: 12, output_tokens_details: { reasoning_tokens: 4 }, total_tokens: 52 },
  });
}
