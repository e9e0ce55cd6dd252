// A local OAuth server playing each login provider's side, following their
// public protocols as the reference client uses them:
//   GET  /authorize         authorization endpoint: checks client_id, redirect
//                           URI (http://localhost:<port>/…), PKCE S256, then 302s to
//                           the redirect URI with code + state (or error=access_denied)
//   POST /token             authorization_code (PKCE verifier, redirect URI, client
//                           secret where the provider has one), refresh_token, and the
//                           device_code grant; JSON body for Claude, forms elsewhere
//   POST /device/code       device authorization (Qwen); GET /device?user_code= approves
//   GET  /userinfo          Google user info (Bearer)
//   GET  /getUserInfo       iFlow user info (?accessToken=) → {success, data:{apiKey,email}}
//   GET  /v1/projects, /v1/projects/{p}/services/{s}[:enable]  Google Cloud (Bearer)
// Tokens are predictable per server: "<flavour>-at-<n>" / "<flavour>-rt-<n>".
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Flavour = 'google' | 'claude' | 'codex' | 'qwen' | 'iflow';

const CLIENT: Record<Flavour, { id: string; secret?: string; pkce: boolean }> = {
  google: { id: '681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com', secret: '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', pkce: true },
  claude: { id: '9d1c250a-e61b-44d9-88ed-5944d1962f5e', pkce: true },
  codex: { id: 'app_EMoamEEZ73f0CkXaXp7hrann', pkce: true },
  qwen: { id: 'f0304373b74a44d2b584a3fb70ca9e56', pkce: true },
  iflow: { id: '10009311001', secret: '4Z3YjXycVsQvyGF1etiNlIBB4RsqSDtW', pkce: false },
};

export interface MockOAuthOptions {
  flavour: Flavour;
  email?: string;
  /** Access token lifetime in seconds (default 3600). */
  expiresIn?: number;
  /** The authorize endpoint answers error=access_denied. */
  deny?: boolean;
  /** The authorize endpoint sends the browser back with a forged state. */
  tamperState?: boolean;
  /** Refresh answers this status with invalid_grant (false: refresh works). */
  failRefresh?: number | false;
  /** Device flow: polls answered authorization_pending before approval counts (default: until /device is visited). */
  device?: { interval?: number; expiresIn?: number; deny?: boolean; slowDownOnce?: boolean };
  /** Google Cloud projects the account lists. */
  projects?: string[];
  /** Google: the Gemini for Cloud API is disabled until :enable is called. */
  serviceDisabled?: boolean;
  accountId?: string;
  apiKey?: string;
  /** Qwen: resource_url in token answers. */
  resourceUrl?: string;
}

export interface OAuthRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, string> | Record<string, unknown>;
}

export interface MockOAuth {
  url: string;
  requests: OAuthRequest[];
  /** Access tokens issued, in order. */
  issued: string[];
  refreshes: number;
  opts: MockOAuthOptions;
  /** The redirect URI the last authorize request carried. */
  lastRedirect?: string;
  close(): Promise<void>;
}

const sha = (v: string) => createHash('sha256').update(v).digest('base64url');
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

