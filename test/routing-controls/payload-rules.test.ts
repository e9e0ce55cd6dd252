// `payload` rules (CLIProxyAPI 6.4+): `default` sets a path only where the
// upstream request lacks it, `override` always sets it; rules match the
// upstream model (globs) and protocol. Checked on what each mock upstream
// received — Gemini, Gemini CLI (under `request`), Claude, OpenAI-compatible
// and Codex — translated, piped, and offloaded to the worker.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import t from 'tap';
import { startMockClaude } from '../mocks/claude-upstream.js';
import { startMockCodex } from '../mocks/codex-upstream.js';
import { startMockGemini } from '../mocks/gemini-upstream.js';
import { startMockOpenAI, type RecordedRequest } from '../mocks/openai-upstream.js';

// Read once when the gateway's modules load: set before importing them.
const THRESHOLD = 32 * 1024;
process.env['CLIPROXY_OFFLOAD_THRESHOLD'] = String(THRESHOLD);
const { gatewayFromYaml } = await import('../helpers/gateway.js');

const FAR = new Date(Date.now() + 30 * 86400_000).toISOString();
const openai = await startMockOpenAI();
const claude = await startMockClaude();
const gemini = await startMockGemini();
const codex = await startMockCodex();
const dir = mkdtempSync(path.join(tmpdir(), 'cliproxy-payload-'));
writeFileSync(path.join(dir, 'gemini.json'), JSON.stringify({ type: 'gemini', email: 'g@x.test', project_id: 'proj-9', token: { access_token: 'gat', refresh_token: 'r', expiry: FAR } }), { mode: 0o600 });
const gw = await gatewayFromYaml(
  [
    'request-retry: 0',
    `auth-dir: "${dir}"`,
    `oauth-endpoints: { gemini-cli: { api-url: "${gemini.url}" } }`,
    'openai-compatibility:',
    `  - name: mock\n    base-url: "${openai.url}"\n    api-key-entries: [{ api-key: sk-up }]\n    models: [{ name: gpt-mock, alias: gpt-mock }, { name: tool-call, alias: tool-call }]`,
    'claude-api-key:',
    `  - api-key: sk-claude\n    base-url: "${claude.url}"\n    models: [{ name: claude-sonnet-4-5-20250929, alias: claude-sonnet-4-5 }]`,
    'gemini-api-key:',
    `  - api-key: sk-gemini\n    base-url: "${gemini.url}"\n    models: [{ name: gemini-2.5-pro, alias: g-pro }]`,
    'codex-api-key:',
    `  - api-key: sk-codex\n    base-url: "${codex.url}"\n    models: [{ name: gpt-5, alias: gpt-codex }]`,
    'payload:',
    '  default:',
    '    - models: [{ name: "gemini-2.5-*", protocol: gemini }]',
    '      params:',
    '        "generationConfig.thinkingConfig.thinkingBudget": 4096',
    '        "generationConfig.maxOutputTokens": 777',
    '    - models: [{ name: "gemini-*" }]',
    '      params:',
    '        "generationConfig.maxOutputTokens": 999 # an earlier default rule wins',
    '    - models: [{ name: "claude-*", protocol: claude }]',
    '      params: { temperature: 0.5, "metadata.user_id": "from-default" }',
    '    - models: [{ name: "gpt-mock", protocol: openai }]',
    '      params: { seed: 42, "tools.0.function.description": "default description" }',
    '  override:',
    '    - models: [{ name: "GEMINI-2.5-PRO", protocol: gemini }]',
    '      params: { "generationConfig.temperature": 0.25 }',
    '    - models: [{ name: "claude-sonnet-4-5*", protocol: claude }]',
    '      params: { top_k: 7 }',
    '    - models: [{ name: "gpt-*", protocol: openai }, { name: "tool-call" }]',
    '      params: { user: "payload-user", "tools.0.function.name": "renamed_tool" }',
    '    - models: [{ name: "gpt-5", protocol: codex }]',
    '      params: { service_tier: priority, "reasoning.effort": high }',
    '    - models: [{ name: "*", protocol: claude }]',
    '      params: { "metadata.user_id": "claude-only" }',
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
const LARGE = 'x'.repeat(THRESHOLD * 2);

async function received(mock: { requests: RecordedRequest[] }, fn: () => Promise<unknown>): Promise<any> {
  const before = mock.requests.length;
  await fn();
  t.ok(mock.requests.length > before, 'the upstream was called');
  return mock.requests.at(-1)!.body;
}

t.test('Gemini upstream: defaults fill what is absent, overrides always win — piped and translated', async (t) => {
  const native = await received(gemini, () =>
    gg.models.generateContent({ model: 'g-pro', contents: 'hi', config: { temperature: 0.9, thinkingConfig: { thinkingBudget: 100 } } }),
  );
  const g = native.generationConfig;
  t.equal(g.thinkingConfig.thinkingBudget, 100, 'Gemini client, piped: a default does not replace what the client set');
  t.equal(g.maxOutputTokens, 777, 'an absent path gets the first matching default');
  t.equal(g.temperature, 0.25, 'an override replaces the client value (model pattern matched case-insensitively)');

  const fromOpenAI = await received(gemini, () => oa.chat.completions.create({ model: 'g-pro', messages: hi }));
  t.equal(fromOpenAI.generationConfig.thinkingConfig.thinkingBudget, 4096, 'OpenAI client, translated: the default budget');
  t.equal(fromOpenAI.generationConfig.temperature, 0.25);
  t.equal(fromOpenAI.temperature, undefined, 'nothing written outside the rule paths');
});

t.test('Gemini CLI upstream: the same rules, under the Code Assist envelope’s request', async (t) => {
  const body = await received(gemini, () => oa.chat.completions.create({ model: 'gemini-2.5-flash', messages: hi }));
  t.equal(body.project, 'proj-9', 'the Code Assist envelope');
  t.equal(body.request.generationConfig.thinkingConfig.thinkingBudget, 4096, 'default under request');
  t.equal(body.request.generationConfig.maxOutputTokens, 777);
  t.equal(body.request.generationConfig.temperature, undefined, 'the gemini-2.5-pro override does not match flash');
  t.equal(body.generationConfig, undefined, 'nothing at the envelope level');
});

t.test('Claude upstream: piped and translated, protocol-scoped rules', async (t) => {
  const piped = await received(claude, () => an.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 20, temperature: 0.9, messages: hi } as Anthropic.MessageCreateParamsNonStreaming));
  t.equal(piped.temperature, 0.9, 'Claude client, piped: the default leaves the client temperature');
  t.equal(piped.top_k, 7, 'override');
  t.same(piped.metadata, { user_id: 'claude-only' }, 'the later override wins over the default');
  const translated = await received(claude, () => oa.chat.completions.create({ model: 'claude-sonnet-4-5', messages: hi }));
  t.equal(translated.temperature, 0.5, 'OpenAI client: the default temperature');
  t.equal(translated.top_k, 7);
  t.equal(translated.seed, undefined, 'an openai-protocol rule does not touch a Claude body');
});

