// Attacks on the surfaces added with per-key settings, payload rules, usage
// export/import, Redis and health probes, each carried out against a real
// gateway: prototype keys in imported usage and in payload paths, secrets in
// /readyz and in the log, and the management endpoints the fuzz must cover.
import net from 'node:net';
import t from 'tap';
import { parseConfig } from '../../lib/config/load.js';
import { log, setLogSink } from '../../lib/logging/logger.js';
import { managementEndpoints } from '../../lib/management/router.js';
import { gatewayFromYaml, compatYaml } from '../helpers/gateway.js';
import { startMockOpenAI } from '../mocks/openai-upstream.js';
import { mgmtGateway } from '../management/helpers.js';
import { listedModels, SimulatedApp } from '../helpers/relay-app.js';
import { configDir, KEY as USAGE_KEY, usageGateway } from '../usage/helpers.js';

const polluted = () => Object.keys(Object.prototype).concat(['total_requests', 'total_tokens', 'details', 'models', 'polluted', 'x'].filter((k) => k in {}));

const mock = await startMockOpenAI();
t.teardown(() => mock.close());

t.test('usage import: "__proto__" as an API or model name is a name, not Object.prototype', async (t) => {
  const dir = configDir(mock.url);
  const gw = await usageGateway(dir, { usageFile: null });
  t.teardown(() => gw.close());
  const detail = (input: number) => ({ timestamp: '2026-01-02T03:04:05Z', source: 'x', tokens: { input_tokens: input, output_tokens: 1 }, failed: false });
  // JSON text, so "__proto__" is an own key of the parsed body as any client's JSON makes it.
  const body = `{"version":1,"usage":{"apis":{
    "__proto__":{"models":{"m":{"details":[${JSON.stringify(detail(1))}]}}},
    "POST /v1/chat/completions":{"models":{"__proto__":{"details":[${JSON.stringify(detail(2))}]},"constructor":{"details":[${JSON.stringify(detail(3))}]}}}
  }}}`;
  const imp = await gw.api('POST', '/usage/import', body);
  t.equal(imp.status, 200, imp.text);
  t.match(imp.json, { added: 3, skipped: 0, total_requests: 3 });
  t.same(polluted(), [], 'Object.prototype gained nothing');

  const usage = await gw.api('GET', '/usage');
  t.equal(usage.status, 200, 'GET /usage still answers');
  const apis = usage.json.usage.apis;
  t.ok(Object.prototype.hasOwnProperty.call(apis, '__proto__'), '"__proto__" is an API of its own');
  t.equal(apis['__proto__'].total_requests, 1);
  const chat = apis['POST /v1/chat/completions'];
  t.ok(Object.prototype.hasOwnProperty.call(chat.models, '__proto__'), '"__proto__" is a model of its own');
  t.equal(chat.models['__proto__'].details.length, 1);
  t.equal(chat.models['constructor'].total_requests, 1);
  t.equal(usage.json.usage.total_requests, 3);

  const exp = await gw.api('GET', '/usage/export');
  t.equal(exp.status, 200, 'export still answers');
  // Importing the export again adds nothing: the names round-trip.
  const again = await gw.api('POST', '/usage/import', exp.text);
  t.match(again.json, { added: 0, skipped: 3 });
  t.same(polluted(), []);
  // The gateway still serves and counts.
  t.equal((await gw.chat('gpt-mock')).status, 200);
  t.equal((await gw.api('GET', '/usage')).json.usage.total_requests, 4);
});

t.test('usage import: deep nesting, huge numbers, long names and a 12 MB body are refused with a message', async (t) => {
  const gw = await usageGateway(configDir(mock.url), { usageFile: null });
  t.teardown(() => gw.close());
  const cases: Array<[string, string | object, number, RegExp]> = [
    ['deep nesting', `{"version":1,"usage":{"apis":${'['.repeat(5000)}${']'.repeat(5000)}}}`, 400, /apis must be an object/],
    ['count beyond 2^53', { version: 1, usage: { apis: { a: { models: { m: { details: [{ tokens: { input_tokens: 1e300 } }] } } } } } }, 400, /non-negative integer/],
    ['negative count', { version: 1, usage: { apis: { a: { models: { m: { details: [{ latency_ms: -1 }] } } } } } }, 400, /latency_ms/],
    ['long model name', { version: 1, usage: { apis: { a: { models: { ['m'.repeat(300)]: { details: [{}] } } } } } }, 400, /longer than 256/],
    ['timestamp junk', { version: 1, usage: { apis: { a: { models: { m: { details: [{ timestamp: 'yesterday-ish' }] } } } } } }, 400, /RFC 3339/],
    ['version', { version: 99, usage: {} }, 400, /unsupported version/],
  ];
  for (const [label, body, status, msg] of cases) {
    const r = await gw.api('POST', '/usage/import', body);
    t.equal(r.status, status, label);
    t.match(r.json?.error, msg, `${label}: the message names the problem`);
  }
  const big = await fetch(`${gw.url}/v0/management/usage/import`, {
    method: 'POST',
    headers: { authorization: `Bearer ${USAGE_KEY}`, 'content-type': 'application/json' },
    body: Buffer.alloc(12 * 1024 * 1024, 0x20),
  }).catch(() => undefined);
  t.ok(big === undefined || big.status === 413, 'a 12 MB import is refused (413) before it is parsed');
  t.equal((await gw.api('GET', '/usage')).json.usage.total_requests, 0, 'nothing was counted');
});

