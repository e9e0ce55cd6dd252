// Which usage store a gateway gets: PostgreSQL when PGSTORE_DSN is set (the
// statistics of every instance on that database add up), else a file in
// WRITABLE_PATH or next to the config file, else memory only.
import path from 'node:path';
import { storeFromEnv } from '../store/env.js';
import { FileUsage, USAGE_FILE } from './persist-file.js';
import { PostgresUsage } from './persist-postgres.js';
import { MemoryUsage, type UsageStore } from './store.js';

export interface UsageStoreOptions {
  env: Record<string, string | undefined>;
  now?: () => number;
  /** An explicit file; null = no file. */
  file?: string | null;
  /** Where the default file goes (undefined = no file). */
  dir?: string;
  /** A database given by the embedder (lib/store with an explicit store); wins over PGSTORE_DSN. */
  database?: { dsn: string; schema: string };
}

export function usageStore(o: UsageStoreOptions): UsageStore {
  const env = storeFromEnv(o.env);
  const db = o.database ?? (env?.kind === 'postgres' ? env : undefined);
  if (db) return new PostgresUsage({ dsn: db.dsn, schema: db.schema, now: o.now });
  const file = o.file === null ? undefined : (o.file ?? (o.dir ? path.join(o.dir, USAGE_FILE) : undefined));
  return file ? new FileUsage(path.resolve(file), { now: o.now }) : new MemoryUsage({ now: o.now });
}
