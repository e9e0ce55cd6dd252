// The legacy `auth.providers` block of older CLIProxyAPI configs:
//
//   auth:
//     providers:
//       - name: config-inline
//         type: config-api-key
//         api-keys: [k1, k2]
//
// Its config-api-key entries carried the client keys before `api-keys` did.
// Their keys are honoured as client keys, merged after api-keys without
// duplicates. (The reference used only the first such entry and only while
// api-keys was empty; honouring all of them never lets a configured key fail.)
// A block that lists providers but yields no key at all is refused: an old
// config must never run without a client-key check.
import { isMap, isSeq, type Document } from 'yaml';

export const CONFIG_API_KEY = 'config-api-key';

export interface LegacyAuth {
  providers: Array<{ name: string; type: string; sdk: string; apiKeys: string[] }>;
}

export interface LegacyMerge {
  apiKeys: string[];
  /** Keys that came from the block and were not in api-keys already. */
  added: number;
  /** Indexes of providers of a type other than config-api-key. */
  unsupported: number[];
}

function isKeyProvider(p: { type: string }): boolean {
  return p.type.trim() === CONFIG_API_KEY;
}

/** api-keys followed by the block's keys that are not there yet. */
export function mergeLegacyKeys(apiKeys: string[], auth: LegacyAuth): LegacyMerge {
  const out = [...apiKeys];
  let added = 0;
  const unsupported: number[] = [];
  for (const [i, p] of auth.providers.entries()) {
    if (!isKeyProvider(p)) {
      unsupported.push(i);
      continue;
    }
    for (const k of p.apiKeys) {
      if (k && !out.includes(k)) {
        out.push(k);
        added++;
      }
    }
  }
  return { apiKeys: out, added, unsupported };
}

/**
 * Before a management edit writes the whole client-key list into `api-keys`:
 * remove the config-api-key providers from the document's legacy block (and
 * the block once it holds no provider), so a key deleted through the API does
 * not live on there. Returns whether the document had such providers.
 */
export function dropLegacyKeyProviders(doc: Document): boolean {
  const auth = doc.get('auth', true);
  if (!isMap(auth)) return false;
  const providers = auth.get('providers', true);
  if (!isSeq(providers)) return false;
  const before = providers.items.length;
  providers.items = providers.items.filter((item) => !(isMap(item) && String(item.get('type') ?? '').trim() === CONFIG_API_KEY));
  if (providers.items.length === before) return false;
  if (providers.items.length === 0) {
    auth.delete('providers');
    if (auth.items.length === 0) doc.delete('auth');
  }
  return true;
}
