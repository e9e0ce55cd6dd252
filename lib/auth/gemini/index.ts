// Google OAuth for Gemini CLI (Code Assist): authorization code with PKCE on
// localhost:8085/oauth2callback, Gemini CLI's public client, then project
// set-up. The token file keeps Go's oauth2.Token shape under "token", as the
// reference writes it, so files move between the two freely.
import { GEMINI_CLI_MODELS } from '../../routing/catalogue.js';
import { fileCredential, parseExpiry, trimBase } from '../credential.js';
import { LoginError } from '../errors.js';
import type { TokenFile } from '../files.js';
import { authCodeFlow } from '../flow.js';
import { callJson, expiryFromNow, str } from '../http.js';
import type { AuthProviderModule, RefreshContext } from '../types.js';
import { CODE_ASSIST_DEFAULT, ensureApiEnabled, setupProject } from './setup.js';

export const GEMINI_CLIENT_ID = '681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com';
const GEMINI_CLIENT_SECRET = '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';
const SCOPES = ['https://www.googleapis.com/auth/cloud-platform', 'https://www.googleapis.com/auth/userinfo.email', 'https://www.googleapis.com/auth/userinfo.profile'];
const AUTH_URL = 'https://accounts.google.com/o/oauth2/auth';
const TOKEN_URL = 'https://oauth2.googleapis.com/token';
const USERINFO_URL = 'https://www.googleapis.com/oauth2/v1/userinfo?alt=json';

interface TokenResponse {
  access_token?: string;
  refresh_token?: string;
  expires_in?: number;
  token_type?: string;
}

const tokenOf = (data: TokenFile): Record<string, unknown> => (data['token'] && typeof data['token'] === 'object' ? (data['token'] as Record<string, unknown>) : {});

export function geminiAccessToken(data: TokenFile): string {
  return str(tokenOf(data)['access_token']) || str(data['access_token']);
}

export function geminiProjects(data: TokenFile): string[] {
  return str(data['project_id'])
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}

