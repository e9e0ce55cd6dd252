// The config endpoints: scalars, string lists, object lists, /config and
// /config.yaml — each change visible in the file, the live config and GET.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { parseConfig } from '../../lib/config/load.js';
import { mgmtGateway } from './helpers.js';

const gw = await mgmtGateway(`# top comment
debug: false # verbose
request-retry: 3
api-keys:
  - "ck-1" # first client
  - "ck-2"
generative-language-api-key:
  - "gl-legacy"
gemini-api-key:
  - api-key: "g-1" # gemini one
    headers:
      X-Team: a
claude-api-key:
  - api-key: "sk-ant-1"
    base-url: "http://127.0.0.1:1"
openai-compatibility:
  - name: local
    base-url: "http://127.0.0.1:2/v1"
    api-keys: ["legacy-a"]
    models:
      - name: m1
        alias: a1
`);
t.teardown(() => gw.close());
const file = () => readFileSync(gw.configPath, 'utf8');
const live = () => gw.runtime().config;

t.test('scalars: GET shape, PUT/PATCH {"value"}, live and on disk', async (t) => {
  t.same((await gw.api('GET', '/debug')).json, { debug: false });
  t.same((await gw.api('PUT', '/debug', { value: true })).json, { status: 'ok' });
  t.equal(live().debug, true);
  t.match(file(), 'debug: true # verbose', 'comment kept');
  t.same((await gw.api('PATCH', '/debug', { value: false })).json, { status: 'ok' });
  t.same((await gw.api('GET', '/debug')).json, { debug: false });

  for (const [p, key] of [['/logging-to-file', 'logging-to-file'], ['/usage-statistics-enabled', 'usage-statistics-enabled'], ['/request-log', 'request-log'], ['/quota-exceeded/switch-project', 'switch-project'], ['/quota-exceeded/switch-preview-model', 'switch-preview-model'], ['/force-gpt-5-codex', 'gpt-5-codex']] as const) {
    const before = (await gw.api('GET', p)).json;
    t.equal(typeof before[key], 'boolean', `${p} GET → {"${key}": bool}`);
    t.equal((await gw.api('PUT', p, { value: !before[key] })).status, 200);
    t.same((await gw.api('GET', p)).json, { [key]: !before[key] });
    t.equal((await gw.api('PATCH', p, { value: before[key] })).status, 200);
  }
  t.equal(live().quotaExceeded.switchProject, true);
  t.match(file(), /quota-exceeded:\n {2}switch-project: true/);

  t.same((await gw.api('PUT', '/request-retry', { value: 5 })).json, { status: 'ok' });
  t.same((await gw.api('GET', '/request-retry')).json, { 'request-retry': 5 });
  t.equal(live().requestRetry, 5);
  t.same((await gw.api('PUT', '/proxy-url', { value: 'socks5://127.0.0.1:1080' })).json, { status: 'ok' });
  t.same((await gw.api('GET', '/proxy-url')).json, { 'proxy-url': 'socks5://127.0.0.1:1080' });
  t.same((await gw.api('DELETE', '/proxy-url')).json, { status: 'ok' });
  t.equal(live().proxyUrl, '');
});

t.test('scalars: bad bodies are 400 invalid body; invalid values are refused', async (t) => {
  for (const [p, body] of [['/debug', { value: 'yes' }], ['/request-retry', { value: 'x' }], ['/request-retry', { value: 1.5 }], ['/proxy-url', { value: 3 }], ['/debug', 'not json']] as const) {
    const r = await gw.api('PUT', p, body);
    t.same([r.status, r.json?.error], [400, 'invalid body'], `${p} ${JSON.stringify(body)}`);
  }
  const bad = await gw.api('PUT', '/proxy-url', { value: 'ftp://nope' });
  t.equal(bad.status, 400);
  t.match(bad.json.message, /proxy-url/);
  t.equal(live().proxyUrl, '');
});

