// The legacy Completions codec (POST /v1/completions): request decoding and
// its refusals, the text_completion body and stream, translation to Claude
// and Gemini upstreams with their real stream fixtures, and the official
// openai SDK reading what the encoders write.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import OpenAI from 'openai';
import { compose, getCodec, hasCodec, SSEParser, TranslationError, type IREvent, type IRRequest } from '../../pipelines/index.js';
import { foldEvents } from '../../pipelines/fold.js';
import { codec } from '../../pipelines/formats/openai-completions/index.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));

function frames(text: string): string[] {
  const p = new SSEParser();
  return [...p.push(text), ...p.end()].map((f) => f.data);
}

function chunks(text: string): Array<Record<string, any>> {
  return frames(text)
    .filter((d) => d !== '[DONE]')
    .map((d) => JSON.parse(d));
}

function textOf(text: string): string {
  return chunks(text)
    .map((c) => c.choices?.[0]?.text ?? '')
    .join('');
}

function encodeAll(events: IREvent[], req: IRRequest, withEnd = true): string {
  const enc = codec.createStreamEncoder(req);
  let out = '';
  for (const ev of events) out += enc.push(ev);
  return withEnd ? out + enc.end() : out;
}

async function translate(stream: NodeJS.ReadWriteStream, input: Buffer): Promise<string> {
  let out = '';
  stream.on('data', (d: Buffer | string) => (out += typeof d === 'string' ? d : d.toString('utf8')));
  const done = new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  Readable.from([input.subarray(0, 700), input.subarray(700)]).pipe(stream);
  await done;
  return out;
}

function status(fn: () => unknown): { status: number; message: string } | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof TranslationError) return { status: err.status, message: err.message };
    throw err;
  }
  return undefined;
}

t.test('registered as openai-completions', async (t) => {
  t.ok(hasCodec('openai-completions'));
  t.equal(getCodec('openai-completions'), codec);
  t.equal(codec.name, 'openai-completions');
});

t.test('decode: a string prompt and every mapped field', async (t) => {
  const req = codec.decodeRequest({
    model: 'gpt-3.5-turbo-instruct',
    prompt: 'Once upon a time',
    max_tokens: 64,
    temperature: 0.2,
    top_p: 0.9,
    n: 1,
    stream: true,
    stream_options: { include_usage: true },
    stop: 'END',
    presence_penalty: 0.5,
    frequency_penalty: -0.5,
    seed: 7,
    user: 'u-1',
    suffix: ' The end.',
    echo: false,
    logprobs: 2,
    best_of: 3,
    logit_bias: { '50256': -100 },
    some_vendor_field: { x: 1 },
  });
  t.equal(req.model, 'gpt-3.5-turbo-instruct');
  t.same(req.system, []);
  t.same(req.messages, [{ role: 'user', content: [{ type: 'text', text: 'Once upon a time' }] }]);
  t.equal(req.maxTokens, 64);
  t.equal(req.temperature, 0.2);
  t.equal(req.topP, 0.9);
  t.equal(req.candidateCount, 1);
  t.equal(req.stream, true);
  t.equal(req.includeUsage, true);
  t.same(req.stop, ['END']);
  t.equal(req.presencePenalty, 0.5);
  t.equal(req.frequencyPenalty, -0.5);
  t.equal(req.seed, 7);
  t.equal(req.user, 'u-1');
  t.same(req.extras['openai-completions'], {
    stopString: true,
    fields: { suffix: ' The end.', echo: false, logprobs: 2, best_of: 3, logit_bias: { '50256': -100 }, some_vendor_field: { x: 1 } },
  });
});

t.test('decode: max_tokens absent stays absent (no legacy 16-token cap)', async (t) => {
  const req = codec.decodeRequest({ model: 'm', prompt: 'hi' });
  t.equal(req.maxTokens, undefined);
  t.equal(req.stream, false);
  t.notOk('max_tokens' in codec.encodeRequest(req));
  t.equal(codec.decodeRequest({ model: 'm', prompt: 'hi', max_tokens: null }).maxTokens, undefined);
});

