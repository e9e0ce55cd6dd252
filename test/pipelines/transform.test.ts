import t from 'tap';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { compose, createTranslateStream, decodeStreamBody, getCodec, hasCodec, translateResponse, StreamTranslator } from '../../pipelines/index.js';
import { SSEParser } from '../../pipelines/sse.js';
import type { FormatCodec } from '../../pipelines/codec.js';
import type { IRRequest } from '../../pipelines/ir.js';

const chat = getCodec('openai-chat');
const fixture = (name: string) => readFileSync(new URL(`../fixtures/openai-chat/${name}`, import.meta.url));
const REQ: IRRequest = { model: 'gpt-4o', system: [], messages: [], stream: true, includeUsage: true, extras: {} };

async function run(chunks: Array<Buffer | string>, opts: Partial<Parameters<typeof createTranslateStream>[0]> = {}): Promise<{ text: string; pushes: number }> {
  const tr = createTranslateStream({ upstream: chat, inbound: chat, req: REQ, framing: 'sse', ...opts });
  let text = '';
  let pushes = 0;
  tr.on('data', (d: Buffer | string) => {
    pushes++;
    text += typeof d === 'string' ? d : d.toString('utf8');
  });
  await pipeline(Readable.from(chunks, { objectMode: false }), tr);
  return { text, pushes };
}

function dataFrames(text: string): string[] {
  const p = new SSEParser();
  return [...p.push(text), ...p.end()].map((f) => f.data);
}

function contentOf(text: string): string {
  return dataFrames(text)
    .filter((d) => d !== '[DONE]')
    .map((d) => JSON.parse(d).choices?.[0]?.delta?.content ?? '')
    .join('');
}

t.test('registry', async (t) => {
  t.ok(hasCodec('openai-chat'));
  t.equal(getCodec('openai-chat').name, 'openai-chat');
  t.throws(() => getCodec('nope' as never));
});

t.test('translate stream: same output however the upstream bytes are cut', async (t) => {
  const buf = fixture('stream-reasoning.sse');
  const whole = await run([buf]);
  t.equal(contentOf(whole.text), 'There are three Rs — «r» ×3 🍓.');
  t.ok(whole.text.endsWith('data: [DONE]\n\n'));
  t.equal(whole.pushes, 1, 'one input chunk → one push');
  const norm = (s: string) => dataFrames(s).map((d) => (d === '[DONE]' ? d : JSON.stringify({ ...JSON.parse(d), id: 0, created: 0 })));
  for (let i = 1; i < buf.length; i += 11) {
    const got = await run([buf.subarray(0, i), buf.subarray(i)]);
    if (JSON.stringify(norm(got.text)) !== JSON.stringify(norm(whole.text))) {
      t.fail(`split at ${i}`);
      return;
    }
  }
  t.pass('all splits agree');
});

t.test('translate stream: strings mode pushes strings', async (t) => {
  const tr = createTranslateStream({ upstream: chat, inbound: chat, req: REQ, framing: 'sse', strings: true });
  const got: unknown[] = [];
  tr.on('data', (d) => got.push(d));
  await pipeline(Readable.from([fixture('stream-tools.sse')]), tr);
  t.ok(got.length > 0 && got.every((d) => typeof d === 'string'));
});

t.test('translate stream: an upstream cut short ends the client stream with an error, not a stop', async (t) => {
  const { text } = await run(['data: {"id":"x","model":"m","choices":[{"index":0,"delta":{"content":"par', 'tial"}}]}\n\ndata: {"id":"x","choices":[{"index":0,"delta":{"content":" more"']);
  const frames = dataFrames(text);
  t.match(JSON.parse(frames.at(-1)!), { error: { message: 'upstream stream ended before completion', code: 'upstream_stream_truncated' } }, 'the last frame is an error');
  t.notOk(frames.includes('[DONE]'), 'no [DONE]');
  const chunks = frames.slice(0, -1).map((d) => JSON.parse(d));
  t.equal(contentOf(text), 'partial', 'the half-sent last frame is dropped');
  t.notOk(chunks.some((c) => c.choices?.[0]?.finish_reason), 'no finish_reason pretends completion');
  // A finish_reason that came without [DONE] is an answer that ended.
  const finished = await run(['data: {"id":"x","model":"m","choices":[{"index":0,"delta":{"content":"done"}}]}\n\ndata: {"id":"x","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n']);
  t.equal(dataFrames(finished.text).at(-1), '[DONE]', 'finish_reason without [DONE]: a clean end');
});

