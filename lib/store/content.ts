// How the mirror compares documents: a content hash per key, token files as
// canonical JSON (PostgreSQL's jsonb rewrites their spacing and key order,
// and that must not read as a change).
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { log } from '../logging/logger.js';
import { CONFIG_KEY } from './types.js';

export const isTokenName = (n: string) => n.toLowerCase().endsWith('.json') && !n.startsWith('.');

/** Canonical JSON: keys sorted at every level, no whitespace. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export function validTokenJson(text: string): boolean {
  try {
    const v: unknown = JSON.parse(text);
    return !!v && typeof v === 'object' && !Array.isArray(v);
  } catch {
    return false;
  }
}

export function contentHash(key: string, content: string | undefined): string | undefined {
  if (content === undefined) return undefined;
  let norm = content.replace(/\r\n?/g, '\n');
  if (key !== CONFIG_KEY) {
    try {
      norm = canonical(JSON.parse(content));
    } catch {
      /* compare raw */
    }
  }
  return createHash('sha256').update(norm).digest('hex');
}


/** The keys of writes not yet stored, in a file of the mirror folder: what a restart must push before it pulls. */
export class PendingJournal {
  constructor(private readonly file: string) {}

  read(): string[] {
    try {
      const v: unknown = JSON.parse(readFileSync(this.file, 'utf8'));
      return Array.isArray(v) ? v.filter((k): k is string => typeof k === 'string') : [];
    } catch {
      return [];
    }
  }

  save(keys: string[]): void {
    try {
      if (keys.length === 0) rmSync(this.file, { force: true });
      else writeFileSync(this.file, JSON.stringify(keys), { mode: 0o600 });
    } catch (err) {
      log.warn(`store: cannot record pending writes in ${this.file}: ${(err as Error).message}`);
    }
  }
}
