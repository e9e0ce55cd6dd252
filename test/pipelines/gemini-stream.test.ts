// Gemini codec, answer side: stream and non-stream decoding, the SSE and
// JSON-array encoders (also read back by the official @google/genai SDK), errors.
import t from 'tap';

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GoogleGenAI, Type } from '@google/genai';
import { codec, geminiToolNameMap } from '../../pipelines/formats/gemini/index.js';
import { foldEvents } from '../../pipelines/fold.js';
import type { StreamFrame } from '../../pipelines/codec.js';
import type { IREvent, IRRequest } from '../../pipelines/ir.js';

type J = Record<string, any>;
const FIX = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'gemini');
const fixture = (name: string) => readFileSync(join(FIX, name), 'utf8');
const REQ: IRRequest = { model: 'gemini-2.5-flash', system: [], messages: [], stream: true, extras: {} };

function sseFrames(text: string): StreamFrame[] {
  return text
    .split(/\r?\n\r?\n/)
    .map((block) => block.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n'))
    .filter(Boolean)
    .map((data) => ({ data }));
}

function decodeAll(frames: StreamFrame[], opts?: Parameters<typeof codec.createStreamDecoder>[0]): IREvent[] {
  const d = codec.createStreamDecoder(opts);
  const ev = frames.flatMap((f) => d.push(f));
  return [...ev, ...d.end()];
}

function encodeAll(events: IREvent[], sse = true): string[] {
  const e = codec.createStreamEncoder(REQ, { sse });
  return [...events.map((x) => e.push(x)), e.end()];
}

/** Problems with block pairing: every index opens once, gets deltas only
 *  while open, and closes once. */
function blockProblems(events: IREvent[]): string[] {
  const problems: string[] = [];
  const open = new Set<number>();
  const closed = new Set<number>();
  for (const e of events) {
    if (!('index' in e)) continue;
    if (e.type === 'block-end') {
      if (!open.has(e.index)) problems.push(`block-end ${e.index} without an open block`);
      open.delete(e.index);
      closed.add(e.index);
    } else {
      if (closed.has(e.index)) problems.push(`${e.type} on closed block ${e.index}`);
      open.add(e.index);
    }
  }
  if (open.size) problems.push(`blocks left open: ${[...open].join(',')}`);
  return problems;
}

const streamEvents = () => decodeAll(sseFrames(fixture('stream-thoughts.sse')));

t.test('stream decode: thoughts, signatures, text and parallel calls', async (t) => {
  const ev = streamEvents();
  t.same(blockProblems(ev), [], 'blocks pair up');
  t.same(ev[0], { type: 'start', id: 'Q3Zyaf2yKa2Jz7IP3vWX8Ao', model: 'gemini-2.5-flash' });
  t.same(ev.map((e) => e.type), [
    'start',
    'reasoning-delta', 'reasoning-delta', 'block-end',
    'reasoning-delta', 'block-end', // the text part's signature
    'text-delta', 'text-delta', 'block-end',
    'reasoning-delta', 'block-end', // the first call's signature, for clients without a signature field
    'tool-call-start', 'tool-call-delta', 'block-end',
    'tool-call-start', 'tool-call-delta', 'block-end',
    'finish',
  ]);
  t.match(ev[1], { type: 'reasoning-delta', text: /^\*\*Planning the lookup/ });
  t.same(ev[4], { type: 'reasoning-delta', index: 1, signature: 'CiIBcsjafL2k9wtjW1s2mHrxPZ9I0r2yJ9Ue0xQ5bM3w8JcKuAEBcsjafA==', signatureOrigin: 'gemini' });
  const starts = ev.filter((e): e is Extract<IREvent, { type: 'tool-call-start' }> => e.type === 'tool-call-start');
  t.same(starts.map((s) => s.id), ['call_Q3Zyaf2yKa2Jz7IP3vWX8Ao_0', 'call_Q3Zyaf2yKa2Jz7IP3vWX8Ao_1']);
  t.equal(starts[0]!.signature, 'CiwBcsjafHaM1QnTzPBtS8bKVR7VGmC6m+3EXE+FQAGBLcBRvHLl');
  t.notOk(starts[1]!.signature);
  t.same(ev.filter((e) => e.type === 'tool-call-delta').map((e) => JSON.parse((e as J).args)), [{ location: 'Paris, FR' }, { location: 'Tokyo, JP' }]);
  t.same(ev.at(-1), {
    type: 'finish',
    reason: 'tool_calls',
    rawReason: 'STOP',
    usage: { inputTokens: 151, outputTokens: 92, reasoningTokens: 54, cachedTokens: 64, totalTokens: 243 },
  });
  const res = foldEvents(ev);
  t.same(res.content.map((p) => p.type), ['reasoning', 'reasoning', 'text', 'reasoning', 'tool-call', 'tool-call']);
  t.same(res.content[3], { type: 'reasoning', text: '', signature: 'CiwBcsjafHaM1QnTzPBtS8bKVR7VGmC6m+3EXE+FQAGBLcBRvHLl', signatureOrigin: 'gemini' });
});

t.test('tool-call ids: stable per response, unique across responses', async (t) => {
  const frames = sseFrames(fixture('stream-thoughts.sse'));
  const ids = (ev: IREvent[]) => ev.flatMap((e) => (e.type === 'tool-call-start' ? [e.id] : []));
  t.same(ids(decodeAll(frames)), ids(decodeAll(frames)), 'same response, same ids');
  const whole = JSON.parse(frames.at(-1)!.data) as J;
  t.same(ids(codec.decodeResponse(whole)), ids(decodeAll(frames)), 'non-stream decode agrees with stream decode');
  const other = frames.map((f) => ({ data: f.data.replaceAll('Q3Zyaf2yKa2Jz7IP3vWX8Ao', 'ZZZother000') }));
  const a = ids(decodeAll(frames));
  const b = ids(decodeAll(other));
  t.equal(new Set([...a, ...b]).size, 4, 'no collisions between two turns');
  const noRid = { candidates: [{ content: { parts: [{ functionCall: { name: 'f', args: {} } }, { functionCall: { name: 'f', args: {} } }] }, finishReason: 'STOP' }] };
  const x = ids(codec.decodeResponse(noRid));
  const y = ids(codec.decodeResponse(noRid));
  t.equal(new Set([...x, ...y]).size, 4, 'without responseId ids are still unique');
  const native = ids(codec.decodeResponse({ candidates: [{ content: { parts: [{ functionCall: { id: 'abc', name: 'f' } }] } }] }));
  t.same(native, ['abc'], 'an id Gemini sends is kept');
});

t.test('sanitized tool names map back to the client names', async (t) => {
  const req: IRRequest = { ...REQ, tools: [{ type: 'function', name: 'mcp__git/commit changes', parameters: { type: 'object', properties: { m: { type: 'string' } } } }] };
  const upstream = ((codec.encodeRequest(req).tools as J[])[0]!.functionDeclarations[0] as J).name as string;
  t.equal(upstream, 'mcp__git_commit_changes');
  const body = { responseId: 'r1', candidates: [{ content: { parts: [{ functionCall: { name: upstream, args: { m: 'x' } } }] }, finishReason: 'STOP' }] };
  const ev = codec.decodeResponse(body, { toolNameMap: geminiToolNameMap(req) });
  t.match(ev.find((e) => e.type === 'tool-call-start'), { name: 'mcp__git/commit changes' });
  const viaReq = decodeAll([{ data: JSON.stringify(body) }], req);
  t.match(viaReq.find((e) => e.type === 'tool-call-start'), { name: 'mcp__git/commit changes' }, 'the request alone is enough (as transform.ts passes it)');
  t.match(codec.decodeResponse(body, req).find((e) => e.type === 'tool-call-start'), { name: 'mcp__git/commit changes' });
});

t.test('finish reasons, blocked prompts, usage', async (t) => {
  const finish = (fr: string | undefined, extra: J = {}) =>
    codec.decodeResponse({ responseId: 'r', candidates: [{ content: { parts: [{ text: 'x' }] }, ...(fr ? { finishReason: fr } : {}) }], ...extra }).at(-1) as J;
  t.match(finish('STOP'), { reason: 'stop' });
  t.match(finish('MAX_TOKENS'), { reason: 'length', rawReason: 'MAX_TOKENS' });
  for (const r of ['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII']) t.match(finish(r), { reason: 'content_filter', rawReason: r });
  t.match(finish('MALFORMED_FUNCTION_CALL'), { reason: 'error' });
  t.match(finish(undefined), { reason: 'stop' }, 'a stream that just ends finishes as stop');
  const blocked = codec.decodeResponse({ promptFeedback: { blockReason: 'PROHIBITED_CONTENT' }, usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 }, responseId: 'b' });
  t.same(blocked.map((e) => e.type), ['start', 'finish']);
  t.match(blocked[1], { reason: 'content_filter', rawReason: 'PROHIBITED_CONTENT', usage: { inputTokens: 9, outputTokens: 0 } });
  const text = codec.decodeResponse(JSON.parse(fixture('response-text.json')));
  t.same(text.map((e) => e.type), ['start', 'text-delta', 'block-end', 'finish']);
  t.match(codec.decodeResponse('garbage'), [{ type: 'error', status: 502 }], 'an unreadable answer is an error, not an empty reply');
  t.same(codec.decodeResponse({}).map((e) => e.type), ['start', 'finish'], 'an empty answer is empty');
  const err = codec.decodeResponse({ error: { code: 503, message: 'overloaded', status: 'UNAVAILABLE' } });
  t.match(err, [{ type: 'error', status: 503, message: 'overloaded', code: 'UNAVAILABLE' }]);
  const image = codec.decodeResponse({ candidates: [{ content: { parts: [{ inlineData: { mimeType: 'image/png', data: 'iVBOR' } }] } }] });
  t.match(image[1], { type: 'text-delta', text: '![image](data:image/png;base64,iVBOR)' });
});