t.test('translate stream: an upstream error frame becomes the client error', async (t) => {
  const { text } = await run([
    'data: {"id":"x","model":"m","choices":[{"index":0,"delta":{"content":"a"}}]}\n\n',
    'data: {"error":{"message":"context length exceeded","type":"invalid_request_error","code":"context_length_exceeded"}}\n\n',
  ]);
  const frames = dataFrames(text);
  t.same(JSON.parse(frames.at(-1)!), { error: { message: 'context length exceeded', type: 'invalid_request_error', code: 'context_length_exceeded' } });
  t.notOk(frames.includes('[DONE]'));
});

t.test('translate stream: json-array framing', async (t) => {
  const chunks = dataFrames(fixture('stream-tools.sse').toString('utf8')).filter((d) => d !== '[DONE]');
  const array = Buffer.from('[' + chunks.join(',\n') + ']');
  const { text } = await run([array.subarray(0, 100), array.subarray(100, 777), array.subarray(777)], { framing: 'json-array' });
  const out = dataFrames(text);
  t.equal(out.at(-1), '[DONE]');
  const args = out
    .slice(0, -1)
    .flatMap((d) => JSON.parse(d).choices?.[0]?.delta?.tool_calls ?? [])
    .filter((c: { index: number }) => c.index === 0)
    .map((c: { function: { arguments: string } }) => c.function.arguments)
    .join('');
  t.equal(args, '{"location":"Paris, France"}');
});

t.test('translate stream: a throwing codec ends the stream with an error, not a crash', async (t) => {
  const broken: FormatCodec = {
    ...chat,
    createStreamDecoder: () => ({
      push: () => {
        throw new Error('decoder bug');
      },
      end: () => [],
    }),
  };
  const { text } = await run(['data: {}\n\n', 'data: {}\n\n'], { upstream: broken });
  const frames = dataFrames(text);
  t.equal(frames.length, 1);
  t.match(JSON.parse(frames[0]!), { error: { message: /decoder bug/ } });
});

t.test('StreamTranslator: error() after streaming began', async (t) => {
  const st = new StreamTranslator({ upstream: chat, inbound: chat, req: REQ, framing: 'sse' });
  const first = st.push('data: {"id":"x","choices":[{"index":0,"delta":{"content":"a"}}]}\n\n');
  t.match(first, /"content":"a"/);
  t.match(st.error(502, 'upstream reset'), /"message":"upstream reset"/);
  t.equal(st.end(), '', 'nothing after the error');
});

t.test('translateResponse and decodeStreamBody', async (t) => {
  const req = { ...REQ, stream: false };
  const ok = translateResponse(chat, chat, JSON.stringify(JSON.parse(fixture('response-tools.json').toString())), req);
  t.equal(ok.status, 200);
  t.match(ok.body, { object: 'chat.completion', choices: [{ finish_reason: 'tool_calls' }] });
  t.equal(ok.response?.usage?.cachedTokens, 64);
  const fromBytes = translateResponse(chat, chat, fixture('response-text.json'), req);
  t.match(fromBytes.body, { choices: [{ message: { content: 'There are three Rs in "strawberry".' } }] });
  const err = translateResponse(chat, chat, { error: { message: 'quota', code: 429 } }, req);
  t.same(err, { status: 429, body: { error: { message: 'quota', type: 'rate_limit_error', code: null } } });
  const garbage = translateResponse(chat, chat, '<html>oops</html>', req);
  t.equal(garbage.status, 502);
  const events = decodeStreamBody(chat, 'sse', fixture('stream-tools.sse'));
  t.equal(events.filter((e) => e.type === 'tool-call-start').length, 2);
  t.equal(events.at(-1)?.type, 'finish');
});

t.test('compose', async (t) => {
  const c = compose('openai-chat', 'openai-chat');
  const { req, body } = c.request({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
  t.equal(req.model, 'm');
  t.same(body, { model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: false });
  t.same(c.error(400, '{"detail":"bad"}'), { status: 400, body: { error: { message: 'bad', type: 'invalid_request_error', code: null } } });
  t.equal(c.response(JSON.parse(fixture('response-text.json').toString()), req).status, 200);
  t.ok(typeof c.stream(req, 'sse').pipe === 'function');
});
