// Per-client-key settings (api-keys object entries): the models a key may
// use (403 in the client's own format, through the official SDKs), its
// request rate (429 with Retry-After), the model lists it sees — and plain
// string keys left exactly as they were.
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import t from 'tap';
import WebSocket from 'ws';
import { parseConfig } from '../../lib/config/load.js';
import { startGateway } from '../../lib/gateway.js';
import '../helpers/gateway.js';
import { startMockClaude } from '../mocks/claude-upstream.js';
import { startMockCodex } from '../mocks/codex-upstream.js';
import { startMockGemini } from '../mocks/gemini-upstream.js';
import { startMockOpenAI } from '../mocks/openai-upstream.js';

const openai = await startMockOpenAI();
const claude = await startMockClaude();
const gemini = await startMockGemini();
const codex = await startMockCodex();
let clock = Date.now();
const yaml = [
  'request-retry: 0',
  'api-keys:',
  '  - plain-key-1',
  '  - key: gpt-only-key',
  '    models: ["GPT-*", "*-thinking"]',
  '  - key: slow-key',
  '    max-requests-per-minute: 2',
  '  - key: unrestricted-object-key',
  'openai-compatibility:',
  '  - name: mock',
  `    base-url: "${openai.url}"`,
  '    api-key-entries: [{ api-key: sk-up }]',
  '    models: [{ name: gpt-mock, alias: gpt-mock }, { name: gpt-mock, alias: mini-thinking }]',
  'claude-api-key:',
  `  - api-key: sk-claude\n    base-url: "${claude.url}"\n    models: [{ name: claude-sonnet-4-5-20250929, alias: claude-sonnet-4-5 }]`,
  'gemini-api-key:',
  `  - api-key: sk-gemini\n    base-url: "${gemini.url}"\n    models: [{ name: gemini-2.5-pro, alias: gemini-2.5-pro }]`,
  'codex-api-key:',
  `  - api-key: sk-codex\n    base-url: "${codex.url}"\n    models: [{ name: gpt-5, alias: gpt-codex }]`,
].join('\n');
const gw = await startGateway({ config: parseConfig(yaml, 'keys.yaml').config, port: 0, host: '127.0.0.1', now: () => clock });
t.teardown(async () => {
  await gw.close();
  await Promise.all([openai.close(), claude.close(), gemini.close(), codex.close()]);
});

const oa = (key: string) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0 });
const an = (key: string) => new Anthropic({ baseURL: gw.url, apiKey: key, maxRetries: 0 });
const gg = (key: string) => new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: gw.url } });
const hi = [{ role: 'user' as const, content: 'hi' }];

t.test('a key with a model list: its models work, others get 403 in the client format naming the model', async (t) => {
  const ok = await oa('gpt-only-key').chat.completions.create({ model: 'gpt-mock', messages: hi });
  t.equal(ok.choices[0]!.message.content, 'echo: hi', 'gpt-* is allowed (pattern matched case-insensitively)');
  const alias = await oa('gpt-only-key').chat.completions.create({ model: 'mini-thinking', messages: hi });
  t.ok(alias.choices[0]!.message.content, '*-thinking is allowed');

  const e1 = await oa('gpt-only-key').chat.completions.create({ model: 'claude-sonnet-4-5', messages: hi }).catch((e) => e);
  t.type(e1, OpenAI.PermissionDeniedError, 'OpenAI SDK: PermissionDeniedError');
  t.equal(e1.status, 403);
  t.match(e1.message, /claude-sonnet-4-5/, 'the message names the model');
  t.notMatch(e1.message, /gpt-only-key/, 'the key is not echoed');

  const e2 = await an('gpt-only-key').messages.create({ model: 'claude-sonnet-4-5', max_tokens: 16, messages: hi }).catch((e) => e);
  t.type(e2, Anthropic.PermissionDeniedError, 'Anthropic SDK: PermissionDeniedError');
  t.equal(e2.error?.type, 'error');
  t.equal(e2.error?.error?.type, 'permission_error');
  t.match(e2.error?.error?.message, /claude-sonnet-4-5/);

  const e3 = await gg('gpt-only-key').models.generateContent({ model: 'gemini-2.5-pro', contents: 'hi' }).catch((e) => e);
  t.equal(e3.status, 403, 'Google SDK: 403');
  const g = JSON.parse(e3.message);
  t.equal(g.error.status, 'PERMISSION_DENIED', 'Gemini error shape');
  t.match(g.error.message, /gemini-2\.5-pro/);

  const e4 = await oa('gpt-only-key').responses.create({ model: 'gemini-2.5-pro', input: 'hi' }).catch((e) => e);
  t.equal(e4.status, 403, 'Responses API: 403 too');
  t.match(e4.message, /gemini-2\.5-pro/);

  const e5 = await oa('gpt-only-key').responses.compact({ model: 'claude-sonnet-4-5', input: 'hi' } as never).catch((e) => e);
  t.equal(e5.status, 403, '/v1/responses/compact: 403 for a model outside the list');

  t.equal(claude.requests.length + gemini.requests.length, 0, 'nothing refused reached an upstream');
});

