// A pool whose every credential cools down answers 429 in each client's own
// error shape, so every official SDK raises its own rate-limit error with the
// gateway's message, and Retry-After is there for each of them.
import Anthropic, { APIError as AnthropicAPIError } from '@anthropic-ai/sdk';
import { ApiError, GoogleGenAI } from '@google/genai';
import OpenAI, { APIError as OpenAIAPIError } from 'openai';
import t from 'tap';
import { alias, startMatrix } from '../helpers/matrix.js';

const m = await startMatrix();
t.teardown(() => m.close());
const model = alias('openai', '429');
const MESSAGE = new RegExp(`^All credentials for model ${model} are cooling down; retry after \\d+s$`);

// The first call meets the upstream's 429 and starts the cooldown; the ones below are then answered by the gateway.
t.before(async () => {
  const raw = await fetch(`${m.gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'x' }] }) });
  await raw.arrayBuffer();
});

t.test('OpenAI chat: RateLimitError with the model_cooldown fields', async (t) => {
  const client = new OpenAI({ baseURL: `${m.gw.url}/v1`, apiKey: 'k', maxRetries: 0 });
  const { result: err, requests } = await m.seen('openai', () => client.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e));
  t.equal(requests.length, 0, 'answered by the gateway');
  t.type(err, OpenAI.RateLimitError);
  const e = err as OpenAIAPIError;
  t.match(e.error, { code: 'model_cooldown', type: 'rate_limit_error', message: MESSAGE, model, reset_time: String, reset_seconds: Number });
  t.equal(e.code, 'model_cooldown');
  t.ok(Number(e.headers?.get('retry-after')) > 0, 'Retry-After');
});

t.test('OpenAI Responses (streaming helper): RateLimitError', async (t) => {
  const client = new OpenAI({ baseURL: `${m.gw.url}/v1`, apiKey: 'k', maxRetries: 0 });
  const err = await client.responses
    .stream({ model, input: 'x' })
    .finalResponse()
    .catch((e: unknown) => e);
  t.type(err, OpenAI.RateLimitError);
  t.match((err as OpenAIAPIError).error, { code: 'model_cooldown', message: MESSAGE, reset_seconds: Number });
});

t.test('Anthropic: RateLimitError in the Messages error shape', async (t) => {
  const client = new Anthropic({ baseURL: m.gw.url, apiKey: 'k', maxRetries: 0 });
  for (const stream of [false, true]) {
    const call = stream
      ? client.messages.stream({ model, max_tokens: 16, messages: [{ role: 'user', content: 'x' }] }).finalMessage()
      : client.messages.create({ model, max_tokens: 16, messages: [{ role: 'user', content: 'x' }] });
    const err = await call.catch((e: unknown) => e);
    t.type(err, Anthropic.RateLimitError, `stream=${stream}`);
    const e = err as AnthropicAPIError;
    t.equal(e.status, 429);
    t.same(e.error, { type: 'error', error: { type: 'rate_limit_error', message: (e.error as any)?.error?.message } }, 'exactly type + error{type, message}');
    t.match((e.error as any)?.error?.message, MESSAGE);
    t.ok(Number(e.headers?.get('retry-after')) > 0, 'Retry-After');
  }
});

t.test('Gemini: ApiError 429 RESOURCE_EXHAUSTED with RetryInfo', async (t) => {
  const ai = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: m.gw.url, retryOptions: { attempts: 1 } } });
  for (const stream of [false, true]) {
    const call = stream
      ? ai.models.generateContentStream({ model, contents: 'x' }).then(async (s) => {
          for await (const _ of s);
        })
      : ai.models.generateContent({ model, contents: 'x' });
    const err = await call.catch((e: unknown) => e);
    t.type(err, ApiError, `stream=${stream}`);
    t.equal((err as ApiError).status, 429);
    const body = JSON.parse((err as ApiError).message);
    t.match(body, {
      error: {
        code: 429,
        status: 'RESOURCE_EXHAUSTED',
        message: MESSAGE,
        details: [
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: /^\d+s$/ },
          { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'MODEL_COOLDOWN', metadata: { model, reset_seconds: /^\d+$/ } },
        ],
      },
    });
  }
  // The SDK's message is the body; Retry-After is checked on the raw answer.
  const raw = await fetch(`${m.gw.url}/v1beta/models/${model}:generateContent`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"contents":[{"parts":[{"text":"x"}]}]}' });
  t.equal(raw.status, 429);
  t.ok(Number(raw.headers.get('retry-after')) > 0, 'Retry-After');
  await raw.arrayBuffer();
});
