// `model(level)` / `model(budget)`: the name before the parenthesis routes,
// the value overrides the client's own reasoning settings in what each
// upstream format receives (effort for OpenAI/Codex, budget for Claude and
// Gemini), on translated and piped requests alike; usage counts the base
// model; a malformed suffix is a 400 in the client's format.
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import t from 'tap';
import { eventually, mgmtGateway } from '../management/helpers.js';
import { startMockClaude } from '../mocks/claude-upstream.js';
import { startMockCodex } from '../mocks/codex-upstream.js';
import { startMockGemini } from '../mocks/gemini-upstream.js';
import { startMockOpenAI, type RecordedRequest } from '../mocks/openai-upstream.js';
import '../helpers/gateway.js';

const openai = await startMockOpenAI();
const claude = await startMockClaude();
const gemini = await startMockGemini();
const codex = await startMockCodex();
const gw = await mgmtGateway(
  [
    'usage-statistics-enabled: true',
    'request-retry: 0',
    'openai-compatibility:',
    `  - name: mock\n    base-url: "${openai.url}"\n    api-key-entries: [{ api-key: sk-up }]\n    models: [{ name: gpt-mock, alias: gpt-mock }]`,
    'claude-api-key:',
    `  - api-key: sk-claude\n    base-url: "${claude.url}"\n    models: [{ name: claude-sonnet-4-5-20250929, alias: claude-sonnet-4-5 }]`,
    'gemini-api-key:',
    `  - api-key: sk-gemini\n    base-url: "${gemini.url}"\n    models: [{ name: gemini-2.5-pro, alias: gemini-2.5-pro }, { name: gemini-2.5-flash, alias: gemini-2.5-flash }]`,
    'codex-api-key:',
    `  - api-key: sk-codex\n    base-url: "${codex.url}"\n    models: [{ name: gpt-5, alias: gpt-codex }]`,
  ].join('\n'),
);
t.teardown(async () => {
  await gw.close();
  await Promise.all([openai.close(), claude.close(), gemini.close(), codex.close()]);
});

const oa = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0 });
const an = new Anthropic({ baseURL: gw.url, apiKey: 'unused', maxRetries: 0 });
const gg = new GoogleGenAI({ apiKey: 'unused', httpOptions: { baseUrl: gw.url } });
const hi = [{ role: 'user' as const, content: 'hi' }];

/** What `mock` received while `fn` ran (its last request). */
async function received(mock: { requests: RecordedRequest[] }, fn: () => Promise<unknown>): Promise<RecordedRequest> {
  const before = mock.requests.length;
  await fn();
  t.ok(mock.requests.length > before, 'the upstream was called');
  return mock.requests.at(-1)!;
}

t.test('Claude upstream: a budget or a level becomes extended thinking, overriding the client', async (t) => {
  const fromOpenAI = await received(claude, () => oa.chat.completions.create({ model: 'claude-sonnet-4-5(8192)', reasoning_effort: 'low', max_tokens: 100, messages: hi }));
  t.equal(fromOpenAI.body.model, 'claude-sonnet-4-5-20250929', 'the base name routed');
  t.same(fromOpenAI.body.thinking, { type: 'enabled', budget_tokens: 8192 }, 'OpenAI client, translated: the budget wins over reasoning_effort');
  t.ok(fromOpenAI.body.max_tokens > 8192, 'max_tokens raised above the budget');

  const piped = await received(claude, () =>
    an.messages.create({ model: 'claude-sonnet-4-5(medium)', max_tokens: 20000, temperature: 0.2, thinking: { type: 'enabled', budget_tokens: 2000 }, messages: hi } as Anthropic.MessageCreateParamsNonStreaming),
  );
  t.same(piped.body.thinking, { type: 'enabled', budget_tokens: 8192 }, 'Claude client, piped: medium = 8192 tokens');
  t.equal(piped.body.max_tokens, 20000, "the client's max_tokens kept when it holds the budget");
  t.equal(piped.body.temperature, undefined, 'a sampling change Claude refuses with thinking is dropped');
  t.equal(piped.body.model, 'claude-sonnet-4-5-20250929');

  const off = await received(claude, () => an.messages.create({ model: 'claude-sonnet-4-5(none)', max_tokens: 5000, thinking: { type: 'enabled', budget_tokens: 2000 }, messages: hi }));
  t.same(off.body.thinking, { type: 'disabled' }, '(none) turns thinking off');
  const zero = await received(claude, () => oa.chat.completions.create({ model: 'claude-sonnet-4-5(0)', reasoning_effort: 'high', messages: hi }));
  t.same(zero.body.thinking, { type: 'disabled' }, '(0) turns thinking off');
});

