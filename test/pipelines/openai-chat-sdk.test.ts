// The official openai SDK against the openai-chat encoders, over a local
// HTTP server: what the SDK's stream helpers accept is the real contract.
import t from 'tap';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { codec } from '../../pipelines/formats/openai-chat/index.js';
import { foldEvents } from '../../pipelines/fold.js';
import type { IREvent } from '../../pipelines/ir.js';

const SCENARIOS: Record<string, IREvent[]> = {
  text: [
    { type: 'start', id: 'chatcmpl-1', model: 'text', created: 1700000000 },
    { type: 'reasoning-delta', index: 0, text: 'hmm' },
    { type: 'block-end', index: 0 },
    { type: 'text-delta', index: 1, text: 'Hello, ' },
    { type: 'text-delta', index: 1, text: 'wörld 🎉' },
    { type: 'block-end', index: 1 },
    { type: 'finish', reason: 'stop', usage: { inputTokens: 9, outputTokens: 4, cachedTokens: 1 } },
  ],
  tools: [
    { type: 'start', id: 'chatcmpl-2', model: 'tools' },
    { type: 'text-delta', index: 0, text: 'Calling.' },
    { type: 'block-end', index: 0 },
    { type: 'tool-call-start', index: 1, id: 'call_1', name: 'get_weather' },
    { type: 'tool-call-delta', index: 1, args: '{"city":' },
    { type: 'tool-call-delta', index: 1, args: '"Paris"}' },
    { type: 'block-end', index: 1 },
    { type: 'tool-call-start', index: 2, id: 'call_2', name: 'get_time' },
    { type: 'tool-call-delta', index: 2, args: '{}' },
    { type: 'block-end', index: 2 },
    { type: 'finish', reason: 'tool_calls', usage: { inputTokens: 20, outputTokens: 10 } },
  ],
  // Upstream died mid-answer: only the encoder's end() closes the stream.
  abrupt: [
    { type: 'start', id: 'chatcmpl-3', model: 'abrupt' },
    { type: 'text-delta', index: 0, text: 'cut' },
  ],
  failing: [
    { type: 'start', id: 'chatcmpl-4', model: 'failing' },
    { type: 'text-delta', index: 0, text: 'a' },
    { type: 'error', status: 503, message: 'upstream overloaded', code: 'overloaded' },
  ],
};

let server: Server;
let client: OpenAI;
const seenBodies: unknown[] = [];

t.before(async () => {
  server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const body = JSON.parse(raw);
      seenBodies.push(body);
      const ir = codec.decodeRequest(body);
      const events = SCENARIOS[ir.model] ?? [];
      if (!ir.stream) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(codec.encodeResponse(foldEvents(events), ir)));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const enc = codec.createStreamEncoder(ir);
      // One write per event, so the SDK sees realistic chunking.
      for (const ev of events) {
        const s = enc.push(ev);
        if (s) res.write(s);
      }
      res.end(enc.end());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  client = new OpenAI({ apiKey: 'test', baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
});

t.teardown(() => new Promise<void>((r) => server.close(() => r())));

t.test('chat.completions.stream(): text with reasoning and usage', async (t) => {
  const stream = client.chat.completions.stream({
    model: 'text',
    messages: [{ role: 'user', content: 'hi' }],
    stream_options: { include_usage: true },
  });
  const final = await stream.finalChatCompletion();
  t.equal(final.id, 'chatcmpl-1');
  t.equal(final.choices[0]!.message.content, 'Hello, wörld 🎉');
  t.equal((final.choices[0]!.message as unknown as { reasoning_content: string }).reasoning_content, 'hmm');
  t.equal(final.choices[0]!.finish_reason, 'stop');
  t.same(final.usage, { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13, prompt_tokens_details: { cached_tokens: 1 } });
});

t.test('chat.completions.stream(): parallel tool calls', async (t) => {
  const stream = client.chat.completions.stream({
    model: 'tools',
    messages: [{ role: 'user', content: 'weather?' }],
    tools: [
      { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
      { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: {} } } },
    ],
  });
  const done: string[] = [];
  stream.on('tool_calls.function.arguments.done', (e) => done.push(`${e.name}:${e.arguments}`));
  const final = await stream.finalChatCompletion();
  const msg = final.choices[0]!.message;
  t.equal(msg.content, 'Calling.');
  t.same(
    msg.tool_calls?.map((c) => c.type === 'function' && [c.id, c.function.name, c.function.arguments]),
    [
      ['call_1', 'get_weather', '{"city":"Paris"}'],
      ['call_2', 'get_time', '{}'],
    ],
  );
  t.same(done, ['get_weather:{"city":"Paris"}', 'get_time:{}']);
  t.equal(final.choices[0]!.finish_reason, 'tool_calls');
  t.notOk(final.usage, 'no usage chunk when the client did not ask');
  const sent = seenBodies.at(-1) as Record<string, unknown>;
  t.equal(sent.stream, true, 'the SDK body decoded fine');
});

t.test('create({stream: true}): an abruptly ended upstream still ends cleanly', async (t) => {
  const stream = await client.chat.completions.create({ model: 'abrupt', messages: [{ role: 'user', content: 'x' }], stream: true });
  let text = '';
  let finish: string | null = null;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  t.equal(text, 'cut');
  t.equal(finish, 'stop');
});

t.test('an error mid-stream surfaces as an APIError in the SDK', async (t) => {
  const stream = client.chat.completions.stream({ model: 'failing', messages: [{ role: 'user', content: 'x' }] });
  await t.rejects(stream.finalChatCompletion(), { message: /upstream overloaded/ });
});

t.test('non-stream create() parses the encoded response', async (t) => {
  const res = await client.chat.completions.create({ model: 'tools', messages: [{ role: 'user', content: 'x' }] });
  t.equal(res.object, 'chat.completion');
  t.equal(res.choices[0]!.message.tool_calls?.length, 2);
  t.equal(res.choices[0]!.finish_reason, 'tool_calls');
  t.same(res.usage, { prompt_tokens: 20, completion_tokens: 10, total_tokens: 30 });
});