t.test('payload rules: a path through __proto__ is refused when the config loads', async (t) => {
  for (const p of ['__proto__.polluted', 'generationConfig.__proto__.x', 'a\\.b.__proto__']) {
    const yaml = `payload:\n  override:\n    - models: [{name: "*"}]\n      params: {${JSON.stringify(p)}: 1}\n`;
    t.throws(() => parseConfig(yaml, 'attack.yaml'), /__proto__/, `${p} is refused, naming __proto__`);
  }
});

t.test('payload rules: constructor.prototype paths write a plain field, Object.prototype stays clean', async (t) => {
  const yaml = compatYaml(mock.url, {
    extra: 'payload:\n  override:\n    - models: [{name: "mock-*"}]\n      params: {"constructor.prototype.polluted": true, "metadata.x": 1}\n',
  });
  const gw = await gatewayFromYaml(yaml);
  t.teardown(() => gw.close());
  const before = mock.requests.length;
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-mock', messages: [{ role: 'user', content: 'hi' }] }),
  });
  t.equal(res.status, 200, await res.text());
  const sent = mock.requests.slice(before).at(-1)!.body as Record<string, any>;
  t.same(sent.constructor, { prototype: { polluted: true } }, 'written as an own field of the upstream body');
  t.same(sent.metadata, { x: 1 });
  t.same(polluted(), [], 'Object.prototype gained nothing');
});

t.test('channel maps and api-keys objects: hostile entries are refused with 400, never written, no key echoed', async (t) => {
  const gw = await mgmtGateway('api-keys:\n  - "sk-existing-client-key-123456"\n');
  t.teardown(() => gw.close());
  const before = (await gw.api('GET', '/config.yaml')).text;
  const SECRET = 'sk-attacker-chosen-key-0987654321';
  const attempts: Array<[string, string, unknown]> = [
    ['PUT', '/oauth-excluded-models', JSON.parse('{"__proto__":["x"]}')],
    ['PUT', '/oauth-excluded-models', { claude: ['x'.repeat(300)] }],
    ['PATCH', '/oauth-excluded-models', { provider: 'constructor', models: ['x'] }],
    ['PUT', '/oauth-model-alias', JSON.parse('{"__proto__":[{"name":"a","alias":"b"}]}')],
    ['PATCH', '/oauth-model-alias', { channel: 'claude', aliases: [{ name: 'claude-x(((', alias: 'y' }] }],
    ['PATCH', '/oauth-model-alias', { channel: 'claude', aliases: [{ name: 'claude-x', alias: 'y(high)' }] }],
    ['PATCH', '/oauth-model-alias', { channel: 'claude', aliases: [{ name: 'claude-x(99999999999)', alias: 'y' }] }],
    ['PUT', '/api-keys', [{ key: SECRET, 'max-requests-per-minute': 1e12 }]],
    ['PUT', '/api-keys', [{ key: SECRET, models: ['x'.repeat(300)] }]],
    ['PUT', '/api-keys', JSON.parse(`[{"key":"${SECRET}","__proto__":{"models":[]}}]`)],
    ['PUT', '/api-keys', [{ key: SECRET, models: 'gpt-*' }]],
    ['PATCH', '/api-keys', { index: 0, value: { key: SECRET, 'max-requests-per-minute': -1 } }],
  ];
  for (const [method, p, body] of attempts) {
    const r = await gw.api(method, p, typeof body === 'string' ? body : JSON.stringify(body), { 'content-type': 'application/json' });
    t.equal(r.status, 400, `${method} ${p} ${JSON.stringify(body).slice(0, 60)}`);
    t.notMatch(r.text, SECRET, 'the key is not echoed');
  }
  t.equal((await gw.api('GET', '/config.yaml')).text, before, 'the config file is unchanged');
  t.same(Object.keys(Object.prototype), [], 'Object.prototype gained nothing');
});

