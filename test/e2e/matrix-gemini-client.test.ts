// The official @google/genai SDK against the real gateway (/v1beta/models/…),
// in front of each upstream kind: openai-compat, Claude, Gemini and Codex. Text
// and function calls, streamed (generateContentStream to the end) and not,
// usage, a multi-turn function round trip, thoughts, upper-case schema types,
// upstream errors, and countTokens.
import { ApiError, FinishReason, GoogleGenAI, Type, type Content, type FunctionCall, type FunctionDeclaration, type GenerateContentResponse } from '@google/genai';
import t, { type Test } from 'tap';
import { CLAUDE_MOCK_SIGNATURE, CLAUDE_MOCK_THINKING } from '../mocks/claude-upstream.js';
import { CODEX_MOCK_REASONING } from '../mocks/codex-upstream.js';
import { GEMINI_MOCK_SIGNATURE, GEMINI_MOCK_THOUGHT } from '../mocks/gemini-upstream.js';
import { alias, BEHAVIOURS, checkUpstreamRequest, expectedEcho, KINDS, only, startMatrix, UPSTREAM_USAGE, type UpstreamKind } from '../helpers/matrix.js';

const m = await startMatrix();
const ai = new GoogleGenAI({ apiKey: 'client-key', httpOptions: { baseUrl: m.gw.url, retryOptions: { attempts: 1 } } });
t.teardown(() => m.close());

// Schemas as the SDK's users write them: upper-case Type enum values.
const functionDeclarations: FunctionDeclaration[] = [
  { name: 'get_weather', description: 'Weather for a city', parameters: { type: Type.OBJECT, properties: { city: { type: Type.STRING, description: 'City name' } }, required: ['city'] } },
  { name: 'get_time', description: 'Time in a zone', parameters: { type: Type.OBJECT, properties: { tz: { type: Type.STRING } }, required: ['tz'] } },
];
const tools = [{ functionDeclarations }];

function checkUsage(t: Test, kind: UpstreamKind, r: GenerateContentResponse | undefined): void {
  const u = UPSTREAM_USAGE[kind];
  const got = r?.usageMetadata;
  t.equal(got?.promptTokenCount, u.input, 'promptTokenCount');
  t.equal(got?.candidatesTokenCount, u.output - (u.reasoning ?? 0), 'candidatesTokenCount (thoughts apart)');
  t.equal(got?.totalTokenCount, u.total, 'totalTokenCount');
  if (u.cached !== undefined) t.equal(got?.cachedContentTokenCount, u.cached, 'cachedContentTokenCount');
  if (u.reasoning !== undefined) t.equal(got?.thoughtsTokenCount, u.reasoning, 'thoughtsTokenCount');
}

function checkCalls(t: Test, calls: FunctionCall[] | undefined): void {
  t.same(
    (calls ?? []).map((c) => [c.name, c.args]),
    [
      ['get_weather', { city: 'Paris' }],
      ['get_time', { tz: 'CET' }],
    ],
    'both function calls with their args',
  );
}

/** Reads a whole stream, returning the text, every chunk's function calls, and the last chunk. */
async function drain(stream: AsyncGenerator<GenerateContentResponse>) {
  let text = '';
  let thoughts = '';
  let last: GenerateContentResponse | undefined;
  let finish: string | undefined;
  const calls: FunctionCall[] = [];
  const parts: NonNullable<Content['parts']> = [];
  let chunks = 0;
  for await (const chunk of stream) {
    chunks++;
    last = chunk;
    for (const p of chunk.candidates?.[0]?.content?.parts ?? []) {
      parts.push(p);
      if (p.thought && p.text) thoughts += p.text;
      else if (p.text) text += p.text;
      if (p.functionCall) calls.push(p.functionCall);
    }
    finish = chunk.candidates?.[0]?.finishReason ?? finish;
  }
  // A usage-only last chunk is fine; the usage must be on the final chunk.
  return { text, thoughts, calls, finish, last, chunks, parts };
}

