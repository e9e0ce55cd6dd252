// The scale-out profile's load balancer config (deploy/nginx.conf) in front of
// three real gateways on loopback: requests spread over the instances, SSE
// streams pass unbuffered, the Responses WebSocket upgrades through it, and
// while one instance drains for shutdown every request still succeeds (its
// 503s and refused connections go to the next instance). Needs an nginx
// binary (skipped with a message when there is none; the compose profile runs
// nginx's official image).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';
import t from 'tap';
import WebSocket from 'ws';
import { parseConfig } from '../../lib/config/load.js';
import type { Gateway } from '../../lib/gateway.js';
import { compatYaml, gatewayFromYaml } from '../helpers/gateway.js';
import { startGatedUpstream } from './gated-upstream.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function nginxBinary(): string | undefined {
  for (const p of ['nginx', '/usr/sbin/nginx', '/usr/local/sbin/nginx']) {
    const r = spawnSync(p, ['-v'], { encoding: 'utf8' });
    if (!r.error && r.status === 0) return p;
  }
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** deploy/nginx.conf with the compose service names and port replaced by loopback ones, its files in `dir`. */
function localConfig(dir: string, ports: number[], listen: number): string {
  let conf = readFileSync(path.join(root, 'deploy/nginx.conf'), 'utf8');
  const names = ['gateway', 'gateway-b', 'gateway-c'];
  names.forEach((name, i) => {
    const before = conf;
    conf = conf.replace(new RegExp(`server ${name}:8317\\b`), `server 127.0.0.1:${ports[i]}`);
    if (conf === before) throw new Error(`deploy/nginx.conf has no "server ${name}:8317"`);
  });
  if (!/listen 8080;/.test(conf)) throw new Error('deploy/nginx.conf does not listen on 8080');
  conf = conf.replace('listen 8080;', `listen 127.0.0.1:${listen};`).replace('worker_processes auto;', 'worker_processes 1;');
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `  ${k}_temp_path ${path.join(dir, k)};`).join('\n');
  conf = conf.replace('http {', `http {\n${temp}`);
  return `pid ${path.join(dir, 'nginx.pid')};\nerror_log ${path.join(dir, 'error.log')} warn;\n${conf}`;
}

/** A config as a file edit would bring it (validated). */
const configOf = (yaml: string) => parseConfig(yaml, 'test.yaml').config;

const nginx = nginxBinary();