t.test('non-stream: decode → fold → encode is lossless', async (t) => {
  const body = JSON.parse(fixture('response-text.json')) as J;
  const out = codec.encodeResponse(foldEvents(codec.decodeResponse(body)), REQ) as J;
  const expected = structuredClone(body);
  delete expected.usageMetadata.promptTokensDetails; // modality breakdown has no IR slot
  t.same(out, expected);
  // thought + signature-carrying parts + calls
  const whole = { candidates: [{ content: { role: 'model', parts: [
    { text: 'hmm', thought: true },
    { text: 'Answer', thoughtSignature: 's1' },
    { functionCall: { name: 'f', args: { a: 1 }, id: 'c1' }, thoughtSignature: 's2' },
    { text: '', thoughtSignature: 's3' },
  ] }, finishReason: 'STOP', index: 0 }], usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 2, totalTokenCount: 6, thoughtsTokenCount: 3 }, modelVersion: 'gemini-3-pro-preview', responseId: 'rid' };
  t.same(codec.encodeResponse(foldEvents(codec.decodeResponse(whole)), REQ), whole);
});

t.test('stream encode → decode reproduces the events', async (t) => {
  const ev = streamEvents();
  const sse = encodeAll(ev).join('');
  t.ok(sse.split('\r\n\r\n').filter(Boolean).every((f) => f.startsWith('data: {')), 'SSE frames as Google sends them');
  t.same(decodeAll(sseFrames(sse)), ev);
  const lastChunk = JSON.parse(sseFrames(sse).at(-1)!.data) as J;
  t.equal(lastChunk.candidates[0].finishReason, 'STOP');
  t.same(lastChunk.usageMetadata, { promptTokenCount: 151, candidatesTokenCount: 38, totalTokenCount: 243, cachedContentTokenCount: 64, thoughtsTokenCount: 54 });
  t.equal(lastChunk.responseId, 'Q3Zyaf2yKa2Jz7IP3vWX8Ao');
});

