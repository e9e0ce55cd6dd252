import t from 'tap';
import { EventFolder, foldEvents } from '../../pipelines/fold.js';
import type { IREvent } from '../../pipelines/ir.js';

t.test('fold: text, reasoning and tool calls in order of first appearance', async (t) => {
  const events: IREvent[] = [
    { type: 'start', id: 'msg_1', model: 'claude-sonnet-4', created: 1700000000 },
    { type: 'reasoning-delta', index: 0, text: 'Let me ' },
    { type: 'reasoning-delta', index: 0, text: 'think.' },
    { type: 'reasoning-delta', index: 0, signature: 'sig-abc' },
    { type: 'block-end', index: 0 },
    { type: 'text-delta', index: 1, text: 'Checking ' },
    { type: 'text-delta', index: 1, text: 'the weather.' },
    { type: 'block-end', index: 1 },
    { type: 'tool-call-start', index: 2, id: 'toolu_1', name: 'get_weather', signature: 'ts-1' },
    { type: 'tool-call-delta', index: 2, args: '{"city":' },
    { type: 'tool-call-delta', index: 2, args: '"Paris"}' },
    { type: 'block-end', index: 2 },
    { type: 'tool-call-start', index: 3, id: 'toolu_2', name: 'get_time' },
    { type: 'block-end', index: 3 },
    { type: 'usage', usage: { inputTokens: 10, outputTokens: 1 } },
    { type: 'finish', reason: 'tool_calls', rawReason: 'tool_use', usage: { inputTokens: 10, outputTokens: 20, cachedTokens: 4 } },
  ];
  t.same(foldEvents(events), {
    id: 'msg_1',
    model: 'claude-sonnet-4',
    created: 1700000000,
    content: [
      { type: 'reasoning', text: 'Let me think.', signature: 'sig-abc' },
      { type: 'text', text: 'Checking the weather.' },
      { type: 'tool-call', id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Paris"}', signature: 'ts-1' },
      { type: 'tool-call', id: 'toolu_2', name: 'get_time', arguments: '' },
    ],
    finishReason: 'tool_calls',
    rawFinishReason: 'tool_use',
    usage: { inputTokens: 10, outputTokens: 20, cachedTokens: 4 },
  });
});

t.test('fold: interleaved indices keep their own blocks', async (t) => {
  const res = foldEvents([
    { type: 'tool-call-start', index: 5, id: 'a', name: 'f' },
    { type: 'tool-call-start', index: 7, id: 'b', name: 'g' },
    { type: 'tool-call-delta', index: 7, args: '{"y":' },
    { type: 'tool-call-delta', index: 5, args: '{"x":1}' },
    { type: 'tool-call-delta', index: 7, args: '2}' },
    { type: 'finish', reason: 'tool_calls' },
  ]);
  t.same(
    res.content.map((p) => (p.type === 'tool-call' ? [p.id, p.arguments] : p.type)),
    [
      ['a', '{"x":1}'],
      ['b', '{"y":2}'],
    ],
  );
});

t.test('fold: defaults and late usage', async (t) => {
  const res = foldEvents([{ type: 'text-delta', index: 0, text: 'hi' }, { type: 'usage', usage: { inputTokens: 1, outputTokens: 2 } }]);
  t.equal(res.finishReason, 'stop', 'no finish event → stop');
  t.equal(res.id, '');
  t.same(res.usage, { inputTokens: 1, outputTokens: 2 });
  t.notOk('rawFinishReason' in res);
  const empty = foldEvents([]);
  t.same(empty.content, []);
});

t.test('fold: encrypted and redacted reasoning survive without text', async (t) => {
  const res = foldEvents([
    { type: 'reasoning-delta', index: 0, encrypted: 'gAAAA…' },
    { type: 'reasoning-delta', index: 1, redactedData: 'EmwKAhgBEgy…' },
  ]);
  t.same(res.content, [
    { type: 'reasoning', text: '', encrypted: 'gAAAA…' },
    { type: 'reasoning', text: '', redactedData: 'EmwKAhgBEgy…' },
  ]);
});

t.test('EventFolder: incremental use and errors', async (t) => {
  const f = new EventFolder();
  f.push({ type: 'start', id: 'x', model: 'm' });
  f.push({ type: 'text-delta', index: 0, text: 'partial' });
  t.equal(f.result().content.length, 1, 'a result can be taken mid-stream');
  t.notOk(f.hasToolCalls);
  f.push({ type: 'error', status: 429, message: 'slow down', code: 'rate_limit' });
  f.push({ type: 'error', status: 500, message: 'second' });
  t.same(f.error, { status: 429, message: 'slow down', code: 'rate_limit' }, 'the first error is kept');
  f.push({ type: 'tool-call-start', index: 1, id: 'c', name: 'n' });
  t.ok(f.hasToolCalls);
});
