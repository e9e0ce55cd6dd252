// Credentials: one upstream account or key the gateway can send a request
// with. Built from config (and, later, from token files); rebuilt on reload.
import { createHash } from 'node:crypto';
import type { Config } from '../config/types.js';
import { mask } from '../logging/logger.js';

export type ProviderKind = 'openai-compat' | 'gemini' | 'claude' | 'codex' | 'gemini-cli' | 'qwen' | 'iflow' | 'aistudio';

export interface Credential {
  /** Stable across reloads for the same key, so cooldowns and counters survive. */
  id: string;
  provider: ProviderKind;
  /** Human label for logs: never the raw secret. */
  label: string;
  baseUrl: string;
  apiKey: string;
  proxyUrl: string;
  headers: Record<string, string>;
  /** client model name → upstream model name */
  models: Map<string, string>;
  disabled: boolean;
}

function keyId(provider: string, scope: string, key: string): string {
  const h = createHash('sha256').update(key).digest('hex').slice(0, 12);
  return `${provider}:${scope}:${h}`;
}

export function credentialsFromConfig(cfg: Config): Credential[] {
  const out: Credential[] = [];
  for (const p of cfg.openaiCompatibility) {
    const models = new Map<string, string>();
    for (const m of p.models) models.set(m.alias || m.name, m.name);
    // A provider with no keys still works for upstreams that need none (local servers).
    const entries = p.apiKeyEntries.length > 0 ? p.apiKeyEntries : [{ apiKey: '', proxyUrl: '' }];
    entries.forEach((e, i) => {
      out.push({
        id: keyId('openai-compat', p.name, e.apiKey || String(i)),
        provider: 'openai-compat',
        label: `${p.name}#${i + 1}${e.apiKey ? ` (${mask(e.apiKey)})` : ''}`,
        baseUrl: p.baseUrl.replace(/\/+$/, ''),
        apiKey: e.apiKey,
        proxyUrl: e.proxyUrl || cfg.proxyUrl,
        headers: p.headers,
        models,
        disabled: false,
      });
    });
  }
  return out;
}
