// Qwen OAuth: the device authorization grant with PKCE (chat.qwen.ai). The
// token names the API host to use (resource_url); the account has no user
// info endpoint, so the file is named after an email or alias the person gives.
import { QWEN_MODELS } from '../../routing/catalogue.js';
import { fileCredential, parseExpiry, trimBase } from '../credential.js';
import { pollDevice, type PollOutcome } from '../device.js';
import type { TokenFile } from '../files.js';
import { call, callJson, expiryFromNow, isoNow, str } from '../http.js';
import { createPkce, randomState } from '../pkce.js';
import type { AuthProviderModule } from '../types.js';

export const QWEN_CLIENT_ID = 'f0304373b74a44d2b584a3fb70ca9e56';
const DEVICE_URL = 'https://chat.qwen.ai/api/v1/oauth2/device/code';
const TOKEN_URL = 'https://chat.qwen.ai/api/v1/oauth2/token';
const SCOPE = 'openid profile email model.completion';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
export const QWEN_API_DEFAULT = 'https://portal.qwen.ai/v1';

interface DeviceResponse {
  device_code?: string;
  user_code?: string;
  verification_uri?: string;
  verification_uri_complete?: string;
  expires_in?: number;
  interval?: number;
}

interface TokenResponse {
  access_token?: string;
  refresh_token?: string;
  resource_url?: string;
  expires_in?: number;
}

function toFile(r: TokenResponse, prev: TokenFile | undefined, now: number): TokenFile {
  if (!r.access_token) throw new Error('the token answer carried no access_token');
  return {
    ...prev,
    access_token: r.access_token,
    refresh_token: r.refresh_token || str(prev?.['refresh_token']),
    last_refresh: isoNow(now),
    resource_url: r.resource_url || str(prev?.['resource_url']),
    email: str(prev?.['email']),
    type: 'qwen',
    expired: expiryFromNow(r.expires_in, now),
  };
}

export const qwenAuth: AuthProviderModule = {
  id: 'qwen',
  kind: 'qwen',
  fileType: 'qwen',
  title: 'Qwen',
  refreshLeadMs: 3 * 3600_000,

  async start(ctx) {
    const tokenUrl = ctx.endpoints.tokenUrl || TOKEN_URL;
    const pkce = createPkce(32);
    const dev = await callJson<DeviceResponse>('Qwen device authorization', ctx.endpoints.deviceUrl || DEVICE_URL, {
      form: { client_id: QWEN_CLIENT_ID, scope: SCOPE, code_challenge: pkce.challenge, code_challenge_method: 'S256' },
      proxyUrl: ctx.proxyUrl,
    });
    if (!dev.device_code) throw new Error('Qwen device authorization: no device_code in the answer');
    const now = ctx.now();
    const deadline = now + Math.min(ctx.timeoutMs, (Number(dev.expires_in) || 300) * 1000);
    const abort = new AbortController();
    const onAbort = () => abort.abort();
    ctx.signal.addEventListener('abort', onAbort, { once: true });

    const poll = async (): Promise<PollOutcome<TokenResponse>> => {
      const r = await call(tokenUrl, {
        form: { grant_type: DEVICE_GRANT, client_id: QWEN_CLIENT_ID, device_code: dev.device_code!, code_verifier: pkce.verifier },
        proxyUrl: ctx.proxyUrl,
      });
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(r.text) as Record<string, unknown>;
      } catch {
        // fall through with an empty body
      }
      if (r.status === 200 && typeof body['access_token'] === 'string') return { kind: 'token', value: body as TokenResponse };
      const err = str(body['error']);
      if (err === 'authorization_pending') return { kind: 'pending' };
      if (err === 'slow_down') return { kind: 'slow-down' };
      if (err === 'expired_token') return { kind: 'expired' };
      if (err === 'access_denied') return { kind: 'denied', message: 'authorization denied by the person; start the login again' };
      const desc = str(body['error_description']);
      return { kind: 'error', message: `device token poll failed (${r.status}${err ? ` ${err}` : ''}${desc ? `: ${desc}` : ''})`, fatal: r.status === 400 || r.status === 401 };
    };

    const done = (async () => {
      try {
        const token = await pollDevice({ poll, intervalMs: (Number(dev.interval) || 5) * 1000, deadline, now: ctx.now, signal: abort.signal });
        const data = toFile(token, undefined, ctx.now());
        const alias = (ctx.alias ?? '').trim() || `qwen-${ctx.now()}`;
        data['email'] = alias;
        return { fileName: `qwen-${alias}.json`, data };
      } finally {
        ctx.signal.removeEventListener('abort', onAbort);
      }
    })();
    done.catch(() => {});
    return {
      url: dev.verification_uri_complete || dev.verification_uri || '',
      state: randomState(),
      userCode: dev.user_code,
      deadline,
      done,
      abort: () => abort.abort(),
    };
  },

  async refresh(data, ctx) {
    const refreshToken = str(data['refresh_token']);
    if (!refreshToken) throw new Error('the token file has no refresh_token');
    const r = await callJson<TokenResponse>('Qwen token refresh', ctx.endpoints.tokenUrl || TOKEN_URL, {
      form: { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: QWEN_CLIENT_ID },
      proxyUrl: ctx.proxyUrl,
    });
    return toFile(r, data, ctx.now());
  },

  expiresAt: (data) => parseExpiry(data['expired'] ?? data['expiry_date']),

  credentials(data, ctx) {
    const resource = str(data['resource_url']);
    const fromToken = resource ? (/^https?:\/\//.test(resource) ? `${trimBase(resource)}/v1` : `https://${trimBase(resource)}/v1`) : '';
    return [
      fileCredential('qwen', data, ctx, QWEN_MODELS, {
        baseUrl: trimBase(ctx.endpoints.apiUrl || fromToken || QWEN_API_DEFAULT),
        accessToken: str(data['access_token']),
      }),
    ];
  },

  identity: (data) => ({ email: str(data['email']) || undefined }),
};