t.test('deploy/nginx.conf in front of three gateways', { skip: nginx ? false : 'no nginx binary on this machine: the load balancer config is not exercised here (apt-get install nginx-light to run it)' }, async (t) => {
  // One upstream per instance, so the test sees which instance served a request.
  const mocks = [await startGatedUpstream(), await startGatedUpstream(), await startGatedUpstream()];
  t.teardown(() => Promise.all(mocks.map((m) => m.close())));
  const gws: Gateway[] = [];
  for (const m of mocks) {
    m.release();
    gws.push(await gatewayFromYaml(compatYaml(m.url, { clientKeys: ['lb-key'], models: [['gated', 'gated']] })));
  }
  t.teardown(() => Promise.all(gws.map((g) => g.close())));

  const dir = mkdtempSync(path.join(tmpdir(), 'cliproxy-nginx-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'logs'));
  const listen = await freePort();
  const confFile = path.join(dir, 'nginx.conf');
  writeFileSync(confFile, localConfig(dir, gws.map((g) => g.port), listen));
  const check = spawnSync(nginx!, ['-t', '-p', dir, '-c', confFile], { encoding: 'utf8' });
  t.equal(check.status, 0, `nginx -t accepts the config${check.status ? `:\n${check.stderr}` : ''}`);
  const proc = spawn(nginx!, ['-p', dir, '-c', confFile, '-g', 'daemon off;'], { stdio: 'ignore' });
  const killer = setTimeout(() => proc.kill('SIGKILL'), 120_000);
  t.teardown(() => {
    clearTimeout(killer);
    proc.kill('SIGTERM');
  });
  const lb = `http://127.0.0.1:${listen}`;
  let up = false;
  for (let i = 0; i < 200 && !up; i++) {
    up = await fetch(`${lb}/lb-health`).then((r) => r.ok, () => false);
    if (!up) await new Promise((r) => setTimeout(r, 50));
  }
  t.ok(up, 'nginx answers');

  // Requests spread over the instances.
  const openai = new OpenAI({ baseURL: `${lb}/v1`, apiKey: 'lb-key', maxRetries: 0 });
  let answered = 0;
  for (let i = 0; i < 9; i++) {
    const a = await openai.chat.completions.create({ model: 'gated', messages: [{ role: 'user', content: 'x' }] });
    if (a.choices[0]?.message.content === 'whole answer') answered++;
  }
  t.equal(answered, 9, 'every request answered');
  t.same(mocks.map((m) => m.requests() > 0), [true, true, true], `every instance served some (${mocks.map((m) => m.requests()).join(', ')})`);
  t.equal((await fetch(`${lb}/readyz`)).status, 200, '/readyz through the balancer');

  // SSE passes unbuffered: the first chunk arrives while the upstream still holds the rest.
  const held = await startGatedUpstream();
  t.teardown(() => held.close());
  const heldYaml = compatYaml(held.url, { clientKeys: ['lb-key'], models: [['gated', 'gated']] });
  for (const g of gws) g.reload(configOf(heldYaml));
  const stream = await openai.chat.completions.create({ model: 'gated', messages: [{ role: 'user', content: 'x' }], stream: true });
  const it = stream[Symbol.asyncIterator]();
  t.equal((await it.next()).value?.choices[0]?.delta.content, 'first part', 'the first chunk came through before the stream finished');
  held.release();
  let rest = '';
  for (let r = await it.next(); !r.done; r = await it.next()) rest += r.value.choices[0]?.delta.content ?? '';
  t.equal(rest, ', second part');

  // The Responses WebSocket upgrades through the balancer.
  const ws = new WebSocket(`${lb.replace('http', 'ws')}/v1/responses`, { headers: { authorization: 'Bearer lb-key' } });
  const types: string[] = [];
  await new Promise<void>((resolve, reject) => {
    ws.once('error', reject);
    ws.once('open', () => ws.send(JSON.stringify({ type: 'response.create', model: 'gated', input: 'x' })));
    ws.on('message', (d) => {
      const ev = JSON.parse(String(d));
      types.push(ev.type);
      if (['response.completed', 'response.failed', 'error'].includes(ev.type)) resolve();
    });
  });
  ws.close();
  t.equal(types.at(-1), 'response.completed', 'a WebSocket turn completes through nginx');

  // One instance drains (a stream held open on it directly): every request through the balancer still succeeds.
  const slow = await startGatedUpstream();
  t.teardown(() => slow.close());
  gws[0]!.reload(configOf(compatYaml(slow.url, { clientKeys: ['lb-key'], models: [['gated', 'gated']] })));
  const direct = new OpenAI({ baseURL: `${gws[0]!.url}/v1`, apiKey: 'lb-key', maxRetries: 0 });
  const pinned = await direct.chat.completions.create({ model: 'gated', messages: [{ role: 'user', content: 'x' }], stream: true });
  const pinnedIt = pinned[Symbol.asyncIterator]();
  await pinnedIt.next();
  const draining = gws[0]!.shutdown(60_000);
  t.equal((await fetch(`${gws[0]!.url}/readyz`).catch(() => ({ status: 0 }))).status, 0, 'the draining instance takes no new connections');
  const statuses: number[] = [];
  for (let i = 0; i < 12; i++) {
    const r = await fetch(`${lb}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer lb-key' }, body: JSON.stringify({ model: 'gated', messages: [{ role: 'user', content: 'x' }] }) });
    statuses.push(r.status);
    await r.arrayBuffer();
  }
  t.same(statuses, Array(12).fill(200), 'no request failed while one instance drained');
  slow.release();
  for (let r = await pinnedIt.next(); !r.done; r = await pinnedIt.next());
  t.same(await draining, { interrupted: 0 }, 'the draining instance finished its stream and stopped');
});
