// Anthropic (Claude Pro/Max) OAuth: authorization code with PKCE on
// localhost:54545/callback; JSON token endpoint; tokens as Bearer on the
// Messages API with the Claude Code betas (see providers/claude).
import { CLAUDE_MODELS } from '../../routing/catalogue.js';
import { fileCredential, parseExpiry, trimBase } from '../credential.js';
import { LoginError } from '../errors.js';
import type { TokenFile } from '../files.js';
import { authCodeFlow } from '../flow.js';
import { callJson, expiryFromNow, isoNow, str } from '../http.js';
import type { AuthProviderModule } from '../types.js';

export const CLAUDE_CLIENT_ID = '9d1c250a-e61b-44d9-88ed-5944d1962f5e';
const AUTH_URL = 'https://claude.ai/oauth/authorize';
const TOKEN_URL = 'https://console.anthropic.com/v1/oauth/token';
const SCOPE = 'org:create_api_key user:profile user:inference';
export const CLAUDE_API_DEFAULT = 'https://api.anthropic.com';

interface TokenResponse {
  access_token?: string;
  refresh_token?: string;
  expires_in?: number;
  account?: { uuid?: string; email_address?: string };
  organization?: { uuid?: string; name?: string };
}

function toFile(r: TokenResponse, prev: TokenFile | undefined, now: number): TokenFile {
  if (!r.access_token) throw new Error('the token answer carried no access_token');
  return {
    ...prev,
    id_token: str(prev?.['id_token']),
    access_token: r.access_token,
    refresh_token: r.refresh_token || str(prev?.['refresh_token']),
    last_refresh: isoNow(now),
    email: r.account?.email_address || str(prev?.['email']),
    type: 'claude',
    expired: expiryFromNow(r.expires_in, now),
  };
}

export const claudeAuth: AuthProviderModule = {
  id: 'claude',
  kind: 'claude',
  fileType: 'claude',
  title: 'Claude',
  refreshLeadMs: 4 * 3600_000,

  start(ctx) {
    const tokenUrl = ctx.endpoints.tokenUrl || TOKEN_URL;
    return authCodeFlow({
      ctx,
      callbackPath: '/callback',
      splitStateFromCode: true,
      authorizeUrl: ({ redirectUri, state, pkce }) =>
        `${ctx.endpoints.authUrl || AUTH_URL}?${new URLSearchParams({
          code: 'true',
          client_id: CLAUDE_CLIENT_ID,
          response_type: 'code',
          redirect_uri: redirectUri,
          scope: SCOPE,
          code_challenge: pkce.challenge,
          code_challenge_method: 'S256',
          state,
        })}`,
      async exchange({ code, state, redirectUri, pkce }) {
        const r = await callJson<TokenResponse>('Claude token exchange', tokenUrl, {
          json: { code, state, grant_type: 'authorization_code', client_id: CLAUDE_CLIENT_ID, redirect_uri: redirectUri, code_verifier: pkce.verifier },
          proxyUrl: ctx.proxyUrl,
        });
        const data = toFile(r, undefined, ctx.now());
        if (!data['email']) throw new LoginError('account', 'Claude did not say which account logged in (no email in the token answer)');
        return { fileName: `claude-${data['email']}.json`, data };
      },
    });
  },

  async refresh(data, ctx) {
    const refreshToken = str(data['refresh_token']);
    if (!refreshToken) throw new Error('the token file has no refresh_token');
    const r = await callJson<TokenResponse>('Claude token refresh', ctx.endpoints.tokenUrl || TOKEN_URL, {
      json: { client_id: CLAUDE_CLIENT_ID, grant_type: 'refresh_token', refresh_token: refreshToken },
      proxyUrl: ctx.proxyUrl,
    });
    return toFile(r, data, ctx.now());
  },

  expiresAt: (data) => parseExpiry(data['expired']),

  credentials(data, ctx) {
    return [
      fileCredential('claude', data, ctx, CLAUDE_MODELS, {
        baseUrl: trimBase(ctx.endpoints.apiUrl || CLAUDE_API_DEFAULT),
        accessToken: str(data['access_token']),
        acceptsUnknownModels: true,
      }),
    ];
  },

  identity: (data) => ({ email: str(data['email']) || undefined }),
};
