// The official OpenAI SDK (Chat Completions) against the real gateway, in front
// of each upstream kind: openai-compat, Claude, Gemini and Codex. Text and tool
// calls, streamed (the SDK's strict stream helper) and not, usage, a multi-turn
// tool round trip, reasoning, upstream errors, and legacy /v1/completions.
import OpenAI, { APIError } from 'openai';
import t, { type Test } from 'tap';
import { CLAUDE_MOCK_THINKING } from '../mocks/claude-upstream.js';
import { CODEX_MOCK_REASONING } from '../mocks/codex-upstream.js';
import { GEMINI_MOCK_THOUGHT } from '../mocks/gemini-upstream.js';
import { alias, BEHAVIOURS, checkUpstreamRequest, expectedEcho, KINDS, only, startMatrix, UPSTREAM_USAGE, type UpstreamKind } from '../helpers/matrix.js';

const m = await startMatrix();
const client = new OpenAI({ baseURL: `${m.gw.url}/v1`, apiKey: 'client-key', maxRetries: 0 });
t.teardown(() => m.close());

const tools: OpenAI.ChatCompletionTool[] = [
  { type: 'function', function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
  { type: 'function', function: { name: 'get_time', description: 'Time in a zone', parameters: { type: 'object', properties: { tz: { type: 'string' } }, required: ['tz'] } } },
];

function checkUsage(t: Tap, kind: UpstreamKind, usage: OpenAI.CompletionUsage | undefined): void {
  const u = UPSTREAM_USAGE[kind];
  t.equal(usage?.prompt_tokens, u.input, 'prompt_tokens');
  t.equal(usage?.completion_tokens, u.output, 'completion_tokens');
  t.equal(usage?.total_tokens, u.total, 'total_tokens');
  if (u.cached !== undefined) t.equal(usage?.prompt_tokens_details?.cached_tokens, u.cached, 'cached tokens');
  if (u.reasoning !== undefined) t.equal(usage?.completion_tokens_details?.reasoning_tokens, u.reasoning, 'reasoning tokens');
}

type Tap = Test;
type Call = { id: string; name: string; args: unknown };

function callsOf(msg: OpenAI.ChatCompletionMessage): Call[] {
  return (msg.tool_calls ?? []).map((c) => {
    if (c.type !== 'function') throw new Error(`unexpected tool call type ${c.type}`);
    return { id: c.id, name: c.function.name, args: JSON.parse(c.function.arguments) };
  });
}

function checkCalls(t: Tap, calls: Call[]): void {
  t.same(
    calls.map((c) => [c.name, c.args]),
    [
      ['get_weather', { city: 'Paris' }],
      ['get_time', { tz: 'CET' }],
    ],
    'both tool calls with parsed arguments',
  );
  for (const c of calls) t.ok(typeof c.id === 'string' && c.id.length > 0, `call ${c.name} has an id`);
  t.not(calls[0]?.id, calls[1]?.id, 'call ids are distinct');
}

for (const kind of KINDS) {
  const upstreamName = (b: keyof typeof BEHAVIOURS) => BEHAVIOURS[b]!;

  t.test(`${kind}: text, non-stream`, async (t) => {
    const { result: res, requests } = await m.seen(kind, () =>
      client.chat.completions.create({ model: alias(kind, 'echo'), messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hello matrix' }] }),
    );
    t.equal(res.object, 'chat.completion');
    t.equal(res.choices[0]!.message.role, 'assistant');
    t.equal(res.choices[0]!.message.content, 'echo: hello matrix');
    t.equal(res.choices[0]!.finish_reason, 'stop');
    checkUsage(t, kind, res.usage);
    checkUpstreamRequest(t, kind, only(t, requests), { model: 'echo', stream: false, userText: 'hello matrix' });
  });

  t.test(`${kind}: text, stream (chat.completions.stream → finalChatCompletion)`, async (t) => {
    const deltas: string[] = [];
    const { result: final, requests } = await m.seen(kind, () => {
      const s = client.chat.completions.stream({ model: alias(kind, 'echo'), messages: [{ role: 'user', content: 'stream matrix' }], stream_options: { include_usage: true } });
      s.on('content.delta', ({ delta }) => deltas.push(delta));
      return s.finalChatCompletion();
    });
    t.equal(final.choices[0]!.message.content, 'echo: stream matrix');
    t.ok(deltas.length >= 2, 'arrived in several deltas');
    t.equal(deltas.join(''), 'echo: stream matrix');
    t.equal(final.choices[0]!.finish_reason, 'stop');
    checkUsage(t, kind, final.usage);
    checkUpstreamRequest(t, kind, only(t, requests), { model: 'echo', stream: true, userText: 'stream matrix' });
  });

  t.test(`${kind}: tool calls, non-stream`, async (t) => {
    const { result: res, requests } = await m.seen(kind, () =>
      client.chat.completions.create({ model: alias(kind, 'tools'), messages: [{ role: 'user', content: 'weather and time?' }], tools }),
    );
    checkCalls(t, callsOf(res.choices[0]!.message));
    t.equal(res.choices[0]!.finish_reason, 'tool_calls');
    checkUsage(t, kind, res.usage);
    checkUpstreamRequest(t, kind, only(t, requests), { model: upstreamName('tools'), stream: false, tools: ['get_weather', 'get_time'] });
  });

  t.test(`${kind}: tool calls, stream`, async (t) => {
    const { result: final, requests } = await m.seen(kind, () =>
      client.chat.completions.stream({ model: alias(kind, 'tools'), messages: [{ role: 'user', content: 'weather and time?' }], tools, stream_options: { include_usage: true } }).finalChatCompletion(),
    );
    checkCalls(t, callsOf(final.choices[0]!.message));
    t.equal(final.choices[0]!.finish_reason, 'tool_calls');
    // (the openai mock sends no usage chunk on tool-call streams)
    if (kind !== 'openai') checkUsage(t, kind, final.usage);
    checkUpstreamRequest(t, kind, only(t, requests), { model: upstreamName('tools'), stream: true, tools: ['get_weather', 'get_time'] });
  });

  t.test(`${kind}: multi-turn tool round trip`, async (t) => {
    const question: OpenAI.ChatCompletionMessageParam = { role: 'user', content: 'weather and time?' };
    const first = await client.chat.completions.create({ model: alias(kind, 'tools'), messages: [question], tools });
    const assistant = first.choices[0]!.message;
    const calls = callsOf(assistant);
    t.equal(calls.length, 2);
    const outputs: Record<string, string> = { get_weather: 'sunny, 21C', get_time: '14:05 CET' };
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      question,
      { role: 'assistant', content: assistant.content, tool_calls: assistant.tool_calls },
      ...calls.map((c): OpenAI.ChatCompletionMessageParam => ({ role: 'tool', tool_call_id: c.id, content: outputs[c.name]! })),
    ];
    const results = calls.map((c) => ({ id: c.id, name: c.name, output: outputs[c.name]! }));
    for (const stream of [false, true]) {
      const model = kind === 'openai' ? alias(kind, 'echo') : alias(kind, 'result');
      const { result: text, requests } = await m.seen(kind, async () => {
        if (!stream) return (await client.chat.completions.create({ model, messages, tools })).choices[0]!.message.content;
        return (await client.chat.completions.stream({ model, messages, tools }).finalChatCompletion()).choices[0]!.message.content;
      });
      const up = only(t, requests);
      if (kind === 'openai') {
        // The openai mock has no echo of tool results: read the upstream request instead.
        const sent = up.body.messages as any[];
        t.same(
          sent.filter((x) => x.role === 'assistant').flatMap((x) => x.tool_calls.map((c: any) => [c.id, c.function.name, JSON.parse(c.function.arguments)])),
          calls.map((c) => [c.id, c.name, c.args]),
          `stream=${stream}: tool calls in history`,
        );
        t.same(
          sent.filter((x) => x.role === 'tool').map((x) => [x.tool_call_id, x.content]),
          results.map((r) => [r.id, r.output]),
          `stream=${stream}: results paired with their call ids`,
        );
        t.equal(text, 'echo: weather and time?');
      } else {
        let parsed: unknown;
        t.doesNotThrow(() => (parsed = JSON.parse(text ?? '')), `stream=${stream}: echo is JSON`);
        t.ok(expectedEcho(kind, results)(parsed), `stream=${stream}: each result reached the upstream with its call id/name: ${text}`);
      }
    }
  });

  if (kind !== 'openai') {
    t.test(`${kind}: reasoning shows as reasoning_content`, async (t) => {
      const expected = kind === 'claude' ? CLAUDE_MOCK_THINKING : kind === 'gemini' ? GEMINI_MOCK_THOUGHT : CODEX_MOCK_REASONING;
      const res = await client.chat.completions.create({ model: alias(kind, 'think'), messages: [{ role: 'user', content: 'think first' }], reasoning_effort: 'high' });
      const msg = res.choices[0]!.message as OpenAI.ChatCompletionMessage & { reasoning_content?: string };
      t.equal(msg.reasoning_content, expected, 'non-stream reasoning_content');
      t.equal(msg.content, 'echo: think first');
      const reasoning: string[] = [];
      const s = client.chat.completions.stream({ model: alias(kind, 'think'), messages: [{ role: 'user', content: 'think first' }], reasoning_effort: 'high' });
      s.on('chunk', (c) => {
        const d = c.choices[0]?.delta as { reasoning_content?: string } | undefined;
        if (d?.reasoning_content) reasoning.push(d.reasoning_content);
      });
      const final = await s.finalChatCompletion();
      t.equal(reasoning.join(''), expected, 'streamed reasoning_content deltas');
      t.equal(final.choices[0]!.message.content, 'echo: think first');
      t.equal(final.choices[0]!.finish_reason, 'stop');
    });
  }

  t.test(`${kind}: upstream 400 reaches the client as BadRequestError`, async (t) => {
    const { result: err, requests } = await m.seen(kind, () =>
      client.chat.completions.create({ model: alias(kind, '400'), messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e),
    );
    t.type(err, OpenAI.BadRequestError);
    t.equal((err as APIError).status, 400);
    t.ok((err as APIError).message.length > 0, 'with a message');
    t.equal(requests.length, 1, 'the upstream was asked once (400 is not retried)');
    const streamed = await client.chat.completions.stream({ model: alias(kind, '400'), messages: [{ role: 'user', content: 'x' }] }).finalChatCompletion().catch((e: unknown) => e);
    t.type(streamed, OpenAI.BadRequestError, 'the stream helper gets the same error');
  });

  t.test(`${kind}: upstream 429 → RateLimitError, then model_cooldown without another upstream call`, async (t) => {
    const { result: err, requests } = await m.seen(kind, () =>
      client.chat.completions.create({ model: alias(kind, '429'), messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e),
    );
    t.type(err, OpenAI.RateLimitError);
    t.equal((err as APIError).status, 429);
    t.equal(requests.length, 1, 'the upstream was asked once');
    t.match((err as APIError).error, { code: 'model_cooldown', model: alias(kind, '429') });
    t.ok(Number((err as APIError).headers?.get('retry-after')) > 0, 'Retry-After header');
    const again = await m.seen(kind, () => client.chat.completions.create({ model: alias(kind, '429'), messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e));
    t.type(again.result, OpenAI.RateLimitError);
    t.match((again.result as APIError).error, { code: 'model_cooldown', reset_seconds: Number });
    t.equal(again.requests.length, 0, 'the cooling key was not asked again');
  });
}

t.test('without cooling, an upstream 429 reaches the client as RateLimitError in OpenAI shape', async (t) => {
  const nc = await startMatrix('disable-cooling: true');
  t.teardown(() => nc.close());
  const c2 = new OpenAI({ baseURL: `${nc.gw.url}/v1`, apiKey: 'k', maxRetries: 0 });
  for (const kind of KINDS) {
    const err = (await c2.chat.completions.create({ model: alias(kind, '429'), messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e)) as APIError;
    t.type(err, OpenAI.RateLimitError, kind);
    t.equal(err.status, 429, kind);
    t.not((err.error as any)?.code, 'model_cooldown', `${kind}: the upstream's own error, not a cooldown`);
    t.ok(err.message.length > 5, `${kind}: message: ${err.message}`);
  }
});

t.test('/v1/completions through completions.create to Claude and Gemini upstreams', async (t) => {
  for (const kind of ['claude', 'gemini', 'codex'] as const) {
    const { result: res, requests } = await m.seen(kind, () => client.completions.create({ model: alias(kind, 'echo'), prompt: 'complete me', max_tokens: 50 }));
    t.equal(res.object, 'text_completion', kind);
    t.equal(res.choices[0]!.text, 'echo: complete me', kind);
    t.equal(res.choices[0]!.finish_reason, 'stop', kind);
    t.equal(res.usage?.prompt_tokens, UPSTREAM_USAGE[kind].input, `${kind} usage`);
    checkUpstreamRequest(t, kind, only(t, requests), { model: 'echo', stream: false, userText: 'complete me' });
    const stream = await client.completions.create({ model: alias(kind, 'echo'), prompt: 'stream me', stream: true });
    let text = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    t.equal(text, 'echo: stream me', `${kind} stream`);
    t.equal(finish, 'stop', `${kind} stream finish`);
  }
});
