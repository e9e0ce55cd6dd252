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
  maxBodySize: number;
  streamKeepAliveSeconds: number;
  disableCooling: boolean;
  quotaExceeded: QuotaExceeded;
  wsAuth: boolean;
  relayTimeoutSeconds: number;
  forceGpt5Codex: boolean;
  routing: { strategy: RoutingStrategy };
  oauthEndpoints: Record<OAuthProvider, OAuthEndpoints>;
  remoteManagement: RemoteManagement;
  geminiApiKey: GeminiKey[];
  claudeApiKey: ClaudeKey[];
  codexApiKey: CodexKey[];
  openaiCompatibility: OpenAICompatProvider[];
}
