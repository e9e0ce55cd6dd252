// The login providers, by id and by token-file type.
import type { Config, OAuthEndpoints, OAuthProvider } from '../config/types.js';
import { claudeAuth } from './claude/index.js';
import { codexAuth } from './codex/index.js';
import { geminiAuth } from './gemini/index.js';
import { iflowAuth } from './iflow/index.js';
import { qwenAuth } from './qwen/index.js';
import type { AuthProviderModule, LoginProvider } from './types.js';

export const AUTH_PROVIDERS: readonly AuthProviderModule[] = [geminiAuth, claudeAuth, codexAuth, qwenAuth, iflowAuth];

const CONFIG_KEY: Record<LoginProvider, OAuthProvider> = { 'gemini-cli': 'geminiCli', claude: 'claude', codex: 'codex', qwen: 'qwen', iflow: 'iflow' };

export function authProvider(id: LoginProvider): AuthProviderModule {
  return AUTH_PROVIDERS.find((p) => p.id === id)!;
}

/** The module for a token file's `type` ("gemini" and "gemini-cli" both mean Gemini CLI). */
export function authProviderForType(type: unknown): AuthProviderModule | undefined {
  if (typeof type !== 'string') return undefined;
  const t = type.toLowerCase();
  return AUTH_PROVIDERS.find((p) => p.fileType === t || p.id === t);
}

export function endpointsFor(config: Config, id: LoginProvider): OAuthEndpoints {
  return config.oauthEndpoints[CONFIG_KEY[id]];
}
