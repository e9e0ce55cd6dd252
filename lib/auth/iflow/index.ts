// iFlow OAuth: authorization code on localhost:11451/oauth2callback (client
// secret, no PKCE, as iFlow defines it); after the exchange the account's
// API key is fetched from its user info, and that key is what the API takes.
import { IFLOW_MODELS } from '../../routing/catalogue.js';
import { fileCredential, parseExpiry, trimBase } from '../credential.js';
import { LoginError } from '../errors.js';
import type { TokenFile } from '../files.js';
import { authCodeFlow } from '../flow.js';
import { callJson, expiryFromNow, isoNow, str } from '../http.js';
import type { AuthProviderModule, RefreshContext } from '../types.js';

export const IFLOW_CLIENT_ID = '10009311001';
const IFLOW_CLIENT_SECRET = '4Z3YjXycVsQvyGF1etiNlIBB4RsqSDtW';
const AUTH_URL = 'https://iflow.cn/oauth';
const TOKEN_URL = 'https://iflow.cn/oauth/token';
const USERINFO_URL = 'https://iflow.cn/api/oauth/getUserInfo';
export const IFLOW_API_DEFAULT = 'https://apis.iflow.cn/v1';

interface TokenResponse {
  access_token?: string;
  refresh_token?: string;
  expires_in?: number;
  token_type?: string;
  scope?: string;
}

interface UserInfo {
  success?: boolean;
  data?: { apiKey?: string; email?: string; phone?: string };
}

const basic = `Basic ${Buffer.from(`${IFLOW_CLIENT_ID}:${IFLOW_CLIENT_SECRET}`).toString('base64')}`;

/** Token request + user info → the token file (with the API key). */
async function tokens(form: Record<string, string>, what: string, prev: TokenFile | undefined, ctx: RefreshContext): Promise<TokenFile> {
  const r = await callJson<TokenResponse>(what, ctx.endpoints.tokenUrl || TOKEN_URL, {
    form: { ...form, client_id: IFLOW_CLIENT_ID, client_secret: IFLOW_CLIENT_SECRET },
    headers: { authorization: basic },
    proxyUrl: ctx.proxyUrl,
  });
  if (!r.access_token) throw new Error(`${what}: no access_token in the answer`);
  const url = `${ctx.endpoints.userinfoUrl || USERINFO_URL}?accessToken=${encodeURIComponent(r.access_token)}`;
  const info = await callJson<UserInfo>('iFlow API key fetch', url, { proxyUrl: ctx.proxyUrl });
  const apiKey = str(info.data?.apiKey).trim();
  if (!info.success || !apiKey) throw new LoginError('account', 'iFlow user info returned no API key');
  const email = str(info.data?.email).trim() || str(info.data?.phone).trim() || str(prev?.['email']);
  if (!email) throw new LoginError('account', 'iFlow user info names no email or phone');
  const now = ctx.now();
  return {
    ...prev,
    access_token: r.access_token,
    refresh_token: r.refresh_token || str(prev?.['refresh_token']),
    last_refresh: isoNow(now),
    expired: expiryFromNow(r.expires_in, now),
    api_key: apiKey,
    email,
    token_type: str(r.token_type),
    scope: str(r.scope),
    type: 'iflow',
  };
}

export const iflowAuth: AuthProviderModule = {
  id: 'iflow',
  kind: 'iflow',
  fileType: 'iflow',
  title: 'iFlow',
  refreshLeadMs: 24 * 3600_000,

  start(ctx) {
    return authCodeFlow({
      ctx,
      callbackPath: '/oauth2callback',
      authorizeUrl: ({ redirectUri, state }) =>
        `${ctx.endpoints.authUrl || AUTH_URL}?${new URLSearchParams({ loginMethod: 'phone', type: 'phone', redirect: redirectUri, state, client_id: IFLOW_CLIENT_ID })}`,
      async exchange({ code, redirectUri }) {
        const data = await tokens({ grant_type: 'authorization_code', code, redirect_uri: redirectUri }, 'iFlow token exchange', undefined, ctx);
        return { fileName: `iflow-${data['email']}.json`, data };
      },
    });
  },

  async refresh(data, ctx) {
    const refreshToken = str(data['refresh_token']);
    if (!refreshToken) throw new Error('the token file has no refresh_token');
    return tokens({ grant_type: 'refresh_token', refresh_token: refreshToken }, 'iFlow token refresh', data, ctx);
  },

  expiresAt: (data) => parseExpiry(data['expired']),

  credentials(data, ctx) {
    return [
      fileCredential('iflow', data, ctx, IFLOW_MODELS, {
        baseUrl: trimBase(ctx.endpoints.apiUrl || str(data['base_url']) || IFLOW_API_DEFAULT),
        apiKey: str(data['api_key']),
      }),
    ];
  },

  identity: (data) => ({ email: str(data['email']) || undefined }),
};
