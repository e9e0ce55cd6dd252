// An upstream 429 relayed to the client as the upstream's own error (one
// credential, cooling off, so no cooldown reply stands in for it) keeps the
// upstream's Retry-After header: seconds as they came, an HTTP date as the
// seconds left until it.
import Anthropic, { APIError as AnthropicAPIError } from '@anthropic-ai/sdk';
import OpenAI, { APIError as OpenAIAPIError } from 'openai';
import t from 'tap';
import { startMockClaude } from '../mocks/claude-upstream.js';
import { startMockOpenAI } from '../mocks/openai-upstream.js';
import { gatewayFromYaml } from '../helpers/gateway.js';

const [oa, claude] = await Promise.all([startMockOpenAI(), startMockClaude()]);
const gw = await gatewayFromYaml(
  [
    'request-retry: 0',
    // With cooling on, a lone credential's 429 is answered as the pool's cooldown
    // (which has its own Retry-After); off, the upstream's error is relayed.
    'disable-cooling: true',
    'api-keys: []',
    'openai-compatibility:',
    '  - name: mock',
    `    base-url: "${oa.url}"`,
    '    api-key-entries:',
    '      - api-key: "sk-upstream-1"',
    '    models:',
    '      - { name: "gpt-mock", alias: "oa-model" }',
    'claude-api-key:',
    '  - api-key: "sk-ant-test"',
    `    base-url: "${claude.url}"`,
    '    models:',
    '      - { name: "claude-mock", alias: "cl-model" }',
    '',
  ].join('\n'),
);
t.teardown(async () => {
  await gw.close();
  await Promise.all([oa.close(), claude.close()]);
});

const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'k', maxRetries: 0 });
const anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'k', maxRetries: 0 });
const chat = () => openai.chat.completions.create({ model: 'oa-model', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
const messages = () => anthropic.messages.create({ model: 'cl-model', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);

t.test('OpenAI client, OpenAI-compatible upstream: 429 with Retry-After: 7', async (t) => {
  oa.failNext(429, 1, { 'retry-after': '7' });
  const err = await chat();
  t.type(err, OpenAI.RateLimitError);
  const e = err as OpenAIAPIError;
  t.equal(e.status, 429);
  t.match(e.message, /mock upstream error 429/, "the upstream's own error");
  t.equal(e.headers?.get('retry-after'), '7');
  t.equal(oa.requests.length, 1, 'one upstream try');
});

t.test('Claude client, Claude upstream: 429 with Retry-After: 7', async (t) => {
  claude.failNext(429, 1, { 'retry-after': '7' });
  const err = await messages();
  t.type(err, Anthropic.RateLimitError);
  const e = err as AnthropicAPIError;
  t.equal(e.status, 429);
  t.equal(e.headers?.get('retry-after'), '7');
});

t.test('Claude client, OpenAI-compatible upstream (translated): the header follows', async (t) => {
  oa.failNext(429, 1, { 'retry-after': '7' });
  const err = await anthropic.messages.create({ model: 'oa-model', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
  t.type(err, Anthropic.RateLimitError);
  t.equal((err as AnthropicAPIError).headers?.get('retry-after'), '7');
});

t.test('an HTTP-date Retry-After becomes seconds', async (t) => {
  oa.failNext(429, 1, { 'retry-after': new Date(Date.now() + 60_000).toUTCString() });
  const err = (await chat()) as OpenAIAPIError;
  t.equal(err.status, 429);
  const s = Number(err.headers?.get('retry-after'));
  t.ok(Number.isInteger(s) && s > 30 && s <= 61, `about 60 seconds (got ${s})`);
});

t.test('no Retry-After upstream, none invented', async (t) => {
  oa.failNext(429, 1);
  const err = (await chat()) as OpenAIAPIError;
  t.equal(err.status, 429);
  t.equal(err.headers?.get('retry-after') ?? null, null);
});
