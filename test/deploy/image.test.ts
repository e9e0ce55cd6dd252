// The container image. Without Docker: the Dockerfile's own steps on a fresh
// copy of the sources (compile, `npm ci --omit=dev`, the binary pruning, the
// native-server check that makes the glibc-compat copy), then the gateway
// started from dist/ with production dependencies only, as the image runs it.
// With a reachable Docker daemon: the image itself is built and run.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { readDockerfile, runs } from './dockerfile.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const stages = readDockerfile(path.join(root, 'Dockerfile'));

function sh(cmd: string, cwd: string, env: Record<string, string> = {}, timeout = 180_000) {
  const r = spawnSync('bash', ['-c', cmd], { cwd, env: { ...process.env, ...env }, encoding: 'utf8', timeout, maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.slice(-4000) };
}

/** A RUN line's commands joined by `&&`, split outside quotes. */
function shellCommands(line: string): string[] {
  const out: string[] = [];
  let quote = '';
  let cur = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (line.startsWith(' && ', i)) {
      out.push(cur.trim());
      cur = '';
      i += 3;
      continue;
    }
    cur += c;
  }
  out.push(cur.trim());
  return out;
}

/** Start `node dist/lib/cli.js` in `cwd`, wait for its URL. */
function startDist(cwd: string, args: string[], env: Record<string, string>, uid?: number) {
  // As the image's unprivileged user would: setpriv execs node itself, so signals reach it directly.
  const [cmd, argv] = uid === undefined ? [process.execPath, ['dist/lib/cli.js', ...args]] : ['setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--', process.execPath, 'dist/lib/cli.js', ...args]];
  const child = spawn(cmd, argv, { cwd, env: { PATH: process.env['PATH'] ?? '', HOME: env['HOME'] ?? cwd, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => (clearTimeout(kill), resolve(code))));
  const url = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const m = /listening on (http:\/\/[^\s"]+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    void exited.then(() => reject(new Error(`exited before listening:\n${out}`)));
  });
  return { url, exited, output: () => out, stop: () => child.kill('SIGTERM') };
}

t.test('the Dockerfile is multi-stage, non-root, with volumes, ports and a readiness healthcheck', async (t) => {
  const text = readFileSync(path.join(root, 'Dockerfile'), 'utf8');
  t.same(stages.map((s) => s.name), ['build', 'deps', 'runtime']);
  t.match(text, /ARG NODE_IMAGE=node:20-bookworm-slim/);
  t.match(runs(stages, 'build').join('\n'), /npm ci[^\n]*\n[\s\S]*npm run build/, 'build: every dependency, then compile');
  t.match(runs(stages, 'deps')[0], /npm ci --omit=dev/, 'runtime dependencies: production only');
  const runtime = stages.find((s) => s.name === 'runtime')!.steps;
  const arg = (op: string) => runtime.filter((s) => s.op === op).map((s) => s.args);
  t.same(arg('USER'), ['node'], 'runs as the image\'s unprivileged user');
  t.same(arg('EXPOSE'), ['8317 8085 1455 54545 11451']);
  t.match(arg('VOLUME')[0], /"\/config", "\/auths", "\/data"/);
  t.match(arg('HEALTHCHECK')[0], /\/readyz/);
  t.same(arg('ENTRYPOINT'), ['["node", "dist/lib/cli.js"]']);
  t.ok(arg('COPY').some((a) => a === '--from=build /src/dist ./dist') && arg('COPY').some((a) => a === '--from=deps /app/node_modules ./node_modules'), 'runtime gets dist/ and production node_modules only');
  const ignored = readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n');
  for (const p of ['node_modules', 'dist', '.git', 'test', 'config.yaml', '.env']) t.ok(ignored.includes(p), `.dockerignore keeps ${p} out of the context`);
});

