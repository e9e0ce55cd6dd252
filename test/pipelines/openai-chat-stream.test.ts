import t from 'tap';
import { readFileSync } from 'node:fs';
import { codec } from '../../pipelines/formats/openai-chat/index.js';
import { SSEParser } from '../../pipelines/sse.js';
import type { IREvent, IRRequest } from '../../pipelines/ir.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/openai-chat/${name}`, import.meta.url));

const REQ: IRRequest = { model: 'gpt-4o', system: [], messages: [], stream: true, includeUsage: true, extras: {} };

function decodeSSE(buf: Buffer | string): IREvent[] {
  const p = new SSEParser();
  const d = codec.createStreamDecoder();
  const events: IREvent[] = [];
  for (const f of [...p.push(buf), ...p.end()]) events.push(...d.push(f));
  events.push(...d.end());
  return events;
}

function encode(events: IREvent[], req: IRRequest = REQ): string {
  const e = codec.createStreamEncoder(req);
  let out = '';
  for (const ev of events) out += e.push(ev);
  return out + e.end();
}

/** The client's view: each data frame parsed, [DONE] as the string. */
function frames(wire: string): Array<Record<string, any> | '[DONE]'> {
  const p = new SSEParser();
  return [...p.push(wire), ...p.end()].map((f) => (f.data === '[DONE]' ? '[DONE]' : JSON.parse(f.data)));
}

t.test('decoder: tool-call stream fixture', async (t) => {
  const events = decodeSSE(fixture('stream-tools.sse'));
  t.same(events, [
    { type: 'start', id: 'chatcmpl-BKXnq', model: 'gpt-4.1-2025-04-14', created: 1744000000 },
    { type: 'tool-call-start', index: 0, id: 'call_DdmO9pD3xa9XTPNJ32zg2hcA', name: 'get_weather' },
    { type: 'tool-call-delta', index: 0, args: '{"' },
    { type: 'tool-call-delta', index: 0, args: 'location' },
    { type: 'tool-call-delta', index: 0, args: '":"' },
    { type: 'tool-call-delta', index: 0, args: 'Paris, France"}' },
    { type: 'block-end', index: 0 },
    { type: 'tool-call-start', index: 1, id: 'call_2nd', name: 'get_time' },
    { type: 'tool-call-delta', index: 1, args: '{"tz":"Europe/Paris"}' },
    { type: 'block-end', index: 1 },
    {
      type: 'finish',
      reason: 'tool_calls',
      rawReason: 'tool_calls',
      usage: { inputTokens: 71, outputTokens: 38, totalTokens: 109, cachedTokens: 0, reasoningTokens: 0 },
    },
  ]);
});

t.test('decoder: reasoning_content stream with usage in the finishing chunk', async (t) => {
  const events = decodeSSE(fixture('stream-reasoning.sse'));
  t.same(events.map((e) => e.type), ['start', 'reasoning-delta', 'reasoning-delta', 'block-end', 'text-delta', 'text-delta', 'block-end', 'finish']);
  const text = events.filter((e) => e.type === 'text-delta').map((e) => (e as { text: string }).text).join('');
  t.equal(text, 'There are three Rs — «r» ×3 🍓.');
  t.same(events.at(-1), { type: 'finish', reason: 'stop', rawReason: 'stop', usage: { inputTokens: 17, outputTokens: 120, totalTokens: 137, cachedTokens: 0, reasoningTokens: 100 } });
});

t.test('decoder: provider quirks', async (t) => {
  // Every parallel call numbered 0, told apart by id; name arriving after the args.
  const wire =
    'data: {"id":"a","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c1","function":{"name":"f","arguments":"{}"}}]}}]}\n\n' +
    'data: {"id":"a","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c2","function":{"name":"g","arguments":"{\\"x\\":1}"}}]}}]}\n\n' +
    'data: {"id":"a","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"c3","function":{"arguments":"{\\"late\\""}}]}}]}\n\n' +
    'data: {"id":"a","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"name":"h","arguments":":true}"}}]}}]}\n\n' +
    'data: {"id":"a","model":"m","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}\n\n' +
    'data: [DONE]\n\n';
  const evs = decodeSSE(wire).filter((e) => e.type.startsWith('tool'));
  t.same(evs, [
    { type: 'tool-call-start', index: 0, id: 'c1', name: 'f' },
    { type: 'tool-call-delta', index: 0, args: '{}' },
    { type: 'tool-call-start', index: 1, id: 'c2', name: 'g' },
    { type: 'tool-call-delta', index: 1, args: '{"x":1}' },
    { type: 'tool-call-start', index: 2, id: 'c3', name: 'h' },
    { type: 'tool-call-delta', index: 2, args: '{"late":true}' },
  ]);
  // Garbage frames are skipped; an error frame ends the stream.
  const err = decodeSSE('data: not json\n\ndata: {"id":"x","choices":[{"index":0,"delta":{"content":"a"}}]}\n\ndata: {"error":{"message":"overloaded","type":"server_error","code":503}}\n\ndata: {"id":"x","choices":[{"index":0,"delta":{"content":"ignored"}}]}\n\n');
  t.same(err.map((e) => e.type), ['start', 'text-delta', 'error']);
  t.match(err[2], { status: 503, message: 'overloaded' });
  const named = decodeSSE('event: error\ndata: {"message":"quota exceeded","type":"rate_limit_error"}\n\n');
  t.same(named, [{ type: 'error', status: 429, message: 'quota exceeded' }], 'an error named by the event');
});

