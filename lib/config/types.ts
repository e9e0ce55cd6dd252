// The gateway's configuration as the rest of the code sees it: camelCase,
// defaults filled in, validated. The YAML keys (kebab-case, as the reference
// uses them) live only in lib/config/schema.ts.

export interface ModelAlias {
  name: string; // upstream model name
  alias: string; // what clients ask for
}

export interface OpenAICompatKey {
  apiKey: string;
  proxyUrl: string;
}

export interface OpenAICompatProvider {
  name: string;
  baseUrl: string;
  apiKeyEntries: OpenAICompatKey[];
  models: ModelAlias[];
  headers: Record<string, string>;
}

export interface GeminiKey {
  apiKey: string;
  baseUrl: string;
  headers: Record<string, string>;
  proxyUrl: string;
  models: ModelAlias[];
}

export interface ClaudeKey {
  apiKey: string;
  baseUrl: string;
  proxyUrl: string;
  models: ModelAlias[];
  headers: Record<string, string>;
}

export interface CodexKey {
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
  apiKeys: string[];
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
  metrics: MetricsAccess;
  allowedOrigins: string[];
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
}
