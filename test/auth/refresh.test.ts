// Each provider's token refresh against its mock, and token files shaped as
// the reference writes them turning into credentials.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { authProvider, authProviderForType } from '../../lib/auth/providers.js';
import type { LoginProvider } from '../../lib/auth/types.js';
import { parseConfig } from '../../lib/config/load.js';
import { startMockGemini } from '../mocks/gemini-upstream.js';
import { startMockOAuth, type Flavour } from '../mocks/oauth-server.js';
import { accountsConfig, loginFile, tempDir } from './helpers.js';

const flavours: Array<[LoginProvider, Flavour]> = [
  ['gemini-cli', 'google'],
  ['claude', 'claude'],
  ['codex', 'codex'],
  ['qwen', 'qwen'],
  ['iflow', 'iflow'],
];

const ca = await startMockGemini();
t.teardown(() => ca.close());

for (const [prov, flavour] of flavours) {
  t.test(`${prov}: refresh keeps the file's shape and moves expiry on the given clock`, async (t) => {
    const mock = await startMockOAuth({ flavour, expiresIn: 7200, projects: ['p'], resourceUrl: 'chat.example' });
    t.teardown(() => mock.close());
    const dir = tempDir();
    const file = await loginFile(prov, mock, dir, ca.url, { alias: 'me' });
    const before = JSON.parse(readFileSync(file, 'utf8'));
    const mod = authProvider(prov);
    const cfg = accountsConfig(dir, [[prov, mock, ca.url]]);
    const now = Date.parse('2030-01-01T00:00:00Z');
    const after = await mod.refresh(before, { endpoints: cfg.oauthEndpoints[prov === 'gemini-cli' ? 'geminiCli' : prov], proxyUrl: '', now: () => now });
    t.equal(mod.expiresAt(after), now + 7200_000, 'expiry from expires_in and the clock');
    t.equal(after.type, before.type);
    t.same(Object.keys(after).sort(), Object.keys(before).sort(), 'same fields');
    const at = prov === 'gemini-cli' ? (after.token as Record<string, unknown>).access_token : after.access_token;
    t.equal(at, `${flavour}-at-2`);
    if (prov === 'gemini-cli') t.match(after.token, { refresh_token: 'google-rt-2', client_id: /apps\.googleusercontent\.com$/, token_uri: 'https://oauth2.googleapis.com/token', scopes: Array });
    if (prov === 'codex') t.equal(after.account_id, 'acct-mock-1');
    if (prov === 'iflow') t.equal(after.api_key, 'sk-iflow-mock-key', 'API key fetched again');
    if (prov === 'qwen') t.equal(after.resource_url, 'chat.example');
    const refreshCall = mock.requests.filter((r) => r.path === '/token').pop()!;
    t.equal(refreshCall.body['grant_type'], 'refresh_token');
    mock.opts.failRefresh = 400;
    await t.rejects(mod.refresh(after, { endpoints: cfg.oauthEndpoints[prov === 'gemini-cli' ? 'geminiCli' : prov], proxyUrl: '', now: () => now }), /failed with status 400: invalid_grant/);
  });
}

t.test("reference-shaped token files become credentials (gemini's Go oauth2.Token, qwen's resource_url, iflow's api_key)", async (t) => {
  const config = parseConfig('proxy-url: "socks5://127.0.0.1:1080"').config;
  const ctx = (name: string, id: LoginProvider) => ({ config, name, endpoints: config.oauthEndpoints[id === 'gemini-cli' ? 'geminiCli' : id] });
  const gem = {
    token: { access_token: 'ya29.x', token_type: 'Bearer', refresh_token: '1//r', expiry: '2025-11-08T10:00:00.123456+08:00' },
    project_id: 'proj-1',
    email: 'a@gmail.com',
    auto: false,
    checked: true,
    type: 'gemini',
  };
  const g = authProviderForType('gemini')!;
  t.equal(g.id, 'gemini-cli');
  t.equal(g.expiresAt(gem), Date.parse('2025-11-08T02:00:00.123Z'));
  const [gc] = g.credentials(gem, ctx('a@gmail.com-proj-1.json', 'gemini-cli'));
  t.match(gc, { id: 'gemini-cli:file:a@gmail.com-proj-1.json', provider: 'gemini-cli', accessToken: 'ya29.x', projectId: 'proj-1', baseUrl: 'https://cloudcode-pa.googleapis.com', proxyUrl: 'socks5://127.0.0.1:1080' });
  t.ok(gc!.models.has('gemini-2.5-pro'));
  const multi = g.credentials({ ...gem, project_id: 'a, b', proxy_url: 'http://127.0.0.1:3128' }, ctx('m.json', 'gemini-cli'));
  t.same(multi.map((c) => [c.id, c.projectId, c.group, c.proxyUrl]), [
    ['gemini-cli:file:m.json#a', 'a', 'gemini-cli:file:m.json', 'http://127.0.0.1:3128'],
    ['gemini-cli:file:m.json#b', 'b', 'gemini-cli:file:m.json', 'http://127.0.0.1:3128'],
  ]);

  const q = authProviderForType('qwen')!;
  const [qc] = q.credentials({ type: 'qwen', access_token: 'q', refresh_token: 'r', resource_url: 'portal.qwen.ai', email: 'x', expired: '2025-11-08T10:00:00Z', last_refresh: '' }, ctx('qwen-x.json', 'qwen'));
  t.equal(qc!.baseUrl, 'https://portal.qwen.ai/v1');
  t.ok(qc!.models.has('qwen3-coder-plus'));

  const i = authProviderForType('iflow')!;
  const [ic] = i.credentials({ type: 'iflow', access_token: 'a', api_key: 'sk-if', email: 'e', expired: '2025-11-08T10:00:00Z' }, ctx('iflow-e.json', 'iflow'));
  t.match(ic, { apiKey: 'sk-if', baseUrl: 'https://apis.iflow.cn/v1' });
  t.ok(ic!.models.has('glm-4.6'));

  const c = authProviderForType('codex')!;
  const [cc] = c.credentials({ type: 'codex', access_token: 'at', account_id: 'acc', email: 'e', expired: '2025-11-08T10:00:00Z', disabled: true }, ctx('codex-e.json', 'codex'));
  t.match(cc, { accessToken: 'at', accountId: 'acc', baseUrl: 'https://chatgpt.com/backend-api/codex', disabled: true });
  t.equal(authProviderForType('unknown'), undefined);
});