t.test('JSON-array framing parses at every end point', async (t) => {
  const pieces = encodeAll(streamEvents(), false);
  let acc = '';
  for (const p of pieces.slice(0, -1)) {
    acc += p;
    if (acc) t.doesNotThrow(() => JSON.parse(`${acc}]`), 'a prefix closed with ] is a JSON array');
  }
  const whole = JSON.parse(acc + pieces.at(-1)) as J[];
  t.ok(Array.isArray(whole));
  t.same(decodeAll(whole.map((c) => ({ data: JSON.stringify(c) }))), streamEvents());
  t.match(JSON.parse(encodeAll([], false).join('')), [{ candidates: [{ finishReason: 'STOP' }] }], 'an empty stream is still a finished JSON array');
  const enc = codec.createStreamEncoder(REQ, { sse: false });
  const cut = enc.push({ type: 'start', id: 'x', model: 'm' }) + enc.push({ type: 'text-delta', index: 0, text: 'hi' }) + enc.end() + enc.end();
  t.equal(enc.push({ type: 'usage', usage: { inputTokens: 1, outputTokens: 1 } }), '', 'nothing after the array is closed');
  const arr = JSON.parse(cut) as J[];
  t.equal(arr.at(-1)!.candidates[0].finishReason, 'STOP', 'end() without finish still finishes');
  const failed = codec.createStreamEncoder(REQ, { sse: false });
  const text = failed.push({ type: 'text-delta', index: 0, text: 'partial' }) + failed.push({ type: 'error', status: 429, message: 'slow down' }) + failed.end();
  t.match(JSON.parse(text), [{ candidates: [{}] }, { error: { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'slow down' } }]);
});

