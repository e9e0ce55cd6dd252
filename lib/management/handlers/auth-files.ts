// Token files in auth-dir: list (files merged with the live credential state
// lib/auth reports), download, upload (multipart or raw JSON), delete.
// Names are plain "*.json" file names; anything else is refused with 400.
import busboy from 'busboy';
import { mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { atomicWriteFile } from '../../config/writeback.js';
import type { Ctx, Register } from './context.js';
import type { AuthFileRecord } from '../types.js';
import { INVALID } from './basics.js';
import { fileControls } from '../../auth/credential.js';

/** Why `name` is not a plain token-file name (undefined: it is one). */
export function badAuthFileName(name: string | undefined): string | undefined {
  if (!name || name.trim() !== name) return 'invalid name';
  // Path separators, parent references, drive letters, control characters and quotes.
  if (/[/\\:"\u0000-\u001f\u007f]/.test(name) || name.includes('..') || path.isAbsolute(name)) return 'invalid name';
  if (!name.toLowerCase().endsWith('.json') || name.length <= '.json'.length) return 'name must end with .json';
  return undefined;
}

const LAST_REFRESH_KEYS = ['last_refresh', 'lastRefresh', 'last_refreshed_at', 'lastRefreshedAt'];

function timeOf(v: unknown): string | null {
  if (typeof v === 'number' && v > 0) return new Date(v < 1e12 ? v * 1000 : v).toISOString();
  if (typeof v === 'string' && v.trim()) {
    const t = Date.parse(v);
    if (!Number.isNaN(t)) return new Date(t).toISOString();
    if (/^\d+$/.test(v.trim())) return timeOf(Number(v));
  }
  return null;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function authDir(c: Ctx): string {
  return path.resolve(c.m.config().authDir);
}

type Entry = Record<string, unknown>;

async function fileEntry(dir: string, name: string): Promise<Entry | undefined> {
  const full = path.join(dir, name);
  const st = await stat(full).catch(() => undefined);
  if (!st?.isFile()) return undefined;
  let json: Record<string, unknown> = {};
  if (st.size <= 1024 * 1024) {
    try {
      const parsed: unknown = JSON.parse(await readFile(full, 'utf8'));
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) json = parsed as Record<string, unknown>;
    } catch {
      /* not JSON: listed with what the file system knows */
    }
  }
  const type = str(json['type']);
  const email = str(json['email']);
  const disabled = json['disabled'] === true;
  const lastRefresh = LAST_REFRESH_KEYS.map((k) => timeOf(json[k])).find((t) => t !== null) ?? null;
  // Routing controls the file sets (reference: priority); listed only when present.
  const { priority, excludedModels } = fileControls(json);
  return {
    ...(priority !== undefined ? { priority } : {}),
    ...(excludedModels ? { excluded_models: excludedModels } : {}),
    id: name,
    name,
    type,
    provider: type,
    label: email || name,
    email,
    status: disabled ? 'disabled' : 'active',
    status_message: '',
    disabled,
    unavailable: false,
    runtime_only: false,
    source: 'file',
    size: st.size,
    modtime: st.mtime.toISOString(),
    path: full,
    created_at: st.birthtime.getTime() > 0 ? st.birthtime.toISOString() : st.mtime.toISOString(),
    updated_at: st.mtime.toISOString(),
    last_refresh: lastRefresh,
    account_type: email ? 'oauth' : '',
    account: email,
  };
}

/** Live state wins over what the file says; credentials without a file are listed from memory. */
function merge(entry: Entry | undefined, r: AuthFileRecord): Entry {
  const base: Entry = entry ?? {
    id: r.id, name: r.name, type: r.provider, provider: r.provider, label: '', email: '', status: 'active', status_message: '',
    disabled: false, unavailable: false, runtime_only: r.runtimeOnly ?? false, source: 'memory', size: 0, modtime: null,
    path: r.path ?? '', created_at: null, updated_at: null, last_refresh: null, account_type: '', account: '',
  };
  const set = (k: string, v: unknown) => {
    if (v !== undefined && v !== '') base[k] = v;
  };
  set('id', r.id);
  set('provider', r.provider);
  set('type', r.provider);
  set('label', r.label);
  set('email', r.email);
  set('status', r.status);
  set('status_message', r.statusMessage);
  set('disabled', r.disabled);
  set('unavailable', r.unavailable);
  set('runtime_only', r.runtimeOnly);
  set('created_at', r.createdAt);
  set('updated_at', r.updatedAt);
  set('last_refresh', r.lastRefresh);
  set('account_type', r.accountType);
  set('account', r.account);
  return base;
}

async function list(c: Ctx): Promise<void> {
  const dir = authDir(c);
  let names: string[] = [];
  try {
    names = (await readdir(dir)).filter((n) => n.toLowerCase().endsWith('.json'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return c.reply(500, { error: `failed to read auth dir: ${(err as Error).message}` });
  }
  const byName = new Map<string, Entry>();
  for (const n of names) {
    const e = await fileEntry(dir, n);
    if (e) byName.set(n, e);
  }
  for (const r of c.m.authFiles?.list() ?? []) {
    const name = r.path ? path.basename(r.path) : r.name;
    byName.set(name, merge(byName.get(name), { ...r, name }));
  }
  const files = [...byName.values()].sort((a, b) => String(a['name']).toLowerCase().localeCompare(String(b['name']).toLowerCase()));
  c.reply(200, { files });
}

async function download(c: Ctx): Promise<void> {
  const name = c.query('name');
  const bad = badAuthFileName(name);
  if (bad) return c.reply(400, { error: bad });
  let data: Buffer;
  try {
    data = await readFile(path.join(authDir(c), name!));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return c.reply(404, { error: 'file not found' });
    return c.reply(500, { error: `failed to read file: ${(err as Error).message}` });
  }
  c.ex.send(200, data, { 'content-type': 'application/json', 'content-disposition': `attachment; filename="${name}"`, 'cache-control': 'no-store' });
}

function multipartFile(contentType: string, body: Buffer): Promise<{ name: string; data: Buffer } | undefined> {
  return new Promise((resolve, reject) => {
    let found: { name: string; data: Buffer } | undefined;
    // preservePath: see the name as sent, so a path in it is refused rather than silently cut.
    const bb = busboy({ headers: { 'content-type': contentType }, limits: { files: 4 }, preservePath: true });
    bb.on('file', (field, stream, info) => {
      if (field !== 'file' || found) return void stream.resume();
      const parts: Buffer[] = [];
      stream.on('data', (d: Buffer) => parts.push(d));
      stream.on('end', () => (found = { name: info.filename ?? '', data: Buffer.concat(parts) }));
    });
    bb.on('close', () => resolve(found));
    bb.on('error', reject);
    bb.end(body);
  });
}

async function upload(c: Ctx): Promise<void> {
  const ct = c.ex.headers['content-type'] ?? '';
  let name: string | undefined;
  let data: Buffer;
  const multipart = /^multipart\/form-data/i.test(ct);
  if (multipart) {
    let file;
    try {
      file = await multipartFile(ct, await c.body());
    } catch {
      return c.reply(400, INVALID);
    }
    if (!file) return c.reply(400, { error: 'no file uploaded (multipart field "file")' });
    name = file.name;
    data = file.data;
  } else {
    name = c.query('name');
    data = await c.body();
  }
  const bad = badAuthFileName(name);
  if (bad) return c.reply(400, { error: multipart && bad === 'name must end with .json' ? 'file must be .json' : bad });
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return c.reply(400, INVALID);
  const dir = authDir(c);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await atomicWriteFile(path.join(dir, name!), data.toString('utf8'), {}, 0o600);
  } catch (err) {
    return c.reply(500, { error: `failed to save file: ${(err as Error).message}` });
  }
  await c.m.authFiles?.changed?.(name!, false);
  c.ok();
}

async function remove(c: Ctx): Promise<void> {
  const dir = authDir(c);
  const all = c.query('all');
  if (all === 'true' || all === '1' || all === '*') {
    let names: string[];
    try {
      names = (await readdir(dir)).filter((n) => n.toLowerCase().endsWith('.json'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return c.ok({ deleted: 0 });
      return c.reply(500, { error: `failed to read auth dir: ${(err as Error).message}` });
    }
    let deleted = 0;
    for (const n of names) {
      const st = await stat(path.join(dir, n)).catch(() => undefined);
      if (!st?.isFile()) continue;
      if (await unlink(path.join(dir, n)).then(() => true, () => false)) {
        deleted++;
        await c.m.authFiles?.changed?.(n, true);
      }
    }
    return c.ok({ deleted });
  }
  const name = c.query('name');
  const bad = badAuthFileName(name);
  if (bad) return c.reply(400, { error: bad });
  try {
    await unlink(path.join(dir, name!));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return c.reply(404, { error: 'file not found' });
    return c.reply(500, { error: `failed to remove file: ${(err as Error).message}` });
  }
  await c.m.authFiles?.changed?.(name!, true);
  c.ok();
}

export function registerAuthFiles(add: Register): void {
  add('GET', '/auth-files', list);
  add('GET', '/auth-files/download', download);
  add('POST', '/auth-files', upload);
  add('DELETE', '/auth-files', remove);
}
