// Usage, the whole config (JSON and raw YAML) and the scalar settings.
import path from 'node:path';
import { configToYaml } from '../../config/shape.js';
import type { Config } from '../../config/types.js';
import type { SaveResult } from '../../config/writeback.js';
import type { Ctx, Register } from './context.js';

export function answer(c: Ctx, r: SaveResult): void {
  if (r.ok) c.ok();
  else c.reply(r.status, r.body);
}

export const INVALID = { error: 'invalid body' };

type Kind = 'bool' | 'int' | 'string';

interface Scalar {
  path: string;
  yaml: string[];
  /** The key of the GET answer. */
  key: string;
  kind: Kind;
  get(c: Config): boolean | number | string;
  /** DELETE resets it to this value. */
  reset?: string;
}

const SCALARS: Scalar[] = [
  { path: '/debug', yaml: ['debug'], key: 'debug', kind: 'bool', get: (c) => c.debug },
  { path: '/logging-to-file', yaml: ['logging-to-file'], key: 'logging-to-file', kind: 'bool', get: (c) => c.loggingToFile },
  { path: '/usage-statistics-enabled', yaml: ['usage-statistics-enabled'], key: 'usage-statistics-enabled', kind: 'bool', get: (c) => c.usageStatisticsEnabled },
  { path: '/request-log', yaml: ['request-log'], key: 'request-log', kind: 'bool', get: (c) => c.requestLog },
  { path: '/request-retry', yaml: ['request-retry'], key: 'request-retry', kind: 'int', get: (c) => c.requestRetry },
  { path: '/max-retry-interval', yaml: ['max-retry-interval'], key: 'max-retry-interval', kind: 'int', get: (c) => c.maxRetryInterval },
  { path: '/proxy-url', yaml: ['proxy-url'], key: 'proxy-url', kind: 'string', get: (c) => c.proxyUrl, reset: '' },
  { path: '/quota-exceeded/switch-project', yaml: ['quota-exceeded', 'switch-project'], key: 'switch-project', kind: 'bool', get: (c) => c.quotaExceeded.switchProject },
  {
    path: '/quota-exceeded/switch-preview-model',
    yaml: ['quota-exceeded', 'switch-preview-model'],
    key: 'switch-preview-model',
    kind: 'bool',
    get: (c) => c.quotaExceeded.switchPreviewModel,
  },
  { path: '/force-gpt-5-codex', yaml: ['force-gpt-5-codex'], key: 'gpt-5-codex', kind: 'bool', get: (c) => c.forceGpt5Codex },
];

/** {"value": x} of the right type; booleans also as the only boolean field (reference leniency). */
function scalarValue(body: unknown, kind: Kind): boolean | number | string | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const v = (body as Record<string, unknown>)['value'];
  if (kind === 'bool') {
    if (typeof v === 'boolean') return v;
    if (v === undefined) return Object.values(body).find((x): x is boolean => typeof x === 'boolean');
    return undefined;
  }
  if (kind === 'int') return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
  return typeof v === 'string' ? v.trim() : undefined;
}

/**
 * Settings a management key must not change: who may manage (secret-key,
 * allow-remote), and where token files live — auth-dir decides what GET
 * /auth-files/download serves, so moving it would let a key holder read any
 * *.json on the host. They are changed by editing the file by hand. Only PUT
 * /config.yaml can reach them: every other endpoint edits fixed keys.
 */
const LOCKED: Array<{ key: string; get(c: Config): unknown; same(a: unknown, b: unknown): boolean }> = [
  { key: 'remote-management.secret-key', get: (c) => c.remoteManagement.secretKey, same: Object.is },
  { key: 'remote-management.allow-remote', get: (c) => c.remoteManagement.allowRemote, same: Object.is },
  // The same directory spelled differently ("./auth" vs "auth") is no move.
  { key: 'auth-dir', get: (c) => c.authDir, same: (a, b) => path.resolve(String(a)) === path.resolve(String(b)) },
];

export function registerBasics(add: Register): void {
  add('GET', '/usage', (c) => {
    const usage = c.m.usage.snapshot();
    c.reply(200, { usage, failed_requests: usage.failure_count });
  });

  add('GET', '/config', (c) => {
    const cfg = c.m.config();
    const { 'remote-management': _secret, ...shown } = configToYaml(cfg);
    c.reply(200, { ...shown, 'generative-language-api-key': cfg.geminiApiKey.map((k) => k.apiKey) });
  });

  add('GET', '/config.yaml', async (c) => {
    let text: string;
    try {
      text = await c.m.store.readText();
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      return c.reply(missing ? 404 : 500, missing ? { error: 'not_found', message: 'config file not found' } : { error: 'read_failed', message: (err as Error).message });
    }
    c.ex.send(200, text, { 'content-type': 'application/yaml; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  });

  add('PUT', '/config.yaml', async (c) => {
    const text = (await c.body()).toString('utf8');
    const live = c.m.config();
    // Compared with the file as it is on disk (the live config may differ
    // from it where the gateway overrides a value: a store's mirror sets auth-dir).
    const r = await c.m.store.replace(text, (next, onDisk) => {
      const base = onDisk ?? live;
      const changed = LOCKED.filter((l) => !l.same(l.get(next), l.get(base))).map((l) => l.key);
      return changed.length > 0 ? `${changed.join(', ')} cannot be changed through the management API; edit the config file by hand` : undefined;
    });
    if (r.ok) c.reply(200, { status: 'ok', ok: true, changed: ['config'] });
    else c.reply(r.status, r.body);
  });

  for (const s of SCALARS) {
    add('GET', s.path, (c) => c.reply(200, { [s.key]: s.get(c.m.config()) }));
    const set: (c: Ctx) => Promise<void> = async (c) => {
      const v = scalarValue(await c.json(), s.kind);
      if (v === undefined) return c.reply(400, INVALID);
      answer(c, await c.m.store.edit((doc) => void doc.setIn(s.yaml, v)));
    };
    add('PUT', s.path, set);
    add('PATCH', s.path, set);
    if (s.reset !== undefined) {
      const reset = s.reset;
      add('DELETE', s.path, async (c) => answer(c, await c.m.store.edit((doc) => void doc.setIn(s.yaml, reset))));
    }
  }
}
