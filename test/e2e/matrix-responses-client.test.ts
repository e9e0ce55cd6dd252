// The official OpenAI SDK (Responses API) against the real gateway, in front of
// each upstream kind: openai-compat, Claude, Gemini and Codex. Text and
// function calls, streamed (responses.stream().finalResponse()) and not, usage,
// a multi-turn tool round trip, reasoning summaries, and upstream errors.
import OpenAI, { APIError } from 'openai';
import t, { type Test } from 'tap';
import { CLAUDE_MOCK_THINKING } from '../mocks/claude-upstream.js';
import { CODEX_MOCK_ENCRYPTED, CODEX_MOCK_REASONING } from '../mocks/codex-upstream.js';
import { GEMINI_MOCK_THOUGHT } from '../mocks/gemini-upstream.js';
import { alias, BEHAVIOURS, checkUpstreamRequest, expectedEcho, KINDS, only, startMatrix, UPSTREAM_USAGE, type UpstreamKind } from '../helpers/matrix.js';

const m = await startMatrix();
const client = new OpenAI({ baseURL: `${m.gw.url}/v1`, apiKey: 'client-key', maxRetries: 0 });
t.teardown(() => m.close());

type Response = OpenAI.Responses.Response;
type FunctionCall = OpenAI.Responses.ResponseFunctionToolCall;