/** Upper-case Gemini types reach JSON-Schema upstreams lower-cased. */
function checkLowerCasedSchemas(t: Test, kind: UpstreamKind, body: any): void {
  const schemas: any[] =
    kind === 'openai'
      ? body.tools.map((x: any) => x.function.parameters)
      : kind === 'claude'
        ? body.tools.map((x: any) => x.input_schema)
        : kind === 'codex'
          ? body.tools.map((x: any) => x.parameters)
          : body.tools.flatMap((x: any) => x.functionDeclarations.map((d: any) => d.parameters ?? d.parametersJsonSchema));
  if (kind === 'gemini') {
    t.equal(schemas[0].type.toUpperCase(), 'OBJECT', 'Gemini upstream keeps a Gemini schema');
    return;
  }
  t.match(schemas[0], { type: 'object', properties: { city: { type: 'string', description: 'City name' } }, required: ['city'] }, 'types lower-cased for a JSON-Schema upstream');
  t.match(schemas[1], { type: 'object', properties: { tz: { type: 'string' } } });
}

for (const kind of KINDS) {
  t.test(`${kind}: text, non-stream`, async (t) => {
    const { result: r, requests } = await m.seen(kind, () =>
      ai.models.generateContent({ model: alias(kind, 'echo'), contents: 'hello matrix', config: { systemInstruction: 'Be brief.', maxOutputTokens: 200 } }),
    );
    t.equal(r.text, 'echo: hello matrix');
    t.equal(r.candidates?.[0]?.content?.role, 'model');
    t.equal(r.candidates?.[0]?.finishReason, FinishReason.STOP);
    checkUsage(t, kind, r);
    const up = only(t, requests);
    checkUpstreamRequest(t, kind, up, { model: 'echo', stream: false, userText: 'hello matrix' });
    t.ok(JSON.stringify(up.body).includes('Be brief.'), 'the system instruction went upstream');
  });

  t.test(`${kind}: text, stream (generateContentStream to the end)`, async (t) => {
    const { result: s, requests } = await m.seen(kind, async () => drain(await ai.models.generateContentStream({ model: alias(kind, 'echo'), contents: 'stream matrix' })));
    t.equal(s.text, 'echo: stream matrix');
    t.ok(s.chunks >= 2, `arrived in several chunks (${s.chunks})`);
    t.equal(s.finish, FinishReason.STOP);
    if (kind !== 'openai') checkUsage(t, kind, s.last);
    checkUpstreamRequest(t, kind, only(t, requests), { model: 'echo', stream: true, userText: 'stream matrix' });
  });

  t.test(`${kind}: function calls, non-stream`, async (t) => {
    const { result: r, requests } = await m.seen(kind, () => ai.models.generateContent({ model: alias(kind, 'tools'), contents: 'weather and time?', config: { tools } }));
    checkCalls(t, r.functionCalls);
    t.equal(r.candidates?.[0]?.finishReason, FinishReason.STOP);
    checkUsage(t, kind, r);
    const up = only(t, requests);
    checkUpstreamRequest(t, kind, up, { model: BEHAVIOURS.tools!, stream: false, tools: ['get_weather', 'get_time'] });
    checkLowerCasedSchemas(t, kind, up.body);
  });

  t.test(`${kind}: function calls, stream`, async (t) => {
    const { result: s, requests } = await m.seen(kind, async () =>
      drain(await ai.models.generateContentStream({ model: alias(kind, 'tools'), contents: 'weather and time?', config: { tools } })),
    );
    checkCalls(t, s.calls);
    t.equal(s.finish, FinishReason.STOP);
    if (kind !== 'openai') checkUsage(t, kind, s.last);
    const up = only(t, requests);
    checkUpstreamRequest(t, kind, up, { model: BEHAVIOURS.tools!, stream: true, tools: ['get_weather', 'get_time'] });
    checkLowerCasedSchemas(t, kind, up.body);
  });

  t.test(`${kind}: multi-turn function round trip`, async (t) => {
    const question: Content = { role: 'user', parts: [{ text: 'weather and time?' }] };
    const first = await ai.models.generateContent({ model: alias(kind, 'tools'), contents: [question], config: { tools } });
    const calls = first.functionCalls ?? [];
    t.equal(calls.length, 2);
    const outputs: Record<string, string> = { get_weather: 'sunny, 21C', get_time: '14:05 CET' };
    const contents: Content[] = [
      question,
      first.candidates![0]!.content!,
      { role: 'user', parts: calls.map((c) => ({ functionResponse: { ...(c.id ? { id: c.id } : {}), name: c.name!, response: { output: outputs[c.name!]! } } })) },
    ];
    for (const stream of [false, true]) {
      const model = kind === 'openai' ? alias(kind, 'echo') : alias(kind, 'result');
      const { result: text, requests } = await m.seen(kind, async () =>
        stream ? (await drain(await ai.models.generateContentStream({ model, contents, config: { tools } }))).text : (await ai.models.generateContent({ model, contents, config: { tools } })).text,
      );
      const up = only(t, requests);
      if (kind === 'openai') {
        const sent = up.body.messages as any[];
        const asked = sent.filter((x) => x.role === 'assistant').flatMap((x) => x.tool_calls) as any[];
        const answered = sent.filter((x) => x.role === 'tool');
        t.same(
          asked.map((c) => [c.function.name, JSON.parse(c.function.arguments)]),
          calls.map((c) => [c.name, c.args]),
          `stream=${stream}: calls in history`,
        );
        t.same(
          answered.map((x) => x.tool_call_id),
          asked.map((c) => c.id),
          `stream=${stream}: each result answers its call id`,
        );
        answered.forEach((x, i) => t.ok(String(x.content).includes(outputs[asked[i].function.name]!), `stream=${stream}: ${asked[i].function.name} result content`));
        t.equal(text, 'echo: weather and time?');
      } else {
        let parsed: any;
        t.doesNotThrow(() => (parsed = JSON.parse(text ?? '')), `stream=${stream}: echo is JSON`);
        if (kind === 'gemini') {
          t.ok(expectedEcho(kind, calls.map((c) => ({ id: '', name: c.name!, output: outputs[c.name!]! })))(parsed), `stream=${stream}: results by name: ${text}`);
        } else {
          // Claude/Codex need ids: the ids the upstream gave its calls must come back with the right result.
          const key = kind === 'claude' ? 'tool_use_id' : 'call_id';
          const ids = (parsed as any[]).map((x) => x[key]);
          const upstreamIds = kind === 'claude' ? ['toolu_01MockWeatherA1', 'toolu_01MockTimeB2'] : ['call_mock_a1', 'call_mock_b2'];
          t.same(ids, upstreamIds, `stream=${stream}: results carry the upstream's call ids`);
          t.ok(JSON.stringify(parsed[0]).includes(outputs.get_weather!) && JSON.stringify(parsed[1]).includes(outputs.get_time!), `stream=${stream}: each result with its call: ${text}`);
        }
      }
    }
  });

  if (kind !== 'openai') {
    t.test(`${kind}: thoughts (thought parts, signatures back upstream)`, async (t) => {
      const expected = kind === 'claude' ? CLAUDE_MOCK_THINKING : kind === 'gemini' ? GEMINI_MOCK_THOUGHT : CODEX_MOCK_REASONING;
      const config = { thinkingConfig: { includeThoughts: true, thinkingBudget: 2048 } };
      const whole = await ai.models.generateContent({ model: alias(kind, 'think'), contents: 'think first', config });
      const wholeParts = whole.candidates?.[0]?.content?.parts ?? [];
      t.equal(
        wholeParts.filter((p) => p.thought).map((p) => p.text).join(''),
        expected,
        'non-stream thought part',
      );
      t.equal(whole.text, 'echo: think first', 'thoughts are not in .text');
      const s = await drain(await ai.models.generateContentStream({ model: alias(kind, 'think'), contents: 'think first', config }));
      t.equal(s.thoughts, expected, 'streamed thought parts');
      t.equal(s.text, 'echo: think first');
      t.equal(s.finish, FinishReason.STOP);
      const signature = kind === 'claude' ? CLAUDE_MOCK_SIGNATURE : kind === 'gemini' ? GEMINI_MOCK_SIGNATURE : undefined;
      if (!signature) return;
      // Claude's signatures come tagged, so that they go back to Claude and never to Gemini.
      const given = kind === 'claude' ? `cliproxy-claude:${signature}` : signature;
      t.ok(
        wholeParts.some((p) => p.thoughtSignature === given),
        "non-stream: the upstream's signature as thoughtSignature",
      );
      t.ok(
        s.parts.some((p) => p.thoughtSignature === given),
        "stream: the upstream's signature as thoughtSignature",
      );
      const { requests } = await m.seen(kind, () =>
        ai.models.generateContent({
          model: alias(kind, 'echo'),
          contents: [{ role: 'user', parts: [{ text: 'think first' }] }, whole.candidates![0]!.content!, { role: 'user', parts: [{ text: 'and now?' }] }],
          config,
        }),
      );
      const up = only(t, requests).body;
      if (kind === 'claude') t.match(up.messages[1].content[0], { type: 'thinking', thinking: expected, signature }, 'thinking block back with its signature');
      else t.ok((up.contents[1].parts as any[]).some((p) => p.thoughtSignature === signature), 'thoughtSignature back upstream');
    });
  }

  t.test(`${kind}: upstream 400 reaches the client as ApiError 400`, async (t) => {
    const { result: err, requests } = await m.seen(kind, () => ai.models.generateContent({ model: alias(kind, '400'), contents: 'x' }).catch((e: unknown) => e));
    t.type(err, ApiError);
    t.equal((err as ApiError).status, 400);
    t.equal(requests.length, 1, 'the upstream was asked once');
    const body = JSON.parse((err as ApiError).message);
    t.match(body, { error: { code: 400, message: String, status: 'INVALID_ARGUMENT' } }, 'Gemini error shape');
    const streamed = await ai.models
      .generateContentStream({ model: alias(kind, '400'), contents: 'x' })
      .then(drain)
      .catch((e: unknown) => e);
    t.type(streamed, ApiError, 'the stream gets the same error');
    t.equal((streamed as ApiError).status, 400);
  });

  t.test(`${kind}: upstream 429 → ApiError 429, then model_cooldown without another upstream call`, async (t) => {
    const { result: err, requests } = await m.seen(kind, () => ai.models.generateContent({ model: alias(kind, '429'), contents: 'x' }).catch((e: unknown) => e));
    t.type(err, ApiError);
    t.equal((err as ApiError).status, 429);
    t.equal(requests.length, 1, 'the upstream was asked once');
    // A cooling pool answers in Google's error shape; the reset fields ride in ErrorInfo metadata.
    t.match(JSON.parse((err as ApiError).message), { error: { code: 429, status: 'RESOURCE_EXHAUSTED', details: [{ retryDelay: /^\d+s$/ }, { reason: 'MODEL_COOLDOWN', metadata: { model: alias(kind, '429') } }] } });
    const again = await m.seen(kind, () => ai.models.generateContent({ model: alias(kind, '429'), contents: 'x' }).catch((e: unknown) => e));
    t.equal((again.result as ApiError).status, 429);
    t.match(JSON.parse((again.result as ApiError).message), { error: { code: 429, status: 'RESOURCE_EXHAUSTED', details: [{}, { metadata: { reset_seconds: /^\d+$/ } }] } });
    t.equal(again.requests.length, 0, 'the cooling key was not asked again');
  });
}

