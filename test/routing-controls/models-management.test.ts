// The management API and the control panel keep a credential's routing
// controls: PUT/PATCH of a key or provider with priority, excluded-models and
// models (several aliases, a level on the name) round-trips through the file
// and goes live; a bad value is refused and the file stays as it was.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { parseConfig } from '../../lib/config/load.js';
import { eventually, KEY, mgmtGateway } from '../management/helpers.js';

const gw = await mgmtGateway('codex-api-key:\n  - api-key: cx-1\n    base-url: http://127.0.0.1:9\n');
t.teardown(() => gw.close());
const fileConfig = () => parseConfig(readFileSync(gw.configPath, 'utf8')).config;

t.test('claude-api-key: PUT then PATCH keep priority, excluded-models and several aliases', async (t) => {
  const entry = {
    'api-key': 'sk-ant-1',
    'base-url': 'http://127.0.0.1:1',
    priority: 5,
    'excluded-models': ['claude-3-*', '*haiku*'],
    models: [
      { name: 'claude-sonnet-4-5-20250929', alias: 'sonnet' },
      { name: 'claude-sonnet-4-5-20250929', alias: 'house' },
      { name: 'claude-opus-4-1-20250805(high)', alias: 'opus-deep' },
    ],
  };
  t.same((await gw.api('PUT', '/claude-api-key', [entry])).json, { status: 'ok' });
  const got = (await gw.api('GET', '/claude-api-key')).json['claude-api-key'][0];
  t.match(got, entry, 'GET answers what was PUT');
  t.match(fileConfig().claudeApiKey[0], { priority: 5, excludedModels: ['claude-3-*', '*haiku*'] }, 'in the file');
  t.match(gw.runtime().registry.targets('opus-deep')[0], { upstreamModel: 'claude-opus-4-1-20250805', thinking: 'high' }, 'live, level included');
  t.equal(gw.runtime().registry.targets('house').length, 1);

  t.same((await gw.api('PATCH', '/claude-api-key', { index: 0, value: { ...got, priority: -2, 'excluded-models': ['claude-opus-*'] } })).json, { status: 'ok' });
  t.match((await gw.api('GET', '/claude-api-key')).json['claude-api-key'][0], { priority: -2, 'excluded-models': ['claude-opus-*'], models: entry.models });
  t.equal(gw.runtime().credentials.find((c) => c.provider === 'claude')!.priority, -2, 'live');

  const { priority: _p, 'excluded-models': _e, ...plain } = got;
  t.same((await gw.api('PATCH', '/claude-api-key', { match: 'sk-ant-1', value: plain })).json, { status: 'ok' });
  const after = (await gw.api('GET', '/claude-api-key')).json['claude-api-key'][0];
  t.notOk('priority' in after || 'excluded-models' in after, 'removed when the value leaves them out');
  t.notMatch(readFileSync(gw.configPath, 'utf8'), /priority|excluded-models/);
});

t.test('codex-api-key and gemini-api-key: the same fields round-trip', async (t) => {
  for (const kind of ['codex-api-key', 'gemini-api-key']) {
    const value = { 'api-key': `${kind}-k`, priority: 9, 'excluded-models': ['x-*'], models: [{ name: 'm-up', alias: 'm1' }, { name: 'm-up', alias: 'm2' }] };
    t.same((await gw.api('PUT', `/${kind}`, [value])).json, { status: 'ok' }, kind);
    t.match((await gw.api('GET', `/${kind}`)).json[kind], [value]);
  }
  t.same(gw.runtime().registry.targets('m2').map((x) => x.credential.priority), [9, 9]);
});

t.test('openai-compatibility: provider and per-key priority and excluded-models round-trip', async (t) => {
  const provider = {
    name: 'pool',
    'base-url': 'http://127.0.0.1:2/v1',
    priority: 1,
    'excluded-models': ['beta-*'],
    'api-key-entries': [{ 'api-key': 'pk-1', priority: 4, 'excluded-models': ['only-*'] }, { 'api-key': 'pk-2', 'proxy-url': 'socks5://127.0.0.1:1080' }],
    models: [{ name: 'up', alias: 'a' }, { name: 'up', alias: 'b' }],
  };
  t.same((await gw.api('PUT', '/openai-compatibility', [provider])).json, { status: 'ok' });
  t.match((await gw.api('GET', '/openai-compatibility')).json['openai-compatibility'], [provider]);
  t.same(gw.runtime().registry.targets('a').map((x) => x.credential.priority), [4, 1], 'per-key priority over the provider one, tiers sorted');
  t.same((await gw.api('PATCH', '/openai-compatibility', { name: 'pool', value: { ...provider, priority: 7 } })).json, { status: 'ok' });
  t.same(fileConfig().openaiCompatibility[0]!.apiKeyEntries[0], { apiKey: 'pk-1', proxyUrl: '', priority: 4, excludedModels: ['only-*'] });
  t.equal(fileConfig().openaiCompatibility[0]!.priority, 7);
});

