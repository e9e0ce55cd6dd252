// /usage/export and /usage/import: usage statistics moved between instances
// and to or from CLIProxyAPI (same JSON). Imports merge: a request already
// counted (same dedup key) is skipped, so importing twice adds nothing.
import { exportPayload, parseImport } from '../../usage/export.js';
import { UsageUnavailable } from '../../usage/store.js';
import type { Register } from './context.js';

/** Bigger import bodies are refused (413) by the router's body cap before this runs. */
export function registerUsage(add: Register): void {
  add('GET', '/usage/export', (c) => c.reply(200, exportPayload(c.m.usage.snapshot())));

  add('POST', '/usage/import', async (c) => {
    const raw = await c.body();
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return c.reply(400, { error: 'invalid json: the body is not JSON' });
    }
    const parsed = parseImport(body);
    if (!parsed.ok) return c.reply(400, { error: parsed.error });
    try {
      const r = await c.m.usage.import(parsed.requests);
      const s = c.m.usage.snapshot();
      c.reply(200, { added: r.added, skipped: r.skipped, total_requests: s.total_requests, failed_requests: s.failure_count });
    } catch (err) {
      if (!(err instanceof UsageUnavailable)) throw err;
      c.reply(503, { error: 'usage statistics database unavailable; nothing was imported, try again' });
    }
  });
}
