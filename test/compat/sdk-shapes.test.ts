// Smaller client-shape gaps seen with the official SDKs: models.retrieve
// (OpenAI and Anthropic) and the 404 of an endpoint the gateway does not
// serve under the Anthropic and Google prefixes, in those clients' own shapes.
import Anthropic, { APIError as AnthropicAPIError } from '@anthropic-ai/sdk';
import { ApiError, GoogleGenAI } from '@google/genai';
import OpenAI, { APIError as OpenAIAPIError } from 'openai';
import t from 'tap';
import { compatYaml, gatewayFromYaml } from '../helpers/gateway.js';
import { startMockGemini } from '../mocks/gemini-upstream.js';
import { startMockOpenAI } from '../mocks/openai-upstream.js';

const mock = await startMockOpenAI();
const gw = await gatewayFromYaml(compatYaml(mock.url, { clientKeys: ['client-key'], models: [['gpt-mock-up', 'gpt-mock'], ['vendor/model-x', 'vendor/model-x']] }));
t.teardown(async () => {
  await gw.close();
  await mock.close();
});

t.test('OpenAI SDK: models.retrieve', async (t) => {
  const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'client-key', maxRetries: 0 });
  const m = await client.models.retrieve('gpt-mock');
  t.match(m, { id: 'gpt-mock', object: 'model', created: Number, owned_by: String });
  t.match(await client.models.retrieve('vendor/model-x'), { id: 'vendor/model-x' }, 'an id with a slash (sent as %2F)');
  const err = (await client.models.retrieve('no-such-model').catch((e: unknown) => e)) as OpenAIAPIError;
  t.type(err, OpenAI.NotFoundError);
  t.match(err.error, { message: /no-such-model/, type: String, code: 'model_not_found' });
  const bad = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'wrong', maxRetries: 0 });
  t.type(await bad.models.retrieve('gpt-mock').catch((e: unknown) => e), OpenAI.AuthenticationError, 'the client key is checked');
});

t.test('Anthropic SDK: models.retrieve, and an endpoint the gateway does not serve', async (t) => {
  const client = new Anthropic({ baseURL: gw.url, apiKey: 'client-key', maxRetries: 0 });
  t.match(await client.models.retrieve('gpt-mock'), { type: 'model', id: 'gpt-mock', display_name: 'gpt-mock', created_at: String });
  const missing = (await client.models.retrieve('no-such-model').catch((e: unknown) => e)) as AnthropicAPIError;
  t.type(missing, Anthropic.NotFoundError);
  t.match(missing.error, { type: 'error', error: { type: 'not_found_error', message: /no-such-model/ } });
  const batches = (await client.messages.batches.list().catch((e: unknown) => e)) as AnthropicAPIError;
  t.type(batches, Anthropic.NotFoundError);
  t.match(batches.error, { type: 'error', error: { type: 'not_found_error', message: 'Unknown endpoint: GET /v1/messages/batches' } });
});

t.test('Gemini SDK: an endpoint the gateway does not serve is a Google-shaped 404', async (t) => {
  const ai = new GoogleGenAI({ apiKey: 'client-key', httpOptions: { baseUrl: gw.url, retryOptions: { attempts: 1 } } });
  const err = (await ai.caches.list().catch((e: unknown) => e)) as ApiError;
  t.type(err, ApiError);
  t.equal(err.status, 404);
  t.match(JSON.parse(err.message), { error: { code: 404, status: 'NOT_FOUND', message: /Unknown endpoint: GET \/v1beta\/cachedContents/ } });
});

t.test('other unknown paths keep the OpenAI-shaped 404', async (t) => {
  const r = await fetch(`${gw.url}/v1/nothing-here`, { headers: { authorization: 'Bearer client-key' } });
  t.equal(r.status, 404);
  t.same(await r.json(), { error: { message: 'Unknown endpoint: GET /v1/nothing-here', type: 'invalid_request_error', code: 'not_found' } });
});

t.test('Retry-After reaches every client: an upstream 429 with a wait (no cooling), and a key over its rate', async (t) => {
  const gemini = await startMockGemini();
  const g = await gatewayFromYaml(
    ['disable-cooling: true', 'request-retry: 0', 'api-keys:', '  - key: slow-key', '    max-requests-per-minute: 1', '  - fast-key', 'gemini-api-key:', '  - api-key: AIza-test', `    base-url: "${gemini.url}"`, '    models: [{ name: fail-429, alias: gm-429 }, { name: echo, alias: gm-echo }]'].join('\n'),
  );
  t.teardown(async () => {
    await g.close();
    await gemini.close();
  });
  const m = { gw: g };
  const alias = (_k: string, b: string) => `gm-${b}`;
  // Gemini's 429 names its wait in RetryInfo; an OpenAI or Anthropic client only reads headers.
  const openai = new OpenAI({ baseURL: `${m.gw.url}/v1`, apiKey: 'fast-key', maxRetries: 0 });
  const o = (await openai.chat.completions.create({ model: alias('gemini', '429'), messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e)) as OpenAIAPIError;
  t.type(o, OpenAI.RateLimitError);
  t.ok(Number(o.headers?.get('retry-after')) > 0, `OpenAI client: Retry-After from the upstream's RetryInfo (${o.headers?.get('retry-after')})`);
  const anthropic = new Anthropic({ baseURL: m.gw.url, apiKey: 'fast-key', maxRetries: 0 });
  const a = (await anthropic.messages.create({ model: alias('gemini', '429'), max_tokens: 8, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e)) as AnthropicAPIError;
  t.type(a, Anthropic.RateLimitError);
  t.ok(Number(a.headers?.get('retry-after')) > 0, 'Anthropic client: Retry-After');
  // A key over its own rate: Gemini clients also get the wait as RetryInfo in the body.
  const ai = new GoogleGenAI({ apiKey: 'slow-key', httpOptions: { baseUrl: m.gw.url, retryOptions: { attempts: 1 } } });
  await ai.models.generateContent({ model: alias('gemini', 'echo'), contents: 'x' });
  const over = (await ai.models.generateContent({ model: alias('gemini', 'echo'), contents: 'x' }).catch((e: unknown) => e)) as ApiError;
  t.type(over, ApiError);
  t.equal(over.status, 429);
  t.match(JSON.parse(over.message), { error: { code: 429, status: 'RESOURCE_EXHAUSTED', details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: /^\d+s$/ }] } });
});
