// The command line entry point as a user runs it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { runCli } from '../helpers/cli-process.js';
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