t.test('an uploaded token file: priority and excluded_models are listed and live', async (t) => {
  const far = new Date(Date.now() + 86400_000).toISOString();
  const body = { type: 'claude', email: 'p@x.test', access_token: 'tok', refresh_token: 'rt', expired: far, priority: '4', excluded_models: ['claude-3-*'] };
  t.same((await gw.api('POST', '/auth-files?name=claude-p.json', body)).json, { status: 'ok' });
  const listed = () => gw.api('GET', '/auth-files').then((r) => (r.json.files as any[]).find((f) => f.name === 'claude-p.json'));
  t.match(await listed(), { priority: 4, excluded_models: ['claude-3-*'] });
  const account = () => gw.runtime().credentials.find((c) => c.id === 'claude:file:claude-p.json');
  t.ok(await eventually(() => account() !== undefined), 'loaded');
  t.same([account()!.priority, gw.runtime().registry.targets('claude-3-7-sonnet-20250219').length], [4, 0], 'excluded: no credential serves it');
  t.equal(gw.runtime().registry.targets('claude-sonnet-4-5-20250929')[0]!.credential.id, 'claude:file:claude-p.json');
  t.same((await gw.api('DELETE', '/auth-files?name=claude-p.json')).json, { status: 'ok' });
});

t.test('/oauth-excluded-models and /oauth-model-alias: GET, PUT, PATCH, DELETE per provider channel', async (t) => {
  t.same((await gw.api('GET', '/oauth-excluded-models')).json, { 'oauth-excluded-models': {} });
  t.same((await gw.api('PUT', '/oauth-excluded-models', { claude: ['claude-3-*', ' claude-3-* '], codex: [] })).json, { status: 'ok' });
  t.same((await gw.api('GET', '/oauth-excluded-models')).json, { 'oauth-excluded-models': { claude: ['claude-3-*'] } }, 'trimmed, deduplicated, empty channels left out');
  t.same((await gw.api('PATCH', '/oauth-excluded-models', { provider: 'Codex', models: ['gpt-5-*'] })).json, { status: 'ok' });
  t.same(fileConfig().oauthExcludedModels?.['codex'], ['gpt-5-*']);
  t.same((await gw.api('PATCH', '/oauth-excluded-models', { provider: 'claude', models: [] })).json, { status: 'ok' }, 'an empty list removes the channel');
  t.same((await gw.api('DELETE', '/oauth-excluded-models?provider=claude')).json, { error: 'item not found' });
  t.same((await gw.api('DELETE', '/oauth-excluded-models?provider=codex')).json, { status: 'ok' });
  t.same((await gw.api('GET', '/oauth-excluded-models')).json, { 'oauth-excluded-models': {} });
  t.match((await gw.api('PATCH', '/oauth-excluded-models', { provider: 'vertex', models: ['x'] })).json, { error: /unknown provider "vertex"/ });
  t.same((await gw.api('PUT', '/oauth-excluded-models', { claude: ['', ' '] })).json, { status: 'ok' });
  t.same((await gw.api('GET', '/oauth-excluded-models')).json, { 'oauth-excluded-models': {} }, 'blank globs are dropped');

  const aliases = { codex: [{ name: 'gpt-5', alias: 'g5' }, { name: 'gpt-5(high)', alias: 'g5-deep', fork: true }] };
  t.same((await gw.api('PUT', '/oauth-model-alias', { items: aliases })).json, { status: 'ok' });
  t.same((await gw.api('GET', '/oauth-model-alias')).json, { 'oauth-model-alias': aliases });
  t.same((await gw.api('PATCH', '/oauth-model-alias', { channel: 'claude', aliases: [{ name: 'claude-sonnet-4-5-20250929', alias: 'cs' }] })).json, { status: 'ok' });
  t.same(Object.keys(fileConfig().oauthModelAlias ?? {}).filter((k) => fileConfig().oauthModelAlias![k]!.length > 0).sort(), ['claude', 'codex']);
  const bad = await gw.api('PATCH', '/oauth-model-alias', { channel: 'codex', aliases: [{ name: 'gpt-5', alias: '' }] });
  t.match([bad.status, bad.json], [400, { message: /"alias" must name the client-visible model/ }], 'config validation answers for the new list');
  t.same((await gw.api('DELETE', '/oauth-model-alias?channel=claude')).json, { status: 'ok' });
  t.same((await gw.api('PUT', '/oauth-model-alias', {})).json, { status: 'ok' });
  t.notMatch(readFileSync(gw.configPath, 'utf8'), /oauth-model-alias/);
});

