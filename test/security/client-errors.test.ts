// Attacks: a bad percent-escape in a Gemini model path was decoded before the
// key check and answered 500 with a stack trace in the log; JSON nested a
// million deep answered 500; a 1 MB model name reached logs, metrics and
// upstream URLs. Each is now a 400 in the client's own shape, after the key
// check, with no stack logged, and the gateway keeps serving.
import t from 'tap';
import { log } from '../../lib/logging/logger.js';
import { compatYaml, gatewayFromYaml } from '../helpers/gateway.js';
import { startMockOpenAI } from '../mocks/openai-upstream.js';

const KEY = 'sk-client-errors-0123456789';
const mock = await startMockOpenAI();
const gw = await gatewayFromYaml(compatYaml(mock.url, { clientKeys: [KEY] }) + '\ngemini-api-key:\n  - api-key: "AIza-unused"\n    base-url: "http://127.0.0.1:9"\n');
t.teardown(async () => {
  await gw.close();
  await mock.close();
});

/** Error-level log lines written while `fn` runs. */
async function errorsLogged(fn: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const original = log.error.bind(log);
  (log as { error: unknown }).error = (...args: unknown[]) => {
    seen.push(JSON.stringify(args, (_k, v) => (v instanceof Error ? { message: v.message, stack: v.stack } : v)));
    return (original as (...a: unknown[]) => void)(...args);
  };
  try {
    await fn();
  } finally {
    (log as { error: unknown }).error = original;
  }
  return seen;
}

t.test('bad percent-escape in a Gemini path: key first, then 400, no stack', async (t) => {
  const logged = await errorsLogged(async () => {
    const noKey = await fetch(`${gw.url}/v1beta/models/gemini-2.5-pro%E0%A4%A:generateContent`, { method: 'POST', body: '{}' });
    t.equal(noKey.status, 401, 'a keyless client learns nothing about its path');
    const bad = await fetch(`${gw.url}/v1beta/models/gemini-2.5-pro%E0%A4%A:generateContent?key=${KEY}`, { method: 'POST', body: '{}' });
    t.equal(bad.status, 400);
    const err = ((await bad.json()) as { error: { code: number; status: string; message: string } }).error;
    t.equal(err.code, 400, 'Gemini error shape');
    t.match(err.message, /percent-escape/);
    const get = await fetch(`${gw.url}/v1beta/models/%ZZ?key=${KEY}`);
    t.equal(get.status, 400);
  });
  t.same(logged, [], 'nothing at error level, no stack trace');
});

t.test('JSON nested a million deep: 400 with the limit named, in every format', async (t) => {
  const deep = '{"model":"gpt-mock","messages":' + '['.repeat(1_000_000) + ']'.repeat(1_000_000) + '}';
  const logged = await errorsLogged(async () => {
    for (const path of ['/v1/chat/completions', '/v1/messages', '/v1/responses', `/v1beta/models/gemini-2.5-pro:generateContent`]) {
      const r = await fetch(`${gw.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: deep });
      t.equal(r.status, 400, path);
      t.match(await r.text(), /nests deeper than 256 levels/, path);
    }
    const objects = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
    const r = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body: objects });
    t.equal(r.status, 400);
  });
  t.same(logged, [], 'no 500, no stack');
  const ok = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body: JSON.stringify({ model: 'gpt-mock', messages: [{ role: 'user', content: 'still here' }] }) });
  t.equal(ok.status, 200, 'the gateway keeps serving');
});

t.test('deep but sane nesting (a tool schema 40 levels deep) still works', async (t) => {
  let schema: Record<string, unknown> = { type: 'string' };
  for (let i = 0; i < 40; i++) schema = { type: 'object', properties: { x: schema } };
  const r = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}` },
    body: JSON.stringify({ model: 'gpt-mock', messages: [{ role: 'user', content: 'deep ok' }], tools: [{ type: 'function', function: { name: 'f', parameters: schema } }] }),
  });
  t.equal(r.status, 200);
});

t.test('a model name longer than 256 characters: 400 naming the limit', async (t) => {
  const before = mock.requests.length;
  const name = 'claude-' + 'x'.repeat(1024 * 1024);
  const r = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body: JSON.stringify({ model: name, messages: [{ role: 'user', content: 'x' }] }) });
  t.equal(r.status, 400);
  const msg = ((await r.json()) as { error: { message: string } }).error.message;
  t.match(msg, /at most 256/);
  t.ok(msg.length < 300, 'the name is not echoed back');
  const g = await fetch(`${gw.url}/v1beta/models/gemini-${'y'.repeat(400)}:generateContent?key=${KEY}`, { method: 'POST', body: '{"contents":[]}' });
  t.equal(g.status, 400, 'the Gemini URL form too');
  t.equal(mock.requests.length, before);
});
