// Gemini Code Assist envelope codec: the Gemini codec wrapped in
// {model, project, request} / {response}.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { codec, decodeCountTokensRequest, encodeCountTokensRequest, unwrap } from '../../pipelines/formats/gemini-cli/index.js';
import { codec as gemini } from '../../pipelines/formats/gemini/index.js';
import { foldEvents } from '../../pipelines/fold.js';
import type { StreamFrame } from '../../pipelines/codec.js';
import type { IREvent, IRRequest, IRToolCallPart, IRToolResultPart } from '../../pipelines/ir.js';

type J = Record<string, any>;
const FIX = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'gemini-cli');
const fixture = (name: string) => readFileSync(join(FIX, name), 'utf8');

function sseFrames(text: string): StreamFrame[] {
  return text
    .split(/\r?\n\r?\n/)
    .map((b) => b.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n'))
    .filter(Boolean)
    .map((data) => ({ data }));
}

function decodeAll(frames: StreamFrame[]): IREvent[] {
  const d = codec.createStreamDecoder();
  return [...frames.flatMap((f) => d.push(f)), ...d.end()];
}

t.test('decodes the Code Assist request envelope', async (t) => {
  const req = codec.decodeRequest(JSON.parse(fixture('request.json')));
  t.equal(req.model, 'gemini-2.5-pro');
  t.same(req.extras['gemini-cli'], {
    project: 'cloudaicompanion-hidden-123456',
    user_prompt_id: '5a7c1f0e-2d44-4c1b-9a0e-6a3f2f9d1b7e########3',
    session_id: 'c0ffee00-1234-4cde-8f00-0123456789ab',
  });
  t.notOk((req.extras.gemini!.rest as J | undefined)?.session_id, 'session_id is envelope data, not a generateContent field');
  const calls = req.messages[1]!.content as IRToolCallPart[];
  const results = req.messages[2]!.content as IRToolResultPart[];
  t.same(calls.map((c) => c.id), ['read_many_files-1762600000001-3f2a', 'read_file-1762600000002-9b1c'], 'Gemini CLI call ids kept');
  t.same(results.map((r) => r.callId), calls.map((c) => c.id));
  t.equal((results[1]!.content[0] as J).text, '{\n  "name": "app"\n}');
  t.same(req.reasoning, { budgetTokens: -1, includeThoughts: true });
  t.equal(req.temperature, 0);
});

t.test('decode → encode keeps the envelope intact', async (t) => {
  const original = JSON.parse(fixture('request.json')) as J;
  const out = codec.encodeRequest(codec.decodeRequest(original));
  const expected = structuredClone(original);
  // The reference attaches its default safety settings when a client sent none.
  expected.request.safetySettings = (gemini.encodeRequest(codec.decodeRequest(original)) as J).safetySettings;
  t.same(out, expected);
});

t.test('encodes IR from another format into the envelope', async (t) => {
  const req: IRRequest = {
    model: 'gemini-2.5-flash',
    system: [{ type: 'text', text: 'sys' }],
    messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
    stream: true,
    extras: { claude: { metadata: { user_id: 'u' } } },
    maxTokens: 100,
  };
  const out = codec.encodeRequest(req) as J;
  t.same(Object.keys(out).sort(), ['model', 'project', 'request']);
  t.equal(out.model, 'gemini-2.5-flash', 'model goes in the body here');
  t.equal(out.project, '', 'the executor fills in the project');
  t.same(out.request.contents, [{ role: 'user', parts: [{ text: 'hi' }] }]);
  t.same(out.request.generationConfig, { maxOutputTokens: 100 });
  t.notOk('model' in out.request);
  const inner = gemini.encodeRequest(req);
  t.same(out.request, inner, 'the inside is exactly the Gemini encoding');
});

t.test('stream: unwraps {response} chunks', async (t) => {
  const ev = decodeAll(sseFrames(fixture('stream.sse')));
  t.same(ev.map((e) => e.type), ['start', 'reasoning-delta', 'block-end', 'text-delta', 'block-end', 'finish']);
  t.same(ev[0], { type: 'start', id: '4RIPaeyZOtK2nvgPpZyT0Qo', model: 'gemini-2.5-pro' });
  t.match(ev.at(-1), { type: 'finish', reason: 'stop', usage: { inputTokens: 9123, outputTokens: 37, reasoningTokens: 17, totalTokens: 9160 } });
  const plain = gemini.createStreamDecoder();
  const direct = [...sseFrames(fixture('stream.sse')).flatMap((f) => plain.pushChunk(unwrap(JSON.parse(f.data)))), ...plain.end()];
  t.same(ev, direct, 'same events as the plain Gemini decoder on the inner chunks');
});

t.test('stream encode wraps chunks, SSE and JSON array', async (t) => {
  const ev = decodeAll(sseFrames(fixture('stream.sse')));
  const req: IRRequest = { model: 'gemini-2.5-pro', system: [], messages: [], stream: true, extras: {} };
  const enc = codec.createStreamEncoder(req, { sse: true });
  const sse = ev.map((e) => enc.push(e)).join('') + enc.end();
  const chunks = sseFrames(sse).map((f) => JSON.parse(f.data) as J);
  t.ok(chunks.every((c) => c.response && c.response.candidates), 'every chunk is {response: …}');
  t.same(decodeAll(sseFrames(sse)), ev, 'encode → decode reproduces the events');
  const arr = codec.createStreamEncoder(req, { sse: false });
  const pieces = [...ev.map((e) => arr.push(e)), arr.end()];
  let acc = '';
  for (const p of pieces.slice(0, -1)) {
    acc += p;
    if (acc) t.doesNotThrow(() => JSON.parse(`${acc}]`));
  }
  const parsed = JSON.parse(acc + pieces.at(-1)) as J[];
  t.ok(parsed.every((c) => c.response));
  const err = codec.createStreamEncoder(req, { sse: true });
  t.equal(err.push({ type: 'error', status: 429, message: 'quota' }), 'data: {"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED"}}\r\n\r\n', 'errors are not wrapped');
});

t.test('non-stream answers', async (t) => {
  const body = { response: JSON.parse(fixture('stream.sse').split('\n').find((l) => l.includes('finishReason'))!.slice(6)).response, traceId: 't' };
  const ev = codec.decodeResponse(body);
  t.match(ev.at(-1), { type: 'finish', reason: 'stop' });
  const req: IRRequest = { model: 'gemini-2.5-pro', system: [], messages: [], stream: false, extras: {} };
  const res = foldEvents(codec.decodeResponse({ response: { candidates: [{ content: { role: 'model', parts: [{ text: 'hello' }] }, finishReason: 'STOP' }], responseId: 'r9' } }));
  t.same(codec.encodeResponse(res, req), { response: { candidates: [{ content: { role: 'model', parts: [{ text: 'hello' }] }, finishReason: 'STOP', index: 0 }], modelVersion: 'gemini-2.5-pro', responseId: 'r9' } });
  t.match(codec.decodeResponse([{ response: { candidates: [{ content: { parts: [{ text: 'a' }] } }] } }, { response: { candidates: [{ content: { parts: [{ text: 'b' }] }, finishReason: 'STOP' }] } }]), [
    { type: 'start' }, { type: 'text-delta', text: 'a' }, { type: 'text-delta', text: 'b' }, { type: 'block-end' }, { type: 'finish' },
  ], 'a buffered JSON-array stream decodes too');
});

t.test('errors: Code Assist quota with its reset delay', async (t) => {
  const e = codec.decodeError(429, fixture('error-quota.json'));
  t.match(e, { status: 429, code: 'RESOURCE_EXHAUSTED', message: /exhausted your capacity/ });
  t.equal(e.retryAfterMs, (2 * 3600 + 41 * 60 + 7.36) * 1000);
  t.same(codec.encodeError({ status: 403, message: 'no project' }), { status: 403, body: { error: { code: 403, message: 'no project', status: 'PERMISSION_DENIED' } } });
  t.doesNotThrow(() => codec.decodeError(500, 'upstream connect error or disconnect/reset before headers'));
  t.throws(() => codec.decodeRequest([]));
  t.throws(() => codec.decodeRequest({ model: 'm', request: 'x' }));
});

t.test('countTokens envelope', async (t) => {
  const body = { request: { model: 'models/gemini-2.5-pro', contents: [{ role: 'user', parts: [{ text: 'count me' }] }] } };
  const req = decodeCountTokensRequest(body);
  t.equal(req.model, 'gemini-2.5-pro');
  t.same(encodeCountTokensRequest(req), body);
});