t.test('decoder: end without [DONE] or finish closes blocks, invents no finish, and is an error', async (t) => {
  const evs = decodeSSE('data: {"id":"x","choices":[{"index":0,"delta":{"content":"cut o"}}]}\n\n');
  t.same(evs.map((e) => e.type), ['start', 'text-delta', 'block-end', 'error']);
  t.match(evs.at(-1), { type: 'error', status: 502, message: 'upstream stream ended before completion' });
  t.match(decodeSSE(''), [{ type: 'error', status: 502 }], 'an empty stream too');
  const noDone = decodeSSE('data: {"id":"x","choices":[{"index":0,"delta":{"content":"hi"}}]}\n\ndata: {"id":"x","choices":[{"index":0,"delta":{},"finish_reason":"length"}]}\n\n');
  t.match(noDone.at(-1), { type: 'finish', reason: 'length' }, 'a finish_reason without [DONE] is a clean end');
  const done = decodeSSE('data: {"id":"x","choices":[{"index":0,"delta":{"content":"hi"}}]}\n\ndata: [DONE]\n\n');
  t.same(done.at(-1), { type: 'finish', reason: 'stop' }, '[DONE] without finish_reason is a clean stop');
});

t.test('encoder: event order the SDK expects', async (t) => {
  const wire = encode([
    { type: 'start', id: 'msg_01', model: 'claude-sonnet-4', created: 1700000000 },
    { type: 'reasoning-delta', index: 0, text: 'thinking…' },
    { type: 'reasoning-delta', index: 0, signature: 'sig' },
    { type: 'block-end', index: 0 },
    { type: 'text-delta', index: 1, text: 'Hello "world"\n' },
    { type: 'block-end', index: 1 },
    { type: 'tool-call-start', index: 2, id: 'toolu_a', name: 'search' },
    { type: 'tool-call-delta', index: 2, args: '{"q":' },
    { type: 'tool-call-delta', index: 2, args: '"x"}' },
    { type: 'block-end', index: 2 },
    { type: 'tool-call-start', index: 3, id: 'toolu_b', name: 'open' },
    { type: 'tool-call-delta', index: 3, args: '{}' },
    { type: 'block-end', index: 3 },
    { type: 'finish', reason: 'tool_calls', usage: { inputTokens: 5, outputTokens: 7, cachedTokens: 2, reasoningTokens: 3 } },
  ]);
  t.ok(wire.endsWith('data: [DONE]\n\n'));
  const fs = frames(wire);
  t.equal(fs.at(-1), '[DONE]');
  const chunks = fs.slice(0, -1) as Array<Record<string, any>>;
  for (const c of chunks) {
    t.equal(c.id, 'msg_01');
    t.equal(c.created, 1700000000);
    t.equal(c.model, 'claude-sonnet-4');
    t.equal(c.object, 'chat.completion.chunk');
  }
  const deltas = chunks.filter((c) => c.choices.length > 0).map((c) => [c.choices[0].delta, c.choices[0].finish_reason]);
  t.same(deltas, [
    [{ role: 'assistant', content: '' }, null],
    [{ reasoning_content: 'thinking…' }, null],
    [{ content: 'Hello "world"\n' }, null],
    [{ tool_calls: [{ index: 0, id: 'toolu_a', type: 'function', function: { name: 'search', arguments: '' } }] }, null],
    [{ tool_calls: [{ index: 0, function: { arguments: '{"q":' } }] }, null],
    [{ tool_calls: [{ index: 0, function: { arguments: '"x"}' } }] }, null],
    [{ tool_calls: [{ index: 1, id: 'toolu_b', type: 'function', function: { name: 'open', arguments: '' } }] }, null],
    [{ tool_calls: [{ index: 1, function: { arguments: '{}' } }] }, null],
    [{}, 'tool_calls'],
  ]);
  const last = chunks.at(-1)!;
  t.same(last.choices, []);
  t.same(last.usage, { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12, prompt_tokens_details: { cached_tokens: 2 }, completion_tokens_details: { reasoning_tokens: 3 } });
});

