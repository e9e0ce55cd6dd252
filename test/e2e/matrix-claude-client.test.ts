// The official Anthropic SDK (Messages) against the real gateway, in front of
// each upstream kind: openai-compat, Claude, Gemini and Codex. Text and tool
// use, streamed (messages.stream().finalMessage()) and not, usage, a multi-turn
// tool round trip, thinking blocks with signatures (and back upstream),
// upstream errors, and count_tokens.
import Anthropic, { APIError } from '@anthropic-ai/sdk';
import t, { type Test } from 'tap';
import { claudeMockTokenCount, CLAUDE_MOCK_SIGNATURE, CLAUDE_MOCK_THINKING } from '../mocks/claude-upstream.js';
import { CODEX_MOCK_ENCRYPTED, CODEX_MOCK_REASONING } from '../mocks/codex-upstream.js';
import { GEMINI_MOCK_SIGNATURE, GEMINI_MOCK_THOUGHT } from '../mocks/gemini-upstream.js';
import { alias, BEHAVIOURS, checkUpstreamRequest, expectedEcho, KINDS, only, startMatrix, UPSTREAM_USAGE, type UpstreamKind } from '../helpers/matrix.js';

const m = await startMatrix();
const client = new Anthropic({ baseURL: m.gw.url, apiKey: 'client-key', maxRetries: 0 });
t.teardown(() => m.close());

