// Config file edits take effect live; bad edits are refused; in-flight
// requests finish on the config they started with.
import { writeFileSync } from 'node:fs';
import OpenAI from 'openai';
import t from 'tap';
import { compatYaml, gatewayFromYaml } from '../helpers/gateway.js';
import { log } from '../../lib/logging/logger.js';
import { waitFor } from '../helpers/wait.js';
import { startMockOpenAI } from '../mocks/openai-upstream.js';

const mock = await startMockOpenAI();
const gw = await gatewayFromYaml(compatYaml(mock.url, { models: [['mock-model', 'first'], ['slow-50', 'slow']] }), { file: true });
const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'k', maxRetries: 0 });
t.teardown(async () => {
  await gw.close();
  await mock.close();
});

async function modelIds(): Promise<string[]> {
  const ids: string[] = [];
  for await (const m of client.models.list()) ids.push(m.id);
  return ids.sort();
}

/** Poll until `check` passes (the watcher is asynchronous); false after 10 s. */
const eventually = (check: () => Promise<boolean>) => waitFor(check, { timeoutMs: 10_000, everyMs: 50 });

t.test('an edit adding a model and a client key goes live without restart', async (t) => {
  t.same(await modelIds(), ['first', 'slow']);
  writeFileSync(gw.configPath!, compatYaml(mock.url, { models: [['mock-model', 'first'], ['mock-model', 'second'], ['slow-50', 'slow']] }));
  t.ok(await eventually(async () => (await modelIds()).includes('second')), 'new alias listed');
  const res = await client.chat.completions.create({ model: 'second', messages: [{ role: 'user', content: 'hot' }] });
  t.equal(res.choices[0]!.message.content, 'echo: hot');

  writeFileSync(gw.configPath!, compatYaml(mock.url, { clientKeys: ['fresh-key'], models: [['mock-model', 'first'], ['slow-50', 'slow']] }));
  t.ok(await eventually(async () => (await fetch(`${gw.url}/v1/models`)).status === 401), 'client keys now required');
  const keyed = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'fresh-key', maxRetries: 0 });
  t.equal((await keyed.chat.completions.create({ model: 'first', messages: [{ role: 'user', content: 'k' }] })).choices[0]!.message.content, 'echo: k');
});

t.test('a bad edit is refused and the previous config stays live', async (t) => {
  const keyed = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'fresh-key', maxRetries: 0 });
  // The watcher logs each refusal: wait for the one of the last edit rather than out its debounce.
  const refusals: string[] = [];
  const logError = log.error;
  log.error = ((...args: unknown[]) => {
    refusals.push(String(args.at(-1)));
    return (logError as (...a: unknown[]) => void).apply(log, args);
  }) as typeof log.error;
  t.teardown(() => {
    log.error = logError;
  });
  writeFileSync(gw.configPath!, 'port: [not, a, number\napi-keys: []\n');
  writeFileSync(gw.configPath!, 'request-retry: "many"\n');
  t.ok(await waitFor(() => refusals.some((m) => m.includes('config change refused') && m.includes('request-retry'))), 'the edit is refused');
  const res = await keyed.chat.completions.create({ model: 'first', messages: [{ role: 'user', content: 'still' }] });
  t.equal(res.choices[0]!.message.content, 'echo: still');
  t.equal((await fetch(`${gw.url}/v1/models`)).status, 401, 'old client keys still enforced');
});

t.test('a stream in flight finishes on the config it started with', async (t) => {
  writeFileSync(gw.configPath!, compatYaml(mock.url, { models: [['mock-model', 'first'], ['slow-50', 'slow']] }));
  t.ok(await eventually(async () => (await fetch(`${gw.url}/v1/models`)).status === 200));
  const stream = client.chat.completions.stream({ model: 'slow', messages: [{ role: 'user', content: 's' }] });
  let removed = false;
  stream.on('content.delta', () => {
    if (removed) return;
    removed = true;
    // Remove the model (and its provider) while the answer is streaming.
    writeFileSync(gw.configPath!, 'openai-compatibility: []\n');
  });
  const final = await stream.finalChatCompletion();
  t.match(final.choices[0]!.message.content, /^(w\d+ ){50}$/, 'all 50 chunks arrived');
  t.ok(await eventually(async () => !(await modelIds()).includes('slow')), 'the model is gone for new requests');
  const err = await client.chat.completions.create({ model: 'slow', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e);
  t.equal(err.status, 404);
});
