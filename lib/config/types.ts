// The gateway's configuration as the rest of the code sees it: camelCase,
// defaults filled in, validated. The YAML keys (kebab-case, as the reference
// uses them) live only in lib/config/schema.ts.

export interface ModelAlias {
  name: string; // upstream model name; `name(level)` also sets the reasoning (lib/routing/model-aliases.ts)
  alias: string; // what clients ask for
}

/** A global alias rule (oauth-model-alias, model-aliases): `name` is a model
 *  name a credential serves, `alias` the extra client name for it. */
export interface AliasRule {
  name: string;
  alias: string;
  /** Keep serving `name` as well (otherwise the alias replaces it). */
  fork: boolean;
}

/** Routing controls every credential entry may carry (absent = not set). */
export interface CredentialControls {
  /** Higher is preferred; a lower tier serves only when every higher one cannot. Unset = 0. */
  priority?: number;
  /** `*` globs (case-insensitive) of model names this credential must not serve. */
  excludedModels?: string[];
}

export interface OpenAICompatKey extends CredentialControls {
  apiKey: string;
  proxyUrl: string;
}

export interface OpenAICompatProvider extends CredentialControls {
  name: string;
  baseUrl: string;
  apiKeyEntries: OpenAICompatKey[];
  models: ModelAlias[];
  headers: Record<string, string>;
}

export interface GeminiKey extends CredentialControls {
  apiKey: string;
  baseUrl: string;
  headers: Record<string, string>;
  proxyUrl: string;
  models: ModelAlias[];
}

export interface ClaudeKey extends CredentialControls {
  apiKey: string;
  baseUrl: string;
  proxyUrl: string;
  models: ModelAlias[];
  headers: Record<string, string>;
}

export interface CodexKey extends CredentialControls {
  apiKey: string;
  baseUrl: string;
  proxyUrl: string;
  headers: Record<string, string>;
  models: ModelAlias[];
}

export interface RemoteManagement {
  allowRemote: boolean;
  secretKey: string;
  disableControlPanel: boolean;
}

export interface QuotaExceeded {
  switchProject: boolean;
  switchPreviewModel: boolean;
}

/** OAuth and API hosts of one login provider ('' = the provider's default). */
export interface OAuthEndpoints {
  authUrl: string;
  tokenUrl: string;
  deviceUrl: string;
  userinfoUrl: string;
  apiUrl: string;
  projectsUrl: string;
  serviceUsageUrl: string;
  callbackPort: number;
}

export type OAuthProvider = 'geminiCli' | 'claude' | 'codex' | 'qwen' | 'iflow';

/** Who may read /metrics. */
export type MetricsAccess = 'management' | 'public' | 'off';

/** Whether an AI Studio app must give a client key at the /v1/ws upgrade. */
export function relayNeedsKey(c: Pick<Config, 'wsAuth' | 'apiKeys'>): boolean {
  return c.wsAuth ?? c.apiKeys.some((k) => k.length > 0);
}

/** True when the operator explicitly opened the relay although clients need keys. */
export function relayOpenedDespiteKeys(c: Pick<Config, 'wsAuth' | 'apiKeys'>): boolean {
  return c.wsAuth === false && c.apiKeys.some((k) => k.length > 0);
}

export type RoutingStrategy = 'round-robin' | 'fill-first';

export interface Config {
  host: string;
  port: number;
  authDir: string;
  /** Every client key: the plain strings of api-keys and the `key` of its object entries. */
  apiKeys: string[];
  /** api-keys object entries (per-key model list and rate), in config order; absent = none. */
  apiKeySettings?: ClientKeySettings[];
  debug: boolean;
  loggingToFile: boolean;
  usageStatisticsEnabled: boolean;
  requestLog: boolean;
  proxyUrl: string;
  requestRetry: number;
  /** Seconds a request may wait in total for a cooling credential (0: never waits). */
  maxRetryInterval: number;
  maxBodySize: number;
  streamKeepAliveSeconds: number;
  disableCooling: boolean;
  quotaExceeded: QuotaExceeded;
  /** null = not set: required exactly when api-keys is non-empty (see relayNeedsKey). */
  wsAuth: boolean | null;
  relayTimeoutSeconds: number;
  relayMaxFrameSize: number;
  relayMaxConnectionsPerIp: number;
  relayIdleTimeoutSeconds: number;
  /** Seconds in-flight requests and streams may run on after SIGTERM/SIGINT before they are ended. */
  shutdownTimeoutSeconds: number;
  metrics: MetricsAccess;
  allowedOrigins: string[];
  /** Load balancers (IPs, CIDRs) whose X-Forwarded-For / X-Real-IP name the client; empty = the socket peer is the client. */
  trustedProxies: string[];
  requestLogMaxFiles: number;
  requestLogMaxSize: number;
  forceGpt5Codex: boolean;
  routing: { strategy: RoutingStrategy };
  oauthEndpoints: Record<OAuthProvider, OAuthEndpoints>;
  remoteManagement: RemoteManagement;
  geminiApiKey: GeminiKey[];
  claudeApiKey: ClaudeKey[];
  codexApiKey: CodexKey[];
  openaiCompatibility: OpenAICompatProvider[];
  /** Redis for live state shared by several instances ('' = REDIS_URL, or none): lib/cluster. */
  redisUrl?: string;
  /** Namespace of this cluster's Redis keys and channels. */
  redisPrefix?: string;
  /** Models token-file (OAuth) accounts and relay apps must not serve, by provider (gemini-cli, aistudio, claude, codex, qwen, iflow). */
  oauthExcludedModels?: Record<string, string[]>;
  /** Alias rules for token-file (OAuth) accounts and relay apps, by provider channel. */
  oauthModelAlias?: Record<string, AliasRule[]>;
  /** Legacy name of oauthModelAlias (reference 6.6), used when oauth-model-alias is absent. */
  oauthModelMappings?: Record<string, AliasRule[]>;
  /** Addition: alias rules for every credential, whatever its provider or kind. */
  modelAliases?: AliasRule[];
  /** Parameters written into upstream requests by model and protocol (lib/routing/payload-rules.ts). */
  payload?: PayloadConfig;
}

/** An api-keys entry written as an object: {key, models, max-requests-per-minute}. */
export interface ClientKeySettings {
  key: string;
  /** `*` globs of the model names the key may ask for (case-insensitive); empty = any. */
  models: string[];
  /** Requests per minute (fixed window); 0 = unlimited. */
  maxRequestsPerMinute: number;
}

export interface PayloadModel {
  /** `*` glob over the upstream model name. */
  name: string;
  /** openai | gemini | claude | codex; '' = any. */
  protocol: string;
}

export interface PayloadRule {
  models: PayloadModel[];
  /** Dotted JSON path → value. */
  params: Record<string, unknown>;
}

export interface PayloadConfig {
  /** Set only where the path is absent. */
  default: PayloadRule[];
  /** Always set. */
  override: PayloadRule[];
}