t.test('encoder: usage chunk only when asked; late usage; stop with tool calls', async (t) => {
  const noUsage = frames(encode([{ type: 'text-delta', index: 0, text: 'x' }, { type: 'finish', reason: 'stop', usage: { inputTokens: 1, outputTokens: 1 } }], { ...REQ, includeUsage: false }));
  t.notOk(noUsage.some((f) => f !== '[DONE]' && 'usage' in f), 'no usage chunk without include_usage');
  t.equal(noUsage.at(-1), '[DONE]');

  const e = codec.createStreamEncoder(REQ);
  let wire = e.push({ type: 'start', id: 'x', model: 'm' });
  wire += e.push({ type: 'tool-call-start', index: 0, id: 'c', name: 'f' });
  const afterFinish = e.push({ type: 'finish', reason: 'stop' });
  t.notMatch(afterFinish, /\[DONE\]/, 'waits for usage after a finish without it');
  const afterUsage = e.push({ type: 'usage', usage: { inputTokens: 3, outputTokens: 4 } });
  t.match(afterUsage, /"usage":\{"prompt_tokens":3/);
  t.ok(afterUsage.endsWith('data: [DONE]\n\n'));
  t.equal(e.end(), '', 'nothing after the stream was closed');
  t.equal(e.push({ type: 'text-delta', index: 9, text: 'late' }), '');
  const fs = frames(wire + afterFinish + afterUsage);
  const fin = fs.find((f) => f !== '[DONE]' && f.choices?.[0]?.finish_reason) as Record<string, any>;
  t.equal(fin.choices[0].finish_reason, 'tool_calls', 'a plain stop after tool calls is reported as tool_calls');
});

t.test('encoder: abrupt end still closes the stream', async (t) => {
  const e = codec.createStreamEncoder(REQ);
  const wire = e.push({ type: 'text-delta', index: 0, text: 'partial' }) + e.end();
  const fs = frames(wire);
  t.equal(fs.at(-1), '[DONE]');
  const fin = fs.filter((f) => f !== '[DONE]' && f.choices.length > 0).at(-1) as Record<string, any>;
  t.equal(fin.choices[0].finish_reason, 'stop');
  t.same((fs.at(-2) as Record<string, any>).usage, { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
  // Even a stream that produced nothing is a valid, closed stream.
  const empty = frames(codec.createStreamEncoder(REQ).end());
  t.same((empty[0] as Record<string, any>).choices[0].delta, { role: 'assistant', content: '' });
  t.equal(empty.at(-1), '[DONE]');
});

t.test('encoder: an error event ends the stream with an OpenAI error frame', async (t) => {
  const e = codec.createStreamEncoder(REQ);
  let wire = e.push({ type: 'text-delta', index: 0, text: 'a' });
  wire += e.push({ type: 'error', status: 429, message: 'Rate limited', code: 'rate_limit_exceeded' });
  wire += e.end();
  const fs = frames(wire);
  t.same(fs.at(-1), { error: { message: 'Rate limited', type: 'rate_limit_error', code: 'rate_limit_exceeded' } });
  t.notOk(fs.includes('[DONE]'), 'no [DONE] after an error');
});

t.test('decoder → encoder round trip keeps the stream', async (t) => {
  for (const name of ['stream-tools.sse', 'stream-reasoning.sse']) {
    const src = frames(fixture(name).toString('utf8'));
    const out = frames(encode(decodeSSE(fixture(name))));
    const pick = (fs: typeof src) => {
      const content: string[] = [];
      const reasoning: string[] = [];
      const calls: Record<number, { id?: string; name?: string; args: string }> = {};
      let finish: string | undefined;
      let usage: unknown;
      for (const f of fs) {
        if (f === '[DONE]') continue;
        if (f.usage) usage = f.usage;
        const c = f.choices?.[0];
        if (!c) continue;
        if (c.delta?.content) content.push(c.delta.content);
        if (c.delta?.reasoning_content) reasoning.push(c.delta.reasoning_content);
        for (const tc of c.delta?.tool_calls ?? []) {
          const s = (calls[tc.index] ??= { args: '' });
          if (tc.id) s.id = tc.id;
          if (tc.function?.name) s.name = tc.function.name;
          s.args += tc.function?.arguments ?? '';
        }
        if (c.finish_reason) finish = c.finish_reason;
      }
      return { id: (fs[0] as Record<string, any>).id, content: content.join(''), reasoning: reasoning.join(''), calls, finish, usage: usage && { ...(usage as object) } };
    };
    const a = pick(src);
    const b = pick(out);
    t.same(b.id, a.id, `${name}: id`);
    t.same(b.content, a.content, `${name}: content`);
    t.same(b.reasoning, a.reasoning, `${name}: reasoning`);
    t.same(b.calls, a.calls, `${name}: tool calls`);
    t.same(b.finish, a.finish, `${name}: finish`);
    t.match(a.usage, b.usage as object, `${name}: usage`);
  }
});
