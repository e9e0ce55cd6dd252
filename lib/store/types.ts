// One interface over the durable stores (PostgreSQL, S3-compatible object
// storage, Git). A store holds a small set of text documents under keys laid
// out as CLIProxyAPI lays them out: "config/config.yaml" and "auths/<name>"
// (the token file's path relative to auth-dir). The mirror (mirror.ts) copies
// them to and from a local folder the gateway runs from.

export const CONFIG_KEY = 'config/config.yaml';
export const AUTH_PREFIX = 'auths/';

export interface StateStore {
  /** 'postgres' | 'object' | 'git'. */
  readonly kind: string;
  /** Where it points, with every secret masked (for logs, errors, the management API). */
  readonly target: string;
  /** Connect and prepare (schema and tables, bucket, repository). Throws StoreError when unreachable. */
  open(): Promise<void>;
  /** Every document the store holds, by key. Stores cache what has not changed (ETags, commits). */
  snapshot(): Promise<Map<string, string>>;
  put(key: string, content: string): Promise<void>;
  remove(key: string): Promise<void>;
  /** Call `onChange` when the store may have changed (a notification, a changed listing).
   *  `onHealth` reports whether the change feed works (undefined = yes, else why not). */
  watch(onChange: () => void, onHealth: (problem: string | undefined) => void): void;
  close(): Promise<void>;
}

/** A store could not be reached or used; the message names the store and never carries a secret. */
export class StoreError extends Error {
  override name = 'StoreError';
}

/** Replace every secret in `text` with ****; secrets shorter than 3 characters are left (they would mask noise). */
export function scrub(text: string, secrets: Array<string | undefined>): string {
  let out = text;
  for (const s of secrets) {
    if (!s || s.length < 3) continue;
    out = out.split(s).join('****');
    const enc = encodeURIComponent(s);
    if (enc !== s) out = out.split(enc).join('****');
  }
  return out;
}

/** The message of an unknown thrown value, scrubbed. */
export function reason(err: unknown, secrets: Array<string | undefined>): string {
  const e = err as { message?: string; code?: string } | undefined;
  let msg = (e && typeof e.message === 'string' && e.message) || (e?.code ? String(e.code) : String(err));
  if (e?.code && typeof e.code === 'string' && !msg.includes(e.code)) msg = `${msg} (${e.code})`;
  // AggregateError (a host resolving to several addresses) carries the useful part inside.
  const inner = (err as { errors?: unknown[] } | undefined)?.errors;
  if ((!msg || msg === 'AggregateError') && Array.isArray(inner) && inner.length > 0) msg = reason(inner[0], secrets);
  return scrub(msg.split('\n')[0]!, secrets);
}
