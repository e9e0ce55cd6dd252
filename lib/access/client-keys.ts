// Client API keys: every inference route needs one when `api-keys` is set.
// Clients send them the way their SDK does, so all the usual places count.
// A key written as an object also carries the models it may use and its
// request rate (key-config.ts); a plain key may use everything.
import type { ClientKeySettings } from '../config/types.js';
import { modelGlob, type ModelMatcher } from '../routing/model-syntax.js';

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

/** What one key with settings may do. */
export class KeyRules {
  private readonly matchers: ModelMatcher[];
  constructor(
    readonly key: string,
    /** The configured patterns; empty = any model. */
    readonly models: readonly string[],
    /** Requests per minute; 0 = unlimited. */
    readonly maxRequestsPerMinute: number,
  ) {
    this.matchers = models.map(modelGlob);
  }

  /** Whether the key may ask for this model (the name without any `(…)` reasoning suffix). */
  allows(model: string): boolean {
    return this.matchers.length === 0 || this.matchers.some((m) => m(model));
  }
}

export type AccessResult = { ok: true; key?: string; rules?: KeyRules } | { ok: false; message: string };

export class ClientKeys {
  private readonly keys: Set<string>;
  private readonly rules = new Map<string, KeyRules>();
  constructor(keys: string[], settings: readonly ClientKeySettings[] = []) {
    this.keys = new Set(keys.filter((k) => k.length > 0));
    for (const s of settings) {
      // Settings that restrict nothing leave the key as plain as a string entry.
      if (s.models.length > 0 || s.maxRequestsPerMinute > 0) this.rules.set(s.key, new KeyRules(s.key, s.models, s.maxRequestsPerMinute));
    }
  }

  get required(): boolean {
    return this.keys.size > 0;
  }

  check(src: KeySources): AccessResult {
    if (!this.required) return { ok: true };
    const key = presentedKey(src);
    if (!key) return { ok: false, message: 'Missing API key: send it as "Authorization: Bearer <key>", x-api-key, x-goog-api-key or ?key=' };
    if (!this.keys.has(key)) return { ok: false, message: 'Invalid API key' };
    const rules = this.rules.size > 0 ? this.rules.get(key) : undefined;
    return rules ? { ok: true, key, rules } : { ok: true, key };
  }
}

/** Whether a client that passed `check` may use this model (true without rules). */
export function keyAllows(access: AccessResult, model: string): boolean {
  return !access.ok || !access.rules || access.rules.allows(model);
}
