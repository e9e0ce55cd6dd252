// Read a YAML config into a validated Config, with errors that name the file,
// line and key. Semantic checks (URLs, required fields) run after the type walk.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { CONFIG_API_KEY, mergeLegacyKeys, type LegacyAuth } from './legacy-auth.js';
import { splitClientKeys, type ApiKeyItem } from '../access/key-config.js';
import { configSchema } from './schema.js';
import type { Config } from './types.js';
import { ConfigError, configWhere, walk, type Walk } from './validate.js';

export { ConfigError };

export interface Loaded {
  config: Config;
  warnings: string[];
}

interface RawConfig extends Omit<Config, 'openaiCompatibility' | 'apiKeys'> {
  apiKeys: ApiKeyItem[];
  generativeLanguageApiKey: string[];
  legacyAuth: LegacyAuth;
  openaiCompatibility: Array<Config['openaiCompatibility'][number] & { apiKeys: string[] }>;
}

const PROXY_SCHEMES = new Set(['http:', 'https:', 'socks5:', 'socks5h:']);

/** Parse and validate config text. `file` is only used in messages. */
export function parseConfig(text: string, file = 'config.yaml'): Loaded {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const { line, col } = lines.linePos(e.pos[0]);
    throw new ConfigError(`${file}:${line}:${col}: YAML syntax error: ${e.message.split('\n')[0]}`);
  }
  const w: Walk = { file, lines, warnings: [] };
  const raw = walk(w, doc.contents as Node | null, configSchema, '') as RawConfig;
  return { config: finish(raw, doc, w), warnings: w.warnings };
}

export function loadConfigFile(file: string): Loaded {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: cannot read config file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseConfig(text, file);
}

/** The configuration a gateway runs on when no file is given. */
export function defaultConfig(): Config {
  return parseConfig('', '(embedded default)').config;
}

function nodeAt(doc: Document, keys: Array<string | number>): Node | undefined {
  return (doc.getIn(keys, true) as Node | undefined) ?? undefined;
}

/** The key node of the last of `keys` (for messages about a whole block). */
function keyNodeAt(doc: Document, keys: string[]): Node | undefined {
  const parent = keys.length === 1 ? doc.contents : nodeAt(doc, keys.slice(0, -1));
  if (!isMap(parent)) return undefined;
  const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === keys[keys.length - 1]);
  return (pair?.key as Node | undefined) ?? undefined;
}