t.test('without cooling, an upstream 429 reaches the client as RESOURCE_EXHAUSTED', async (t) => {
  const nc = await startMatrix('disable-cooling: true');
  t.teardown(() => nc.close());
  const ai2 = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: nc.gw.url, retryOptions: { attempts: 1 } } });
  for (const kind of KINDS) {
    const err = (await ai2.models.generateContent({ model: alias(kind, '429'), contents: 'x' }).catch((e: unknown) => e)) as ApiError;
    t.type(err, ApiError, kind);
    t.equal(err.status, 429, kind);
    t.match(JSON.parse(err.message), { error: { code: 429, status: 'RESOURCE_EXHAUSTED' } }, `${kind}: Gemini error shape`);
  }
});

t.test('countTokens: forwarded to a Gemini upstream, estimated locally for others', async (t) => {
  const { result: counted, requests } = await m.seen('gemini', () => ai.models.countTokens({ model: alias('gemini', 'echo'), contents: 'one two three four' }));
  const up = only(t, requests);
  t.match(up.url, /\/v1beta\/models\/echo:countTokens/);
  t.equal(counted.totalTokens, 4, "the upstream's count");
  const local = await m.seen('claude', () => ai.models.countTokens({ model: alias('claude', 'echo'), contents: 'one two three four' }));
  t.ok((local.result.totalTokens ?? 0) > 0, `a local estimate (${local.result.totalTokens})`);
  t.equal(local.requests.length, 0, 'the Claude upstream is not asked');
});

t.test('models.list shows the aliases', async (t) => {
  const names: string[] = [];
  for await (const model of await ai.models.list()) names.push(model.name ?? '');
  for (const kind of KINDS) t.ok(names.includes(`models/${alias(kind, 'echo')}`), `${alias(kind, 'echo')} listed`);
});
