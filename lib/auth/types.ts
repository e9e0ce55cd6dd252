// What each login provider module offers: the login flow, token refresh,
// and how its token file becomes routing credentials.
import type { Config, OAuthEndpoints } from '../config/types.js';
import type { Credential, ProviderKind } from '../routing/credentials.js';
import type { TokenFile } from './files.js';

export type LoginProvider = 'gemini-cli' | 'claude' | 'codex' | 'qwen' | 'iflow';

export interface FlowContext {
  endpoints: OAuthEndpoints;
  proxyUrl: string;
  /** Gemini CLI: the Google Cloud project(s) to use (comma-separated). */
  projectId?: string;
  /** Qwen: an email or alias naming the account (the flow has no user info). */
  alias?: string;
  /** Progress lines for the person waiting (CLI prints them). */
  note(line: string): void;
  now(): number;
  signal: AbortSignal;
  /** How long the person has to finish (default 5 minutes). */
  timeoutMs: number;
}

/** A started login: where to send the person, and the account it yields. */
export interface FlowStart {
  url: string;
  state: string;
  /** Device flows: the code the person confirms. */
  userCode?: string;
  /** When the login gives up. */
  deadline: number;
  /** The token file to save, once the person approved. */
  done: Promise<{ fileName: string; data: TokenFile }>;
  /** Stop listening/polling (timeout, cancel). */
  abort(): void;
}

export interface RefreshContext {
  endpoints: OAuthEndpoints;
  proxyUrl: string;
  now(): number;
}

export interface CredentialContext {
  config: Config;
  endpoints: OAuthEndpoints;
  /** File name in auth-dir (stable id). */
  name: string;
}

export interface AuthProviderModule {
  readonly id: LoginProvider;
  readonly kind: ProviderKind;
  /** `type` in the token file. */
  readonly fileType: string;
  /** Human name for messages. */
  readonly title: string;
  start(ctx: FlowContext): Promise<FlowStart>;
  /** New file content after a refresh (throws on failure). */
  refresh(data: TokenFile, ctx: RefreshContext): Promise<TokenFile>;
  /** Account set-up a loaded file still needs (Gemini CLI: a project); the new content, or undefined. */
  prepare?(data: TokenFile, ctx: RefreshContext): Promise<TokenFile | undefined>;
  /** Access token expiry (ms since epoch), when the file says. */
  expiresAt(data: TokenFile): number | undefined;
  /** Refresh this long before expiry (capped at half the token's lifetime). */
  readonly refreshLeadMs: number;
  credentials(data: TokenFile, ctx: CredentialContext): Credential[];
  /** Identity for listings: email and account id. */
  identity(data: TokenFile): { email?: string; account?: string };
}
