// Client API keys: every inference route needs one when `api-keys` is set.
// Clients send them the way their SDK does, so all the usual places count.

export interface KeySources {
  headers: Record<string, string>;
  queryKey?: string;
}

/** The key a client presented, from the first place that has one. */
export function presentedKey({ headers, queryKey }: KeySources): string | undefined {
  const auth = headers['authorization'];
  if (auth) {
    const m = /^\s*Bearer\s+(.+?)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  return headers['x-api-key'] || headers['x-goog-api-key'] || queryKey || undefined;
}

export type AccessResult = { ok: true; key?: string } | { ok: false; message: string };

export class ClientKeys {
  private readonly keys: Set<string>;
  constructor(keys: string[]) {
    this.keys = new Set(keys.filter((k) => k.length > 0));
  }

  get required(): boolean {
    return this.keys.size > 0;
  }

  check(src: KeySources): AccessResult {
    if (!this.required) return { ok: true };
    const key = presentedKey(src);
    if (!key) return { ok: false, message: 'Missing API key: send it as "Authorization: Bearer <key>", x-api-key, x-goog-api-key or ?key=' };
    if (!this.keys.has(key)) return { ok: false, message: 'Invalid API key' };
    return { ok: true, key };
  }
}
