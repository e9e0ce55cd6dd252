// Usage statistics (per API, model, day and hour, stream or not) and the
// Prometheus endpoint, through real requests to a mock upstream.
import t from 'tap';
import { compatYaml } from '../helpers/gateway.js';
import { startMockOpenAI } from '../mocks/openai-upstream.js';
import { eventually, mgmtGateway } from './helpers.js';

// A fixed local time: 2025-03-04 13:30.
const NOW = new Date(2025, 2, 4, 13, 30, 0).getTime();
const mock = await startMockOpenAI();
const gw = await mgmtGateway(`usage-statistics-enabled: true\n${compatYaml(mock.url)}`, { management: { defaultMetrics: false, env: {}, now: () => NOW } });
t.teardown(async () => {
  await gw.close();
  await mock.close();
});

async function chat(body: Record<string, unknown>, path = '/v1/chat/completions'): Promise<string> {
  const res = await fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return res.text();
}

async function metrics(): Promise<string> {
  return (await fetch(`${gw.url}/metrics`)).text();
}

function metric(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.split(' ').pop());
  }
  return undefined;
}

t.test('requests with token usage are counted per API, model, day and hour — stream or not', async (t) => {
  await chat({ model: 'gpt-mock', messages: [{ role: 'user', content: 'hi' }] });
  const sse = await chat({ model: 'gpt-mock', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] });
  t.match(sse, '[DONE]');
  await chat({ model: 'gpt-mock', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }, '/v1/messages');
  await chat({ model: 'fail-400', messages: [{ role: 'user', content: 'x' }] });

  const { usage, failed_requests } = (await gw.api('GET', '/usage')).json;
  t.equal(usage.total_requests, 4);
  t.equal(usage.success_count, 3);
  t.equal(usage.failure_count, 1);
  t.equal(failed_requests, 1);
  t.equal(usage.total_tokens, 17 * 3, 'three answers of 17 tokens');
  t.same(usage.requests_by_day, { '2025-03-04': 4 });
  t.same(usage.requests_by_hour, { '13': 4 });
  t.same(usage.tokens_by_day, { '2025-03-04': 51 });
  t.same(usage.tokens_by_hour, { '13': 51 });
  const chatApi = usage.apis['POST /v1/chat/completions'];
  t.equal(chatApi.total_requests, 3);
  t.equal(chatApi.total_tokens, 34);
  const m = chatApi.models['gpt-mock'];
  t.equal(m.total_requests, 2);
  t.same(m.details.map((d: any) => d.tokens), [
    { input_tokens: 11, output_tokens: 6, reasoning_tokens: 0, cached_tokens: 0, total_tokens: 17 },
    { input_tokens: 11, output_tokens: 6, reasoning_tokens: 0, cached_tokens: 0, total_tokens: 17 },
  ]);
  t.equal(m.details[0].timestamp, new Date(NOW).toISOString());
  t.equal(m.details[0].failed, false);
  t.match(m.details[0].source, /^mock#1/, 'the credential label (masked), never the key');
  t.notMatch(JSON.stringify(usage), 'sk-upstream-1');
  t.equal(usage.apis['POST /v1/messages'].models['gpt-mock'].total_tokens, 17, 'translated answers count too');
  t.same(chatApi.models['fail-400'].details[0].failed, true);
});

t.test('statistics are per route: Gemini URLs carrying the model count under one API', async (t) => {
  const { routeOf } = await import('../../lib/usage/stats.js');
  t.equal(routeOf('POST /v1beta/models/gemini-2.5-pro:generateContent'), 'POST /v1beta/models/:action');
  t.equal(routeOf('POST /v1beta/models/x:streamGenerateContent'), 'POST /v1beta/models/:action');
  t.equal(routeOf('POST /v1/chat/completions'), 'POST /v1/chat/completions');
  t.equal(routeOf('POST /v1internal:generateContent'), 'POST /v1internal:generateContent');
  const gemini = await fetch(`${gw.url}/v1beta/models/gpt-mock:generateContent`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
  });
  t.equal(gemini.status, 200);
  const { usage } = (await gw.api('GET', '/usage')).json;
  t.same(Object.keys(usage.apis).filter((a) => a.includes('v1beta')), ['POST /v1beta/models/:action']);
  t.equal(usage.apis['POST /v1beta/models/:action'].models['gpt-mock'].total_tokens, 17);
});

t.test('usage-statistics-enabled off drops new records', async (t) => {
  const count = async () => (await gw.api('GET', '/usage')).json.usage.total_requests as number;
  const before = await count();
  t.equal((await gw.api('PUT', '/usage-statistics-enabled', { value: false })).status, 200);
  await chat({ model: 'gpt-mock', messages: [{ role: 'user', content: 'hi' }] });
  t.equal(await count(), before, 'not counted while off');
  t.equal((await gw.api('PUT', '/usage-statistics-enabled', { value: true })).status, 200);
  await chat({ model: 'gpt-mock', messages: [{ role: 'user', content: 'hi' }] });
  t.equal(await count(), before + 1, 'counted again');
});

