// Every /v1/responses answer, whatever the upstream, validated by a strict
// checker written from the public specification (test/helpers/responses-schema.ts):
// the non-stream body and every event of a stream — the `response` of
// created / in_progress / completed / failed included — through the official
// SDK, over openai-compat, Claude, Gemini and Codex mocks. Request settings
// are echoed, documented defaults fill the rest, and Codex message phases
// survive the translation.
import OpenAI from 'openai';
import t from 'tap';
import { CODEX_MOCK_COMMENTARY } from '../mocks/codex-upstream.js';
import { KINDS } from '../helpers/matrix.js';
import { ra, startResponsesMatrix } from '../helpers/responses-matrix.js';
import { checkEventSequence, checkResponse } from '../helpers/responses-schema.js';

const m = await startResponsesMatrix();
const client = new OpenAI({ baseURL: `${m.gw.url}/v1`, apiKey: 'client-key', maxRetries: 0 });
t.teardown(() => m.close());

const tools: OpenAI.Responses.Tool[] = [
  // No strict and no description: the answer must still carry both (strict defaults to true).
  { type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } as unknown as OpenAI.Responses.FunctionTool,
  { type: 'function', name: 'get_time', description: 'Time in a zone', strict: false, parameters: { type: 'object', properties: { tz: { type: 'string' } }, required: ['tz'] } },
];

async function events(params: OpenAI.Responses.ResponseCreateParamsStreaming): Promise<any[]> {
  const out: any[] = [];
  for await (const ev of await client.responses.create(params)) out.push(ev);
  return out;
}

const terminal = (evs: any[]) => evs.at(-1);

for (const kind of KINDS) {
  t.test(`${kind}: defaults when the client sets nothing`, async (t) => {
    const r = await client.responses.create({ model: ra(kind, 'echo'), input: 'defaults please' });
    t.same(checkResponse(r), [], 'the body conforms');
    t.match(r, {
      status: 'completed',
      temperature: 1,
      top_p: 1,
      presence_penalty: 0,
      frequency_penalty: 0,
      top_logprobs: 0,
      service_tier: 'default',
      truncation: 'disabled',
      parallel_tool_calls: true,
      max_output_tokens: null,
      max_tool_calls: null,
      previous_response_id: null,
      prompt_cache_key: null,
      safety_identifier: null,
      reasoning: { effort: null, summary: null },
      text: { format: { type: 'text' }, verbosity: 'medium' },
      tool_choice: 'auto',
      tools: [],
      metadata: {},
      background: false,
      error: null,
      incomplete_details: null,
    });
    t.ok(r.completed_at! >= r.created_at, 'completed_at set, not before created_at');
  });

  t.test(`${kind}: request settings are echoed`, async (t) => {
    const params = {
      model: ra(kind, 'echo'),
      instructions: 'Be brief.',
      input: 'echo my settings',
      temperature: 0.4,
      max_output_tokens: 300,
      max_tool_calls: 5,
      metadata: { ticket: 'T-1' },
      user: 'user-1',
      prompt_cache_key: 'pck-1',
      safety_identifier: 'sid-1',
      service_tier: 'flex' as const,
      top_logprobs: 2,
      text: { verbosity: 'low' as const },
      reasoning: { effort: 'low' as const, summary: 'auto' as const },
      parallel_tool_calls: false,
      truncation: 'auto' as const,
      tools,
      tool_choice: 'none' as const,
    };
    const r = await client.responses.create(params);
    t.same(checkResponse(r), [], 'the body conforms');
    t.match(r, {
      instructions: 'Be brief.',
      temperature: 0.4,
      max_output_tokens: 300,
      max_tool_calls: 5,
      metadata: { ticket: 'T-1' },
      user: 'user-1',
      prompt_cache_key: 'pck-1',
      safety_identifier: 'sid-1',
      service_tier: 'flex',
      top_logprobs: 2,
      text: { verbosity: 'low' },
      reasoning: { effort: 'low', summary: 'auto' },
      parallel_tool_calls: false,
      truncation: 'auto',
      tool_choice: 'none',
    });
    t.match(r.tools, [
      { type: 'function', name: 'get_weather', description: null, strict: true },
      { type: 'function', name: 'get_time', description: 'Time in a zone', strict: false },
    ], 'function tools echoed with description and strict');
  });

  t.test(`${kind}: function calls, non-stream and streamed`, async (t) => {
    const whole = await client.responses.create({ model: ra(kind, 'tools'), input: 'weather and time?', tools });
    t.same(checkResponse(whole), [], 'non-stream body conforms');
    t.equal(whole.output.filter((o) => o.type === 'function_call').length, 2);
    const evs = await events({ model: ra(kind, 'tools'), input: 'weather and time?', tools, stream: true });
    t.same(checkEventSequence(evs), [], 'every event conforms, numbered from 0');
    const created = evs[0].response;
    t.equal(created.tools.length, 2, 'response.created already carries the tools');
    t.match(terminal(evs), { type: 'response.completed', response: { status: 'completed' } });
  });

  t.test(`${kind}: text stream`, async (t) => {
    const evs = await events({ model: ra(kind, 'echo'), instructions: 'Stay short.', input: 'stream schema', stream: true, temperature: 0.2 });
    t.same(checkEventSequence(evs), [], 'every event conforms');
    for (const ev of evs.filter((e) => e.response)) {
      t.equal(ev.response.instructions, 'Stay short.', `${ev.type}: instructions`);
      t.equal(ev.response.temperature, 0.2, `${ev.type}: temperature`);
    }
    t.equal(evs[0].response.completed_at, null, 'no completed_at while in progress');
    t.equal(evs[0].response.usage, null, 'no usage while in progress');
    t.ok(terminal(evs).response.completed_at >= terminal(evs).response.created_at, 'completed_at on completion');
  });

  if (kind !== 'openai') {
    t.test(`${kind}: reasoning, streamed`, async (t) => {
      const evs = await events({ model: ra(kind, 'think'), input: 'think', reasoning: { effort: 'high', summary: 'auto' }, include: ['reasoning.encrypted_content'], store: false, stream: true });
      t.same(checkEventSequence(evs), [], 'every event conforms');
      t.ok(terminal(evs).response.output.some((o: any) => o.type === 'reasoning'), 'a reasoning item');
    });
  }

  t.test(`${kind}: a stream that breaks ends with a conforming response.failed`, async (t) => {
    const evs = await events({ model: ra(kind, 'fail'), input: 'break please', stream: true }).catch((e: unknown) => e);
    if (!Array.isArray(evs)) {
      // The SDK throws on an error event; read the raw stream instead.
      t.fail(`the SDK stream failed: ${String(evs)}`);
      return;
    }
    t.same(checkEventSequence(evs), [], 'every event conforms');
    t.match(terminal(evs), { type: 'response.failed', response: { status: 'failed', error: { code: String, message: String } } });
  });
}