t.test('api-keys: PUT, PATCH by index and by old/new, DELETE by value and index', async (t) => {
  t.same((await gw.api('GET', '/api-keys')).json, { 'api-keys': ['ck-1', 'ck-2'] });
  t.equal((await gw.api('PATCH', '/api-keys', { old: 'ck-2', new: 'ck-2b' })).status, 200);
  t.equal((await gw.api('PATCH', '/api-keys', { old: 'missing', new: 'ck-3' })).status, 200, 'old not found → appended');
  t.equal((await gw.api('PATCH', '/api-keys', { index: 0, value: 'ck-1b' })).status, 200);
  t.same(live().apiKeys, ['ck-1b', 'ck-2b', 'ck-3']);
  t.match(file(), '- ck-1b', 'written');
  t.equal((await gw.api('DELETE', '/api-keys?value=ck-2b')).status, 200);
  t.equal((await gw.api('DELETE', '/api-keys?index=0')).status, 200);
  t.same(live().apiKeys, ['ck-3']);
  t.same((await gw.api('DELETE', '/api-keys?value=absent')).json, { error: 'item not found' });
  t.equal((await gw.api('DELETE', '/api-keys')).status, 400);
  t.equal((await gw.api('PATCH', '/api-keys', { nothing: 1 })).status, 400);
  t.equal((await gw.api('PUT', '/api-keys', ['a', 'b'])).status, 200, 'raw array');
  t.same(live().apiKeys, ['a', 'b']);
  t.equal((await gw.api('PUT', '/api-keys', { items: ['c'] })).status, 200, '{"items": …}');
  t.same(live().apiKeys, ['c']);
  t.equal((await gw.api('PUT', '/api-keys', [1, 2])).status, 400);
  // The new key is what clients must now present.
  t.equal((await fetch(`${gw.url}/v1/models`, { headers: { authorization: 'Bearer c' } })).status, 200);
  t.equal((await fetch(`${gw.url}/v1/models`, { headers: { authorization: 'Bearer a' } })).status, 401);
});

t.test('gemini-api-key with legacy keys folded in; generative-language-api-key view', async (t) => {
  t.same((await gw.api('GET', '/generative-language-api-key')).json, { 'generative-language-api-key': ['g-1', 'gl-legacy'] });
  const list = (await gw.api('GET', '/gemini-api-key')).json['gemini-api-key'];
  t.same(list.map((k: any) => k['api-key']), ['g-1', 'gl-legacy']);
  t.same(list[0].headers, { 'X-Team': 'a' });
  t.equal((await gw.api('PATCH', '/gemini-api-key', { match: 'gl-legacy', value: { 'api-key': 'gl-legacy', 'base-url': 'http://127.0.0.1:3' } })).status, 200);
  const text = file();
  t.notMatch(text, 'generative-language-api-key', 'legacy list migrated');
  t.match(text, '- api-key: "g-1" # gemini one', 'other entries untouched, comment kept');
  t.same(live().geminiApiKey.map((k) => [k.apiKey, k.baseUrl]), [['g-1', ''], ['gl-legacy', 'http://127.0.0.1:3']]);
  t.equal((await gw.api('PATCH', '/generative-language-api-key', { old: 'gl-legacy', new: 'gl-2' })).status, 200);
  t.same(live().geminiApiKey.map((k) => k.apiKey), ['g-1', 'gl-2']);
  t.same(live().geminiApiKey[0]!.headers, { 'X-Team': 'a' }, 'untouched keys keep their overrides');
  t.equal((await gw.api('PATCH', '/gemini-api-key', { index: 1, value: { 'api-key': '' } })).status, 200, 'empty api-key deletes');
  t.same(live().geminiApiKey.map((k) => k.apiKey), ['g-1']);
  t.same((await gw.api('DELETE', '/gemini-api-key?api-key=nope')).json, { error: 'item not found' });
  t.equal((await gw.api('DELETE', '/gemini-api-key?api-key=g-1')).status, 200);
  t.same(live().geminiApiKey, []);
});

t.test('claude-api-key and codex-api-key: PUT, PATCH by match and index, DELETE', async (t) => {
  t.same((await gw.api('GET', '/claude-api-key')).json['claude-api-key'], [{ 'api-key': 'sk-ant-1', 'base-url': 'http://127.0.0.1:1', 'proxy-url': '', models: [], headers: {} }]);
  t.equal((await gw.api('PATCH', '/claude-api-key', { match: 'sk-ant-1', value: { 'api-key': 'sk-ant-2', models: [{ name: 'claude-x', alias: 'cx' }] } })).status, 200);
  t.same(live().claudeApiKey.map((k) => [k.apiKey, k.models]), [['sk-ant-2', [{ name: 'claude-x', alias: 'cx' }]]]);
  t.same((await gw.api('PATCH', '/claude-api-key', { match: 'gone', value: { 'api-key': 'z' } })).json, { error: 'item not found' });
  t.equal((await gw.api('PATCH', '/claude-api-key', { index: 0, value: { 'api-key': 'sk', bogus: 1 } })).status, 400, 'unknown field refused');
  t.equal((await gw.api('PUT', '/codex-api-key', [{ 'api-key': 'cx-1' }, { 'api-key': 'cx-2', 'base-url': 'http://127.0.0.1:4' }])).status, 200);
  t.same(live().codexApiKey.map((k) => k.apiKey), ['cx-1', 'cx-2']);
  t.equal((await gw.api('DELETE', '/codex-api-key?index=0')).status, 200);
  t.equal((await gw.api('DELETE', '/claude-api-key?api-key=sk-ant-2')).status, 200);
  t.same([live().claudeApiKey.length, live().codexApiKey.map((k) => k.apiKey)], [0, ['cx-2']]);
  t.equal((await gw.api('DELETE', '/codex-api-key')).status, 400);
  t.equal((await gw.api('PUT', '/codex-api-key', { items: [] })).status, 400);
});