t.test('OpenAI-compatible upstream: array paths, defaults and overrides, piped', async (t) => {
  const tools = [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }];
  const body = await received(openai, () => oa.chat.completions.create({ model: 'gpt-mock', seed: 1, tools, messages: hi }));
  t.equal(body.seed, 1, 'default: the client seed stays');
  t.equal(body.user, 'payload-user', 'override');
  t.same(body.tools[0].function, { name: 'renamed_tool', description: 'default description', parameters: { type: 'object', properties: {} } }, 'tools.0.* paths');
  const bare = await received(openai, () => oa.chat.completions.create({ model: 'gpt-mock', messages: hi }));
  t.equal(bare.seed, 42, 'default: absent seed set');
  t.same(bare.tools, [{ function: { name: 'renamed_tool', description: 'default description' } }], 'missing arrays are made, as the reference does');
  t.equal(bare.temperature, undefined);
});

t.test('Codex upstream: overrides on the translated body', async (t) => {
  const body = await received(codex, () => oa.responses.create({ model: 'gpt-codex', reasoning: { effort: 'low' }, input: 'hi' }));
  t.equal(body.service_tier, 'priority');
  t.equal(body.reasoning.effort, 'high', 'reasoning.effort overridden');
  t.equal(body.reasoning.summary, 'auto', 'siblings of an overridden path stay');
  const chat = await received(codex, () => oa.chat.completions.create({ model: 'gpt-codex', messages: hi }));
  t.equal(chat.service_tier, 'priority', 'from a Chat client too');
  t.equal(chat.user, undefined, 'an openai-protocol rule does not touch a Codex body');
});

t.test('offloaded bodies (worker): the same rules, piped and translated, and a thinking suffix', async (t) => {
  const big = [{ role: 'user' as const, content: LARGE }];
  const piped = await received(openai, () => oa.chat.completions.create({ model: 'gpt-mock(high)', messages: big }));
  t.equal(piped.seed, 42, 'piped default');
  t.equal(piped.user, 'payload-user', 'piped override');
  t.equal(piped.reasoning_effort, 'high', 'the suffix applied in the worker');
  t.equal(piped.model, 'gpt-mock');
  const translated = await received(gemini, () => an.messages.create({ model: 'g-pro', max_tokens: 20, messages: big }));
  t.equal(translated.generationConfig.temperature, 0.25, 'translated override');
  t.equal(translated.generationConfig.maxOutputTokens, 20, "the client's max_tokens kept (the default only fills absent paths)");
  const native = await received(gemini, () => gg.models.generateContent({ model: 'g-pro', contents: LARGE }));
  t.equal(native.generationConfig.thinkingConfig.thinkingBudget, 4096, 'Gemini piped, offloaded: default');
  t.equal(native.contents[0].parts[0].text.length, LARGE.length, 'the body otherwise intact');
});
