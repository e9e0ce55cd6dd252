// Every login flag end to end through the real CLI entry point with
// --no-browser: the test plays the browser by following the printed URL,
// the token file appears (0600), and a gateway then serves the provider's
// models from it.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { runCli as run } from '../helpers/cli-process.js';
import { startGateway } from '../../lib/gateway.js';
import { log } from '../../lib/logging/logger.js';
import { playBrowser, tempDir, type Prov } from '../auth/helpers.js';
import { startMockClaude } from '../mocks/claude-upstream.js';
import { startMockCodex } from '../mocks/codex-upstream.js';
import { startMockGemini } from '../mocks/gemini-upstream.js';
import { endpointsYaml, startMockOAuth, type Flavour, type MockOAuth } from '../mocks/oauth-server.js';
import { startMockOpenAI, type MockUpstream } from '../mocks/openai-upstream.js';

process.env.LOG_LEVEL ??= 'error';
log.level = process.env.LOG_LEVEL;


const upstreams = {
  claude: await startMockClaude(),
  codex: await startMockCodex(),
  gemini: await startMockGemini({ project: 'cli-proj', onboarded: false }),
  openai: await startMockOpenAI(),
};
t.teardown(async () => {
  for (const u of Object.values(upstreams)) await u.close();
});

interface Case {
  flag: string;
  prov: Prov;
  flavour: Flavour;
  api: MockUpstream;
  apiUrl: string;
  model: string;
  file: RegExp;
  token: string;
  extra?: string[];
}

const cases: Case[] = [
  { flag: '--login', prov: 'gemini-cli', flavour: 'google', api: upstreams.gemini, apiUrl: upstreams.gemini.url, model: 'gemini-2.5-flash', file: /^user@google\.test-cli-proj\.json$/, token: 'Bearer google-at-1' },
  { flag: '--claude-login', prov: 'claude', flavour: 'claude', api: upstreams.claude, apiUrl: upstreams.claude.url, model: 'claude-sonnet-4-5-20250929', file: /^claude-user@claude\.test\.json$/, token: 'Bearer claude-at-1' },
  { flag: '--codex-login', prov: 'codex', flavour: 'codex', api: upstreams.codex, apiUrl: upstreams.codex.url, model: 'gpt-5', file: /^codex-user@codex\.test\.json$/, token: 'Bearer codex-at-1' },
  { flag: '--qwen-login', prov: 'qwen', flavour: 'qwen', api: upstreams.openai, apiUrl: upstreams.openai.url, model: 'qwen3-coder-flash', file: /^qwen-qwen-\d+\.json$/, token: 'Bearer qwen-at-1' },
  { flag: '--iflow-login', prov: 'iflow', flavour: 'iflow', api: upstreams.openai, apiUrl: upstreams.openai.url, model: 'glm-4.6', file: /^iflow-user@iflow\.test\.json$/, token: 'Bearer sk-iflow-mock-key' },
];