t.test('codex: assistant message phases survive, streamed and not', async (t) => {
  const whole = await client.responses.create({ model: ra('codex', 'phased'), input: 'phases please' });
  t.same(checkResponse(whole), [], 'the body conforms');
  t.match(
    whole.output.map((o: any) => [o.type, o.phase, o.content?.[0]?.text]),
    [['message', 'commentary', CODEX_MOCK_COMMENTARY], ['message', 'final_answer', 'echo: phases please']],
    'two messages, each with its phase',
  );
  const evs = await events({ model: ra('codex', 'phased'), input: 'phases please', stream: true });
  t.same(checkEventSequence(evs), [], 'every event conforms');
  const added = evs.filter((e) => e.type === 'response.output_item.added').map((e) => e.item.phase);
  const done = evs.filter((e) => e.type === 'response.output_item.done').map((e) => e.item.phase);
  t.same(added, ['commentary', 'final_answer'], 'output_item.added carries the phase');
  t.same(done, ['commentary', 'final_answer'], 'output_item.done carries the phase');
  t.same(terminal(evs).response.output.map((o: any) => o.phase), ['commentary', 'final_answer'], 'and the completed response');
  // Sent back on the next turn, the phase reaches the backend.
  const { requests } = await m.seen('codex', () =>
    client.responses.create({ model: ra('codex', 'echo'), input: [{ role: 'user', content: 'phases please' }, ...(whole.output as any[]), { role: 'user', content: 'and then?' }] }),
  );
  t.same(
    (requests[0]!.body.input as any[]).filter((i) => i.role === 'assistant').map((i) => i.phase),
    ['commentary', 'final_answer'],
    'phases went back upstream',
  );
});

t.test('non-Codex upstreams: messages carry no phase', async (t) => {
  const r = await client.responses.create({ model: ra('claude', 'echo'), input: 'no phase' });
  t.notOk('phase' in (r.output[0] as object), 'no phase invented');
});