t.test('decode: prompt arrays', async (t) => {
  const one = codec.decodeRequest({ model: 'm', prompt: ['Translate: cat'] });
  t.same(one.messages, [{ role: 'user', content: [{ type: 'text', text: 'Translate: cat' }] }]);
  t.same(one.extras['openai-completions'], { promptArray: true });

  const batch = status(() => codec.decodeRequest({ model: 'm', prompt: ['a', 'b'] }));
  t.equal(batch?.status, 400);
  t.match(batch?.message, /2 prompts.*batched prompts are not supported.*one prompt per request/);

  for (const prompt of [[1212, 318, 257], [[1212, 318], [257]], [[1, 2]]]) {
    const err = status(() => codec.decodeRequest({ model: 'm', prompt }));
    t.equal(err?.status, 400, JSON.stringify(prompt));
    t.match(err?.message, /'prompt' as token ids .* not supported.*as text/);
  }
  t.match(status(() => codec.decodeRequest({ model: 'm', prompt: [] }))?.message, /empty array/);
  t.match(status(() => codec.decodeRequest({ model: 'm' }))?.message, /'prompt' is required/);
  t.match(status(() => codec.decodeRequest({ model: 'm', prompt: ['a', { x: 1 }] }))?.message, /string or an array of strings/);
  t.match(status(() => codec.decodeRequest({ model: 'm', prompt: 42 }))?.message, /string or an array of strings/);
  t.match(status(() => codec.decodeRequest('nope'))?.message, /JSON object/);
  t.match(status(() => codec.decodeRequest({ model: 3, prompt: 'x' }))?.message, /'model'/);
});

t.test('decode: stop as string, array, null; bad values refused', async (t) => {
  t.same(codec.decodeRequest({ model: 'm', prompt: 'p', stop: '\n' }).stop, ['\n']);
  const arr = codec.decodeRequest({ model: 'm', prompt: 'p', stop: ['\n', 'Q:'] });
  t.same(arr.stop, ['\n', 'Q:']);
  t.notOk((arr.extras['openai-completions'] as { stopString?: boolean }).stopString);
  t.equal(codec.decodeRequest({ model: 'm', prompt: 'p', stop: null }).stop, undefined);
  t.equal(status(() => codec.decodeRequest({ model: 'm', prompt: 'p', stop: 5 }))?.status, 400);
  t.equal(status(() => codec.decodeRequest({ model: 'm', prompt: 'p', stop: ['a', 1] }))?.status, 400);
  t.match(status(() => codec.decodeRequest({ model: 'm', prompt: 'p', temperature: 'hot' }))?.message, /'temperature' must be a number/);
});

t.test('decode: n > 1 refused (one answer, one choice)', async (t) => {
  const err = status(() => codec.decodeRequest({ model: 'm', prompt: 'p', n: 3 }));
  t.equal(err?.status, 400);
  t.match(err?.message, /'n' is 3/);
});

t.test('encode request: a completions round trip is lossless', async (t) => {
  const bodies: Array<Record<string, unknown>> = [
    {
      model: 'gpt-3.5-turbo-instruct', prompt: 'Q: 2+2?\nA:', max_tokens: 5, temperature: 0, top_p: 1, n: 1,
      stop: '\n', presence_penalty: 0.1, frequency_penalty: 0.2, seed: 1, user: 'u', suffix: 'x', echo: true,
      logprobs: 1, best_of: 2, logit_bias: { '1': 5 }, stream: true, stream_options: { include_usage: true, include_obfuscation: false },
      vendor: [1, 2],
    },
    { model: 'm', prompt: ['only one'], stop: ['a', 'b'], stream: false },
  ];
  for (const body of bodies) t.same(codec.encodeRequest(codec.decodeRequest(body)), body);
});

