// Shared pieces for turning a token file into routing credentials.
import type { CatalogueModel } from '../routing/catalogue.js';
import type { Credential, ProviderKind } from '../routing/credentials.js';
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
    ...over,
  };
}

/** An RFC 3339 (or epoch seconds/ms) expiry field → ms since epoch. */
export function parseExpiry(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v < 1e12 ? v * 1000 : v;
  if (typeof v !== 'string' || !v) return undefined;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : undefined;
}

export const trimBase = (u: string): string => u.replace(/\/+$/, '');