t.test('the Dockerfile steps without Docker: compile a fresh copy, npm ci --omit=dev, start dist/', async (t) => {
  const work = mkdtempSync(path.join(tmpdir(), 'cliproxy-image-'));
  t.teardown(() => rmSync(work, { recursive: true, force: true }));

  // build stage: the files it copies, the repository's installed dev dependencies (what its `npm ci` gives).
  const src = path.join(work, 'src');
  mkdirSync(src);
  for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'lib', 'pipelines', 'workers']) cpSync(path.join(root, f), path.join(src, f), { recursive: true });
  symlinkSync(path.join(root, 'node_modules'), path.join(src, 'node_modules'));
  const build = sh('npm run build', src);
  t.equal(build.code, 0, `npm run build succeeds${build.code ? `:\n${build.out}` : ''}`);
  t.ok(existsSync(path.join(src, 'dist/lib/cli.js')), 'dist/lib/cli.js compiled');

  // deps stage: its RUN, except the cache wipe (this machine's npm cache is shared) and with the cache preferred.
  const app = path.join(work, 'app');
  mkdirSync(app);
  for (const f of ['package.json', 'package-lock.json']) cpSync(path.join(root, f), path.join(app, f));
  const deps = runs(stages, 'deps')[0]!.replace(/&& npm cache clean --force /, '').replace('npm ci ', 'npm ci --prefer-offline ');
  const install = sh(deps, app, {}, 240_000);
  t.equal(install.code, 0, `npm ci --omit=dev and the binary pruning succeed${install.code ? `:\n${install.out}` : ''}`);
  for (const dev of ['typescript', 'tap', 'openai', '@anthropic-ai/sdk']) t.notOk(existsSync(path.join(app, 'node_modules', dev)), `no dev dependency ${dev}`);
  const uwsDir = path.join(app, 'node_modules/@btc-vision/uwebsockets.js');
  const kept = readdirSync(uwsDir).filter((f) => f.endsWith('.node'));
  t.same(kept, [`uws_linux_${process.arch}_${process.versions.modules}.node`], 'only this platform\'s uWS binary is left');

  // runtime stage: its COPY steps (from the build stage, from the context), then its RUN's first command (the native-server check).
  for (const { op, args } of stages.find((s) => s.name === 'runtime')!.steps) {
    if (op !== 'COPY') continue;
    const words = args.split(/\s+/);
    const from = words[0]!.startsWith('--from=') ? words.shift()!.slice('--from='.length) : undefined;
    const dest = words.pop()!;
    if (from === 'deps') continue; // node_modules: installed in place above
    for (const item of words) {
      const source = from === 'build' ? path.join(src, path.relative('/src', item)) : path.join(root, item);
      const target = dest.endsWith('/') ? path.join(app, dest, path.basename(item)) : path.join(app, dest);
      cpSync(source, target, { recursive: true });
    }
  }
  const check = shellCommands(runs(stages, 'runtime')[0]!)[0]!.replaceAll('/app/', `${app}/`);
  const native = sh(check, app);
  t.equal(native.code, 0, `the image's native-server check passes${native.code ? `:\n${native.out}` : ''}`);
  t.match(native.out, /uWebSockets\.js: native(?!-legacy)/, 'the 20.56 build');
  const glibc = sh('ldd --version | head -1', app).out;
  const minor = Number(/2\.(\d+)/.exec(glibc)?.[1] ?? 99);
  if (process.platform === 'linux' && minor < 38) {
    const cache = path.join(app, 'node_modules/.cache/cliproxy-ts');
    t.ok(existsSync(cache) && readdirSync(cache).some((f) => /glibc236.*\.node$/.test(f)), `glibc 2.${minor}: the patched binary was written under node_modules at build time`);
  }

  // Start it as the image does (production dependencies, dist/), on loopback here; when this
  // test runs as root, as an unprivileged user who cannot write to the application folder
  // (the glibc-compat copy made above must be enough).
  const config = path.join(work, 'config');
  mkdirSync(config);
  writeFileSync(path.join(config, 'config.yaml'), 'host: "127.0.0.1"\nport: 8317\napi-keys: ["image-test-key"]\nauth-dir: "' + path.join(work, 'auths') + '"\n');
  const unprivileged = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0 ? 65534 : undefined;
  for (const d of ['auths', 'data']) mkdirSync(path.join(work, d));
  if (unprivileged !== undefined) {
    chmodSync(work, 0o755);
    for (const d of ['auths', 'data']) chownSync(path.join(work, d), unprivileged, unprivileged);
  }
  const gw = startDist(app, ['--config', path.join(config, 'config.yaml'), '--port', '0'], { NODE_ENV: 'production', WRITABLE_PATH: path.join(work, 'data'), HOME: work, MANAGEMENT_PASSWORD: 'image-test-management' }, unprivileged);
  if (unprivileged !== undefined) t.pass('running as uid 65534, the application folder read-only to it');
  t.teardown(() => gw.stop());
  const url = await gw.url;
  t.notMatch(gw.output(), /did not load|JavaScript fallback/, 'the native 20.56 server runs (no fallback warning)');
  const ready = await fetch(`${url}/readyz`);
  t.equal(ready.status, 200, '/readyz from the production install');
  const models = await fetch(`${url}/v1/models`, { headers: { authorization: 'Bearer image-test-key' } });
  t.equal(models.status, 200, 'an API route answers');
  const panel = await fetch(`${url}/management.html`);
  t.equal(panel.status, 200, 'the control panel is in the image (its files are not compiled by tsc)');
  t.match(await panel.text(), /<html/i);
  gw.stop();
  t.equal(await gw.exited, 0, 'SIGTERM: exit code 0');
});