export async function startMockOAuth(opts: MockOAuthOptions): Promise<MockOAuth> {
  const f = opts.flavour;
  const client = CLIENT[f];
  const email = opts.email ?? `user@${f}.test`;
  const codes = new Map<string, { challenge?: string; redirect: string; used: boolean }>();
  const refreshTokens = new Set<string>();
  const accessTokens = new Set<string>();
  const devices = new Map<string, { user: string; challenge: string; approved: boolean; slowed: boolean; expires: number }>();
  let serviceEnabled = !opts.serviceDisabled;
  let n = 0;
  const mock: MockOAuth = { url: '', requests: [], issued: [], refreshes: 0, opts, close: async () => {} };

  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const oauthError = (res: http.ServerResponse, status: number, error: string, description = '') => json(res, status, { error, error_description: description });

  const issue = (): Record<string, unknown> => {
    n++;
    const at = `${f}-at-${n}`;
    const rt = `${f}-rt-${n}`;
    accessTokens.add(at);
    refreshTokens.add(rt);
    mock.issued.push(at);
    const out: Record<string, unknown> = { access_token: at, refresh_token: rt, token_type: 'Bearer', expires_in: opts.expiresIn ?? 3600 };
    if (f === 'claude') Object.assign(out, { account: { uuid: 'acc-1', email_address: email }, organization: { uuid: 'org-1', name: 'Org' } });
    if (f === 'codex') {
      const claims = { email, 'https://api.openai.com/auth': { chatgpt_account_id: opts.accountId ?? 'acct-mock-1', chatgpt_plan_type: 'plus' } };
      out['id_token'] = `${b64({ alg: 'none' })}.${b64(claims)}.sig`;
    }
    if (f === 'qwen' && opts.resourceUrl) out['resource_url'] = opts.resourceUrl;
    return out;
  };
  const bearer = (req: http.IncomingMessage) => /^Bearer (.+)$/.exec(String(req.headers['authorization'] ?? ''))?.[1];

  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://mock');
      const text = Buffer.concat(parts).toString('utf8');
      let body: Record<string, any> = {};
      if (String(req.headers['content-type'] ?? '').includes('json')) body = text ? JSON.parse(text) : {};
      else if (text) body = Object.fromEntries(new URLSearchParams(text));
      mock.requests.push({ method: req.method ?? '', path: u.pathname, headers: req.headers, body });
      const q = (k: string) => u.searchParams.get(k) ?? '';

      if (req.method === 'GET' && u.pathname === '/authorize') {
        const redirect = f === 'iflow' ? q('redirect') : q('redirect_uri');
        if (q('client_id') !== client.id) return oauthError(res, 400, 'invalid_client');
        if (!/^http:\/\/localhost:\d+\//.test(redirect)) return oauthError(res, 400, 'invalid_request', 'bad redirect uri');
        if (f !== 'iflow' && q('response_type') !== 'code') return oauthError(res, 400, 'unsupported_response_type');
        if (client.pkce && (q('code_challenge_method') !== 'S256' || q('code_challenge').length < 43)) return oauthError(res, 400, 'invalid_request', 'PKCE required');
        mock.lastRedirect = redirect;
        const state = opts.tamperState ? `${q('state')}-forged` : q('state');
        const to = new URL(redirect);
        if (opts.deny) {
          to.searchParams.set('error', 'access_denied');
          to.searchParams.set('error_description', 'The user denied access');
        } else {
          const code = `code-${f}-${codes.size + 1}`;
          codes.set(code, { challenge: q('code_challenge') || undefined, redirect, used: false });
          // Claude hands the code back as "code#state".
          to.searchParams.set('code', f === 'claude' ? `${code}#${state}` : code);
        }
        to.searchParams.set('state', state);
        res.writeHead(302, { location: to.toString() });
        return res.end();
      }

      if (req.method === 'POST' && u.pathname === '/token') {
        if (f === 'claude' && !String(req.headers['content-type']).includes('json')) return oauthError(res, 400, 'invalid_request', 'JSON body expected');
        if (body['client_id'] !== client.id) return oauthError(res, 401, 'invalid_client');
        if (client.secret && body['client_secret'] !== client.secret) return oauthError(res, 401, 'invalid_client', 'bad client secret');
        if (f === 'iflow' && req.headers['authorization'] !== `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`) return oauthError(res, 401, 'invalid_client', 'basic auth');
        const grant = body['grant_type'];
        if (grant === 'authorization_code') {
          const c = codes.get(String(body['code']));
          if (!c || c.used) return oauthError(res, 400, 'invalid_grant', 'unknown or used code');
          if (body['redirect_uri'] !== c.redirect) return oauthError(res, 400, 'invalid_grant', 'redirect_uri mismatch');
          if (c.challenge && sha(String(body['code_verifier'] ?? '')) !== c.challenge) return oauthError(res, 400, 'invalid_grant', 'PKCE verification failed');
          c.used = true;
          return json(res, 200, issue());
        }
        if (grant === 'refresh_token') {
          mock.refreshes++;
          if (opts.failRefresh) return oauthError(res, opts.failRefresh, 'invalid_grant', 'refresh token revoked');
          if (!refreshTokens.has(String(body['refresh_token']))) return oauthError(res, 400, 'invalid_grant', 'unknown refresh token');
          refreshTokens.delete(String(body['refresh_token']));
          return json(res, 200, issue());
        }
        if (grant === 'urn:ietf:params:oauth:grant-type:device_code') {
          const d = devices.get(String(body['device_code']));
          if (!d) return oauthError(res, 400, 'invalid_grant');
          if (sha(String(body['code_verifier'] ?? '')) !== d.challenge) return oauthError(res, 400, 'invalid_grant', 'PKCE verification failed');
          if (Date.now() > d.expires) return oauthError(res, 400, 'expired_token');
          if (opts.device?.deny) return oauthError(res, 400, 'access_denied');
          if (opts.device?.slowDownOnce && !d.slowed) {
            d.slowed = true;
            return oauthError(res, 400, 'slow_down');
          }
          if (!d.approved) return oauthError(res, 400, 'authorization_pending');
          devices.delete(String(body['device_code']));
          return json(res, 200, issue());
        }
        return oauthError(res, 400, 'unsupported_grant_type');
      }

      if (req.method === 'POST' && u.pathname === '/device/code') {
        if (body['client_id'] !== client.id || body['code_challenge_method'] !== 'S256' || !body['code_challenge']) return oauthError(res, 400, 'invalid_request');
        const dc = `device-${devices.size + 1}`;
        const user = `USER-${devices.size + 1}`;
        const life = opts.device?.expiresIn ?? 300;
        devices.set(dc, { user, challenge: String(body['code_challenge']), approved: false, slowed: false, expires: Date.now() + life * 1000 });
        return json(res, 200, {
          device_code: dc,
          user_code: user,
          verification_uri: `${mock.url}/device`,
          verification_uri_complete: `${mock.url}/device?user_code=${user}`,
          expires_in: life,
          interval: opts.device?.interval ?? 0.02,
        });
      }
      if (req.method === 'GET' && u.pathname === '/device') {
        const d = [...devices.values()].find((x) => x.user === q('user_code'));
        if (!d) return oauthError(res, 404, 'not_found');
        d.approved = true;
        res.writeHead(200, { 'content-type': 'text/html' });
        return res.end('<h1>Device approved</h1>');
      }

      if (req.method === 'GET' && u.pathname === '/userinfo') {
        if (!accessTokens.has(bearer(req) ?? '')) return json(res, 401, { error: { code: 401, message: 'invalid token' } });
        return json(res, 200, { id: '1', email, verified_email: true });
      }
      if (req.method === 'GET' && u.pathname === '/getUserInfo') {
        if (!accessTokens.has(q('accessToken'))) return json(res, 200, { success: false, message: 'invalid token' });
        return json(res, 200, { success: true, data: { apiKey: opts.apiKey ?? 'sk-iflow-mock-key', email, phone: '' } });
      }
      if (req.method === 'GET' && u.pathname === '/v1/projects') {
        if (!accessTokens.has(bearer(req) ?? '')) return json(res, 401, { error: { code: 401 } });
        return json(res, 200, { projects: (opts.projects ?? []).map((p) => ({ projectId: p, name: `Project ${p}` })) });
      }
      const svc = /^\/v1\/projects\/([^/]+)\/services\/([^/:]+)(:enable)?$/.exec(u.pathname);
      if (svc) {
        if (!accessTokens.has(bearer(req) ?? '')) return json(res, 401, { error: { code: 401 } });
        if (svc[3]) {
          serviceEnabled = true;
          return json(res, 200, { done: true });
        }
        return json(res, 200, { name: `projects/${svc[1]}/services/${svc[2]}`, state: serviceEnabled ? 'ENABLED' : 'DISABLED' });
      }
      json(res, 404, { error: 'not_found' });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  mock.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  mock.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return mock;
}

/** The oauth-endpoints YAML block pointing one provider at this mock (and its API at apiUrl). */
export function endpointsYaml(provider: 'gemini-cli' | 'claude' | 'codex' | 'qwen' | 'iflow', mock: MockOAuth, apiUrl: string, callbackPort = 0): string {
  const u = mock.url;
  return [
    `  ${provider}:`,
    `    auth-url: "${u}/authorize"`,
    `    token-url: "${u}/token"`,
    `    device-url: "${u}/device/code"`,
    `    userinfo-url: "${provider === 'iflow' ? `${u}/getUserInfo` : `${u}/userinfo`}"`,
    `    projects-url: "${u}"`,
    `    service-usage-url: "${u}"`,
    `    api-url: "${apiUrl}"`,
    `    callback-port: ${callbackPort}`,
  ].join('\n');
}
