// The command line entry point as a user runs it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { runCli } from '../helpers/cli-process.js';
import { endpointsYaml, startMockOAuth } from '../mocks/oauth-server.js';
import { startMockOpenAI } from '../mocks/openai-upstream.js';


const run = (args: string[], cwd: string, env: Record<string, string> = {}) => runCli(args, cwd, env, 30_000);

t.test('no config file: embedded default, and one line telling how to add credentials', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cli-'));
  const p = run(['--port', '0'], dir);
  const m = await p.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
  await p.waitFor(/no provider credentials configured: copy config\.example\.yaml/);
  const res = await fetch(`${m[1]}/v1/models`);
  t.same(await res.json(), { object: 'list', data: [] });
  p.stop();
  t.equal((await p.output).code, 0, 'clean exit on SIGTERM');
});

t.test('--config PATH serves its providers; ./config.yaml is picked up by default', async (t) => {
  const mock = await startMockOpenAI();
  t.teardown(() => mock.close());
  const dir = mkdtempSync(path.join(tmpdir(), 'cli-'));
  const yaml = `openai-compatibility:\n  - name: m\n    base-url: ${mock.url}\n    models:\n      - name: mock-model\n        alias: cli-model\n`;
  writeFileSync(path.join(dir, 'custom.yaml'), yaml);
  const p = run(['--config', 'custom.yaml', '--port', '0'], dir);
  const m = await p.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
  const body = (await (await fetch(`${m[1]}/v1/models`)).json()) as any;
  t.same(body.data.map((x: any) => x.id), ['cli-model']);
  p.stop();
  await p.output;

  writeFileSync(path.join(dir, 'config.yaml'), yaml);
  const q = run(['--port', '0'], dir);
  const n = await q.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
  const chat = await fetch(`${n[1]}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'cli-model', messages: [{ role: 'user', content: 'cli' }] }) });
  t.equal(((await chat.json()) as any).choices[0].message.content, 'echo: cli');
  q.stop();
  await q.output;
});

t.test('a bad config file stops start-up with file, line and key', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cli-'));
  writeFileSync(path.join(dir, 'bad.yaml'), 'port: 8317\nclaude-api-key:\n  - api-key: k\n    modles: []\n');
  const { code, stderr } = await run(['--config', 'bad.yaml'], dir).output;
  t.equal(code, 1);
  t.match(stderr, /config error: .*bad\.yaml:4:5: claude-api-key\[0\]\.modles: unknown key "modles"/);
  const missing = await run(['--config', 'nope.yaml'], dir).output;
  t.equal(missing.code, 1);
  t.match(missing.stderr, /nope\.yaml: cannot read config file: ENOENT/);
});

t.test('bad flags are refused with usage', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cli-'));
  const { code, stderr } = await run(['--bogus'], dir).output;
  t.equal(code, 2);
  t.match(stderr, /Unknown option '--bogus'/);
  t.match(stderr, /Usage: cliproxy-ts/);
  const v = await run(['--version'], dir).output;
  t.match(v.stdout, /^\d+\.\d+\.\d+/);
  t.match((await run(['-version'], dir).output).stdout, /^\d+\.\d+\.\d+/);
  const h = await run(['-h'], dir).output;
  t.equal(h.code, 0);
  t.match(h.stdout, /Usage: cliproxy-ts[\s\S]*-config PATH/);
  const single = await run(['-bogus'], dir).output;
  t.equal(single.code, 2);
  t.match(single.stderr, /Unknown option '-bogus'/);
  const needs = await run(['-config'], dir).output;
  t.equal(needs.code, 2);
  t.match(needs.stderr, /Option '-config' needs a value/);
  const bool = await run(['-no-browser=maybe'], dir).output;
  t.equal(bool.code, 2);
  t.match(bool.stderr, /Invalid boolean value "maybe" for -no-browser/);
});

t.test('Go-style flags from CLIProxyAPI command lines: -config PATH -port 0, --config=PATH --port=0', async (t) => {
  const mock = await startMockOpenAI();
  t.teardown(() => mock.close());
  const dir = mkdtempSync(path.join(tmpdir(), 'cli-'));
  writeFileSync(path.join(dir, 'go.yaml'), `openai-compatibility:\n  - name: m\n    base-url: ${mock.url}\n    models:\n      - name: mock-model\n        alias: go-model\n`);
  for (const args of [['-config', 'go.yaml', '-port', '0'], ['--config=go.yaml', '--port=0'], ['-config=go.yaml', '-port=0', '-host', '127.0.0.1']]) {
    const p = run(args, dir);
    const m = await p.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
    const body = (await (await fetch(`${m[1]}/v1/models`)).json()) as any;
    t.same(body.data.map((x: any) => x.id), ['go-model'], args.join(' '));
    p.stop();
    await p.output;
  }
});

t.test('single-dash login flags reach the login URL with -no-browser', async (t) => {
  for (const [flavour, prov, flags] of [
    ['claude', 'claude', ['-claude-login', '-no-browser']],
    ['google', 'gemini-cli', ['-login', '-project_id', 'p1', '-no-browser=true']],
  ] as const) {
    const oauth = await startMockOAuth({ flavour });
    t.teardown(() => oauth.close());
    const dir = mkdtempSync(path.join(tmpdir(), 'cli-login-'));
    writeFileSync(path.join(dir, 'login.yaml'), `auth-dir: "${path.join(dir, 'tokens')}"\noauth-endpoints:\n${endpointsYaml(prov, oauth, 'http://127.0.0.1:9')}\n`);
    const p = run([...flags, '-config', 'login.yaml'], dir);
    const m = await p.waitFor(/Visit the following URL to continue authentication:\n(\S+)\n/);
    t.ok(m[1]!.startsWith(`${oauth.url}/authorize?`), `${flags.join(' ')}: the URL of the configured provider`);
    p.stop();
    await p.output;
  }
});

t.test('a legacy auth.providers config requires its keys (never runs open)', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cli-'));
  writeFileSync(path.join(dir, 'config.yaml'), 'auth:\n  providers:\n    - name: config-inline\n      type: config-api-key\n      api-keys:\n        - "legacy-key"\n');
  const p = run(['-port', '0'], dir);
  const m = await p.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
  t.match(p.stdout(), /"level":"warn".*config\.yaml:1:1: auth: legacy block \(older CLIProxyAPI\): its 1 config-api-key key\(s\) are accepted as client keys/);
  t.equal((await fetch(`${m[1]}/v1/models`)).status, 401, 'no key');
  t.equal((await fetch(`${m[1]}/v1/models`, { headers: { authorization: 'Bearer other' } })).status, 401, 'wrong key');
  t.equal((await fetch(`${m[1]}/v1/models`, { headers: { authorization: 'Bearer legacy-key' } })).status, 200, 'the legacy key');
  p.stop();
  await p.output;

  writeFileSync(path.join(dir, 'config.yaml'), 'auth:\n  providers:\n    - type: config-api-key\n      api-keys: []\n');
  const refused = await run(['-port', '0'], dir).output;
  t.equal(refused.code, 1);
  t.match(refused.stderr, /config error: .*config\.yaml:2:3: auth\.providers: .*refusing to run without a client-key check/);
});

t.test('.env in the working directory is loaded at start; variables already set win', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cli-env-'));
  writeFileSync(path.join(dir, '.env'), '# management password for this install\nexport MANAGEMENT_PASSWORD="dotenv secret" # quoted, with a comment\nLOG_LEVEL=silent\n');
  const mgmt = (url: string, key: string) => fetch(`${url}/v0/management/config`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);
  delete process.env['MANAGEMENT_PASSWORD']; // the CLI inherits this process's environment
  const p = run(['-port', '0'], dir);
  const m = await p.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
  t.match(p.stdout(), /loaded 1 variable\(s\) from \.env/, 'LOG_LEVEL from the environment (info) beat the file (silent)');
  t.equal(await mgmt(m[1]!, 'dotenv secret'), 200, 'MANAGEMENT_PASSWORD from .env enables the management API');
  t.equal(await mgmt(m[1]!, 'nope'), 401);
  p.stop();
  await p.output;

  const q = run(['-port', '0'], dir, { MANAGEMENT_PASSWORD: 'from-env' });
  const n = await q.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
  t.equal(await mgmt(n[1]!, 'from-env'), 200, 'the environment wins');
  t.equal(await mgmt(n[1]!, 'dotenv secret'), 401);
  q.stop();
  await q.output;
});

t.test('uWebSockets.js builds: a warning unless the preferred one loads', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cli-'));
  const shim = run(['--port', '0'], dir, { CLIPROXY_UWS_BUILD: 'legacy', UWS_USE_FALLBACK: '1' });
  await shim.waitFor(/"level":"warn".*uWebSockets\.js native binary did not load/);
  shim.stop();
  await shim.output;
  const legacy = run(['--port', '0'], dir, { CLIPROXY_UWS_BUILD: 'legacy' });
  await legacy.waitFor(/"level":"warn".*using the 20\.30 build, which drops requests whose header names contain/);
  legacy.stop();
  await legacy.output;
  const normal = run(['--port', '0'], dir);
  const m = await normal.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
  // Codex CLI sends session_id and conversation_id headers: they must not stall the request.
  const res = await fetch(`${m[1]}/`, { headers: { session_id: 's1', conversation_id: 'c1' } });
  t.equal(res.status, 200);
  normal.stop();
  t.notMatch((await normal.output).stdout, /did not load/, 'no warning when the preferred build loads');
});
