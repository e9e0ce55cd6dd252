// The control panel in headless Chromium (Debian's chromium, driven by
// playwright-core): sign in, add a client key and see it in the config file,
// add a provider key, upload a token file, watch a login, see the charts.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { parseConfig } from '../../lib/config/load.js';
import type { LoginStatus } from '../../lib/management/types.js';
import { compatYaml } from '../helpers/gateway.js';
import { startMockOpenAI } from '../mocks/openai-upstream.js';
import { eventually, KEY, mgmtGateway } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) t.plan(0, `no chromium at ${CHROMIUM}: install it (apt-get install -y chromium; .ci/run does) to run the control panel browser test`);
else await browserTests();

async function browserTests(): Promise<void> {
  const { chromium } = await import('playwright-core');
  const mock = await startMockOpenAI();
  const gw = await mgmtGateway(`# operator notes stay\nusage-statistics-enabled: true\n${compatYaml(mock.url)}`);
  const profile = mkdtempSync(path.join(tmpdir(), 'cliproxy-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  context.setDefaultTimeout(10_000);
  t.teardown(async () => {
    await context.close();
    await gw.close();
    await mock.close();
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('dialog', (d) => void d.accept());
  const config = () => parseConfig(readFileSync(gw.configPath, 'utf8')).config;

  // Some traffic for the charts.
  for (let i = 0; i < 3; i++) {
    await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-mock', messages: [{ role: 'user', content: 'hi' }] }) });
  }

  t.test('a wrong key is refused; the right one signs in', async (t) => {
    await page.goto(`${gw.url}/management.html`);
    await page.fill('#login-key', 'not-the-key');
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#login-error:not(.hidden)');
    t.match(await page.textContent('#login-error'), 'invalid management key');
    await page.fill('#login-key', KEY);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#tabs:not(.hidden)');
    t.pass('signed in');
  });

  t.test('usage is drawn as charts: requests and tokens over time, per model', async (t) => {
    await page.click('#tabs button[data-tab=usage]');
    await page.waitForSelector('[data-chart="Requests per model"] rect[data-label="gpt-mock"]');
    t.equal(await page.getAttribute('[data-chart="Requests per model"] rect[data-label="gpt-mock"]', 'data-value'), '3');
    t.equal(await page.getAttribute('[data-chart="Tokens per model"] rect[data-label="gpt-mock"]', 'data-value'), String(3 * 17));
    t.ok(await page.$('[data-chart="Requests per day"] rect[data-value="3"]'), 'requests per day');
    t.ok(await page.$('[data-chart="Tokens by hour of day"] rect[data-value="51"]'), 'tokens by hour');
  });

  t.test('add a client key: it lands in the config file and goes live', async (t) => {
    await page.click('#tabs button[data-tab=keys]');
    await page.fill('#new-client-key', 'browser-added-key-123');
    await page.click('#add-client-key button[type=submit]');
    await page.waitForSelector('[data-key-row="0"]');
    t.ok(await eventually(() => config().apiKeys.includes('browser-added-key-123')), 'in the file');
    t.match(readFileSync(gw.configPath, 'utf8'), '# operator notes stay', 'comments kept');
    t.same(gw.runtime().config.apiKeys, ['browser-added-key-123'], 'live');
    t.equal((await fetch(`${gw.url}/v1/models`)).status, 401, 'clients now need it');
  });

  t.test('add a Claude key with a model alias through the editor', async (t) => {
    await page.click('#tabs button[data-tab=providers]');
    await page.click('button[data-add="claude-api-key"]');
    await page.fill('#claude-api-key form.editor [data-field="api-key"]', 'sk-ant-from-panel');
    await page.fill('#claude-api-key form.editor [data-field="base-url"]', 'http://127.0.0.1:9');
    await page.fill('#claude-api-key form.editor [data-field="models"]', 'claude-upstream=panel-alias');
    await page.click('#claude-api-key form.editor button[type=submit]');
    await page.waitForSelector('#claude-api-key [data-entry="0"]');
    t.ok(await eventually(() => config().claudeApiKey.some((k) => k.apiKey === 'sk-ant-from-panel')));
    t.same(config().claudeApiKey[0]!.models, [{ name: 'claude-upstream', alias: 'panel-alias' }]);
  });

  t.test('add an OpenAI-compatible provider', async (t) => {
    await page.click('#tabs button[data-tab=compat]');
    await page.click('button[data-add="openai-compatibility"]');
    const form = '#openai-compatibility form.editor';
    await page.fill(`${form} [data-field="name"]`, 'panel-provider');
    await page.fill(`${form} [data-field="base-url"]`, 'http://127.0.0.1:8/v1');
    await page.fill(`${form} [data-field="api-key-entries"]`, 'pk-1\npk-2');
    await page.click(`${form} button[type=submit]`);
    t.ok(await eventually(() => config().openaiCompatibility.some((p) => p.name === 'panel-provider')));
    t.same(config().openaiCompatibility.find((p) => p.name === 'panel-provider')!.apiKeyEntries.map((e) => e.apiKey), ['pk-1', 'pk-2']);
  });

  t.test('upload, list, download and delete a token file', async (t) => {
    const file = path.join(profile, 'claude-panel@example.com.json');
    writeFileSync(file, JSON.stringify({ type: 'claude', email: 'panel@example.com' }));
    await page.click('#tabs button[data-tab=files]');
    await page.setInputFiles('#upload-file', file);
    await page.click('#upload');
    await page.waitForSelector('[data-file="claude-panel@example.com.json"]');
    t.ok(existsSync(path.join(gw.dir, 'auth', 'claude-panel@example.com.json')), 'saved in auth-dir');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-file="claude-panel@example.com.json"] button:not(.danger)')]);
    t.equal(download.suggestedFilename(), 'claude-panel@example.com.json');
    t.same(JSON.parse(readFileSync((await download.path())!, 'utf8')), { type: 'claude', email: 'panel@example.com' }, 'downloaded');
    await page.click('[data-file="claude-panel@example.com.json"] button.danger');
    t.ok(await eventually(() => !existsSync(path.join(gw.dir, 'auth', 'claude-panel@example.com.json'))), 'deleted');
  });

  t.test('start a login and watch its status', async (t) => {
    const states = new Map<string, LoginStatus>();
    gw.management.registerLogins({
      async start(provider) {
        states.set('s1', { status: 'wait' });
        return { url: `${gw.url}/fake-login/${provider}`, state: 's1' };
      },
      status: (s) => states.get(s),
    });
    await page.click('#tabs button[data-tab=logins]');
    await page.click('button[data-login="codex"]');
    await page.waitForSelector('#login-status a[href$="/fake-login/codex"]');
    states.set('s1', { status: 'ok' });
    await page.waitForSelector('#login-status .pill.ok', { timeout: 15_000 });
    t.match(await page.textContent('#login-status'), 'signed in');
  });

  t.test('no script errors on the page', async (t) => {
    t.same(pageErrors, []);
  });
}
