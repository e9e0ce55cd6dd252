// Every client API over the AI Studio relay: a simulated app connected to the
// real gateway's /v1/ws executes each relayed request against the Gemini mock
// (as the browser does against Google) and relays the answer back. The official
// SDKs (openai chat + responses, @anthropic-ai/sdk, @google/genai) talk to the
// gateway, streamed and not, with tools, thoughts, errors and token counts.
// The app maps AI Studio model names onto the mock's behaviours.
import Anthropic from '@anthropic-ai/sdk';
import { ApiError, GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import t from 'tap';
import { gatewayFromYaml } from '../helpers/gateway.js';
import { forwardTo, listedModels, SimulatedApp, until } from '../helpers/relay-app.js';
import { GEMINI_MOCK_THOUGHT, geminiMockTokenCount, startMockGemini } from '../mocks/gemini-upstream.js';

const ECHO = 'gemini-2.5-flash';
const TOOLS = 'gemini-2.5-pro';
const THINKING = 'gemini-flash-latest';
const FAIL = 'gemini-2.5-flash-lite';

const mock = await startMockGemini();
const gw = await gatewayFromYaml('request-retry: 0\n');
const app = await SimulatedApp.connect(gw.url, { handler: forwardTo(mock.url, { [ECHO]: 'echo', [TOOLS]: 'tool-call', [THINKING]: 'thinking', [FAIL]: 'fail-400' }) });
t.teardown(async () => {
  await gw.close();
  await mock.close();
});

const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'client', maxRetries: 0 });
const anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'client', maxRetries: 0 });
const genai = new GoogleGenAI({ apiKey: 'client', httpOptions: { baseUrl: gw.url, retryOptions: { attempts: 1 } } });

/** The requests the app relayed (and the mock then received) while fn ran. */
async function relayed<T>(fn: () => Promise<T>): Promise<{ result: T; urls: string[]; bodies: any[] }> {
  const before = app.requests.length;
  const mockBefore = mock.requests.length;
  const result = await fn();
  return { result, urls: app.requests.slice(before).map((r) => r.url), bodies: mock.requests.slice(mockBefore).map((r) => r.body) };
}

const weather: OpenAI.ChatCompletionTool = { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } };

t.test('the connected app serves the AI Studio model list', async (t) => {
  const models = await listedModels(gw.url);
  for (const id of ['gemini-2.5-flash', 'gemini-2.5-pro', 'gemini-2.5-flash-lite', 'gemini-pro-latest', 'gemini-flash-latest', 'gemini-flash-lite-latest', 'gemini-2.5-flash-image'])
    t.ok(models.includes(id), id);
  const g = await fetch(`${gw.url}/v1beta/models`).then((r) => r.json() as Promise<{ models: Array<{ name: string }> }>);
  t.ok(g.models.some((m) => m.name === 'models/gemini-2.5-flash'), 'Gemini list too');
});