const tools: Anthropic.Tool[] = [
  { name: 'get_weather', description: 'Weather for a city', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
  { name: 'get_time', description: 'Time in a zone', input_schema: { type: 'object', properties: { tz: { type: 'string' } }, required: ['tz'] } },
];

function checkUsage(t: Test, kind: UpstreamKind, usage: Anthropic.Usage): void {
  const u = UPSTREAM_USAGE[kind];
  t.equal(usage.input_tokens, u.input - (u.cached ?? 0), 'input_tokens (cache reads apart)');
  t.equal(usage.output_tokens, u.output, 'output_tokens');
  if (u.cached !== undefined) t.equal(usage.cache_read_input_tokens, u.cached, 'cache_read_input_tokens');
}

function toolUses(msg: Anthropic.Message): Anthropic.ToolUseBlock[] {
  return msg.content.filter((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
}

function checkCalls(t: Test, msg: Anthropic.Message): void {
  const calls = toolUses(msg);
  t.same(
    calls.map((c) => [c.name, c.input]),
    [
      ['get_weather', { city: 'Paris' }],
      ['get_time', { tz: 'CET' }],
    ],
    'both tool_use blocks with parsed input',
  );
  for (const c of calls) t.match(c.id, /^\S+$/, `${c.name} has an id`);
  t.not(calls[0]?.id, calls[1]?.id, 'ids are distinct');
  t.equal(msg.stop_reason, 'tool_use');
}

const textOf = (msg: Anthropic.Message) =>
  msg.content
    .filter((b): b is Anthropic.TextBlock => b.type === 'text')
    .map((b) => b.text)
    .join('');

// Signatures Claude did not issue reach a Claude client tagged (cliproxy-gemini:
// for a Gemini thoughtSignature, cliproxy-enc: for Codex encrypted reasoning),
// so on the next turn they go back to their issuer and never to Claude.

for (const kind of KINDS) {
  t.test(`${kind}: text, non-stream`, async (t) => {
    const { result: msg, requests } = await m.seen(kind, () =>
      client.messages.create({ model: alias(kind, 'echo'), max_tokens: 256, system: 'Be brief.', messages: [{ role: 'user', content: 'hello matrix' }] }),
    );
    t.equal(msg.type, 'message');
    t.equal(msg.role, 'assistant');
    t.match(msg.id, /^\S+$/, 'an id');
    t.equal(textOf(msg), 'echo: hello matrix');
    t.equal(msg.stop_reason, 'end_turn');
    checkUsage(t, kind, msg.usage);
    const up = only(t, requests);
    checkUpstreamRequest(t, kind, up, { model: 'echo', stream: false, userText: 'hello matrix' });
    t.ok(JSON.stringify(up.body).includes('Be brief.'), 'the system prompt went upstream');
  });

  t.test(`${kind}: text, stream (messages.stream → finalMessage)`, async (t) => {
    const deltas: string[] = [];
    const { result: msg, requests } = await m.seen(kind, () => {
      const s = client.messages.stream({ model: alias(kind, 'echo'), max_tokens: 256, messages: [{ role: 'user', content: 'stream matrix' }] });
      s.on('text', (d) => deltas.push(d));
      return s.finalMessage();
    });
    t.equal(textOf(msg), 'echo: stream matrix');
    t.ok(deltas.length >= 2, 'arrived in several deltas');
    t.equal(msg.stop_reason, 'end_turn');
    checkUsage(t, kind, msg.usage);
    checkUpstreamRequest(t, kind, only(t, requests), { model: 'echo', stream: true, userText: 'stream matrix' });
  });

  t.test(`${kind}: tool use, non-stream`, async (t) => {
    const { result: msg, requests } = await m.seen(kind, () =>
      client.messages.create({ model: alias(kind, 'tools'), max_tokens: 256, messages: [{ role: 'user', content: 'weather and time?' }], tools }),
    );
    checkCalls(t, msg);
    checkUsage(t, kind, msg.usage);
    checkUpstreamRequest(t, kind, only(t, requests), { model: BEHAVIOURS.tools!, stream: false, tools: ['get_weather', 'get_time'] });
  });

  t.test(`${kind}: tool use, stream`, async (t) => {
    const jsonDeltas: string[] = [];
    const { result: msg, requests } = await m.seen(kind, () => {
      const s = client.messages.stream({ model: alias(kind, 'tools'), max_tokens: 256, messages: [{ role: 'user', content: 'weather and time?' }], tools });
      s.on('inputJson', (d) => jsonDeltas.push(d));
      return s.finalMessage();
    });
    checkCalls(t, msg);
    t.ok(jsonDeltas.length >= 2, 'arguments arrived as input_json_delta');
    if (kind !== 'openai') checkUsage(t, kind, msg.usage); // (the openai mock sends no usage on tool-call streams)
    checkUpstreamRequest(t, kind, only(t, requests), { model: BEHAVIOURS.tools!, stream: true, tools: ['get_weather', 'get_time'] });
  });

  t.test(`${kind}: multi-turn tool round trip`, async (t) => {
    const question: Anthropic.MessageParam = { role: 'user', content: 'weather and time?' };
    const first = await client.messages.create({ model: alias(kind, 'tools'), max_tokens: 256, messages: [question], tools });
    const calls = toolUses(first);
    t.equal(calls.length, 2);
    const outputs: Record<string, string> = { get_weather: 'sunny, 21C', get_time: '14:05 CET' };
    const messages: Anthropic.MessageParam[] = [
      question,
      { role: 'assistant', content: first.content },
      { role: 'user', content: calls.map((c): Anthropic.ToolResultBlockParam => ({ type: 'tool_result', tool_use_id: c.id, content: outputs[c.name]! })) },
    ];
    const results = calls.map((c) => ({ id: c.id, name: c.name, output: outputs[c.name]! }));
    for (const stream of [false, true]) {
      const model = kind === 'openai' ? alias(kind, 'echo') : alias(kind, 'result');
      const { result: msg, requests } = await m.seen<Anthropic.Message>(kind, () =>
        stream ? client.messages.stream({ model, max_tokens: 256, messages, tools }).finalMessage() : client.messages.create({ model, max_tokens: 256, messages, tools }),
      );
      const up = only(t, requests);
      const text = textOf(msg);
      if (kind === 'openai') {
        const sent = up.body.messages as any[];
        t.same(
          sent.filter((x) => x.role === 'assistant').flatMap((x) => x.tool_calls.map((c: any) => [c.id, c.function.name, JSON.parse(c.function.arguments)])),
          calls.map((c) => [c.id, c.name, c.input]),
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
        t.doesNotThrow(() => (parsed = JSON.parse(text)), `stream=${stream}: echo is JSON`);
        t.ok(expectedEcho(kind, results)(parsed), `stream=${stream}: each result reached the upstream with its call id/name: ${text}`);
      }
    }
  });

  if (kind !== 'openai') {
    t.test(`${kind}: thinking blocks with a signature, sent back upstream intact`, async (t) => {
      const expected = kind === 'claude' ? CLAUDE_MOCK_THINKING : kind === 'gemini' ? GEMINI_MOCK_THOUGHT : CODEX_MOCK_REASONING;
      const signature = kind === 'claude' ? CLAUDE_MOCK_SIGNATURE : kind === 'gemini' ? `cliproxy-gemini:${GEMINI_MOCK_SIGNATURE}` : `cliproxy-enc:${CODEX_MOCK_ENCRYPTED}`;
      const params = {
        model: alias(kind, 'think'),
        max_tokens: 4096,
        thinking: { type: 'enabled' as const, budget_tokens: 2048 },
        messages: [{ role: 'user' as const, content: 'think first' }],
      };
      const whole = await client.messages.create(params);
      const thinkingDeltas: string[] = [];
      const s = client.messages.stream(params);
      s.on('thinking', (d) => thinkingDeltas.push(d));
      const streamed = await s.finalMessage();
      t.equal(thinkingDeltas.join(''), expected, 'thinking_delta events');
      for (const [name, msg] of [['non-stream', whole], ['stream', streamed]] as const) {
        const th = msg.content.find((b): b is Anthropic.ThinkingBlock => b.type === 'thinking');
        t.equal(th?.thinking, expected, `${name}: thinking text`);
        t.ok(th?.signature, `${name}: thinking has a signature`);
        t.equal(th?.signature, signature, `${name}: the upstream's signature${kind === 'claude' ? '' : ', tagged as not Claude'}`);
        t.equal(msg.content.at(-1)?.type, 'text', `${name}: text after thinking`);
        t.equal(textOf(msg), 'echo: think first', `${name}: text`);
        t.equal(msg.stop_reason, 'end_turn');
      }
      // The next turn carries the thinking block back; its signature must reach the upstream.
      const { requests } = await m.seen(kind, () =>
        client.messages.create({
          ...params,
          model: alias(kind, 'echo'),
          messages: [...params.messages, { role: 'assistant', content: streamed.content }, { role: 'user', content: 'and now?' }],
        }),
      );
      const up = only(t, requests).body;
      const sig = streamed.content.find((b): b is Anthropic.ThinkingBlock => b.type === 'thinking')!.signature;
      if (kind === 'claude') t.match(up.messages[1].content[0], { type: 'thinking', thinking: expected, signature: sig }, 'thinking block back with its signature');
      if (kind === 'gemini')
        t.ok(
          (up.contents[1].parts as any[]).some((p) => p.thoughtSignature === GEMINI_MOCK_SIGNATURE),
          'thoughtSignature back on the model turn',
        );
      if (kind === 'codex')
        t.ok(
          (up.input as any[]).some((i) => i.type === 'reasoning' && i.encrypted_content === CODEX_MOCK_ENCRYPTED),
          'reasoning item back with its encrypted_content',
        );
    });
  }

  t.test(`${kind}: upstream 400 reaches the client as BadRequestError`, async (t) => {
    const { result: err, requests } = await m.seen(kind, () =>
      client.messages.create({ model: alias(kind, '400'), max_tokens: 64, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e),
    );
    t.type(err, Anthropic.BadRequestError);
    t.equal((err as APIError).status, 400);
    t.match((err as APIError).error, { type: 'error', error: { type: 'invalid_request_error', message: String } }, 'Anthropic error shape');
    t.equal(requests.length, 1, 'the upstream was asked once');
    const streamed = await client.messages.stream({ model: alias(kind, '400'), max_tokens: 64, messages: [{ role: 'user', content: 'x' }] }).finalMessage().catch((e: unknown) => e);
    t.type(streamed, Anthropic.BadRequestError, 'the stream helper gets the same error');
  });

  t.test(`${kind}: upstream 429 → RateLimitError, then model_cooldown without another upstream call`, async (t) => {
    const { result: err, requests } = await m.seen(kind, () =>
      client.messages.create({ model: alias(kind, '429'), max_tokens: 64, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e),
    );
    t.type(err, Anthropic.RateLimitError);
    t.equal((err as APIError).status, 429);
    t.equal(requests.length, 1, 'the upstream was asked once');
    // A cooling pool answers in Anthropic's own error shape (the model is named in the message).
    t.match((err as APIError).error, { type: 'error', error: { type: 'rate_limit_error', message: new RegExp(`model ${alias(kind, '429')} are cooling down`) } });
    t.ok(Number((err as APIError).headers?.get('retry-after')) > 0, 'Retry-After header');
    const again = await m.seen(kind, () => client.messages.create({ model: alias(kind, '429'), max_tokens: 64, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e));
    t.type(again.result, Anthropic.RateLimitError);
    t.match((again.result as APIError).error, { type: 'error', error: { type: 'rate_limit_error', message: /cooling down; retry after \d+s/ } });
    t.ok(Number((again.result as APIError).headers?.get('retry-after')) > 0, 'Retry-After header');
    t.equal(again.requests.length, 0, 'the cooling key was not asked again');
  });
}

t.test('without cooling, an upstream 429 reaches the client as RateLimitError in Anthropic shape', async (t) => {
  const nc = await startMatrix('disable-cooling: true');
  t.teardown(() => nc.close());
  const c2 = new Anthropic({ baseURL: nc.gw.url, apiKey: 'k', maxRetries: 0 });
  for (const kind of KINDS) {
    const err = (await c2.messages.create({ model: alias(kind, '429'), max_tokens: 64, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e)) as APIError;
    t.type(err, Anthropic.RateLimitError, kind);
    t.equal(err.status, 429, kind);
    t.match(err.error, { type: 'error', error: { type: 'rate_limit_error', message: String } }, `${kind}: Anthropic error shape`);
  }
});

t.test('count_tokens: forwarded to a Claude upstream, estimated locally for a Gemini one', async (t) => {
  const params = { model: alias('claude', 'echo'), system: 'Be brief.', messages: [{ role: 'user' as const, content: 'count these five words please' }] };
  const { result: counted, requests } = await m.seen('claude', () => client.messages.countTokens(params));
  const up = only(t, requests);
  t.match(up.url, /^\/v1\/messages\/count_tokens/, 'count_tokens path upstream');
  t.equal(up.body.model, 'echo', 'upstream model name');
  t.equal(up.headers['x-api-key'], 'sk-ant-test');
  t.equal(counted.input_tokens, claudeMockTokenCount(up.body), "the upstream's count");

  const gem = await m.seen('gemini', () => client.messages.countTokens({ ...params, model: alias('gemini', 'echo') }));
  t.equal(gem.requests.length, 0, 'the Gemini upstream is not asked');
  t.ok(gem.result.input_tokens > 0, `a local estimate (${gem.result.input_tokens})`);
});

t.test('models list in Claude shape', async (t) => {
  const ids: string[] = [];
  for await (const model of client.models.list()) {
    t.equal(model.type, 'model');
    ids.push(model.id);
  }
  for (const kind of KINDS) t.ok(ids.includes(alias(kind, 'echo')), `${alias(kind, 'echo')} listed`);
});