t.test('the model list is matched against the name without its (level) suffix', async (t) => {
  const r = await oa('gpt-only-key').chat.completions.create({ model: 'gpt-mock(high)', messages: hi });
  t.ok(r.choices[0]!.message.content);
  const e = await oa('gpt-only-key').chat.completions.create({ model: 'claude-sonnet-4-5(high)', messages: hi }).catch((e) => e);
  t.equal(e.status, 403);
  t.match(e.message, /'claude-sonnet-4-5'/);
});

t.test('plain string keys and settings-free object keys may use every model', async (t) => {
  for (const key of ['plain-key-1', 'unrestricted-object-key']) {
    const c = await an(key).messages.create({ model: 'claude-sonnet-4-5', max_tokens: 16, messages: hi });
    t.equal(c.type, 'message', `${key}: Claude`);
    const g = await gg(key).models.generateContent({ model: 'gemini-2.5-pro', contents: 'hi' });
    t.ok(g.text, `${key}: Gemini`);
    for (let i = 0; i < 4; i++) await oa(key).chat.completions.create({ model: 'gpt-mock', messages: hi });
    t.pass(`${key}: no rate limit`);
  }
  const bad = await oa('not-a-key').chat.completions.create({ model: 'gpt-mock', messages: hi }).catch((e) => e);
  t.equal(bad.status, 401, 'an unknown key is still 401');
});

t.test('/v1/models and the Gemini list show only what the key may use', async (t) => {
  const ids = (await oa('gpt-only-key').models.list()).data.map((m) => m.id).sort();
  t.same(ids, ['gpt-codex', 'gpt-mock', 'mini-thinking'], 'OpenAI list filtered');
  const all = (await oa('plain-key-1').models.list()).data.map((m) => m.id);
  t.ok(all.includes('claude-sonnet-4-5') && all.includes('gemini-2.5-pro'), 'a plain key sees everything');
  const anth = await (await fetch(`${gw.url}/v1/models`, { headers: { 'x-api-key': 'gpt-only-key', 'anthropic-version': '2023-06-01' } })).json() as any;
  t.same(anth.data.map((m: any) => m.id).sort(), ['gpt-codex', 'gpt-mock', 'mini-thinking'], 'Claude list filtered');
  const gl = await (await fetch(`${gw.url}/v1beta/models?key=gpt-only-key`)).json() as any;
  t.same(gl.models.map((m: any) => m.name).sort(), ['models/gpt-codex', 'models/gpt-mock', 'models/mini-thinking'], 'Gemini list filtered');
  const one = await fetch(`${gw.url}/v1beta/models/gemini-2.5-pro?key=gpt-only-key`);
  t.equal(one.status, 404, 'a model outside the list is not found');
  await one.arrayBuffer();
  const glPlain = await (await fetch(`${gw.url}/v1beta/models?key=plain-key-1`)).json() as any;
  t.ok(glPlain.models.some((m: any) => m.name === 'models/gemini-2.5-pro'));
});