t.test('OpenAI chat: text, non-stream and stream', async (t) => {
  const { result: r, urls, bodies } = await relayed(() => openai.chat.completions.create({ model: ECHO, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hello relay' }] }));
  t.equal(r.choices[0]!.message.content, 'echo: hello relay');
  t.equal(r.usage?.total_tokens, 19);
  t.match(urls, [/^https:\/\/generativelanguage\.googleapis\.com\/v1beta\/models\/gemini-2\.5-flash:generateContent$/]);
  t.match(bodies[0], { systemInstruction: { parts: [{ text: 'Be brief.' }] }, contents: [{ role: 'user', parts: [{ text: 'hello relay' }] }] }, 'translated to Gemini');

  const s = await relayed(async () => {
    const stream = await openai.chat.completions.create({ model: ECHO, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'stream relay' }] });
    let text = '';
    let chunks = 0;
    let total: number | undefined;
    for await (const c of stream) {
      chunks++;
      text += c.choices[0]?.delta.content ?? '';
      total = c.usage?.total_tokens ?? total;
    }
    return { text, chunks, total };
  });
  t.equal(s.result.text, 'echo: stream relay');
  t.ok(s.result.chunks >= 3, `several chunks (${s.result.chunks})`);
  t.equal(s.result.total, 19, 'usage on the stream');
  t.match(s.urls, [/:streamGenerateContent\?alt=sse$/]);
});

t.test('OpenAI chat: tool calls, and an upstream 400 in OpenAI shape', async (t) => {
  const r = await openai.chat.completions.create({ model: TOOLS, tools: [weather], messages: [{ role: 'user', content: 'weather?' }] });
  t.same(
    r.choices[0]!.message.tool_calls?.map((c) => (c.type === 'function' ? [c.function.name, JSON.parse(c.function.arguments)] : [])),
    [
      ['get_weather', { city: 'Paris' }],
      ['get_time', { tz: 'CET' }],
    ],
  );
  t.equal(r.choices[0]!.finish_reason, 'tool_calls');
  const err = await openai.chat.completions.create({ model: FAIL, messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
  t.type(err, OpenAI.APIError);
  t.equal(err.status, 400);
});

t.test('Anthropic messages: non-stream, stream, thinking, count_tokens', async (t) => {
  const r = await anthropic.messages.create({ model: ECHO, max_tokens: 100, messages: [{ role: 'user', content: 'claude via relay' }] });
  t.equal(r.content.length, 1);
  t.match(r.content[0], { type: 'text', text: 'echo: claude via relay' });
  t.equal(r.stop_reason, 'end_turn');
  const s = await anthropic.messages.stream({ model: THINKING, max_tokens: 100, messages: [{ role: 'user', content: 'think' }] }).finalMessage();
  t.match(s.content[0], { type: 'thinking', thinking: GEMINI_MOCK_THOUGHT });
  t.match(s.content.at(-1), { type: 'text', text: 'echo: think' });
  const c = await anthropic.messages.countTokens({ model: ECHO, messages: [{ role: 'user', content: 'count these words please' }] });
  t.ok(c.input_tokens > 0, 'estimated locally (no Claude upstream serves the model)');
  const err = await anthropic.messages.create({ model: FAIL, max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
  t.type(err, Anthropic.APIError);
  t.equal(err.status, 400);
  t.equal(err.error?.type, 'error', 'Anthropic error shape');
});

t.test('Responses: non-stream and stream', async (t) => {
  const r = await openai.responses.create({ model: ECHO, input: 'responses via relay' });
  t.equal(r.output_text, 'echo: responses via relay');
  const stream = await openai.responses.create({ model: ECHO, input: 'streamed responses', stream: true });
  let text = '';
  let completed = false;
  for await (const ev of stream) {
    if (ev.type === 'response.output_text.delta') text += ev.delta;
    if (ev.type === 'response.completed') completed = true;
  }
  t.equal(text, 'echo: streamed responses');
  t.ok(completed, 'response.completed arrived');
});

t.test('Gemini (genai): generateContent, stream, JSON-array stream, countTokens, errors', async (t) => {
  const { result: r, bodies } = await relayed(() => genai.models.generateContent({ model: ECHO, contents: 'gemini via relay' }));
  t.equal(r.text, 'echo: gemini via relay');
  t.equal(r.usageMetadata?.totalTokenCount, 19);
  t.match(bodies[0], { contents: [{ parts: [{ text: 'gemini via relay' }] }] }, 'passed through');

  let text = '';
  let thoughts = '';
  for await (const c of await genai.models.generateContentStream({ model: THINKING, contents: 'stream it', config: { thinkingConfig: { includeThoughts: true } } })) {
    for (const p of c.candidates?.[0]?.content?.parts ?? []) {
      if (p.thought) thoughts += p.text ?? '';
      else text += p.text ?? '';
    }
  }
  t.equal(text, 'echo: stream it');
  t.equal(thoughts, GEMINI_MOCK_THOUGHT);

  // Without alt=sse a Gemini stream is one JSON array; the relay asks the app for the same.
  const arr = await relayed(() =>
    fetch(`${gw.url}/v1beta/models/${ECHO}:streamGenerateContent`, { method: 'POST', body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'array please' }] }] }) }).then((x) => x.text()),
  );
  t.match(arr.urls, [/:streamGenerateContent$/]);
  const parsed = JSON.parse(arr.result) as any[];
  t.equal(parsed.map((c) => c.candidates[0].content?.parts?.[0]?.text ?? '').join(''), 'echo: array please');

  const contents = [{ role: 'user', parts: [{ text: 'four words to count' }] }];
  const { result: count, urls } = await relayed(() => genai.models.countTokens({ model: ECHO, contents }));
  t.equal(count.totalTokens, geminiMockTokenCount({ contents }), 'counted by the upstream, through the relay');
  t.match(urls, [/:countTokens$/]);

  const err = await genai.models.generateContent({ model: FAIL, contents: 'x' }).catch((e) => e);
  t.type(err, ApiError);
  t.equal(err.status, 400);
});

t.test('the models disappear when the app disconnects', async (t) => {
  await app.close();
  await until('the relay credential to go', async () => !(await listedModels(gw.url)).includes(ECHO));
  const err = await openai.chat.completions.create({ model: ECHO, messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
  t.type(err, OpenAI.APIError);
  t.equal(err.status, 404, 'no credential serves it any more');
});