for (const c of cases) {
  t.test(`${c.flag} --no-browser: URL printed, browser played, token file saved, models served`, async (t) => {
    const oauth: MockOAuth = await startMockOAuth({ flavour: c.flavour });
    t.teardown(() => oauth.close());
    const dir = tempDir('cli-login-');
    const authDir = path.join(dir, 'tokens');
    writeFileSync(path.join(dir, 'config.yaml'), `auth-dir: "${authDir}"\noauth-endpoints:\n${endpointsYaml(c.prov, oauth, c.apiUrl)}\n`);
    const p = run([c.flag, '--no-browser', ...(c.extra ?? [])], dir);
    const m = await p.waitFor(/Visit the following URL to continue authentication:\n(\S+)\n/);
    await p.waitFor(/Waiting for \w+ authentication \(times out in 300s\)/);
    if (c.prov !== 'qwen') t.match(p.stdout(), new RegExp(`forward the callback port first: ssh -L (\\d+):127\\.0\\.0\\.1:\\1`));
    if (c.prov === 'qwen') {
      await p.waitFor(/Confirm this code on that page: USER-1/);
      await fetch(m[1]!);
    } else {
      const page = await playBrowser(m[1]!);
      t.equal(page.status, 200);
    }
    const { code, stdout, stderr } = await p.output;
    t.equal(code, 0, stderr);
    t.match(stdout, /Authentication saved to .*\.json\n/);
    t.match(stdout, /authentication successful/);
    t.notMatch(stdout + stderr, /-at-1|-rt-1|sk-iflow-mock-key/, 'no secret printed');
    const files = readdirSync(authDir);
    t.equal(files.length, 1);
    t.match(files[0], c.file);
    t.equal(statSync(path.join(authDir, files[0]!)).mode & 0o777, 0o600);
    t.equal(statSync(authDir).mode & 0o777, 0o700, 'auth-dir created private');

    // The gateway serves the provider's models from the file.
    const gw = await startGateway({ configPath: path.join(dir, 'config.yaml'), port: 0, host: '127.0.0.1', watch: false });
    t.teardown(() => gw.close());
    const models = ((await (await fetch(`${gw.url}/v1/models`)).json()) as { data: Array<{ id: string }> }).data.map((x) => x.id);
    t.ok(models.includes(c.model), `${c.model} listed`);
    const before = c.api.requests.length;
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: c.model, messages: [{ role: 'user', content: 'hello account' }] }),
    });
    const body = (await res.json()) as { choices?: Array<{ message: { content: string } }> };
    t.equal(res.status, 200, JSON.stringify(body));
    t.match(body.choices?.[0]?.message.content, /hello account|Hello/);
    const sent = c.api.requests.slice(before);
    t.equal(sent.length, 1);
    t.equal(sent[0]!.headers['authorization'], c.token, 'the account credential went upstream');
    if (c.prov === 'gemini-cli') t.match(sent[0]!.body, { project: 'cli-proj', model: c.model }, 'Code Assist envelope with the account project');
    if (c.prov === 'codex') t.equal(sent[0]!.headers['chatgpt-account-id'], 'acct-mock-1');
    if (c.prov === 'claude') t.match(sent[0]!.headers['anthropic-beta'], /oauth-2025-04-20/);
    void JSON.parse(readFileSync(path.join(authDir, files[0]!), 'utf8'));
  });
}

t.test('denial: exit 1 with the reason on stderr, no file; a forged callback is ignored and the real one completes', async (t) => {
  {
    const oauth = await startMockOAuth({ flavour: 'claude', deny: true });
    const dir = tempDir('cli-login-');
    writeFileSync(path.join(dir, 'config.yaml'), `auth-dir: "${path.join(dir, 'tokens')}"\noauth-endpoints:\n${endpointsYaml('claude', oauth, 'http://127.0.0.1:9')}\n`);
    const p = run(['--claude-login', '--no-browser'], dir);
    const m = await p.waitFor(/Visit the following URL to continue authentication:\n(\S+)\n/);
    await playBrowser(m[1]!);
    const { code, stderr } = await p.output;
    t.equal(code, 1);
    t.match(stderr, /Claude login failed: authorization denied by the provider: access_denied/);
    const tokens = path.join(dir, 'tokens');
    t.same(existsSync(tokens) ? readdirSync(tokens) : [], [], 'no token file');
    await oauth.close();
  }
  {
    const oauth = await startMockOAuth({ flavour: 'claude', tamperState: true });
    const dir = tempDir('cli-login-');
    writeFileSync(path.join(dir, 'config.yaml'), `auth-dir: "${path.join(dir, 'tokens')}"\noauth-endpoints:\n${endpointsYaml('claude', oauth, 'http://127.0.0.1:9')}\n`);
    const p = run(['--claude-login', '--no-browser'], dir);
    const m = await p.waitFor(/Visit the following URL to continue authentication:\n(\S+)\n/);
    const forged = await playBrowser(m[1]!);
    t.equal(forged.status, 400, 'the forged callback is refused');
    t.match(forged.text, /ignored/);
    // The login is still waiting: the genuine callback (this login's state) completes it.
    const auth = new URL(m[1]!);
    const real = new URL(forged.callback);
    real.searchParams.set('code', real.searchParams.get('code')!.split('#')[0]!);
    real.searchParams.set('state', auth.searchParams.get('state')!);
    t.equal((await fetch(real)).status, 200);
    const { code } = await p.output;
    t.equal(code, 0, 'the login finished with the real callback');
    t.equal(readdirSync(path.join(dir, 'tokens')).length, 1, 'one token file');
    await oauth.close();
  }
  const both = await run(['--claude-login', '--codex-login'], tempDir()).output;
  t.equal(both.code, 2);
  t.match(both.stderr, /choose one login flag at a time/);
});
