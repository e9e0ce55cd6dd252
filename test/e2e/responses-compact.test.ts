// POST /v1/responses/compact through the official SDK (client.responses.compact):
// forwarded to a Codex backend's own /responses/compact; for any other upstream,
// a summary asked of the model, answered as the documented compacted response
// (user messages, then one compaction item). The answers are checked against
// the schema written from the public specification, and the compacted output
// is used on the next turn the way Codex CLI does.
import OpenAI, { APIError } from 'openai';
import t from 'tap';
import { CODEX_MOCK_COMPACTED } from '../mocks/codex-upstream.js';
import { ra, startResponsesMatrix } from '../helpers/responses-matrix.js';
import { checkCompacted, checkErrorBody, checkResponse } from '../helpers/responses-schema.js';

const m = await startResponsesMatrix();
const client = new OpenAI({ baseURL: `${m.gw.url}/v1`, apiKey: 'client-key', maxRetries: 0 });
t.teardown(() => m.close());

const conversation: OpenAI.Responses.ResponseInputItem[] = [
  { role: 'user', content: 'Plan the launch of the fox app.' },
  { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Step one: write the checklist.', annotations: [] }] } as unknown as OpenAI.Responses.ResponseInputItem,
  { role: 'user', content: 'Now shorten it.' },
];

async function raw(body: unknown): Promise<{ status: number; json: any }> {
  const r = await fetch(`${m.gw.url}/v1/responses/compact`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, json: await r.json() };
}

t.test('codex: forwarded to the backend /responses/compact, answer passed on', async (t) => {
  const { result, requests } = await m.seen('codex', () => client.responses.compact({ model: ra('codex', 'echo'), input: conversation, instructions: 'You are Codex.' }));
  t.same(checkCompacted(result), [], 'the answer conforms');
  t.equal(requests.length, 1, 'one upstream call');
  const up = requests[0]!;
  t.equal(new URL(up.url, 'http://x').pathname, '/backend-api/codex/responses/compact', 'the compact path');
  t.equal(up.headers.accept, 'application/json', 'a unary JSON call');
  t.equal(up.body.model, 'echo', 'the upstream model name');
  t.notOk('stream' in up.body, 'no stream field');
  t.equal(up.body.instructions, 'You are Codex.');
  t.match(up.body.input, [{ role: 'user' }, { role: 'assistant' }, { role: 'user' }], 'the conversation went as it was');
  t.equal(result.output.at(-1)?.type, 'compaction');
  t.equal((result.output.at(-1) as OpenAI.Responses.ResponseCompactionItem).encrypted_content, CODEX_MOCK_COMPACTED, "the backend's own item");
  t.equal(result.usage.total_tokens, 52, 'usage from the backend');
});

t.test('codex: an upstream error reaches the client in the Responses error shape', async (t) => {
  const err = (await client.responses.compact({ model: ra('codex', '400'), input: conversation }).catch((e: unknown) => e)) as APIError;
  t.type(err, OpenAI.BadRequestError);
  t.same(checkErrorBody({ error: err.error }), [], 'error body conforms');
});

for (const kind of ['claude', 'gemini', 'openai'] as const) {
  t.test(`${kind}: the model summarises; the answer is a compacted response`, async (t) => {
    const { result, requests } = await m.seen(kind, () => client.responses.compact({ model: ra(kind, 'echo'), input: conversation }));
    t.same(checkCompacted(result), [], 'the answer conforms');
    t.equal(requests.length, 1, 'one upstream call: the summary');
    const asked = JSON.stringify(requests[0]!.body);
    for (const text of ['Plan the launch of the fox app.', 'Step one: write the checklist.', 'Now shorten it.']) t.ok(asked.includes(text), `the transcript carries "${text}"`);
    const out = result.output as any[];
    t.same(out.slice(0, 2).map((o) => o.content[0].text), ['Plan the launch of the fox app.', 'Now shorten it.'], "the user's messages first");
    t.match(out[2], { type: 'message', role: 'user', content: [{ type: 'input_text', text: /^Summary of the earlier part/ }] }, 'the summary as a message');
    t.match(out[3], { type: 'compaction', id: /^cmp_/, encrypted_content: /^cliproxy-compaction:v1:/ }, 'one compaction item last');
    t.ok(result.usage.input_tokens > 0, 'usage of the summary call');
  });
}

t.test('the compacted output works as the next input, on Claude and on Codex', async (t) => {
  const compacted = await client.responses.compact({ model: ra('claude', 'echo'), input: conversation });
  const next = [...(compacted.output as unknown as OpenAI.Responses.ResponseInputItem[]), { role: 'user', content: 'What next?' } as OpenAI.Responses.ResponseInputItem];
  const onClaude = await m.seen('claude', () => client.responses.create({ model: ra('claude', 'echo'), input: next }));
  t.same(checkResponse(onClaude.result), [], 'the answer conforms');
  t.ok(JSON.stringify(onClaude.requests[0]!.body.messages).includes('Summary of the earlier part'), 'Claude reads the summary');
  const onCodex = await m.seen('codex', () => client.responses.create({ model: ra('codex', 'echo'), input: next }));
  t.equal(onCodex.result.status, 'completed');
  const sent = onCodex.requests[0]!.body.input as any[];
  t.notOk(sent.some((i) => i.type === 'compaction'), "the gateway's compaction item is not sent to the backend (it could not decrypt it)");
  t.ok(JSON.stringify(sent).includes('Summary of the earlier part'), 'the summary message is');
});

t.test('refusals in the Responses error shape', async (t) => {
  const noModel = await raw({ input: 'x' });
  t.equal(noModel.status, 400, 'missing model → 400');
  t.same(checkErrorBody(noModel.json), [], 'error body conforms');
  t.match(noModel.json.error, { type: 'invalid_request_error', message: /model/ });
  const streamed = await raw({ model: ra('claude', 'echo'), input: 'x', stream: true });
  t.equal(streamed.status, 400, 'stream: true → 400');
  t.same(checkErrorBody(streamed.json), []);
  const unknown = await raw({ model: 'no-such-model', input: 'x' });
  t.equal(unknown.status, 404, 'unknown model → 404');
  t.same(checkErrorBody(unknown.json), []);
  const junk = await fetch(`${m.gw.url}/v1/responses/compact`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
  t.equal(junk.status, 400, 'bad JSON → 400');
  const sdk = (await client.responses.compact({ input: 'x' } as unknown as OpenAI.Responses.ResponseCompactParams).catch((e: unknown) => e)) as APIError;
  t.type(sdk, OpenAI.BadRequestError, 'the SDK sees a BadRequestError');
});
