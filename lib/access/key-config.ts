// `api-keys` entries: a plain string (any model, no rate limit), or an object
//
//   - key: sk-team-a
//     models: ["gpt-*", "*-thinking", "claude-sonnet-4*"]   # `*` globs, case-insensitive; absent = any
//     max-requests-per-minute: 60                           # fixed one-minute window; absent/0 = unlimited
//
// The loader walks the list (lib/config/schema.ts), this module checks it and
// splits it into the key strings everything else uses and the settings of the
// object entries. Messages name entries by index: a key is a secret.
import type { ClientKeySettings } from '../config/types.js';
import { patternProblem } from '../routing/model-syntax.js';

/** One walked api-keys entry: a string, or the object form (camelCase). */
export type ApiKeyItem = string | { key: string; models: string[]; maxRequestsPerMinute: number };

/** Most requests per minute a key may be given (a typo such as 6e9 is refused). */
export const MAX_KEY_RPM = 1_000_000;

/** Why an api-keys list is unusable, or undefined. */
export function apiKeysProblem(value: unknown): string | undefined {
  const list = value as ApiKeyItem[];
  const objects = new Set<string>();
  const plain = new Set<string>();
  for (const [i, item] of list.entries()) {
    if (typeof item === 'string') {
      if (objects.has(item.trim())) return `[${i}]: this key already has an object entry; list each key once`;
      plain.add(item.trim());
      continue;
    }
    const key = item.key.trim();
    if (key === '') return `[${i}]: "key" is required in an object entry`;
    if (objects.has(key) || plain.has(key)) return `[${i}]: this key is listed twice; give each key one entry`;
    objects.add(key);
    for (const [j, m] of item.models.entries()) {
      const bad = patternProblem(m);
      if (bad) return `[${i}].models[${j}]: ${bad}`;
    }
  }
  return undefined;
}

/** The key strings (config order) and the object entries' settings. */
export function splitClientKeys(list: ApiKeyItem[]): { keys: string[]; settings: ClientKeySettings[] } {
  const keys: string[] = [];
  const settings: ClientKeySettings[] = [];
  for (const item of list) {
    if (typeof item === 'string') {
      keys.push(item);
      continue;
    }
    const key = item.key.trim();
    keys.push(key);
    settings.push({ key, models: item.models.map((m) => m.trim()), maxRequestsPerMinute: item.maxRequestsPerMinute });
  }
  return { keys, settings };
}

/** The api-keys list as YAML/JSON shows it: strings for plain keys, objects for keys with settings. */
export function clientKeysYaml(keys: string[], settings: ClientKeySettings[] | undefined): Array<string | Record<string, unknown>> {
  if (!settings || settings.length === 0) return [...keys];
  const byKey = new Map(settings.map((s) => [s.key, s]));
  return keys.map((k) => {
    const s = byKey.get(k);
    return s ? settingsYaml(s) : k;
  });
}

export function settingsYaml(s: ClientKeySettings): Record<string, unknown> {
  const out: Record<string, unknown> = { key: s.key };
  if (s.models.length > 0) out['models'] = [...s.models];
  if (s.maxRequestsPerMinute > 0) out['max-requests-per-minute'] = s.maxRequestsPerMinute;
  return out;
}

/** A management API entry (string or object) checked and tidied for writing; an error message otherwise. */
export function entryFromJson(v: unknown): { entry: string | Record<string, unknown> } | { error: string } {
  if (typeof v === 'string') return { entry: v.trim() };
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { error: 'each api-keys entry must be a string or an object {key, models, max-requests-per-minute}' };
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (k !== 'key' && k !== 'models' && k !== 'max-requests-per-minute') return { error: `unknown field "${k}" in an api-keys entry (key, models, max-requests-per-minute)` };
  }
  if (typeof o['key'] !== 'string' || o['key'].trim() === '') return { error: 'an api-keys object entry needs a non-empty "key"' };
  const models = o['models'] ?? [];
  if (!Array.isArray(models) || models.some((m) => patternProblem(m) !== undefined)) return { error: '"models" must be a list of non-empty model patterns' };
  const rpm = o['max-requests-per-minute'] ?? 0;
  if (typeof rpm !== 'number' || !Number.isInteger(rpm) || rpm < 0 || rpm > MAX_KEY_RPM) return { error: `"max-requests-per-minute" must be a whole number from 0 to ${MAX_KEY_RPM}` };
  return { entry: settingsYaml({ key: o['key'].trim(), models: (models as string[]).map((m) => m.trim()), maxRequestsPerMinute: rpm }) };
}