t.test('/metrics: requests, errors, latency, tokens by provider and model', async (t) => {
  const text = await metrics();
  const base = { api: 'POST /v1/chat/completions', provider: 'openai-compat', model: 'gpt-mock' };
  t.equal(metric(text, 'cliproxy_requests_total', { ...base, status: '200' }), 4, 'metrics count even while statistics are off');
  t.equal(metric(text, 'cliproxy_request_errors_total', { model: 'fail-400', status: '400' }), 1);
  t.equal(metric(text, 'cliproxy_request_errors_total', { model: 'gpt-mock' }), undefined);
  t.equal(metric(text, 'cliproxy_request_duration_seconds_count', { ...base, stream: 'false' }), 3);
  t.equal(metric(text, 'cliproxy_request_duration_seconds_count', { ...base, stream: 'true' }), 1);
  // Piped (same-format) answers are not parsed for tokens while statistics are
  // off, so the one chat answer sent then is missing here; translated ones count always.
  t.equal(metric(text, 'cliproxy_tokens_total', { provider: 'openai-compat', model: 'gpt-mock', type: 'input' }), 11 * 5, 'four chat answers and one Gemini answer');
  t.equal(metric(text, 'cliproxy_tokens_total', { provider: 'openai-compat', model: 'gpt-mock', type: 'output' }), 6 * 5);
  t.match(text, '# TYPE cliproxy_active_streams gauge');
  t.notMatch(text, 'sk-upstream-1', 'no credentials in labels');
});

t.test('/metrics: active streams go up while a stream runs and back down when it ends', async (t) => {
  const ac = new AbortController();
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'hang-stream', stream: true, messages: [{ role: 'user', content: 'x' }] }),
    signal: ac.signal,
  });
  const reader = res.body!.getReader();
  await reader.read(); // the first chunk is out: the stream is committed
  const labels = { provider: 'openai-compat', model: 'hang-stream' };
  t.ok(await eventually(async () => metric(await metrics(), 'cliproxy_active_streams', labels) === 1), 'one open stream');
  ac.abort();
  await reader.cancel().catch(() => {});
  t.ok(await eventually(async () => metric(await metrics(), 'cliproxy_active_streams', labels) === 0), 'closed again');
});

t.test('client-made model names do not grow /metrics or /usage (300 unique claude-* names)', async (t) => {
  const { startMockClaude } = await import('../mocks/claude-upstream.js');
  const claude = await startMockClaude();
  const cgw = await mgmtGateway(`usage-statistics-enabled: true\nmetrics: public\nclaude-api-key:\n  - api-key: sk-ant-bounded\n    base-url: "${claude.url}"\n`);
  t.teardown(async () => {
    await cgw.close();
    await claude.close();
  });
  const pad = 'x'.repeat(200); // long names make growth obvious; the gateway's own length limit is not what is tested
  const send = async (model: string) => {
    const res = await fetch(`${cgw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }),
    });
    await res.text();
    return res.status;
  };
  const sizes = async () => ({ metrics: (await (await fetch(`${cgw.url}/metrics`)).text()).length, usage: (await cgw.api('GET', '/usage')).text.length });

  t.equal(await send('claude-sonnet-4-5-20250929'), 200, 'a catalogue model');
  for (let i = 0; i < 5; i++) t.equal(await send(`claude-made-up-${i}-${pad}`), 200, 'unknown claude-* names still route');
  const small = await sizes();
  for (let i = 5; i < 300; i++) await send(`claude-made-up-${i}-${pad}`);
  const big = await sizes();
  t.comment(`metrics ${small.metrics} → ${big.metrics} bytes; usage ${small.usage} → ${big.usage} bytes`);
  t.ok(big.metrics < small.metrics * 1.2 + 1024, '/metrics stays the same size');

  const text = await (await fetch(`${cgw.url}/metrics`)).text();
  t.notOk(text.includes('claude-made-up-'), 'no client-made name in a label');
  t.equal(metric(text, 'cliproxy_requests_total', { provider: 'claude', model: 'other', status: '200' }), 300, 'counted under "other"');
  t.equal(metric(text, 'cliproxy_requests_total', { provider: 'claude', model: 'claude-sonnet-4-5-20250929', status: '200' }), 1, 'a known model keeps its name');

  const { usage } = (await cgw.api('GET', '/usage')).json;
  const models = usage.apis['POST /v1/messages'].models;
  t.same(Object.keys(models).sort(), ['claude-sonnet-4-5-20250929', 'other']);
  t.equal(models.other.total_requests, 300);
  t.notOk(JSON.stringify(usage).includes('claude-made-up-'), 'no client-made name in the statistics');
  // What still grows is one detail record per request (capped per model), never a name.
  t.ok((big.usage - small.usage) / 295 < 250, `usage grows ${((big.usage - small.usage) / 295).toFixed(0)} bytes per request`);
});