const tools: OpenAI.Responses.Tool[] = [
  { type: 'function', name: 'get_weather', description: 'Weather for a city', strict: false, parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
  { type: 'function', name: 'get_time', description: 'Time in a zone', strict: false, parameters: { type: 'object', properties: { tz: { type: 'string' } }, required: ['tz'] } },
];

function checkUsage(t: Test, kind: UpstreamKind, usage: OpenAI.Responses.ResponseUsage | undefined): void {
  const u = UPSTREAM_USAGE[kind];
  t.equal(usage?.input_tokens, u.input, 'input_tokens');
  t.equal(usage?.output_tokens, u.output, 'output_tokens');
  t.equal(usage?.total_tokens, u.total, 'total_tokens');
  t.equal(usage?.input_tokens_details?.cached_tokens, u.cached ?? 0, 'cached_tokens');
  t.equal(usage?.output_tokens_details?.reasoning_tokens, u.reasoning ?? 0, 'reasoning_tokens');
}

const calls = (r: Response) => r.output.filter((o): o is FunctionCall => o.type === 'function_call');

function checkCalls(t: Test, r: Response): void {
  const cs = calls(r);
  t.same(
    cs.map((c) => [c.name, JSON.parse(c.arguments)]),
    [
      ['get_weather', { city: 'Paris' }],
      ['get_time', { tz: 'CET' }],
    ],
    'both function calls with parsed arguments',
  );
  for (const c of cs) t.match(c.call_id, /^\S+$/, `${c.name} has a call_id`);
  t.not(cs[0]?.call_id, cs[1]?.call_id, 'call ids are distinct');
  t.equal(r.status, 'completed');
}

for (const kind of KINDS) {
  t.test(`${kind}: text, non-stream`, async (t) => {
    const { result: r, requests } = await m.seen(kind, () =>
      client.responses.create({ model: alias(kind, 'echo'), instructions: 'Be brief.', input: 'hello matrix' }),
    );
    t.equal(r.object, 'response');
    t.equal(r.status, 'completed');
    t.equal(r.output_text, 'echo: hello matrix');
    const msg = r.output.find((o) => o.type === 'message');
    t.match(msg, { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'echo: hello matrix' }] });
    checkUsage(t, kind, r.usage);
    const up = only(t, requests);
    checkUpstreamRequest(t, kind, up, { model: 'echo', stream: kind === 'codex', userText: 'hello matrix' });
    t.ok(JSON.stringify(up.body).includes('Be brief.'), 'the instructions went upstream');
  });

  t.test(`${kind}: text, stream (responses.stream → finalResponse)`, async (t) => {
    const deltas: string[] = [];
    const { result: r, requests } = await m.seen(kind, () => {
      const s = client.responses.stream({ model: alias(kind, 'echo'), input: [{ role: 'user', content: 'stream matrix' }] });
      s.on('response.output_text.delta', (e) => deltas.push(e.delta));
      return s.finalResponse();
    });
    t.equal(r.output_text, 'echo: stream matrix');
    t.ok(deltas.length >= 2, 'arrived in several deltas');
    t.equal(deltas.join(''), 'echo: stream matrix');
    t.equal(r.status, 'completed');
    if (kind !== 'openai') checkUsage(t, kind, r.usage);
    checkUpstreamRequest(t, kind, only(t, requests), { model: 'echo', stream: true, userText: 'stream matrix' });
  });

  t.test(`${kind}: function calls, non-stream`, async (t) => {
    const { result: r, requests } = await m.seen(kind, () => client.responses.create({ model: alias(kind, 'tools'), input: 'weather and time?', tools }));
    checkCalls(t, r);
    checkUsage(t, kind, r.usage);
    checkUpstreamRequest(t, kind, only(t, requests), { model: BEHAVIOURS.tools!, stream: kind === 'codex', tools: ['get_weather', 'get_time'] });
  });

  t.test(`${kind}: function calls, stream`, async (t) => {
    const argDeltas: string[] = [];
    const { result: r, requests } = await m.seen(kind, () => {
      const s = client.responses.stream({ model: alias(kind, 'tools'), input: 'weather and time?', tools });
      s.on('response.function_call_arguments.delta', (e) => argDeltas.push(e.delta));
      return s.finalResponse();
    });
    checkCalls(t, r);
    t.ok(argDeltas.length >= 2, 'arguments streamed as deltas');
    if (kind !== 'openai') checkUsage(t, kind, r.usage);
    checkUpstreamRequest(t, kind, only(t, requests), { model: BEHAVIOURS.tools!, stream: true, tools: ['get_weather', 'get_time'] });
  });

  t.test(`${kind}: multi-turn tool round trip`, async (t) => {
    const first = await client.responses.create({ model: alias(kind, 'tools'), input: 'weather and time?', tools });
    const cs = calls(first);
    t.equal(cs.length, 2);
    const outputs: Record<string, string> = { get_weather: 'sunny, 21C', get_time: '14:05 CET' };
    const input: OpenAI.Responses.ResponseInputItem[] = [
      { role: 'user', content: 'weather and time?' },
      ...cs.map((c): OpenAI.Responses.ResponseInputItem => ({ type: 'function_call', call_id: c.call_id, name: c.name, arguments: c.arguments })),
      ...cs.map((c): OpenAI.Responses.ResponseInputItem => ({ type: 'function_call_output', call_id: c.call_id, output: outputs[c.name]! })),
    ];
    const results = cs.map((c) => ({ id: c.call_id, name: c.name, output: outputs[c.name]! }));
    for (const stream of [false, true]) {
      const model = kind === 'openai' ? alias(kind, 'echo') : alias(kind, 'result');
      const { result: r, requests } = await m.seen<OpenAI.Responses.Response>(kind, () =>
        stream ? client.responses.stream({ model, input, tools }).finalResponse() : client.responses.create({ model, input, tools }),
      );
      const up = only(t, requests);
      if (kind === 'openai') {
        const sent = up.body.messages as any[];
        t.same(
          sent.filter((x) => x.role === 'assistant').flatMap((x) => x.tool_calls.map((c: any) => [c.id, c.function.name, c.function.arguments])),
          cs.map((c) => [c.call_id, c.name, c.arguments]),
          `stream=${stream}: calls in history`,
        );
        t.same(
          sent.filter((x) => x.role === 'tool').map((x) => [x.tool_call_id, x.content]),
          results.map((x) => [x.id, x.output]),
          `stream=${stream}: results paired with their call ids`,
        );
        t.equal(r.output_text, 'echo: weather and time?');
      } else {
        let parsed: unknown;
        t.doesNotThrow(() => (parsed = JSON.parse(r.output_text)), `stream=${stream}: echo is JSON`);
        t.ok(expectedEcho(kind, results)(parsed), `stream=${stream}: each result reached the upstream with its call id/name: ${r.output_text}`);
      }
    }
  });

  if (kind !== 'openai') {
    t.test(`${kind}: reasoning summary`, async (t) => {
      const expected = kind === 'claude' ? CLAUDE_MOCK_THINKING : kind === 'gemini' ? GEMINI_MOCK_THOUGHT : CODEX_MOCK_REASONING;
      const params = {
        model: alias(kind, 'think'),
        input: 'think first',
        reasoning: { effort: 'high' as const, summary: 'auto' as const },
        include: ['reasoning.encrypted_content' as const],
        store: false,
      };
      const whole = await client.responses.create(params);
      const summaryDeltas: string[] = [];
      const s = client.responses.stream(params);
      s.on('response.reasoning_summary_text.delta', (e) => summaryDeltas.push(e.delta));
      const streamed = await s.finalResponse();
      t.equal(summaryDeltas.join(''), expected, 'reasoning_summary_text deltas');
      for (const [name, r] of [['non-stream', whole], ['stream', streamed]] as const) {
        const rs = r.output.find((o) => o.type === 'reasoning') as OpenAI.Responses.ResponseReasoningItem | undefined;
        t.equal(rs?.summary.map((x) => x.text).join(''), expected, `${name}: summary text`);
        t.equal(r.output.at(-1)?.type, 'message', `${name}: the message after the reasoning`);
        t.equal(r.output_text, 'echo: think first', `${name}: text`);
      }
      if (kind === 'codex') {
        const rs = streamed.output.find((o): o is OpenAI.Responses.ResponseReasoningItem => o.type === 'reasoning')!;
        t.equal(rs.encrypted_content, CODEX_MOCK_ENCRYPTED, 'encrypted_content included');
        const { requests } = await m.seen(kind, () =>
          client.responses.create({
            ...params,
            model: alias(kind, 'echo'),
            input: [{ role: 'user', content: 'think first' }, rs, ...streamed.output.filter((o) => o.type === 'message'), { role: 'user', content: 'and now?' }] as OpenAI.Responses.ResponseInput,
          }),
        );
        t.ok(
          (only(t, requests).body.input as any[]).some((i) => i.type === 'reasoning' && i.encrypted_content === CODEX_MOCK_ENCRYPTED),
          'the reasoning item went back upstream with its encrypted_content',
        );
      }
    });
  }

  t.test(`${kind}: upstream 400 reaches the client as BadRequestError`, async (t) => {
    const { result: err, requests } = await m.seen(kind, () => client.responses.create({ model: alias(kind, '400'), input: 'x' }).catch((e: unknown) => e));
    t.type(err, OpenAI.BadRequestError);
    t.equal((err as APIError).status, 400);
    t.ok((err as APIError).message.length > 0, 'with a message');
    t.equal(requests.length, 1, 'the upstream was asked once');
    const streamed = await client.responses.stream({ model: alias(kind, '400'), input: 'x' }).finalResponse().catch((e: unknown) => e);
    t.type(streamed, OpenAI.BadRequestError, 'the stream helper gets the same error');
  });

  t.test(`${kind}: upstream 429 → RateLimitError, then model_cooldown without another upstream call`, async (t) => {
    const { result: err, requests } = await m.seen(kind, () => client.responses.create({ model: alias(kind, '429'), input: 'x' }).catch((e: unknown) => e));
    t.type(err, OpenAI.RateLimitError);
    t.equal((err as APIError).status, 429);
    t.equal(requests.length, 1, 'the upstream was asked once');
    t.match((err as APIError).error, { code: 'model_cooldown', model: alias(kind, '429') });
    t.ok(Number((err as APIError).headers?.get('retry-after')) > 0, 'Retry-After header');
    const again = await m.seen(kind, () => client.responses.create({ model: alias(kind, '429'), input: 'x' }).catch((e: unknown) => e));
    t.type(again.result, OpenAI.RateLimitError);
    t.match((again.result as APIError).error, { code: 'model_cooldown', reset_seconds: Number });
    t.equal(again.requests.length, 0, 'the cooling key was not asked again');
  });
}

t.test('without cooling, an upstream 429 reaches the client as RateLimitError', async (t) => {
  const nc = await startMatrix('disable-cooling: true');
  t.teardown(() => nc.close());
  const c2 = new OpenAI({ baseURL: `${nc.gw.url}/v1`, apiKey: 'k', maxRetries: 0 });
  for (const kind of KINDS) {
    const err = (await c2.responses.create({ model: alias(kind, '429'), input: 'x' }).catch((e: unknown) => e)) as APIError;
    t.type(err, OpenAI.RateLimitError, kind);
    t.equal(err.status, 429, kind);
    t.not((err.error as any)?.code, 'model_cooldown', `${kind}: the upstream's own error`);
  }
});
