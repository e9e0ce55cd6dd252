// Token files: JSON in auth-dir, readable only by their owner.
import { chmodSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export type TokenFile = Record<string, unknown> & { type?: string };

/** A file name from account data: no path separators, no leading dots. */
export function safeFileName(name: string): string {
  const cleaned = name.replace(/[/\\\0]/g, '_').replace(/^\.+/, '');
  return cleaned.toLowerCase().endsWith('.json') ? cleaned : `${cleaned}.json`;
}

/** Write atomically (temp file + rename) with mode 0600; creates auth-dir (0700). */
export function writeTokenFile(dir: string, name: string, data: TokenFile): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, safeFileName(name));
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return file;
}
