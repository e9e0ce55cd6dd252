// A streamed answer the upstream cut short (ended before its end marker, or
// dropped the connection) reached the client as an error event: usage
// statistics and metrics count it as a failure (502), not a 200 success.
import t from 'tap';
import { startMockOpenAI } from '../mocks/openai-upstream.js';
import { configDir, usageGateway } from './helpers.js';

const MODELS: Array<[string, string]> = [
  ['mock-model', 'gpt-mock'],
  ['cut-stream', 'cut-stream'],
  ['break-stream', 'break-stream'],
];
const mock = await startMockOpenAI();
const gw = await usageGateway(configDir(mock.url, MODELS), { usageFile: null });
t.teardown(async () => {
  await gw.close();
  await mock.close();
});

async function errors502(): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  let n = 0;
  for (const line of text.split('\n')) if (line.startsWith('cliproxy_request_errors_total{') && line.includes('status="502"')) n += Number(line.split(' ').pop());
  return n;
}

const modelUsage = async (api: string, model: string) => (await gw.api('GET', '/usage')).json.usage.apis[api]?.models[model];

t.test('a piped stream that ended without [DONE] counts as failed', async (t) => {
  const r = await gw.chat('cut-stream', { stream: true });
  t.equal(r.status, 200, 'the stream had started');
  t.match(r.text, /upstream stream ended before completion/, 'the client got the error event');
  const m = await modelUsage('POST /v1/chat/completions', 'cut-stream');
  t.equal(m.total_requests, 1);
  t.same(m.details.map((d: any) => d.failed), [true], 'failed in usage statistics');
  t.equal(await errors502(), 1, 'a 502 error in metrics');
});

t.test('a translated stream (Claude client, OpenAI upstream) that ended early counts as failed', async (t) => {
  const r = await gw.chat('cut-stream', { stream: true, path: '/v1/messages' });
  t.match(r.text, /event: error/);
  const m = await modelUsage('POST /v1/messages', 'cut-stream');
  t.same(m.details.map((d: any) => d.failed), [true]);
  t.equal(await errors502(), 2);
});

t.test('a dropped connection mid-stream counts as failed; whole streams count as successes', async (t) => {
  await gw.chat('break-stream', { stream: true });
  t.same((await modelUsage('POST /v1/chat/completions', 'break-stream')).details.map((d: any) => d.failed), [true]);
  const ok = await gw.chat('gpt-mock', { stream: true });
  t.match(ok.text, /\[DONE\]/);
  const ok2 = await gw.chat('gpt-mock', { stream: true, path: '/v1/messages' });
  t.match(ok2.text, /message_stop/);
  const u = (await gw.api('GET', '/usage')).json.usage;
  t.equal(u.total_requests, 5);
  t.equal(u.failure_count, 3);
  t.equal(u.success_count, 2);
  t.equal(await errors502(), 3);
});