t.test('openai-compatibility: legacy api-keys migrate; PATCH by name; empty base-url deletes', async (t) => {
  const got = (await gw.api('GET', '/openai-compatibility')).json['openai-compatibility'];
  t.same(got[0]['api-key-entries'], [{ 'api-key': 'legacy-a', 'proxy-url': '' }]);
  t.equal((await gw.api('PATCH', '/openai-compatibility', { name: 'local', value: { name: 'local', 'base-url': 'http://127.0.0.1:5/v1', 'api-keys': ['k1', 'k2'], models: [{ name: 'm2', alias: 'a2' }] } })).status, 200);
  const p = live().openaiCompatibility[0]!;
  t.same([p.baseUrl, p.apiKeyEntries.map((e) => e.apiKey)], ['http://127.0.0.1:5/v1', ['k1', 'k2']]);
  t.match(file(), /api-key-entries:\n\s+- api-key: k1/);
  t.notMatch(file(), /api-keys: \["legacy-a"\]/);
  t.equal((await gw.api('PUT', '/openai-compatibility', [{ name: 'b', 'base-url': 'http://127.0.0.1:6/v1' }, { name: 'dropped', 'base-url': '' }])).status, 200);
  t.same(live().openaiCompatibility.map((x) => x.name), ['b'], 'entries without base-url dropped');
  t.equal((await gw.api('PUT', '/openai-compatibility', [{ name: 'x', 'base-url': 'http://a' }, { name: 'x', 'base-url': 'http://b' }])).status, 400, 'duplicate names refused');
  t.equal((await gw.api('PATCH', '/openai-compatibility', { name: 'b', value: { name: 'b', 'base-url': '' } })).status, 200);
  t.same(live().openaiCompatibility, []);
  t.same((await gw.api('DELETE', '/openai-compatibility?name=b')).json, { error: 'item not found' });
});

t.test('/config is the whole config as JSON; /config.yaml is the file; PUT validates first', async (t) => {
  const cfg = (await gw.api('GET', '/config')).json;
  t.equal(cfg['request-retry'], live().requestRetry);
  t.ok(Array.isArray(cfg['api-keys']) && Array.isArray(cfg['gemini-api-key']));
  const y = await gw.api('GET', '/config.yaml');
  t.equal(y.text, file());
  t.match(y.headers.get('content-type'), /yaml/);
  const bad = await gw.api('PUT', '/config.yaml', y.text.replace(/request-retry: \d+/, 'request-retry: lots'));
  t.same([bad.status, bad.json.error], [422, 'invalid_config']);
  const broken = await gw.api('PUT', '/config.yaml', 'api-keys: [unclosed\n');
  t.same([broken.status, broken.json.error], [400, 'invalid_yaml']);
  t.equal(file(), y.text, 'file unchanged by refused PUTs');
  const next = y.text.replace(/request-retry: \d+/, 'request-retry: 7') + '# appended by PUT\n';
  t.equal((await gw.api('PUT', '/config.yaml', next)).status, 200);
  t.equal(file(), next, 'stored verbatim');
  t.equal(live().requestRetry, 7);
  t.equal(parseConfig(file()).config.requestRetry, 7);
});

t.test('bodies over 10 MiB are refused with 413 before anything is parsed', async (t) => {
  const r = await gw.api('PUT', '/config.yaml', `# ${'x'.repeat(11 * 1024 * 1024)}\n`);
  t.equal(r.status, 413);
  t.equal(live().requestRetry, 7);
});

t.test('unknown management paths are 404, known ones with another method 405', async (t) => {
  t.equal((await gw.api('GET', '/no-such-thing')).status, 404);
  t.equal((await gw.api('POST', '/debug', { value: true })).status, 405);
});
