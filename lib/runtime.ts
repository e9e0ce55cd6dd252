// The state a request runs on. A config reload builds a new Runtime and swaps
// the reference; requests already running keep the one they started with.
import { ClientKeys } from './access/client-keys.js';
import type { Config } from './config/types.js';
import { credentialsFromConfig, type Credential } from './routing/credentials.js';
import { ModelRegistry } from './routing/registry.js';
import type { RoutingServices } from './routing/types.js';

export interface Runtime {
  readonly config: Config;
  readonly registry: ModelRegistry;
  readonly keys: ClientKeys;
  readonly credentials: Credential[];
}

/** What routes and credential sources (token files, relay connections) work with. */
export interface GatewayContext {
  /** The current runtime; read it once per request. */
  runtime(): Runtime;
  readonly routing: RoutingServices;
  /** Replace the credentials one source contributes (token files, relay
   *  connections, …) and rebuild the runtime; config credentials stay. */
  setCredentials(source: string, credentials: Credential[]): void;
}

const OWNERS: Partial<Record<Credential['provider'], string>> = {
  claude: 'anthropic',
  gemini: 'google',
  'gemini-cli': 'google',
  aistudio: 'google',
  codex: 'openai',
};

function ownerOf(c: Credential): string {
  if (c.provider === 'openai-compat') return c.label.split('#')[0] ?? 'openai-compatible';
  return OWNERS[c.provider] ?? c.provider;
}

export function buildRuntime(config: Config, external: Credential[] = []): Runtime {
  const credentials = [...credentialsFromConfig(config), ...external];
  return {
    config,
    credentials,
    registry: new ModelRegistry(credentials, ownerOf, config),
    keys: new ClientKeys(config.apiKeys, config.apiKeySettings),
  };
}
