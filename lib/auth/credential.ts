// Shared pieces for turning a token file into routing credentials.
import type { CatalogueModel } from '../routing/catalogue.js';
import type { Credential, ProviderKind } from '../routing/credentials.js';
import { rulesFromJson } from '../routing/model-aliases.js';
import type { TokenFile } from './files.js';
import { str } from './http.js';
import type { CredentialContext } from './types.js';

export function fileCredential(kind: ProviderKind, data: TokenFile, ctx: CredentialContext, models: CatalogueModel[], over: Partial<Credential>): Credential {
  const email = str(data['email']);
  return {
    id: `${kind}:file:${ctx.name}`,
    provider: kind,
    label: email ? `${ctx.name} (${email})` : ctx.name,
    baseUrl: '',
    apiKey: '',
    proxyUrl: str(data['proxy_url']) || ctx.config.proxyUrl,
    headers: {},
    models: new Map(models.map((m) => [m.id, m.id])),
    disabled: data['disabled'] === true,
    ...fileControls(data),
    ...over,
  };
}

/** The routing controls a token file may carry, spelled as the reference reads
 *  them: priority (a number or numeric string), excluded_models (legacy
 *  excluded-models) and model_aliases (legacy model-aliases). Malformed values
 *  are left out rather than failing the account. */
export function fileControls(data: TokenFile): Pick<Credential, 'priority' | 'excludedModels' | 'modelAliases'> {
  const out: Pick<Credential, 'priority' | 'excludedModels' | 'modelAliases'> = {};
  const p = data['priority'];
  const priority = typeof p === 'number' ? p : typeof p === 'string' && /^\s*-?\d+\s*$/.test(p) ? Number(p) : undefined;
  if (priority !== undefined && Number.isInteger(priority) && Math.abs(priority) <= 1_000_000) out.priority = priority;
  const ex = data['excluded_models'] ?? data['excluded-models'];
  if (Array.isArray(ex)) {
    const list = ex.filter((x): x is string => typeof x === 'string' && x.trim() !== '' && x.length <= 256).slice(0, 1000);
    if (list.length > 0) out.excludedModels = list;
  }
  const aliases = rulesFromJson(data['model_aliases'] ?? data['model-aliases']);
  if (aliases.length > 0) out.modelAliases = aliases;
  return out;
}

/** An RFC 3339 (or epoch seconds/ms) expiry field → ms since epoch. */
export function parseExpiry(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v < 1e12 ? v * 1000 : v;
  if (typeof v !== 'string' || !v) return undefined;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : undefined;
}

export const trimBase = (u: string): string => u.replace(/\/+$/, '');