t.test('bad values are refused and change nothing', async (t) => {
  const before = readFileSync(gw.configPath, 'utf8');
  for (const [value, problem] of [
    [{ 'api-key': 'k', priority: 'high' }, /claude-api-key\[0\]\.priority: expected a whole number/],
    [{ 'api-key': 'k', priority: 1.5 }, /priority: expected a whole number/],
    [{ 'api-key': 'k', 'excluded-models': [' '] }, /excluded-models: \[0\]: a model pattern must be a non-empty string/],
    [{ 'api-key': 'k', 'excluded-models': 'claude-*' }, /excluded-models: expected a list of strings/],
    [{ 'api-key': 'k', models: [{ name: 'm(warp)', alias: 'x' }] }, /models: \[0\]: .*not a level/],
  ] as const) {
    const r = await gw.api('PUT', '/claude-api-key', [value]);
    t.equal(r.status, 400, JSON.stringify(value));
    t.match(r.json, { error: 'invalid body', message: problem });
  }
  t.equal(readFileSync(gw.configPath, 'utf8'), before);
});

const CHROMIUM = '/usr/bin/chromium';
t.test('the control panel editor keeps and edits priority and excluded-models', { skip: existsSync(CHROMIUM) ? false : `no chromium at ${CHROMIUM}` }, async (t) => {
  t.same(
    (await gw.api('PUT', '/openai-compatibility', [{ name: 'pp', 'base-url': 'http://127.0.0.1:3/v1', 'api-key-entries': [{ 'api-key': 'pk-9', priority: 3, 'excluded-models': ['z-*'] }], models: [{ name: 'up', alias: 'a' }], priority: 2 }])).json,
    { status: 'ok' },
  );
  t.same((await gw.api('PUT', '/codex-api-key', [{ 'api-key': 'cx-panel', priority: 4, 'excluded-models': ['gpt-5-*'] }])).json, { status: 'ok' });
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(path.join(tmpdir(), 'cliproxy-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  context.setDefaultTimeout(10_000);
  t.teardown(() => context.close());
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('dialog', (d) => void d.accept());
  await page.goto(`${gw.url}/management.html`);
  await page.fill('#login-key', KEY);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#tabs:not(.hidden)');

  await page.click('#tabs button[data-tab=providers]');
  await page.click('#codex-api-key [data-entry="0"] button:not(.danger)');
  const form = '#codex-api-key form.editor';
  t.equal(await page.inputValue(`${form} [data-field="priority"]`), '4', 'the editor shows the priority');
  t.equal(await page.inputValue(`${form} [data-field="excluded-models"]`), 'gpt-5-*');
  await page.fill(`${form} [data-field="priority"]`, '8');
  await page.fill(`${form} [data-field="excluded-models"]`, 'gpt-5-*\n*-mini');
  await page.click(`${form} button[type=submit]`);
  t.ok(await eventually(() => fileConfig().codexApiKey[0]?.priority === 8), 'saved');
  t.same(fileConfig().codexApiKey[0]!.excludedModels, ['gpt-5-*', '*-mini']);

  await page.click('#tabs button[data-tab=compat]');
  await page.click('#openai-compatibility [data-entry="0"] button:not(.danger)');
  const cform = '#openai-compatibility form.editor';
  await page.fill(`${cform} [data-field="models"]`, 'up=a\nup=c');
  await page.click(`${cform} button[type=submit]`);
  t.ok(await eventually(() => fileConfig().openaiCompatibility[0]?.models.length === 2), 'saved');
  const p = fileConfig().openaiCompatibility[0]!;
  t.same([p.priority, p.apiKeyEntries[0]!.priority, p.apiKeyEntries[0]!.excludedModels], [2, 3, ['z-*']], 'untouched settings (per-key ones too) survive an edit');
  t.same(pageErrors, []);
});
