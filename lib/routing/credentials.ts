// Credentials: one upstream account or key the gateway can send a request
// with. Built from config (and, later, from token files); rebuilt on reload.
import { createHash } from 'node:crypto';
import type { AliasRule, Config, CredentialControls } from '../config/types.js';
import { mask } from '../logging/logger.js';
import { CLAUDE_MODELS, CODEX_MODELS, GEMINI_MODELS, type CatalogueModel } from './catalogue.js';

export type ProviderKind = 'openai-compat' | 'gemini' | 'claude' | 'codex' | 'gemini-cli' | 'qwen' | 'iflow' | 'aistudio';

export interface Credential {
  /** Stable across reloads for the same key, so cooldowns and counters survive. */
  id: string;
  provider: ProviderKind;
  /** Human label for logs: never the raw secret. */
  label: string;
  baseUrl: string;
  apiKey: string;
  /** OAuth access token (token-file credentials); wins over apiKey. */
  accessToken?: string;
  /** ChatGPT account id (Codex OAuth). */
  accountId?: string;
  /** Google Cloud project (Gemini CLI / Code Assist). */
  projectId?: string;
  /** Credentials of one account (Gemini CLI projects of one login) share a group. */
  group?: string;
  proxyUrl: string;
  headers: Record<string, string>;
  /** client model name → upstream model name */
  models: Map<string, string>;
  disabled: boolean;
  /** Serve model names newer than the catalogue under the provider's prefix
   *  (Claude Code asks for claude-opus-4-8 before any catalogue knows it). */
  acceptsUnknownModels?: boolean;
  /** Higher is preferred: a lower tier serves only when no higher one can (unset = 0). */
  priority?: number;
  /** `*` globs (case-insensitive) of model names this credential must not serve. */
  excludedModels?: readonly string[];
  /** This credential's own alias rules (a token file's model_aliases). */
  modelAliases?: readonly AliasRule[];
  /** A key from config (gemini/claude/codex-api-key, openai-compatibility); the
   *  rest are accounts (token files, relay apps), which oauth-* settings reach. */
  configured?: boolean;
}

/** The routing controls of a config entry, as credential fields. */
function controls(c: CredentialControls, over?: CredentialControls): Pick<Credential, 'priority' | 'excludedModels' | 'configured'> {
  const excluded = [...(c.excludedModels ?? []), ...(over?.excludedModels ?? [])];
  return { priority: over?.priority ?? c.priority ?? 0, excludedModels: excluded, configured: true };
}

function keyId(provider: string, scope: string, key: string): string {
  const h = createHash('sha256').update(key).digest('hex').slice(0, 12);
  return `${provider}:${scope}:${h}`;
}

function catalogueMap(models: CatalogueModel[]): Map<string, string> {
  return new Map(models.map((m) => [m.id, m.id]));
}

function aliasMap(list: Array<{ name: string; alias: string }>): Map<string, string> {
  const models = new Map<string, string>();
  for (const m of list) models.set(m.alias || m.name, m.name);
  return models;
}

export function credentialsFromConfig(cfg: Config): Credential[] {
  const out: Credential[] = [];
  cfg.geminiApiKey.forEach((k, i) => {
    out.push({
      id: keyId('gemini', 'key', k.apiKey),
      provider: 'gemini',
      label: `gemini-api-key#${i + 1} (${mask(k.apiKey)})`,
      baseUrl: k.baseUrl.replace(/\/+$/, ''),
      apiKey: k.apiKey,
      proxyUrl: k.proxyUrl || cfg.proxyUrl,
      headers: k.headers,
      models: k.models.length > 0 ? aliasMap(k.models) : catalogueMap(GEMINI_MODELS),
      disabled: false,
      acceptsUnknownModels: k.models.length === 0,
      ...controls(k),
    });
  });
  cfg.claudeApiKey.forEach((k, i) => {
    out.push({
      id: keyId('claude', 'key', k.apiKey),
      provider: 'claude',
      label: `claude-api-key#${i + 1} (${mask(k.apiKey)})`,
      baseUrl: k.baseUrl.replace(/\/+$/, ''),
      apiKey: k.apiKey,
      proxyUrl: k.proxyUrl || cfg.proxyUrl,
      headers: k.headers,
      // A key that lists models serves exactly those (often a Claude-compatible third party).
      models: k.models.length > 0 ? aliasMap(k.models) : catalogueMap(CLAUDE_MODELS),
      disabled: false,
      acceptsUnknownModels: k.models.length === 0,
      ...controls(k),
    });
  });
  cfg.codexApiKey.forEach((k, i) => {
    out.push({
      id: keyId('codex', 'key', k.apiKey),
      provider: 'codex',
      label: `codex-api-key#${i + 1} (${mask(k.apiKey)})`,
      baseUrl: k.baseUrl.replace(/\/+$/, ''),
      apiKey: k.apiKey,
      proxyUrl: k.proxyUrl || cfg.proxyUrl,
      headers: k.headers,
      models: k.models.length > 0 ? aliasMap(k.models) : catalogueMap(CODEX_MODELS),
      disabled: false,
      ...controls(k),
    });
  });
  for (const p of cfg.openaiCompatibility) {
    const models = aliasMap(p.models);
    // A provider with no keys still works for upstreams that need none (local servers).
    const entries: Config['openaiCompatibility'][number]['apiKeyEntries'] = p.apiKeyEntries.length > 0 ? p.apiKeyEntries : [{ apiKey: '', proxyUrl: '' }];
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
        ...controls(p, e),
      });
    });
  }
  return out;
}