t.test('a key limited to some models cannot become an AI Studio relay credential (it would read every prompt routed to it)', async (t) => {
  const LIMITED = 'sk-limited-to-gpt-0123456789';
  const RATED = 'sk-rate-limited-0123456789ab';
  const PLAIN = 'sk-plain-relay-key-0123456789';
  const gw = await gatewayFromYaml(`api-keys:\n  - key: "${LIMITED}"\n    models: ["gpt-*"]\n  - key: "${RATED}"\n    max-requests-per-minute: 100\n  - "${PLAIN}"\n`, { file: true });
  t.teardown(() => gw.close());
  for (const opts of [{ query: `key=${LIMITED}` }, { headers: { authorization: `Bearer ${LIMITED}` } }]) {
    const refused = await SimulatedApp.refusal(gw.url, opts);
    t.equal(refused?.status, 403, `refused: ${JSON.stringify(opts).replace(LIMITED, 'LIMITED')}`);
    t.match(refused?.body ?? '', /limited to some models/, 'the refusal says why');
    t.notMatch(refused?.body ?? '', LIMITED, 'the key is not echoed');
  }
  t.same(await listedModels(gw.url, PLAIN), [], 'no relay credential appeared');
  // Keys without a model list still connect (a rate limit is about what the key asks, not what it serves).
  const plain = await SimulatedApp.connect(gw.url, { query: `key=${PLAIN}` });
  const rated = await SimulatedApp.connect(gw.url, { query: `key=${RATED}` });
  await plain.close();
  await rated.close();
  t.pass('plain and rate-limited keys connect');
});

t.test('every new management endpoint is in the list the fuzz test walks', async (t) => {
  const list = new Set(managementEndpoints());
  for (const e of [
    'GET /usage/export',
    'POST /usage/import',
    'GET /store',
    'GET /oauth-excluded-models',
    'PUT /oauth-excluded-models',
    'PATCH /oauth-excluded-models',
    'DELETE /oauth-excluded-models',
    'GET /oauth-model-alias',
    'PUT /oauth-model-alias',
    'PATCH /oauth-model-alias',
    'DELETE /oauth-model-alias',
    'GET /max-retry-interval',
    'PUT /max-retry-interval',
    'PATCH /api-keys',
  ]) {
    t.ok(list.has(e), e);
  }
});

t.test('/readyz and the log never show the Redis password; the probes do not open other routes to a foreign Host', async (t) => {
  // A port nothing listens on: Redis is unreachable from the start.
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const PW = 'redis-pw-Zq8v3KxW1mT9';
  const lines: string[] = [];
  const level = log.level;
  log.level = 'debug';
  const prev = setLogSink({ write: (l) => lines.push(l) });
  t.teardown(() => {
    setLogSink(prev);
    log.level = level;
  });
  const gw = await gatewayFromYaml(compatYaml(mock.url, { clientKeys: ['sk-client-key-0123456789'], extra: `redis-url: "redis://:${PW}@127.0.0.1:${port}/0"\nredis-prefix: "sec-test:"\n` }));
  t.teardown(() => gw.close());
  const ready = await fetch(`${gw.url}/readyz`);
  const text = await ready.text();
  t.equal(ready.status, 503);
  t.match(text, /redis/, 'says Redis is the problem');
  t.notMatch(text, PW, 'no password in /readyz');
  t.notMatch(text, /redis:\/\//, 'no Redis URL in /readyz');
  t.equal((await fetch(`${gw.url}/healthz`)).status, 200, '/healthz needs no key');
  // A probe path is not a way around the client key or the Host check for other routes.
  t.equal((await fetch(`${gw.url}/v1/models`)).status, 401, 'other routes still need the key');
  for (const p of ['/healthz/../v1/models', '/readyz/..%2Fv1%2Fmodels', '/healthz?/v1/models']) {
    const r = await rawGet(gw.port, p, 'evil.example');
    t.notOk(r.status === 200 && /"data"/.test(r.body), `${p} with a foreign Host does not list models`);
  }
  const foreign = await rawGet(gw.port, '/v1/models', 'evil.example');
  t.equal(foreign.status, 403, 'a foreign Host is refused');
  t.notMatch(lines.join(''), PW, 'no password in any log line');
});

/** A GET with a Host header of our choosing (fetch does not let us set it). */
function rawGet(port: number, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
    let data = '';
    s.setEncoding('latin1');
    s.on('data', (d) => (data += d));
    s.on('end', () => resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(data)?.[1] ?? 0), body: data.slice(data.indexOf('\r\n\r\n') + 4) }));
    s.on('error', reject);
    s.setTimeout(10_000, () => s.destroy(new Error('timeout')));
  });
}
