// GET /usage/export and POST /usage/import: CLIProxyAPI's JSON, a round trip
// into a fresh gateway gives the same statistics, importing again adds
// nothing, and malformed imports are refused with a message naming the problem.
import t from 'tap';
import { startMockOpenAI } from '../mocks/openai-upstream.js';
import { configDir, usageGateway } from './helpers.js';

const mock = await startMockOpenAI();
const a = await usageGateway(configDir(mock.url), { usageFile: null });
const b = await usageGateway(configDir(mock.url), { usageFile: null });
t.teardown(async () => {
  await a.close();
  await b.close();
  await mock.close();
});

const totals = (u: any) => ({
  total_requests: u.total_requests,
  success_count: u.success_count,
  failure_count: u.failure_count,
  total_tokens: u.total_tokens,
  requests_by_day: u.requests_by_day,
  tokens_by_day: u.tokens_by_day,
  requests_by_hour: u.requests_by_hour,
  apis: Object.fromEntries(Object.entries(u.apis).map(([k, v]: [string, any]) => [k, { total_requests: v.total_requests, total_tokens: v.total_tokens, models: Object.keys(v.models).sort() }])),
});

t.test('export → import into a fresh gateway: the same statistics; a second import adds nothing', async (t) => {
  for (let i = 0; i < 3; i++) t.equal((await a.chat('gpt-mock')).status, 200);
  t.equal((await a.chat('gpt-mock', { stream: true })).status, 200);
  t.equal((await a.chat('gpt-mock', { path: '/v1/messages' })).status, 200);
  t.equal((await a.chat('fail-400')).status, 400);

  const exp = await a.api('GET', '/usage/export');
  t.equal(exp.status, 200);
  t.equal(exp.json.version, 1);
  t.ok(!Number.isNaN(Date.parse(exp.json.exported_at)), 'exported_at is a time');
  t.equal(exp.json.usage.total_requests, 6);
  t.equal(exp.json.usage.failure_count, 1);
  const detail = exp.json.usage.apis['POST /v1/chat/completions'].models['gpt-mock'].details[0];
  t.match(detail, { timestamp: String, source: String, failed: false, tokens: { input_tokens: 11, output_tokens: 6, total_tokens: 17 } });
  t.type(detail.latency_ms, 'number');

  const first = await b.api('POST', '/usage/import', exp.json);
  t.equal(first.status, 200);
  t.same(first.json, { added: 6, skipped: 0, total_requests: 6, failed_requests: 1 });
  const got = (await b.api('GET', '/usage')).json.usage;
  t.same(totals(got), totals(exp.json.usage), 'the fresh gateway shows what the first one exported');
  t.same(
    got.apis['POST /v1/chat/completions'].models['gpt-mock'].details,
    exp.json.usage.apis['POST /v1/chat/completions'].models['gpt-mock'].details,
    'details as exported',
  );

  const again = await b.api('POST', '/usage/import', exp.json);
  t.same(again.json, { added: 0, skipped: 6, total_requests: 6, failed_requests: 1 }, 'a second import adds nothing');
  t.same(totals((await b.api('GET', '/usage')).json.usage), totals(exp.json.usage));

  // New requests on A, exported again: only those are new for B.
  t.equal((await a.chat('gpt-mock')).status, 200);
  const exp2 = await a.api('GET', '/usage/export');
  t.same((await b.api('POST', '/usage/import', exp2.json)).json, { added: 1, skipped: 6, total_requests: 7, failed_requests: 1 });
});