t.test('encode request: a conversation from another format becomes a transcript prompt', async (t) => {
  const { body } = compose('openai-chat', 'openai-completions').request({
    model: 'gpt-3.5-turbo-instruct',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello!' },
      { role: 'user', content: [{ type: 'text', text: 'Bye' }, { type: 'image_url', image_url: { url: 'https://x/y.png' } }] },
    ],
    max_completion_tokens: 50,
    stop: ['\nUser:'],
    stream: true,
  });
  t.same(body, {
    model: 'gpt-3.5-turbo-instruct',
    prompt: 'Be brief.\n\nUser: Hi\n\nAssistant: Hello!\n\nUser: Bye\n\nAssistant:',
    max_tokens: 50,
    stop: ['\nUser:'],
    stream: true,
    stream_options: { include_usage: true },
  });
});

const USAGE = { inputTokens: 12, outputTokens: 5, cachedTokens: 2 };

t.test('encode response: text_completion body; tool calls and reasoning dropped', async (t) => {
  const req = codec.decodeRequest({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say hi' });
  const res = foldEvents([
    { type: 'start', id: 'msg_01abc', model: 'claude-x', created: 1700000000 },
    { type: 'reasoning-delta', index: 0, text: 'thinking…', signature: 'sig' },
    { type: 'block-end', index: 0 },
    { type: 'text-delta', index: 1, text: 'Hi ' },
    { type: 'text-delta', index: 1, text: 'there' },
    { type: 'block-end', index: 1 },
    { type: 'tool-call-start', index: 2, id: 'call_1', name: 'f' },
    { type: 'tool-call-delta', index: 2, args: '{}' },
    { type: 'block-end', index: 2 },
    { type: 'finish', reason: 'tool_calls', usage: USAGE },
  ]);
  t.same(codec.encodeResponse(res, req), {
    id: 'cmpl-msg_01abc',
    object: 'text_completion',
    created: 1700000000,
    model: 'claude-x',
    choices: [{ text: 'Hi there', index: 0, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17, prompt_tokens_details: { cached_tokens: 2 } },
  });
  const base = { id: '', model: '', created: 0, content: [] };
  const empty = codec.encodeResponse({ ...base, finishReason: 'length' }, req) as Record<string, any>;
  t.match(empty.id, /^cmpl-./);
  t.equal(empty.model, 'gpt-3.5-turbo-instruct', 'the requested model when the upstream named none');
  t.ok(empty.created > 1700000000);
  t.same(empty.choices, [{ text: '', index: 0, logprobs: null, finish_reason: 'length' }]);
  t.equal(empty.usage, undefined);
  t.equal((codec.encodeResponse({ ...base, id: 'chatcmpl-9', finishReason: 'refusal' }, req) as any).choices[0].finish_reason, 'content_filter');
  t.equal((codec.encodeResponse({ ...base, id: 'chatcmpl-9', finishReason: 'stop' }, req) as any).id, 'cmpl-9');
  t.equal((codec.encodeResponse({ ...base, id: 'cmpl-7', finishReason: 'stop' }, req) as any).id, 'cmpl-7');
});

t.test('encode response: echo prepends the prompt', async (t) => {
  const req = codec.decodeRequest({ model: 'm', prompt: 'The sky is', echo: true });
  const res = foldEvents([{ type: 'text-delta', index: 0, text: ' blue.' }, { type: 'finish', reason: 'stop' }]);
  t.equal((codec.encodeResponse(res, req) as any).choices[0].text, 'The sky is blue.');
  t.equal(textOf(encodeAll([{ type: 'text-delta', index: 0, text: ' blue.' }], req)), 'The sky is blue.');
});

t.test('decode response: a text_completion body, and a completions-to-completions translation', async (t) => {
  const body = {
    id: 'cmpl-uqkvlQyYK7bGYrRHQ0eXlWi7',
    object: 'text_completion',
    created: 1589478378,
    model: 'gpt-3.5-turbo-instruct',
    choices: [{ text: '\n\nThis is indeed a test', index: 0, logprobs: null, finish_reason: 'length' }],
    usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 },
  };
  t.same(codec.decodeResponse(body), [
    { type: 'start', id: 'cmpl-uqkvlQyYK7bGYrRHQ0eXlWi7', model: 'gpt-3.5-turbo-instruct', created: 1589478378 },
    { type: 'text-delta', index: 0, text: '\n\nThis is indeed a test' },
    { type: 'block-end', index: 0 },
    { type: 'finish', reason: 'length', rawReason: 'length', usage: { inputTokens: 5, outputTokens: 7, totalTokens: 12 } },
  ]);
  const c = compose('openai-completions', 'openai-completions');
  const { req } = c.request({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say this is a test', max_tokens: 7 });
  const out = c.response(JSON.stringify(body), req);
  t.equal(out.status, 200);
  t.same(out.body, body);
  const err = codec.decodeResponse({ error: { message: 'bad', type: 'invalid_request_error' } });
  t.match(err, [{ type: 'error', message: 'bad' }]);
});

t.test('stream encoder: text chunks, finish chunk, usage chunk, [DONE]', async (t) => {
  const req = codec.decodeRequest({ model: 'gpt-3.5-turbo-instruct', prompt: 'p', stream: true, stream_options: { include_usage: true } });
  const text = encodeAll(
    [
      { type: 'start', id: 'cmpl-1', model: 'up-model', created: 1700000000 },
      { type: 'reasoning-delta', index: 0, text: 'hidden' },
      { type: 'block-end', index: 0 },
      { type: 'text-delta', index: 1, text: 'Hello, ' },
      { type: 'text-delta', index: 1, text: 'wörld 🎉' },
      { type: 'block-end', index: 1 },
      { type: 'tool-call-start', index: 2, id: 'c', name: 'f' },
      { type: 'tool-call-delta', index: 2, args: '{}' },
      { type: 'finish', reason: 'length', usage: USAGE },
    ],
    req,
    false,
  );
  t.ok(text.endsWith('data: [DONE]\n\n'), 'closed by the finish once usage is known');
  t.equal(codec.createStreamEncoder(req).end().length > 0, true);
  const head = { id: 'cmpl-1', object: 'text_completion', created: 1700000000, model: 'up-model' };
  t.same(chunks(text), [
    { ...head, choices: [{ text: 'Hello, ', index: 0, logprobs: null, finish_reason: null }] },
    { ...head, choices: [{ text: 'wörld 🎉', index: 0, logprobs: null, finish_reason: null }] },
    { ...head, choices: [{ text: '', index: 0, logprobs: null, finish_reason: 'length' }] },
    { ...head, choices: [], usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17, prompt_tokens_details: { cached_tokens: 2 } } },
  ]);
  t.equal(frames(text).at(-1), '[DONE]');
});

t.test('stream encoder: no usage chunk unless asked; usage after finish; end() without finish', async (t) => {
  const plain = codec.decodeRequest({ model: 'm', prompt: 'p', stream: true });
  const a = encodeAll([{ type: 'start', id: 'x', model: 'm' }, { type: 'text-delta', index: 0, text: 'a' }, { type: 'finish', reason: 'stop' }], plain);
  t.same(chunks(a).map((c) => [c.choices[0].text, c.choices[0].finish_reason]), [['a', null], ['', 'stop']]);
  t.equal(frames(a).filter((d) => d === '[DONE]').length, 1);

  const withUsage = codec.decodeRequest({ model: 'm', prompt: 'p', stream: true, stream_options: { include_usage: true } });
  const enc = codec.createStreamEncoder(withUsage);
  let b = enc.push({ type: 'text-delta', index: 0, text: 'b' });
  b += enc.push({ type: 'finish', reason: 'stop' });
  t.notOk(b.includes('[DONE]'), 'waits for usage after a finish without it');
  b += enc.push({ type: 'usage', usage: { inputTokens: 3, outputTokens: 1 } });
  t.ok(b.endsWith('data: [DONE]\n\n'));
  t.equal(enc.end(), '', 'nothing after the close');
  t.same(chunks(b).at(-1)!.usage, { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 });
  t.equal(chunks(b)[0]!.model, 'm', 'the requested model without a start event');
  t.match(chunks(b)[0]!.id, /^cmpl-/);

  const abrupt = encodeAll([{ type: 'start', id: 'cmpl-z', model: 'm' }, { type: 'text-delta', index: 0, text: 'cut' }], withUsage);
  t.same(chunks(abrupt).map((c) => (c.choices.length > 0 ? c.choices[0].finish_reason : 'usage')), [null, 'stop', 'usage']);
  t.ok(abrupt.endsWith('data: [DONE]\n\n'));

  const nothing = codec.createStreamEncoder(plain).end();
  t.same(chunks(nothing).map((c) => c.choices[0].finish_reason), ['stop']);
  t.ok(nothing.endsWith('data: [DONE]\n\n'));
});

t.test('stream encoder: an error mid-stream ends it in the OpenAI error shape', async (t) => {
  const req = codec.decodeRequest({ model: 'm', prompt: 'p', stream: true });
  const enc = codec.createStreamEncoder(req);
  let out = enc.push({ type: 'text-delta', index: 0, text: 'a' });
  out += enc.push({ type: 'error', status: 529, message: 'Overloaded', code: 'overloaded' });
  out += enc.end();
  const last = JSON.parse(frames(out).at(-1)!);
  t.same(last, { error: { message: 'Overloaded', type: 'server_error', code: 'overloaded' } });
  t.notOk(out.includes('[DONE]'));
});

t.test('stream decoder: an upstream completions stream', async (t) => {
  const sse = [
    { id: 'cmpl-a', object: 'text_completion', created: 1700000001, model: 'gpt-3.5-turbo-instruct', choices: [{ text: '\n\nThis', index: 0, logprobs: null, finish_reason: null }] },
    { id: 'cmpl-a', object: 'text_completion', created: 1700000001, model: 'gpt-3.5-turbo-instruct', choices: [{ text: ' is a test', index: 0, logprobs: null, finish_reason: null }] },
    { id: 'cmpl-a', object: 'text_completion', created: 1700000001, model: 'gpt-3.5-turbo-instruct', choices: [{ text: '', index: 0, logprobs: null, finish_reason: 'length' }] },
    { id: 'cmpl-a', object: 'text_completion', created: 1700000001, model: 'gpt-3.5-turbo-instruct', choices: [], usage: { prompt_tokens: 4, completion_tokens: 5, total_tokens: 9 } },
  ]
    .map((c) => 'data: ' + JSON.stringify(c) + '\n\n')
    .join('') + 'data: [DONE]\n\n';
  const dec = codec.createStreamDecoder();
  const events = [...new SSEParser().push(sse)].flatMap((f) => dec.push(f)).concat(dec.end());
  t.same(events, [
    { type: 'start', id: 'cmpl-a', model: 'gpt-3.5-turbo-instruct', created: 1700000001 },
    { type: 'text-delta', index: 0, text: '\n\nThis' },
    { type: 'text-delta', index: 0, text: ' is a test' },
    { type: 'block-end', index: 0 },
    { type: 'finish', reason: 'length', rawReason: 'length', usage: { inputTokens: 4, outputTokens: 5, totalTokens: 9 } },
  ]);
  // The same stream through a completions client comes out the same text.
  const c = compose('openai-completions', 'openai-completions');
  const { req } = c.request({ model: 'x', prompt: 'p', stream: true });
  const out = await translate(c.stream(req, 'sse'), Buffer.from(sse));
  t.equal(textOf(out), '\n\nThis is a test');
  t.same(chunks(out).at(-1)!.choices[0].finish_reason, 'length');

  const errDec = codec.createStreamDecoder();
  t.match(errDec.push({ data: '{"error":{"message":"quota","type":"insufficient_quota"}}' }), [{ type: 'error', status: 429, message: 'quota' }]);
});

t.test('through Claude: request body, stream fixture, non-stream fixture', async (t) => {
  const c = compose('openai-completions', 'claude');
  const { req, body } = c.request({
    model: 'claude-opus-4-8',
    prompt: 'Why does my parser test fail?',
    stream: true,
    stream_options: { include_usage: true },
    max_tokens: 256,
    stop: 'END',
    temperature: 0.3,
    echo: false,
    logprobs: 3,
  });
  t.match(body, {
    model: 'claude-opus-4-8',
    max_tokens: 256,
    messages: [{ role: 'user', content: [{ type: 'text', text: 'Why does my parser test fail?' }] }],
    stop_sequences: ['END'],
    temperature: 0.3,
    stream: true,
  });
  t.notOk('logprobs' in body || 'echo' in body || 'prompt' in body, 'legacy fields stay home');

  const out = await translate(c.stream(req, 'sse'), fixture('claude/stream-thinking-tools.sse'));
  t.equal(textOf(out), "I'll run the failing test and search for every caller of `parse` at the same time.");
  const cs = chunks(out);
  t.ok(cs.every((ch) => ch.object === 'text_completion' && ch.id === 'cmpl-msg_01XFDUDYJgAACzvnptvVoYEL'));
  t.ok(cs.every((ch) => ch.choices.length === 0 || (ch.choices[0].logprobs === null && ch.choices[0].index === 0)));
  t.notOk(out.includes('thinking') || out.includes('toolu_'), 'no reasoning, no tool calls');
  t.equal(cs.at(-2)!.choices[0].finish_reason, 'stop', 'tool_use ends as stop');
  t.same(cs.at(-1)!.usage, { prompt_tokens: 16943, completion_tokens: 187, total_tokens: 17130, prompt_tokens_details: { cached_tokens: 14336 } });
  t.ok(out.endsWith('data: [DONE]\n\n'));

  const plain = c.request({ model: 'claude-opus-4-8', prompt: 'Weather in Paris?' });
  t.ok(typeof plain.body.max_tokens === 'number' && (plain.body.max_tokens as number) > 16, 'Claude needs max_tokens: its default, not 16');
  const res = c.response(fixture('claude/response-message.json'), plain.req);
  t.equal(res.status, 200);
  t.same(res.body, {
    id: 'cmpl-msg_01Aq9w938a90dw8q',
    object: 'text_completion',
    created: (res.body as any).created,
    model: 'claude-opus-4-8',
    choices: [{ text: "I'll check the current weather in Paris for you.", index: 0, logprobs: null, finish_reason: 'stop' }],
    usage: (res.body as any).usage,
  });
  t.match((res.body as any).usage, { prompt_tokens: Number, completion_tokens: 89 });
});

t.test('through Gemini: request body, stream fixture, non-stream fixture, errors', async (t) => {
  const c = compose('openai-completions', 'gemini');
  const { req, body } = c.request({ model: 'gemini-2.5-flash', prompt: ['Weather in Paris and Tokyo?'], stream: true, stop: ['\n\n\n'], top_p: 0.8, max_tokens: 300, seed: 3 });
  t.match(body, {
    contents: [{ role: 'user', parts: [{ text: 'Weather in Paris and Tokyo?' }] }],
    generationConfig: { maxOutputTokens: 300, topP: 0.8, stopSequences: ['\n\n\n'], seed: 3 },
  });
  const out = await translate(c.stream(req, 'sse'), fixture('gemini/stream-thoughts.sse'));
  t.equal(textOf(out), 'Let me check both cities for you.');
  t.notOk(out.includes('Planning the lookup') || out.includes('get_current_weather'));
  const cs = chunks(out);
  t.ok(cs.every((ch) => ch.id === 'cmpl-Q3Zyaf2yKa2Jz7IP3vWX8Ao' && ch.model === 'gemini-2.5-flash'));
  t.equal(cs.at(-1)!.choices[0].finish_reason, 'stop');
  t.notOk(cs.some((ch) => ch.usage), 'no usage chunk: the client did not ask');
  t.ok(out.endsWith('data: [DONE]\n\n'));

  const plain = c.request({ model: 'gemini-2.5-flash', prompt: 'Tomorrow?' });
  const res = c.response(fixture('gemini/response-text.json'), plain.req);
  t.match(res.body, {
    id: 'cmpl-d3Zyaa3wC9yIz7IPnr6P0QQ',
    object: 'text_completion',
    model: 'gemini-2.5-flash',
    choices: [{ text: 'Tomorrow looks drier: mostly sunny with a high of 21 °C.', index: 0, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 212, completion_tokens: 17, total_tokens: 229 },
  });

  const err = c.error(429, fixture('gemini/error-429.json').toString('utf8'));
  t.equal(err.status, 429);
  t.match(err.body, { error: { message: /exceeded your current quota/, type: 'rate_limit_error' } });
});

// ── The official SDK against the encoders ────────────────────────────────

let server: Server;
let client: OpenAI;

t.before(async () => {
  server = createServer((httpReq, res) => {
    let raw = '';
    httpReq.on('data', (d) => (raw += d));
    httpReq.on('end', () => {
      const body = JSON.parse(raw);
      let c;
      let req: IRRequest;
      try {
        c = compose('openai-completions', body.model.startsWith('gemini') ? 'gemini' : 'claude');
        req = c.request(body).req;
      } catch (err) {
        const e = codec.encodeError({ status: (err as TranslationError).status ?? 500, message: (err as Error).message });
        res.writeHead(e.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(e.body));
        return;
      }
      if (body.model === 'gemini-quota') {
        const e = c.error(429, fixture('gemini/error-429.json').toString('utf8'));
        res.writeHead(e.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(e.body));
        return;
      }
      const upstream = body.model.startsWith('gemini') ? 'gemini/stream-thoughts.sse' : 'claude/stream-thinking-tools.sse';
      if (!req.stream) {
        const out = c.response(fixture(upstream.startsWith('gemini') ? 'gemini/response-text.json' : 'claude/response-message.json'), req);
        res.writeHead(out.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(out.body));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      Readable.from([fixture(upstream)]).pipe(c.stream(req, 'sse')).pipe(res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  client = new OpenAI({ apiKey: 'test', baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
});

t.teardown(() => new Promise<void>((r) => server.close(() => r())));

t.test('SDK: completions.create stream from a Claude upstream', async (t) => {
  const stream = await client.completions.create({
    model: 'claude-opus-4-8',
    prompt: 'Why does my parser test fail?',
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = '';
  const finishes: string[] = [];
  let usage: OpenAI.CompletionUsage | undefined;
  for await (const chunk of stream) {
    t.equal(chunk.object, 'text_completion');
    const ch = chunk.choices[0];
    if (ch) {
      text += ch.text;
      if (ch.finish_reason) finishes.push(ch.finish_reason);
    }
    if (chunk.usage) usage = chunk.usage;
  }
  t.equal(text, "I'll run the failing test and search for every caller of `parse` at the same time.");
  t.same(finishes, ['stop']);
  t.match(usage, { prompt_tokens: 16943, completion_tokens: 187, total_tokens: 17130 });
});

t.test('SDK: completions.create stream from a Gemini upstream, prompt as a one-element array', async (t) => {
  const stream = await client.completions.create({ model: 'gemini-2.5-flash', prompt: ['Weather?'], stream: true });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
  t.equal(text, 'Let me check both cities for you.');
});

t.test('SDK: completions.create non-stream', async (t) => {
  const claude = await client.completions.create({ model: 'claude-opus-4-8', prompt: 'Weather in Paris?' });
  t.equal(claude.object, 'text_completion');
  t.equal(claude.choices[0]!.text, "I'll check the current weather in Paris for you.");
  t.equal(claude.choices[0]!.finish_reason, 'stop');
  t.match(claude.id, /^cmpl-/);
  const gemini = await client.completions.create({ model: 'gemini-2.5-flash', prompt: 'Tomorrow?', max_tokens: 100 });
  t.equal(gemini.choices[0]!.text, 'Tomorrow looks drier: mostly sunny with a high of 21 °C.');
  t.equal(gemini.usage?.total_tokens, 229);
});

t.test('SDK: refusals and upstream errors surface as APIError', async (t) => {
  await t.rejects(client.completions.create({ model: 'claude-opus-4-8', prompt: [1, 2, 3] }), { status: 400, message: /token ids/ });
  await t.rejects(client.completions.create({ model: 'claude-opus-4-8', prompt: ['a', 'b'] }), { status: 400, message: /batched prompts/ });
  await t.rejects(client.completions.create({ model: 'gemini-quota', prompt: 'x' }), { status: 429, type: 'rate_limit_error', message: /exceeded your current quota/ });
});
