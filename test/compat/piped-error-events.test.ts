// A piped (same-format) stream in which the upstream sent its own error event
// mid-stream reaches the client byte for byte (the SDK raises the upstream's
// error), and usage statistics count it as a failure, not a 200 success.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import t from 'tap';
import { pipedStreamFailed } from '../../pipelines/stream-end.js';
import { startMockClaude } from '../mocks/claude-upstream.js';
import { startMockOpenAI } from '../mocks/openai-upstream.js';
import { KEY, usageGateway } from '../usage/helpers.js';

const [oa, claude] = await Promise.all([startMockOpenAI(), startMockClaude()]);
const dir = mkdtempSync(path.join(tmpdir(), 'cliproxy-piped-errors-'));
writeFileSync(
  path.join(dir, 'config.yaml'),
  [
    `remote-management:\n  secret-key: "${KEY}"`,
    `auth-dir: "${path.join(dir, 'auth')}"`,
    'usage-statistics-enabled: true',
    'request-retry: 0',
    'api-keys: []',
    'openai-compatibility:',
    '  - name: mock',
    `    base-url: "${oa.url}"`,
    '    api-key-entries:',
    '      - api-key: "sk-upstream-1"',
    '    models:',
    ...['gpt-mock', 'stream-error', 'stream-error-split'].map((m) => `      - { name: "${m}", alias: "oa-${m}" }`),
    'claude-api-key:',
    '  - api-key: "sk-ant-test"',
    `    base-url: "${claude.url}"`,
    '    models:',
    ...['claude-mock', 'stream-error'].map((m) => `      - { name: "${m}", alias: "cl-${m}" }`),
    '',
  ].join('\n'),
);
const gw = await usageGateway(dir, { usageFile: null });
t.teardown(async () => {
  await gw.close();
  await Promise.all([oa.close(), claude.close()]);
  rmSync(dir, { recursive: true, force: true });
});

const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'k', maxRetries: 0 });
const anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'k', maxRetries: 0 });

/** Stream a chat completion: the text that arrived and the error the SDK raised, if any. */
async function chatStream(model: string): Promise<{ text: string; error?: any }> {
  let text = '';
  try {
    const stream = await openai.chat.completions.create({ model, stream: true, messages: [{ role: 'user', content: 'hi' }] });
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
    return { text };
  } catch (error) {
    return { text, error };
  }
}

async function messagesStream(model: string): Promise<{ text: string; error?: any }> {
  let text = '';
  try {
    const stream = await anthropic.messages.create({ model, max_tokens: 50, stream: true, messages: [{ role: 'user', content: 'hi' }] });
    for await (const ev of stream) if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') text += ev.delta.text;
    return { text };
  } catch (error) {
    return { text, error };
  }
}

const details = async (api: string, model: string): Promise<boolean[]> =>
  ((await gw.api('GET', '/usage')).json.usage.apis[api]?.models[model]?.details ?? []).map((d: any) => d.failed);

t.test('OpenAI-compatible: an error event after two deltas counts as failed', async (t) => {
  const r = await chatStream('oa-stream-error');
  t.equal(r.text, 'part one, part two', 'the deltas before the error arrived');
  t.type(r.error, OpenAI.APIError, 'the SDK raised the upstream error');
  t.match(r.error.message, /The server had an error while processing your request/, "the upstream's own error, untouched");
  t.same(await details('POST /v1/chat/completions', 'oa-stream-error'), [true], 'failed in usage statistics');
});

t.test('OpenAI-compatible: an error event split across upstream chunks counts as failed', async (t) => {
  const r = await chatStream('oa-stream-error-split');
  t.equal(r.text, 'part one, part two');
  t.type(r.error, OpenAI.APIError);
  t.same(await details('POST /v1/chat/completions', 'oa-stream-error-split'), [true]);
});

t.test('Claude: an `event: error` after a delta counts as failed', async (t) => {
  const r = await messagesStream('cl-stream-error');
  t.equal(r.text, 'partial');
  t.type(r.error, Anthropic.APIError, 'the SDK raised the upstream error');
  t.match(r.error.message, /Overloaded/);
  t.same(await details('POST /v1/messages', 'cl-stream-error'), [true], 'failed in usage statistics');
});

t.test('whole streams count as successes', async (t) => {
  const a = await chatStream('oa-gpt-mock');
  t.equal(a.error, undefined);
  t.ok(a.text.length > 0);
  const b = await messagesStream('cl-claude-mock');
  t.equal(b.error, undefined);
  t.ok(b.text.length > 0);
  t.same(await details('POST /v1/chat/completions', 'oa-gpt-mock'), [false]);
  t.same(await details('POST /v1/messages', 'cl-claude-mock'), [false]);
  const u = (await gw.api('GET', '/usage')).json.usage;
  t.equal(u.total_requests, 5);
  t.equal(u.failure_count, 3);
  t.equal(u.success_count, 2);
  const metrics = await (await fetch(`${gw.url}/metrics`)).text();
  t.match(metrics, /cliproxy_request_errors_total\{[^}]*\} [1-9]/, 'metrics count the errors');
});

// The byte search itself, for every format (a frame split across chunks, and
// lookalikes that are not error events).

t.test('error markers per format, and what does not count', async (t) => {
  const tail = (...parts: string[]) => ({ chunks: parts.map((p) => Buffer.from(p)), partial: false });
  const chatErr = 'data: {"error":{"message":"boom","type":"server_error"}}\n\n';
  t.ok(pipedStreamFailed('openai-chat', tail('data: {"choices":[]}\n\n', chatErr.slice(0, 10), chatErr.slice(10))));
  t.notOk(pipedStreamFailed('openai-chat', tail('data: {"choices":[{"delta":{"content":"{\\"error\\":{}}"}}]}\n\n', 'data: [DONE]\n\n')), 'escaped text is no error');
  t.ok(pipedStreamFailed('claude', tail('event: content_block_delta\ndata: {}\n\nevent: err', 'or\ndata: {"type":"error","error":{"type":"overloaded_error","message":"x"}}\n\n')));
  t.notOk(pipedStreamFailed('claude', tail('event: message_stop\ndata: {"type":"message_stop"}\n\n')));
  t.ok(pipedStreamFailed('gemini', tail('data: {"candidates":[]}\r\n\r\n', 'data: {"error":{"code":500,"message":"x","status":"INTERNAL"}}\r\n\r\n')));
  t.ok(pipedStreamFailed('gemini', tail('[{"candidates":[]}\r\n,\r\n{"error":{"code":500,"message":"x"}}]')), 'a JSON-array stream');
  t.notOk(pipedStreamFailed('gemini', tail('data: {"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{"error":{"a":1}}}}]},"finishReason":"STOP"}]}\r\n\r\n')), 'an "error" key in tool arguments');
  t.ok(pipedStreamFailed('openai-responses', tail('event: response.output_text.delta\ndata: {}\n\n', 'event: response.failed\ndata: {"type":"response.failed","response":{"status":"failed"}}\n\n')));
  t.ok(pipedStreamFailed('codex', tail('event: error\ndata: {"type":"error","code":"server_error","message":"x"}\n\n')));
  t.notOk(pipedStreamFailed('openai-responses', tail('event: response.completed\ndata: {"type":"response.completed","response":{"status":"completed","error":null,"output":[{"content":[{"text":"response.failed"}]}]}}\n\n')), 'a completed answer');
});