t.test('an export from CLIProxyAPI (nanosecond times, auth_index, no version) imports', async (t) => {
  const body = {
    usage: {
      total_requests: 99, // not trusted: rebuilt from the details
      apis: {
        'POST /v1/chat/completions': {
          models: {
            'gpt-mock': {
              details: [
                { timestamp: '2025-12-26T11:49:51.123456789+08:00', latency_ms: 120, source: 'acc-1', auth_index: 'a1b2', tokens: { input_tokens: 5, output_tokens: 5 }, failed: false },
                { timestamp: '2025-12-26T11:49:52Z', source: 'acc-1', tokens: { input_tokens: 1, output_tokens: 1, total_tokens: 2 }, failed: true },
              ],
            },
          },
        },
      },
    },
  };
  const before = (await b.api('GET', '/usage')).json.usage;
  const r = await b.api('POST', '/usage/import', body);
  t.equal(r.status, 200);
  t.match(r.json, { added: 2, skipped: 0, total_requests: before.total_requests + 2, failed_requests: before.failure_count + 1 });
  const after = (await b.api('GET', '/usage')).json.usage;
  t.equal(after.total_tokens, before.total_tokens + 12, 'a missing total is input + output');
  t.equal((await b.api('POST', '/usage/import', body)).json.added, 0);
});

t.test('malformed imports are 400 with a message naming the problem; nothing is counted', async (t) => {
  const before = (await b.api('GET', '/usage')).json.usage.total_requests;
  const cases: Array<[string, unknown, RegExp]> = [
    ['not JSON', '{"version":1,', /invalid json/],
    ['an array', [1, 2], /JSON object/],
    ['a future version', { version: 2, usage: { apis: {} } }, /unsupported version 2/],
    ['a string version', { version: '1', usage: { apis: {} } }, /unsupported version "1"/],
    ['no usage', { version: 1 }, /usage must be an object/],
    ['apis a list', { version: 1, usage: { apis: [] } }, /usage\.apis must be an object/],
    ['details not a list', { version: 1, usage: { apis: { x: { models: { m: { details: {} } } } } } }, /usage\.apis\["x"\]\.models\["m"\]\.details must be an array/],
    ['negative tokens', { version: 1, usage: { apis: { x: { models: { m: { details: [{ timestamp: '2025-01-01T00:00:00Z', tokens: { input_tokens: -1 } }] } } } } } }, /details\[0\]\.tokens\.input_tokens must be a non-negative integer/],
    ['a bad time', { version: 1, usage: { apis: { x: { models: { m: { details: [{ timestamp: 'yesterday', tokens: {} }] } } } } } }, /details\[0\]\.timestamp must be an RFC 3339 time/],
    ['failed as text', { version: 1, usage: { apis: { x: { models: { m: { details: [{ timestamp: '2025-01-01T00:00:00Z', tokens: {}, failed: 'no' }] } } } } } }, /failed must be true or false/],
    ['a huge name', { version: 1, usage: { apis: { ['y'.repeat(300)]: { models: {} } } } }, /longer than 256/],
  ];
  for (const [what, body, why] of cases) {
    const r = await b.api('POST', '/usage/import', body);
    t.equal(r.status, 400, what);
    t.match(r.json?.error, why, what);
  }
  // One bad detail among good ones: the whole import is refused.
  const mixed = { version: 1, usage: { apis: { x: { models: { m: { details: [{ timestamp: '2025-01-01T00:00:00Z', tokens: {} }, { timestamp: 3 }] } } } } } };
  t.equal((await b.api('POST', '/usage/import', mixed)).status, 400);
  t.equal((await b.api('GET', '/usage')).json.usage.total_requests, before, 'nothing counted');
});

t.test('an oversized import is refused (413); the endpoints need the management key', async (t) => {
  const big = JSON.stringify({ version: 1, usage: { apis: {}, pad: 'x'.repeat(11 * 1024 * 1024) } });
  const r = await b.api('POST', '/usage/import', big);
  t.equal(r.status, 413);
  for (const [method, p] of [['GET', '/usage/export'], ['POST', '/usage/import']] as const) {
    const res = await fetch(`${b.url}/v0/management${p}`, { method, headers: { authorization: 'Bearer wrong' }, body: method === 'POST' ? '{}' : undefined });
    t.equal(res.status, 401, `${method} ${p} without the key`);
    await res.text();
  }
});