t.test('stream encoder from another upstream (Claude-style events)', async (t) => {
  const events: IREvent[] = [
    { type: 'start', id: 'msg_1', model: 'claude-sonnet-4-5' },
    { type: 'reasoning-delta', index: 0, text: 'Let me think' },
    { type: 'reasoning-delta', index: 0, signature: 'claude-sig' },
    { type: 'block-end', index: 0 },
    { type: 'tool-call-start', index: 1, id: 'toolu_01', name: 'Read' },
    { type: 'tool-call-delta', index: 1, args: '{"file_pa' },
    { type: 'tool-call-delta', index: 1, args: 'th":"/a"}' },
    { type: 'block-end', index: 1 },
    { type: 'finish', reason: 'tool_calls', usage: { inputTokens: 10, outputTokens: 5 } },
  ];
  const chunks = sseFrames(encodeAll(events).join('')).map((f) => JSON.parse(f.data) as J);
  const parts = chunks.flatMap((c) => c.candidates[0].content.parts);
  t.same(parts, [
    { text: 'Let me think', thought: true },
    { text: '', thought: true, thoughtSignature: 'claude-sig' },
    { functionCall: { name: 'Read', args: { file_path: '/a' }, id: 'toolu_01' } },
    { text: '' },
  ]);
  t.equal(chunks.at(-1)!.candidates[0].finishReason, 'STOP');
  t.equal(chunks[0]!.modelVersion, 'claude-sonnet-4-5');
});

t.test('errors', async (t) => {
  const e = codec.decodeError(429, fixture('error-429.json'));
  t.match(e, { status: 429, code: 'RESOURCE_EXHAUSTED', retryAfterMs: 33000, message: /exceeded your current quota/ });
  const fromMsg = codec.decodeError(429, JSON.stringify({ error: { code: 429, message: 'Please retry in 1.5s.', status: 'RESOURCE_EXHAUSTED' } }));
  t.equal(fromMsg.retryAfterMs, 1500);
  for (const garbage of ['', 'null', '[]', '42', '"str"', '{{{', '<html><body>502 Bad Gateway</body></html>', '{"error":"flat"}', '{"error":{"code":"x"}}', '[{"error":null}]']) {
    t.doesNotThrow(() => {
      const x = codec.decodeError(502, garbage);
      if (typeof x.message !== 'string' || x.status !== 502) throw new Error(`bad: ${JSON.stringify(x)}`);
    }, `garbage ${JSON.stringify(garbage)}`);
  }
  t.equal(codec.decodeError(502, '<html><body>502 Bad Gateway</body></html>').message, '502 Bad Gateway');
  t.equal(codec.decodeError(0, '{"error":{"code":404,"message":"models/x is not found","status":"NOT_FOUND"}}').status, 404);
  const table: Array<[number, string]> = [[400, 'INVALID_ARGUMENT'], [401, 'UNAUTHENTICATED'], [403, 'PERMISSION_DENIED'], [404, 'NOT_FOUND'], [429, 'RESOURCE_EXHAUSTED'], [500, 'INTERNAL'], [503, 'UNAVAILABLE']];
  for (const [status, name] of table) t.same(codec.encodeError({ status, message: 'm' }), { status, body: { error: { code: status, message: 'm', status: name } } });
  t.same(codec.encodeError({ status: 429, message: 'wait', retryAfterMs: 33500 }).body, {
    error: { code: 429, message: 'wait', status: 'RESOURCE_EXHAUSTED', details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '34s' }] },
  });
  t.equal(codec.encodeStreamError({ status: 500, message: 'boom' }), 'data: {"error":{"code":500,"message":"boom","status":"INTERNAL"}}\r\n\r\n');
});