function finish(raw: RawConfig, doc: Document, w: Walk): Config {
  const bad = (keys: Array<string | number>, msg: string): never => {
    const p = keys.map((k) => (typeof k === 'number' ? `[${k}]` : `.${k}`)).join('').replace(/^\./, '');
    throw new ConfigError(`${configWhere(w, nodeAt(doc, keys), p)}: ${msg}`);
  };
  const checkUrl = (keys: Array<string | number>, value: string, kind: 'base' | 'proxy') => {
    if (!value) return;
    let u: URL;
    try {
      u = new URL(value);
    } catch {
      return bad(keys, `not a valid URL: ${JSON.stringify(value)}`);
    }
    if (kind === 'base' && u.protocol !== 'http:' && u.protocol !== 'https:') bad(keys, 'base-url must be http:// or https://');
    if (kind === 'proxy' && !PROXY_SCHEMES.has(u.protocol)) bad(keys, 'proxy-url must be http://, https:// or socks5://');
  };

  checkUrl(['proxy-url'], raw.proxyUrl, 'proxy');
  for (const [name, key] of [['gemini-cli', 'geminiCli'], ['claude', 'claude'], ['codex', 'codex'], ['qwen', 'qwen'], ['iflow', 'iflow']] as const) {
    const e = raw.oauthEndpoints[key];
    for (const [field, value] of [['auth-url', e.authUrl], ['token-url', e.tokenUrl], ['device-url', e.deviceUrl], ['userinfo-url', e.userinfoUrl], ['api-url', e.apiUrl], ['projects-url', e.projectsUrl], ['service-usage-url', e.serviceUsageUrl]] as const) {
      checkUrl(['oauth-endpoints', name, field], value, 'base');
    }
  }
  for (const [i, k] of raw.geminiApiKey.entries()) {
    if (!k.apiKey) bad(['gemini-api-key', i], 'api-key is required');
    checkUrl(['gemini-api-key', i, 'base-url'], k.baseUrl, 'base');
    checkUrl(['gemini-api-key', i, 'proxy-url'], k.proxyUrl, 'proxy');
  }
  // Legacy Gemini keys join the structured list unless already present.
  for (const key of raw.generativeLanguageApiKey) {
    if (key && !raw.geminiApiKey.some((k) => k.apiKey === key)) raw.geminiApiKey.push({ apiKey: key, baseUrl: '', headers: {}, proxyUrl: '', models: [] });
  }
  for (const [section, list] of [['claude-api-key', raw.claudeApiKey], ['codex-api-key', raw.codexApiKey]] as const) {
    for (const [i, k] of list.entries()) {
      if (!k.apiKey) bad([section, i], 'api-key is required');
      checkUrl([section, i, 'base-url'], k.baseUrl, 'base');
      checkUrl([section, i, 'proxy-url'], k.proxyUrl, 'proxy');
    }
  }
  for (const [section, list] of [['gemini-api-key', raw.geminiApiKey], ['claude-api-key', raw.claudeApiKey], ['codex-api-key', raw.codexApiKey]] as const) {
    for (const [i, k] of list.entries()) {
      for (const [j, m] of k.models.entries()) if (!m.name) bad([section, i, 'models', j], 'model name is required');
    }
  }
  const names = new Set<string>();
  const compat = raw.openaiCompatibility.map((p, i) => {
    if (!p.name) bad(['openai-compatibility', i], 'name is required');
    if (names.has(p.name)) bad(['openai-compatibility', i, 'name'], `duplicate provider name "${p.name}"`);
    names.add(p.name);
    if (!p.baseUrl) bad(['openai-compatibility', i], `base-url is required for provider "${p.name}"`);
    checkUrl(['openai-compatibility', i, 'base-url'], p.baseUrl, 'base');
    for (const [j, e] of p.apiKeyEntries.entries()) checkUrl(['openai-compatibility', i, 'api-key-entries', j, 'proxy-url'], e.proxyUrl, 'proxy');
    for (const [j, m] of p.models.entries()) if (!m.name) bad(['openai-compatibility', i, 'models', j], 'model name is required');
    const entries = [...p.apiKeyEntries];
    for (const key of p.apiKeys) if (key && !entries.some((e) => e.apiKey === key)) entries.push({ apiKey: key, proxyUrl: '' });
    const { apiKeys: _legacyKeys, ...provider } = p; // optional fields (priority, excluded-models) stay absent when unset
    return { ...provider, apiKeyEntries: entries };
  });

  // Legacy client keys (auth.providers) join api-keys.
  // api-keys object entries (per-key models and rate) keep their settings aside; every key is a string here.
  const clientKeys = splitClientKeys(raw.apiKeys);
  let apiKeys = clientKeys.keys;
  if (doc.has('auth')) {
    const merged = mergeLegacyKeys(apiKeys, raw.legacyAuth);
    for (const i of merged.unsupported) {
      const type = raw.legacyAuth.providers[i]!.type;
      w.warnings.push(`${configWhere(w, nodeAt(doc, ['auth', 'providers', i]), `auth.providers[${i}]`)}: type ${JSON.stringify(type)} is not supported (only ${JSON.stringify(CONFIG_API_KEY)}); ignored`);
    }
    if (raw.legacyAuth.providers.length > 0 && !merged.apiKeys.some((k) => k.length > 0)) {
      throw new ConfigError(`${configWhere(w, keyNodeAt(doc, ['auth', 'providers']), 'auth.providers')}: the legacy auth block asks for client authentication but gives no key; refusing to run without a client-key check: list the keys under api-keys (or this block's api-keys), or remove the auth block`);
    }
    w.warnings.push(
      `${configWhere(w, keyNodeAt(doc, ['auth']), 'auth')}: legacy block (older CLIProxyAPI): ` +
        (merged.added > 0
          ? `its ${merged.added} ${CONFIG_API_KEY} key(s) are accepted as client keys along with api-keys; move them to api-keys and remove the block`
          : 'it adds no client key; remove it'),
    );
    apiKeys = merged.apiKeys;
  }

  const { generativeLanguageApiKey: _legacy, legacyAuth: _legacyAuth, ...rest } = raw;
  return { ...rest, apiKeys, apiKeySettings: clientKeys.settings, openaiCompatibility: compat, authDir: expandHome(raw.authDir) };
}

export function expandHome(p: string): string {
  if (p === '~') return homedir();
  if (p.startsWith('~/')) return path.join(homedir(), p.slice(2));
  return p;
}
