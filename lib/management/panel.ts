// GET /management.html: the control panel shipped in this package
// (lib/management/panel/), or the page MANAGEMENT_STATIC_PATH points at
// (a directory holding management.html, or the file itself). The shipped
// page keeps its script in separate files; "<!-- inline:NAME -->" markers
// are replaced by them, so the browser gets one self-contained page.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Exchange } from '../server/exchange.js';
import type { Management } from './service.js';

export const PANEL_FILE = 'management.html';

/** lib/management/panel, from the sources or from a build under dist/. */
export function shippedPanelDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, 'panel'), path.resolve(here, '../../../lib/management/panel')];
  return candidates.find((d) => existsSync(path.join(d, PANEL_FILE))) ?? candidates[0]!;
}

export function panelPath(staticPath: string | undefined): string {
  if (!staticPath) return path.join(shippedPanelDir(), PANEL_FILE);
  const p = path.resolve(staticPath);
  return path.basename(p).toLowerCase() === PANEL_FILE ? p : path.join(p, PANEL_FILE);
}

export async function renderPanel(file: string): Promise<string> {
  const html = await readFile(file, 'utf8');
  const dir = path.dirname(file);
  const names = [...html.matchAll(/<!--\s*inline:([\w.-]+\.js)\s*-->/g)].map((m) => m[1]!);
  const scripts = new Map<string, string>();
  for (const n of new Set(names)) scripts.set(n, await readFile(path.join(dir, n), 'utf8'));
  return html.replace(/<!--\s*inline:([\w.-]+\.js)\s*-->/g, (_, n: string) => `<script>\n${scripts.get(n)!.replace(/<\/script/gi, '<\\/script')}\n</script>`);
}

const HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; form-action 'none'; base-uri 'none'; frame-ancestors 'none'",
};

export function servePanel(m: Management, ex: Exchange): void {
  if (m.config().remoteManagement.disableControlPanel) {
    return ex.json(404, { error: { message: `Unknown endpoint: ${ex.method} ${ex.url}`, type: 'invalid_request_error', code: 'not_found' } });
  }
  renderPanel(panelPath(m.staticPath)).then(
    (html) => ex.send(200, html, HEADERS),
    (err: NodeJS.ErrnoException) =>
      err.code === 'ENOENT'
        ? ex.json(404, { error: { message: 'control panel page not found', type: 'invalid_request_error', code: 'not_found' } })
        : ex.json(500, { error: `cannot read the control panel page: ${err.message}` }),
  );
}
