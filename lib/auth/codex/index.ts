// OpenAI (ChatGPT / Codex) OAuth: authorization code with PKCE on
// localhost:1455/auth/callback; the id_token (a JWT) names the account.
import { CODEX_MODELS } from '../../routing/catalogue.js';
import { fileCredential, parseExpiry, trimBase } from '../credential.js';
import { LoginError } from '../errors.js';
import type { TokenFile } from '../files.js';
import { authCodeFlow } from '../flow.js';
import { callJson, expiryFromNow, isoNow, str } from '../http.js';
import type { AuthProviderModule } from '../types.js';

export const CODEX_CLIENT_ID = 'app_EMoamEEZ73f0CkXaXp7hrann';
const AUTH_URL = 'https://auth.openai.com/oauth/authorize';
const TOKEN_URL = 'https://auth.openai.com/oauth/token';
export const CODEX_API_DEFAULT = 'https://chatgpt.com/backend-api/codex';

interface TokenResponse {
  access_token?: string;
  refresh_token?: string;
  id_token?: string;
  expires_in?: number;
}

/** The claims Codex needs from an id_token (signature not checked: it came from the token endpoint over TLS). */
export function idTokenClaims(jwt: string): { email?: string; accountId?: string; plan?: string } {
  const part = jwt.split('.')[1];
  if (!part) return {};
  try {
    const c = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
    const auth = (c['https://api.openai.com/auth'] ?? {}) as Record<string, unknown>;
    return { email: str(c['email']) || undefined, accountId: str(auth['chatgpt_account_id']) || undefined, plan: str(auth['chatgpt_plan_type']) || undefined };
  } catch {
    return {};
  }
}

function toFile(r: TokenResponse, prev: TokenFile | undefined, now: number): TokenFile {
  if (!r.access_token) throw new Error('the token answer carried no access_token');
  const idToken = r.id_token || str(prev?.['id_token']);
  const claims = idTokenClaims(idToken);
  return {
    ...prev,
    id_token: idToken,
    access_token: r.access_token,
    refresh_token: r.refresh_token || str(prev?.['refresh_token']),
    account_id: claims.accountId || str(prev?.['account_id']),
    last_refresh: isoNow(now),
    email: claims.email || str(prev?.['email']),
    type: 'codex',
    expired: expiryFromNow(r.expires_in, now),
  };
}

export const codexAuth: AuthProviderModule = {
  id: 'codex',
  kind: 'codex',
  fileType: 'codex',
  title: 'Codex',
  refreshLeadMs: 5 * 24 * 3600_000,

  start(ctx) {
    const tokenUrl = ctx.endpoints.tokenUrl || TOKEN_URL;
    return authCodeFlow({
      ctx,
      callbackPath: '/auth/callback',
      authorizeUrl: ({ redirectUri, state, pkce }) =>
        `${ctx.endpoints.authUrl || AUTH_URL}?${new URLSearchParams({
          client_id: CODEX_CLIENT_ID,
          response_type: 'code',
          redirect_uri: redirectUri,
          scope: 'openid email profile offline_access',
          state,
          code_challenge: pkce.challenge,
          code_challenge_method: 'S256',
          prompt: 'login',
          id_token_add_organizations: 'true',
          codex_cli_simplified_flow: 'true',
        })}`,
      async exchange({ code, redirectUri, pkce }) {
        const r = await callJson<TokenResponse>('Codex token exchange', tokenUrl, {
          form: { grant_type: 'authorization_code', client_id: CODEX_CLIENT_ID, code, redirect_uri: redirectUri, code_verifier: pkce.verifier },
          proxyUrl: ctx.proxyUrl,
        });
        const data = toFile(r, undefined, ctx.now());
        if (!data['email']) throw new LoginError('account', 'the id_token names no account email');
        return { fileName: `codex-${data['email']}.json`, data };
      },
    });
  },

  async refresh(data, ctx) {
    const refreshToken = str(data['refresh_token']);
    if (!refreshToken) throw new Error('the token file has no refresh_token');
    const r = await callJson<TokenResponse>('Codex token refresh', ctx.endpoints.tokenUrl || TOKEN_URL, {
      form: { client_id: CODEX_CLIENT_ID, grant_type: 'refresh_token', refresh_token: refreshToken, scope: 'openid profile email' },
      proxyUrl: ctx.proxyUrl,
    });
    return toFile(r, data, ctx.now());
  },

  expiresAt: (data) => parseExpiry(data['expired']),

  credentials(data, ctx) {
    return [
      fileCredential('codex', data, ctx, CODEX_MODELS, {
        baseUrl: trimBase(ctx.endpoints.apiUrl || CODEX_API_DEFAULT),
        accessToken: str(data['access_token']),
        accountId: str(data['account_id']) || undefined,
      }),
    ];
  },

  identity: (data) => ({ email: str(data['email']) || undefined, account: str(data['account_id']) || undefined }),
};