export const geminiAuth: AuthProviderModule = {
  id: 'gemini-cli',
  kind: 'gemini-cli',
  fileType: 'gemini',
  title: 'Gemini',
  // Google access tokens live an hour: refresh in the last 5 minutes.
  refreshLeadMs: 5 * 60_000,

  start(ctx) {
    const tokenUrl = ctx.endpoints.tokenUrl || TOKEN_URL;
    return authCodeFlow({
      ctx,
      callbackPath: '/oauth2callback',
      authorizeUrl: ({ redirectUri, state, pkce }) =>
        `${ctx.endpoints.authUrl || AUTH_URL}?${new URLSearchParams({
          access_type: 'offline',
          client_id: GEMINI_CLIENT_ID,
          code_challenge: pkce.challenge,
          code_challenge_method: 'S256',
          prompt: 'consent',
          redirect_uri: redirectUri,
          response_type: 'code',
          scope: SCOPES.join(' '),
          state,
        })}`,
      async exchange({ code, redirectUri, pkce }) {
        const r = await callJson<TokenResponse>('Google token exchange', tokenUrl, {
          form: { code, client_id: GEMINI_CLIENT_ID, client_secret: GEMINI_CLIENT_SECRET, redirect_uri: redirectUri, grant_type: 'authorization_code', code_verifier: pkce.verifier },
          proxyUrl: ctx.proxyUrl,
        });
        if (!r.access_token) throw new LoginError('exchange', 'Google returned no access token');
        const user = await callJson<{ email?: string }>('Google user info', ctx.endpoints.userinfoUrl || USERINFO_URL, {
          headers: { authorization: `Bearer ${r.access_token}` },
          proxyUrl: ctx.proxyUrl,
        });
        const email = str(user.email);
        if (!email) throw new LoginError('account', 'Google user info names no email');
        ctx.note(`Authenticated as ${email}`);
        const setup = { endpoints: ctx.endpoints, proxyUrl: ctx.proxyUrl, accessToken: r.access_token, note: ctx.note };
        const requested = (ctx.projectId ?? '').split(',').map((p) => p.trim()).filter(Boolean);
        const projects: string[] = [];
        for (const want of requested.length > 0 ? requested : ['']) {
          const project = await setupProject(setup, want);
          await ensureApiEnabled(setup, project);
          if (!projects.includes(project)) projects.push(project);
        }
        const data: TokenFile = {
          token: {
            access_token: r.access_token,
            token_type: r.token_type || 'Bearer',
            refresh_token: str(r.refresh_token),
            expiry: expiryFromNow(r.expires_in, ctx.now()),
            token_uri: TOKEN_URL,
            client_id: GEMINI_CLIENT_ID,
            client_secret: GEMINI_CLIENT_SECRET,
            scopes: SCOPES,
            universe_domain: 'googleapis.com',
          },
          project_id: projects.join(','),
          email,
          auto: false,
          checked: true,
          type: 'gemini',
        };
        return { fileName: `${email}-${projects.join(',')}.json`, data };
      },
    });
  },

  async refresh(data: TokenFile, ctx: RefreshContext) {
    const tok = tokenOf(data);
    const refreshToken = str(tok['refresh_token']) || str(data['refresh_token']);
    if (!refreshToken) throw new Error('the token file has no refresh_token');
    const r = await callJson<TokenResponse>('Google token refresh', ctx.endpoints.tokenUrl || str(tok['token_uri']) || TOKEN_URL, {
      form: {
        client_id: str(tok['client_id']) || GEMINI_CLIENT_ID,
        client_secret: str(tok['client_secret']) || GEMINI_CLIENT_SECRET,
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
      },
      proxyUrl: ctx.proxyUrl,
    });
    if (!r.access_token) throw new Error('Google returned no access token');
    const expiry = expiryFromNow(r.expires_in, ctx.now());
    const next: TokenFile = {
      ...data,
      token: { ...tok, access_token: r.access_token, token_type: r.token_type || str(tok['token_type']) || 'Bearer', refresh_token: r.refresh_token || refreshToken, expiry },
    };
    // Files the reference's runtime touched mirror the token at the top level.
    if ('access_token' in data) Object.assign(next, { access_token: r.access_token, expiry });
    return next;
  },

  // A file without a project (hand-made, or from an older tool): discover and onboard one.
  async prepare(data, ctx) {
    if (geminiProjects(data).length > 0) return undefined;
    const accessToken = geminiAccessToken(data);
    if (!accessToken) return undefined;
    const setup = { endpoints: ctx.endpoints, proxyUrl: ctx.proxyUrl, accessToken, note: () => {} };
    const project = await setupProject(setup, '');
    return { ...data, project_id: project };
  },

  expiresAt: (data) => parseExpiry(tokenOf(data)['expiry'] ?? data['expiry']),

  credentials(data, ctx) {
    const projects = geminiProjects(data);
    const base = trimBase(ctx.endpoints.apiUrl || CODE_ASSIST_DEFAULT);
    const accessToken = geminiAccessToken(data);
    if (projects.length <= 1) {
      return [fileCredential('gemini-cli', data, ctx, GEMINI_CLI_MODELS, { baseUrl: base, accessToken, projectId: projects[0] ?? '', acceptsUnknownModels: true })];
    }
    const group = `gemini-cli:file:${ctx.name}`;
    return projects.map((p) => {
      const c = fileCredential('gemini-cli', data, ctx, GEMINI_CLI_MODELS, { baseUrl: base, accessToken, projectId: p, group, acceptsUnknownModels: true });
      return { ...c, id: `${group}#${p}`, label: `${c.label} [${p}]` };
    });
  },

  identity: (data) => ({ email: str(data['email']) || undefined, account: str(data['project_id']) || undefined }),
};
