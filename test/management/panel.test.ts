// /management.html: shipped in the package, self-contained, 404 when
// disable-control-panel, MANAGEMENT_STATIC_PATH honoured.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { panelPath, shippedPanelDir } from '../../lib/management/panel.js';
import { mgmtGateway } from './helpers.js';

t.test('the shipped page is served whole: scripts inlined, nothing fetched from elsewhere', async (t) => {
  const gw = await mgmtGateway('debug: false\n');
  t.teardown(() => gw.close());
  const res = await fetch(`${gw.url}/management.html`);
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), 'text/html');
  t.match(res.headers.get('content-security-policy'), "default-src 'none'");
  const html = await res.text();
  t.notMatch(html, /<!--\s*inline:/, 'markers replaced');
  t.match(html, 'window.Charts', 'charts inlined');
  t.match(html, "const API = '/v0/management'", 'panel script inlined');
  t.notMatch(html, /<script[^>]+src=/i, 'no external scripts');
  t.notMatch(html, /(src|href)\s*=\s*["']?(https?:)?\/\//i, 'no resources from other hosts');
  t.notMatch(html, /fetch\(\s*['"`]https?:/i, 'no requests to other hosts');
  t.notMatch(html, /@import|url\(\s*['"]?(https?:)?\/\//i, 'no external styles or fonts');
});

t.test('disable-control-panel: 404 (the API itself stays)', async (t) => {
  const gw = await mgmtGateway('remote-management:\n  disable-control-panel: true\n', { key: null });
  t.teardown(() => gw.close());
  t.equal((await fetch(`${gw.url}/management.html`)).status, 404);
});

t.test('the page is served without a management key (it asks for one)', async (t) => {
  const gw = await mgmtGateway('debug: false\n', { key: null });
  t.teardown(() => gw.close());
  t.equal((await fetch(`${gw.url}/management.html`)).status, 200);
});

t.test('MANAGEMENT_STATIC_PATH: a directory or the file itself; missing → 404', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cliproxy-static-'));
  writeFileSync(path.join(dir, 'management.html'), '<!doctype html><title>custom panel</title>');
  for (const staticPath of [dir, path.join(dir, 'management.html')]) {
    const gw = await mgmtGateway('debug: false\n', { key: null, management: { defaultMetrics: false, env: { MANAGEMENT_STATIC_PATH: staticPath } } });
    const res = await fetch(`${gw.url}/management.html`);
    t.equal(res.status, 200);
    t.match(await res.text(), 'custom panel', staticPath);
    await gw.close();
  }
  const gw = await mgmtGateway('debug: false\n', { key: null, management: { defaultMetrics: false, env: { MANAGEMENT_STATIC_PATH: path.join(dir, 'nowhere') } } });
  t.equal((await fetch(`${gw.url}/management.html`)).status, 404);
  await gw.close();
  t.equal(panelPath(undefined), path.join(shippedPanelDir(), 'management.html'));
});