/** Why the image cannot be built here (false: a Docker daemon answers). */
function noDocker(): string | false {
  const info = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 20_000 });
  if (!info.error && info.status === 0) return false;
  const why = info.error ? info.error.message : (info.stderr || info.stdout).trim().split('\n').at(-1);
  return `no Docker daemon reachable (docker info: ${why}): the image build is not tested here; the Dockerfile steps are, above`;
}

t.test('docker build and run (needs a Docker daemon)', { skip: noDocker() }, async (t) => {
  const tag = `cliproxy-ts:test-${process.pid}`;
  const built = sh(`docker build -t ${tag} .`, root, {}, 1_200_000);
  t.equal(built.code, 0, `docker build${built.code ? `:\n${built.out}` : ''}`);
  if (built.code !== 0) return;
  t.teardown(() => void spawnSync('docker', ['rmi', '-f', tag]));
  const work = mkdtempSync(path.join(tmpdir(), 'cliproxy-docker-'));
  writeFileSync(path.join(work, 'config.yaml'), 'host: "0.0.0.0"\nport: 8317\napi-keys: ["docker-test-key"]\nauth-dir: "/auths"\nshutdown-timeout-seconds: 5\n');
  spawnSync('chmod', ['-R', 'a+rwX', work]);
  const name = `cliproxy-test-${process.pid}`;
  const run = spawnSync('docker', ['run', '-d', '--name', name, '-p', '127.0.0.1::8317', '-v', `${work}:/config`, tag], { encoding: 'utf8' });
  t.equal(run.status, 0, `docker run: ${run.stderr}`);
  t.teardown(() => void spawnSync('docker', ['rm', '-f', name]));
  const port = spawnSync('docker', ['port', name, '8317/tcp'], { encoding: 'utf8' }).stdout.trim().split(':').at(-1);
  let status = 0;
  for (let i = 0; i < 120 && status !== 200; i++) {
    status = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status, () => 0);
    if (status !== 200) await new Promise((r) => setTimeout(r, 500));
  }
  t.equal(status, 200, '/readyz through the published port');
  const logs = spawnSync('docker', ['logs', name], { encoding: 'utf8' });
  t.notMatch(`${logs.stdout}${logs.stderr}`, /did not load|JavaScript fallback/, 'native uWebSockets.js in the image');
  const user = spawnSync('docker', ['exec', name, 'id', '-u'], { encoding: 'utf8' }).stdout.trim();
  t.not(user, '0', 'not running as root');
  spawnSync('docker', ['stop', '-t', '30', name]);
  const code = spawnSync('docker', ['inspect', '-f', '{{.State.ExitCode}}', name], { encoding: 'utf8' }).stdout.trim();
  t.equal(code, '0', 'docker stop: the gateway drains and exits 0');
});