t.test('the official @google/genai SDK reads what the encoders write', async (t) => {
  let captured: J = {};
  const events = streamEvents();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      captured = JSON.parse(body) as J;
      if (req.url?.includes(':streamGenerateContent')) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(encodeAll(events).join(''));
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(codec.encodeResponse(foldEvents(events), REQ)));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const ai = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` } });
  const config = {
    systemInstruction: 'be brief',
    tools: [{ functionDeclarations: [{ name: 'get_current_weather', parameters: { type: Type.OBJECT, properties: { location: { type: Type.STRING } }, required: ['location'] } }] }],
    thinkingConfig: { includeThoughts: true, thinkingBudget: 2048 },
  };
  const calls: J[] = [];
  let text = '';
  for await (const chunk of await ai.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'weather in Paris and Tokyo?', config })) {
    text += chunk.text ?? '';
    calls.push(...(chunk.functionCalls ?? []));
  }
  t.equal(text, 'Let me check both cities for you.');
  t.same(calls.map((c) => [c.name, c.args, c.id]), [
    ['get_current_weather', { location: 'Paris, FR' }, 'call_Q3Zyaf2yKa2Jz7IP3vWX8Ao_0'],
    ['get_current_weather', { location: 'Tokyo, JP' }, 'call_Q3Zyaf2yKa2Jz7IP3vWX8Ao_1'],
  ]);
  const req = codec.decodeRequest({ ...captured, model: 'gemini-2.5-flash' });
  t.same(req.tools?.[0], { type: 'function', name: 'get_current_weather', parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] } }, 'SDK upper-case schema arrives as JSON Schema');
  t.same(req.reasoning, { budgetTokens: 2048, includeThoughts: true });
  t.same(req.system, [{ type: 'text', text: 'be brief' }]);
  const whole = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'again', config });
  t.equal(whole.text, 'Let me check both cities for you.');
  t.equal(whole.functionCalls?.length, 2);
  t.equal(whole.usageMetadata?.thoughtsTokenCount, 54);
});

t.test('stream decoder: a stream without finishReason was cut short', async (t) => {
  const chunk = (parts: J[], finish?: string) => ({ data: JSON.stringify({ candidates: [{ content: { role: 'model', parts }, ...(finish ? { finishReason: finish } : {}), index: 0 }], responseId: 'r1' }) });
  const cut = decodeAll([chunk([{ text: 'part one' }]), chunk([{ text: ', part two' }])]);
  t.match(cut.slice(-2), [{ type: 'block-end' }, { type: 'error', status: 502, message: 'upstream stream ended before completion' }], 'an error, not a finish');
  t.notOk(cut.some((e) => e.type === 'finish'));
  t.match(decodeAll([]), [{ type: 'error', status: 502 }], 'an empty stream too');
  t.match(decodeAll([chunk([{ text: 'done' }], 'STOP')]).at(-1), { type: 'finish', reason: 'stop' });
  const blocked = decodeAll([{ data: JSON.stringify({ promptFeedback: { blockReason: 'SAFETY' }, responseId: 'r2' }) }]);
  t.match(blocked.at(-1), { type: 'finish', reason: 'content_filter' }, 'a blocked prompt ends with its blockReason');
  // A whole non-stream body is complete as it parsed, finishReason or not.
  t.match(codec.decodeResponse({ candidates: [{ content: { role: 'model', parts: [{ text: 'x' }] } }] }).at(-1), { type: 'finish', reason: 'stop' });
});