t.test('a key over its per-minute rate: 429 with Retry-After in each client format; the window reopens', async (t) => {
  clock += 120_000;
  await oa('slow-key').chat.completions.create({ model: 'gpt-mock', messages: hi });
  clock += 10_000;
  await an('slow-key').messages.create({ model: 'claude-sonnet-4-5', max_tokens: 16, messages: hi });
  const before = openai.requests.length;
  const e1 = await oa('slow-key').chat.completions.create({ model: 'gpt-mock', messages: hi }).catch((e) => e);
  t.type(e1, OpenAI.RateLimitError, 'OpenAI SDK: RateLimitError');
  t.equal(e1.headers?.get('retry-after'), '50', 'Retry-After counts down to the window end');
  t.match(e1.message, /2 requests per minute/);
  t.equal(openai.requests.length, before, 'the refused request did not reach the upstream');
  const e2 = await an('slow-key').messages.create({ model: 'claude-sonnet-4-5', max_tokens: 16, messages: hi }).catch((e) => e);
  t.type(e2, Anthropic.RateLimitError, 'Anthropic SDK: RateLimitError');
  t.equal(e2.error?.error?.type, 'rate_limit_error');
  t.equal(e2.headers?.get('retry-after'), '50');
  const e3 = await fetch(`${gw.url}/v1beta/models/gemini-2.5-pro:generateContent?key=slow-key`, { method: 'POST', body: JSON.stringify({ contents: [{ parts: [{ text: 'hi' }] }] }) });
  t.equal(e3.status, 429);
  t.equal(e3.headers.get('retry-after'), '50');
  t.equal(((await e3.json()) as any).error.status, 'RESOURCE_EXHAUSTED', 'Gemini shape');
  clock += 50_000;
  const again = await oa('slow-key').chat.completions.create({ model: 'gpt-mock', messages: hi });
  t.ok(again.choices[0], 'a new window admits the key again');
  const other = await oa('plain-key-1').chat.completions.create({ model: 'gpt-mock', messages: hi });
  t.ok(other.choices[0], 'other keys are not affected');
});

/** Frames of one Responses WebSocket turn, up to its end. */
async function wsTurn(key: string, body: Record<string, unknown>): Promise<any[]> {
  const ws = new WebSocket(`${gw.url.replace(/^http/, 'ws')}/v1/responses`, { headers: { authorization: `Bearer ${key}` } });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const frames: any[] = [];
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 10_000);
    ws.on('message', (d) => {
      const f = JSON.parse(String(d));
      frames.push(f);
      if (f.type === 'error' || f.type === 'response.completed' || f.type === 'response.failed') {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  ws.send(JSON.stringify({ type: 'response.create', ...body }));
  await done;
  ws.close();
  return frames;
}

t.test('Responses WebSocket turns go through the same checks', async (t) => {
  const refused = await wsTurn('gpt-only-key', { model: 'claude-sonnet-4-5', input: 'hi' });
  const err = refused.at(-1);
  t.equal(err.type, 'error');
  t.equal(err.status, 403);
  t.match(err.error.message, /claude-sonnet-4-5/);
  const ok = await wsTurn('gpt-only-key', { model: 'gpt-mock', input: 'hi' });
  t.equal(ok.at(-1).type, 'response.completed', 'an allowed model streams');
  clock += 120_000;
  await wsTurn('slow-key', { model: 'gpt-mock', input: 'hi' });
  await wsTurn('slow-key', { model: 'gpt-mock', input: 'hi' });
  const limited = await wsTurn('slow-key', { model: 'gpt-mock', input: 'hi' });
  t.equal(limited.at(-1).status, 429, 'the third turn in a minute is refused');
});