t.test('Gemini upstream: a clamped budget in thinkingConfig, from Gemini, OpenAI and Claude clients', async (t) => {
  const native = await received(gemini, () =>
    gg.models.generateContent({ model: 'gemini-2.5-pro(8192)', contents: 'hi', config: { thinkingConfig: { thinkingBudget: 100, includeThoughts: false } } }),
  );
  t.match(native.url, /\/models\/gemini-2\.5-pro:generateContent/, 'the URL names the base model');
  t.same(native.body.generationConfig.thinkingConfig, { thinkingBudget: 8192, includeThoughts: false }, 'Gemini client, piped: the budget replaces the client’s');

  const fromOpenAI = await received(gemini, () => oa.chat.completions.create({ model: 'gemini-2.5-pro(low)', reasoning_effort: 'high', messages: hi }));
  t.equal(fromOpenAI.body.generationConfig.thinkingConfig.thinkingBudget, 1024, 'OpenAI client: low = 1024');

  const fromClaude = await received(gemini, () => an.messages.create({ model: 'gemini-2.5-flash(none)', max_tokens: 50, thinking: { type: 'enabled', budget_tokens: 4000 }, messages: hi }));
  t.same(fromClaude.body.generationConfig.thinkingConfig, { thinkingBudget: 0, includeThoughts: false }, 'Claude client: off on a model that allows it');

  const auto = await received(gemini, () => oa.chat.completions.create({ model: 'gemini-2.5-pro(-1)', messages: hi }));
  t.equal(auto.body.generationConfig.thinkingConfig.thinkingBudget, -1, '(-1) = dynamic');
  const pro0 = await received(gemini, () => oa.chat.completions.create({ model: 'gemini-2.5-pro(0)', messages: hi }));
  t.equal(pro0.body.generationConfig.thinkingConfig.thinkingBudget, 128, 'a model that cannot turn thinking off gets its minimum');
  const big = await received(gemini, () => oa.chat.completions.create({ model: 'gemini-2.5-pro(999999)', messages: hi }));
  t.equal(big.body.generationConfig.thinkingConfig.thinkingBudget, 32768, 'clamped to the model maximum');
});

t.test('Codex and OpenAI-compatible upstreams: an effort level', async (t) => {
  const responses = await received(codex, () => oa.responses.create({ model: 'gpt-codex(high)', reasoning: { effort: 'low' }, input: 'hi' }));
  t.equal(responses.body.model, 'gpt-5');
  t.equal(responses.body.reasoning.effort, 'high', 'Responses client: the level wins over reasoning.effort');
  const chat = await received(codex, () => oa.chat.completions.create({ model: 'gpt-codex(none)', messages: hi }));
  t.equal(chat.body.reasoning.effort, 'none', 'Chat client: off');
  t.equal(chat.body.reasoning.summary, undefined, 'no summary asked for while off');
  const fromClaude = await received(codex, () => an.messages.create({ model: 'gpt-codex(8192)', max_tokens: 50, messages: hi }));
  t.equal(fromClaude.body.reasoning.effort, 'medium', 'Claude client: a budget becomes the nearest effort');

  const piped = await received(openai, () => oa.chat.completions.create({ model: 'gpt-mock(xhigh)', reasoning_effort: 'minimal', messages: hi }));
  t.equal(piped.body.model, 'gpt-mock');
  t.equal(piped.body.reasoning_effort, 'xhigh', 'OpenAI client, piped: the body is patched');
  const plain = await received(openai, () => oa.chat.completions.create({ model: 'gpt-mock', reasoning_effort: 'minimal', messages: hi }));
  t.equal(plain.body.reasoning_effort, 'minimal', 'without a suffix the client’s setting stays');
});

t.test('a malformed suffix: 400 in the client’s format naming the problem', async (t) => {
  const e1 = await oa.chat.completions.create({ model: 'gpt-mock(ultra)', messages: hi }).catch((e) => e);
  t.type(e1, OpenAI.BadRequestError);
  t.match(e1.message, /"\(ultra\)".*not a level/);
  const e2 = await an.messages.create({ model: 'claude-sonnet-4-5(high', max_tokens: 10, messages: hi }).catch((e) => e);
  t.type(e2, Anthropic.BadRequestError);
  t.equal(e2.error?.error?.type, 'invalid_request_error');
  t.match(e2.error?.error?.message, /malformed/);
  const e3 = await gg.models.generateContent({ model: 'gemini-2.5-pro()', contents: 'hi' }).catch((e) => e);
  t.equal(e3.status, 400);
  t.match(JSON.parse(e3.message).error.message, /empty parentheses/);
  const e4 = await oa.responses.create({ model: 'gpt-codex(-5)', input: 'hi' }).catch((e) => e);
  t.equal(e4.status, 400, 'a negative budget other than -1');
  const e5 = await oa.chat.completions.create({ model: 'gpt-mock(99999999999)', messages: hi }).catch((e) => e);
  t.match(e5.message, /too large/);
});

t.test('usage statistics count the base model', async (t) => {
  await oa.chat.completions.create({ model: 'gpt-mock(low)', messages: hi });
  t.ok(
    await eventually(async () => {
      const { usage } = (await gw.api('GET', '/usage')).json;
      const models = Object.keys(usage.apis['POST /v1/chat/completions']?.models ?? {});
      return models.includes('gpt-mock') && models.includes('claude-sonnet-4-5') && !models.some((m) => m.includes('('));
    }),
    'no model name with a suffix in the statistics',
  );
});
