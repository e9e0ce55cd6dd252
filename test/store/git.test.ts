// Git store against a real smart-HTTP remote (git http-backend behind basic
// auth on loopback): the shared store scenario, the empty remote initialised
// with CLIProxyAPI's layout, changes pushed by another Git client reaching
// the mirrors, and the start-up errors.
import { spawn } from 'node:child_process';
import t from 'tap';
import { GitServer } from '../helpers/git-server.js';
import { openStore } from '../../lib/store/index.js';
import { maskGitUrl } from '../../lib/store/git.js';
import { runScenario } from './scenario.js';
import { tmp } from './helpers.js';

const remote = new GitServer();
await remote.start();
t.teardown(() => remote.stop());

const sh = (cmd: string, cwd: string) =>
  new Promise<number | null>((resolve) => spawn('sh', ['-c', cmd], { cwd, stdio: 'ignore', env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } }).on('close', resolve));
const authedUrl = () => remote.url.replace('http://', `http://${remote.username}:${remote.password}@`);

/** Commit and push with the git CLI, as a person editing the repository would. */
async function pushWithGit(key: string, content: string | undefined): Promise<void> {
  const dir = tmp('git-client-');
  if ((await sh(`git clone -q ${authedUrl()} work`, dir)) !== 0) throw new Error('clone failed');
  const w = `${dir}/work`;
  const edit = content === undefined ? `git rm -q ${key}` : `mkdir -p $(dirname ${key}) && cat > ${key} <<'JSON'\n${content}\nJSON\ngit add ${key}`;
  const code = await sh(`${edit} && git -c user.name=ed -c user.email=ed@example.com commit -qm edit && git push -q origin HEAD:main`, w);
  if (code !== 0) throw new Error(`push failed (${code})`);
}

await t.test('store scenario', (t) =>
  runScenario(t, {
    kind: 'git',
    folder: 'gitstore',
    env: (localPath) => ({ kind: 'git', url: remote.url, username: remote.username, token: remote.password, branch: '', localPath }),
    remote: async (key) => remote.files()?.get(key),
    writeRemote: pushWithGit,
    down: () => remote.stop(),
    up: () => remote.start(),
    secret: remote.password,
  }),
);

t.test('the remote holds the reference layout, one commit per change', async (t) => {
  const files = remote.files()!;
  t.ok(files.has('auths/.gitkeep') && files.has('config/.gitkeep'), 'initialised like CLIProxyAPI');
  t.ok(files.has('config/config.yaml'));
  t.ok([...files.keys()].every((k) => k.startsWith('auths/') || k.startsWith('config/')), [...files.keys()].join(', '));
});

t.test('start-up errors name the store and never show the token', async (t) => {
  const dir = tmp('gitstore-err-');
  await t.rejects(openStore({ kind: 'git', url: remote.url, username: remote.username, token: 'wrong-token-value-xyz', branch: '', localPath: dir }), {
    name: 'StoreError',
    message: new RegExp(`^git store ${remote.url.replace(/\./g, '\\.')}: cannot reach the remote: the remote refused the credentials \\(HTTP 401/403\\): check GITSTORE_GIT_USERNAME and GITSTORE_GIT_TOKEN$`),
  });
  const down = new GitServer();
  await down.start();
  const url = down.url;
  await down.stop();
  const err = await openStore({ kind: 'git', url, username: 'u', token: 'another-secret-token', branch: '', localPath: tmp('gitstore-err2-') }).catch((e: Error) => e);
  t.match(err, { name: 'StoreError', message: /cannot reach the remote: .*ECONNREFUSED/ });
  t.notOk(String((err as Error).message).includes('another-secret-token'));
  t.equal(maskGitUrl('https://user:tok123@git.example.com/r.git'), 'https://user:****@git.example.com/r.git');
});
