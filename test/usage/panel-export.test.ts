// The control panel's usage tab in headless Chromium: Export downloads the
// statistics as an export file; Import of that file into another gateway
// adds its requests, and importing it again adds none.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { startMockOpenAI } from '../mocks/openai-upstream.js';
import { configDir, KEY, usageGateway } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) t.plan(0, `no chromium at ${CHROMIUM}`);
else await browserTests();

async function browserTests(): Promise<void> {
  const { chromium } = await import('playwright-core');
  const mock = await startMockOpenAI();
  const from = await usageGateway(configDir(mock.url), { usageFile: null });
  const to = await usageGateway(configDir(mock.url), { usageFile: null });
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
    await from.close();
    await to.close();
    await mock.close();
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));

  for (let i = 0; i < 3; i++) await from.chat('gpt-mock');
  await from.chat('fail-400');

  const signIn = async (url: string) => {
    await page.goto(`${url}/management.html`);
    await page.fill('#login-key', KEY);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#tabs:not(.hidden)');
    await page.click('#tabs button[data-tab=usage]');
  };

  t.test('Export downloads the statistics; Import merges them once', async (t) => {
    await signIn(from.url);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#usage-export')]);
    t.match(download.suggestedFilename(), /^usage-\d{4}-\d\d-\d\d\.json$/);
    const file = (await download.path())!;
    const exported = JSON.parse(readFileSync(file, 'utf8'));
    t.equal(exported.version, 1);
    t.equal(exported.usage.total_requests, 4);

    await signIn(to.url);
    await page.setInputFiles('#usage-import-file', file);
    await page.click('#usage-import');
    await page.waitForSelector('#toast.show:not(.bad)');
    t.match(await page.textContent('#toast'), 'Imported 4 request(s), 0 already counted');
    const u = (await to.api('GET', '/usage')).json.usage;
    t.equal(u.total_requests, 4);
    t.equal(u.failure_count, 1);
    await page.waitForSelector('[data-chart="Requests per model"] rect[data-label="gpt-mock"][data-value="3"]');
    t.pass('the charts show the imported requests');

    await page.setInputFiles('#usage-import-file', file);
    await page.click('#usage-import');
    await page.waitForFunction(() => document.querySelector('#toast')?.textContent?.includes('0 request(s), 4 already counted'));
    t.equal((await to.api('GET', '/usage')).json.usage.total_requests, 4, 'importing again adds nothing');
  });

  t.test('no script errors on the page', async (t) => {
    t.same(pageErrors, []);
  });
}
