// The client's real address behind a load balancer (trusted-proxies). All test
// traffic comes from 127.0.0.1, so 127.0.0.1 plays the balancer: it is listed
// in trusted-proxies and each request names its client in X-Forwarded-For, as
// nginx's $proxy_add_x_forwarded_for does (what the client sent, then the
// client's own address). Played as attacks: spoofing X-Forwarded-For without
// being trusted, forging left entries of the chain, a proxy on this host making
// remote clients local, and one client's failures banning everyone.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import WebSocket from 'ws';
import { clientAddress, formatIp, MAX_HOPS, parseIp } from '../../lib/access/client-address.js';
import { MAX_RESPONSES_SOCKETS_PER_ADDRESS } from '../../lib/api/responses-ws.js';
import { ConfigError, parseConfig } from '../../lib/config/load.js';
import { BAN_MS, MAX_FAILURES } from '../../lib/management/access.js';
import { compatYaml, gatewayFromYaml } from '../helpers/gateway.js';
import { SimulatedApp } from '../helpers/relay-app.js';
import { waitFor } from '../helpers/wait.js';
import { mgmtGateway, type MgmtGateway } from '../management/helpers.js';
import { startMockOpenAI } from '../mocks/openai-upstream.js';

const KEY = 'trusted-proxies-management-key';

t.test('clientAddress: who the client is', async (t) => {
  const none: string[] = [];
  const lb = ['127.0.0.1', '10.0.0.0/8', 'fd00::/8'];
  const xff = (v: string) => ({ 'x-forwarded-for': v });

  t.same(clientAddress('203.0.113.9', xff('127.0.0.1'), none), { address: '203.0.113.9', local: false, forwarded: false }, 'nothing trusted: the header is ignored');
  t.same(clientAddress('127.0.0.1', xff('198.51.100.1'), none), { address: '127.0.0.1', local: true, forwarded: false }, 'nothing trusted: a loopback peer stays local whatever it claims');
  t.same(clientAddress('203.0.113.9', xff('127.0.0.1'), lb), { address: '203.0.113.9', local: false, forwarded: false }, 'an untrusted peer cannot claim to be loopback');

  t.same(clientAddress('127.0.0.1', xff('198.51.100.1'), lb), { address: '198.51.100.1', local: false, forwarded: true }, 'a trusted peer forwards its client');
  t.same(clientAddress('127.0.0.1', xff('1.1.1.1, 127.0.0.1, 198.51.100.1'), lb).address, '198.51.100.1', 'forged left entries are never read');
  t.same(clientAddress('127.0.0.1', xff('not an ip, 198.51.100.1'), lb).address, '198.51.100.1', 'junk left of the client does not matter');
  t.same(clientAddress('127.0.0.1', xff(`${'x,'.repeat(2000)}198.51.100.1`), lb).address, '198.51.100.1', 'nor does a huge forged prefix');
  t.same(clientAddress('127.0.0.1', xff('198.51.100.1, 10.1.2.3'), lb).address, '198.51.100.1', 'trusted hops are skipped from the right');
  t.same(clientAddress('127.0.0.1', xff('10.9.9.9, 10.1.2.3'), lb), { address: '10.9.9.9', local: false, forwarded: true }, 'all trusted: the leftmost one');
  t.same(clientAddress('127.0.0.1', xff('10.1.2.3, bogus'), lb), { address: '127.0.0.1', local: false, forwarded: false }, 'malformed where the proxies wrote: the peer, remote');
  t.same(clientAddress('127.0.0.1', xff('198.51.100.1:443'), lb).address, '127.0.0.1', 'ports are not IP literals');
  t.same(clientAddress('127.0.0.1', xff(''), lb).address, '127.0.0.1', 'empty header: the peer');
  const long = Array.from({ length: MAX_HOPS + 1 }, (_, i) => `10.0.0.${i + 1}`).join(', ');
  t.same(clientAddress('127.0.0.1', xff(`198.51.100.1, ${long}`), lb).address, '127.0.0.1', 'more trusted hops than MAX_HOPS: the peer');
  const fits = Array.from({ length: MAX_HOPS }, (_, i) => `10.0.0.${i + 1}`).join(', ');
  t.same(clientAddress('127.0.0.1', xff(`198.51.100.1, ${fits}`), lb).address, '198.51.100.1', 'MAX_HOPS trusted hops are walked');

  t.same(clientAddress('127.0.0.1', { 'x-real-ip': ' 198.51.100.2 ' }, lb), { address: '198.51.100.2', local: false, forwarded: true }, 'X-Real-IP without X-Forwarded-For');
  t.same(clientAddress('127.0.0.1', { 'x-real-ip': '198.51.100.2', ...xff('198.51.100.3') }, lb).address, '198.51.100.3', 'X-Forwarded-For wins');
  t.same(clientAddress('127.0.0.1', { 'x-real-ip': 'nope' }, lb), { address: '127.0.0.1', local: false, forwarded: false }, 'a bad X-Real-IP: the peer');

  // Local: the request never left this host.
  t.same(clientAddress('127.0.0.1', {}, lb), { address: '127.0.0.1', local: false, forwarded: false }, 'a trusted proxy that forwards nothing is remote');
  t.equal(clientAddress('127.0.0.1', xff('127.0.0.1'), lb).local, true, 'loopback forwarded by a loopback proxy: local');
  t.equal(clientAddress('127.0.0.1', xff('::1'), lb).local, true, 'IPv6 loopback too');
  t.equal(clientAddress('10.0.0.5', xff('127.0.0.1'), lb).local, false, "loopback of another host's proxy: remote");
  t.equal(clientAddress('127.0.0.1', xff('127.0.0.1, 10.0.0.5'), lb).local, false, 'a hop through another host: remote');
  t.equal(clientAddress('127.0.0.1', { 'x-real-ip': '127.0.0.1' }, ['127.0.0.1']).local, true, 'X-Real-IP loopback from a loopback proxy: local');

  // IPv6 and the spellings uWS reports.
  t.equal(clientAddress('fd00::1', xff('2001:DB8:0:0:0:0:0:1'), lb).address, '2001:db8::1', 'IPv6 proxy, canonical IPv6 client');
  t.equal(clientAddress('0000:0000:0000:0000:0000:ffff:7f00:0001', xff('198.51.100.4'), lb).address, '198.51.100.4', 'a dual-stack listener spells 127.0.0.1 as mapped IPv6');
  t.equal(clientAddress('127.0.0.1', xff('::ffff:198.51.100.5'), lb).address, '198.51.100.5', 'IPv4-mapped clients are their IPv4 address');
  t.equal(clientAddress('fe80::1', xff('198.51.100.1'), lb).address, 'fe80::1', 'an IPv6 peer outside the list is not trusted');

  for (const [text, canon] of [
    ['::', '::'],
    ['::1', '::1'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['2001:db8::0:1', '2001:db8::1'],
    ['::ffff:10.0.0.1', '10.0.0.1'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
    ['0.0.0.0', '0.0.0.0'],
  ]) t.equal(formatIp(parseIp(text!)!), canon, `${text} → ${canon}`);
  for (const bad of ['1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1::2::3', '1:2:3:4:5:6:7:8:9', 'fe80::1%eth0', '[::1]', 'g::1', ':::', '1.2.3.4/8', '1.2.3.4::', '::1.2.3.4:5'])
    t.equal(parseIp(bad), undefined, `${bad} is not an IP literal`);
});

t.test('config: trusted-proxies entries must be IPs or CIDRs', async (t) => {
  t.same(parseConfig('', 'c.yaml').config.trustedProxies, [], 'default: nobody is trusted');
  t.same(parseConfig('trusted-proxies: ["10.0.0.5", "172.16.0.0/12", "fd00::/8", "::1"]\n', 'c.yaml').config.trustedProxies, ['10.0.0.5', '172.16.0.0/12', 'fd00::/8', '::1']);
  for (const [entry, why] of [
    ['10.0.0.0/33', /trusted-proxies: "10\.0\.0\.0\/33": the prefix length must be 0-32/],
    ['fd00::/129', /the prefix length must be 0-128/],
    ['10.0.0.0/', /prefix length/],
    ['10.0.0.300', /"10\.0\.0\.300" is not an IP address or CIDR/],
    ['nginx', /"nginx" is not an IP address or CIDR/],
    ['10.0.0.0/8/8', /prefix length/],
  ] as const) {
    t.throws(() => parseConfig(`trusted-proxies:\n  - "127.0.0.1"\n  - "${entry}"\n`, 'c.yaml'), { name: 'ConfigError', message: why }, `${entry} refused`);
  }
  t.throws(() => parseConfig('trusted-proxies: "10.0.0.0/8"\n', 'c.yaml'), ConfigError, 'a single string is not a list');
});

/** A gateway with the management API on: remote clients need allow-remote. */
async function mgmt(t: Test, trusted: string[], allowRemote: boolean): Promise<MgmtGateway> {
  const list = trusted.length ? `trusted-proxies:\n${trusted.map((p) => `  - "${p}"`).join('\n')}\n` : '';
  const gw = await mgmtGateway(`${list}remote-management:\n  allow-remote: ${allowRemote}\n`, { key: null, management: { env: { MANAGEMENT_PASSWORD: KEY } } });
  t.teardown(() => gw.close());
  return gw;
}

/** GET /v0/management/debug as a client `xff` names (undefined: no header). */
async function debug(gw: MgmtGateway, key: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const res = await fetch(`${gw.url}/v0/management/debug`, { headers: { authorization: `Bearer ${key}`, ...headers } });
  return { status: res.status, text: await res.text() };
}

t.test('management: nothing trusted (the default) — X-Forwarded-For changes nothing', async (t) => {
  const gw = await mgmt(t, [], false);
  t.equal((await debug(gw, KEY, { 'x-forwarded-for': '198.51.100.1' })).status, 200, 'still the loopback peer: local, no allow-remote needed');
  for (let i = 0; i < MAX_FAILURES + 2; i++) {
    const r = await debug(gw, `wrong-${i}`, { 'x-forwarded-for': '198.51.100.1' });
    t.equal(r.status, 401, `wrong key ${i + 1}: 401, never a ban for the loopback peer`);
  }
  t.equal((await debug(gw, KEY, { 'x-forwarded-for': '198.51.100.1' })).status, 200, 'the right key still works');
  t.equal(gw.management.access.sizes.tracked, 0, 'no remote address was ever tracked');
});

t.test('management behind a trusted proxy: forwarded clients are remote and banned one by one', async (t) => {
  const closed = await mgmt(t, ['127.0.0.1'], false);
  const refused = await debug(closed, KEY, { 'x-forwarded-for': '198.51.100.1' });
  t.equal(refused.status, 403, 'a forwarded client is remote: without allow-remote, refused');
  t.match(refused.text, /remote management disabled/);
  t.equal((await debug(closed, KEY)).status, 403, 'a trusted proxy that forwards no address is remote too');
  t.equal((await debug(closed, KEY, { 'x-forwarded-for': '127.0.0.1' })).status, 200, 'a loopback client through a loopback proxy is local');
  t.equal((await debug(closed, KEY, { 'x-forwarded-for': '127.0.0.1, 198.51.100.1' })).status, 403, 'a remote client claiming loopback on the left is remote');

  const gw = await mgmt(t, ['127.0.0.1'], true);
  const attacker = '198.51.100.66';
  for (let i = 0; i < MAX_FAILURES; i++) {
    // The attacker forges a different left part each time; the proxy appends its real address.
    const r = await debug(gw, `guess-${i}`, { 'x-forwarded-for': `203.0.113.${i}, 10.0.0.${i}, ${attacker}` });
    t.equal(r.status, 401, `guess ${i + 1}: 401`);
  }
  const banned = await debug(gw, KEY, { 'x-forwarded-for': `192.0.2.1, ${attacker}` });
  t.equal(banned.status, 403, 'the attacker is banned, whatever it forges on the left');
  t.match(banned.text, /IP banned due to too many failed attempts/);
  t.equal((await debug(gw, KEY, { 'x-forwarded-for': '198.51.100.67' })).status, 200, 'another client through the same proxy is not');
  t.equal((await debug(gw, KEY, { 'x-forwarded-for': '::ffff:198.51.100.66' })).status, 403, 'another spelling of the banned address is the same client');
  t.equal(gw.management.access.sizes.tracked, 1, 'one address tracked: the attacker');
  t.ok(BAN_MS > 0);
});

t.test('Responses WebSocket: the per-address cap counts forwarded clients, not the proxy', async (t) => {
  const mock = await startMockOpenAI();
  const open: WebSocket[] = [];
  t.teardown(async () => {
    for (const ws of open) ws.terminate();
    await mock.close();
  });
  const connect = (gwUrl: string, forwardedFor: string): Promise<{ ws?: WebSocket; status?: number }> =>
    new Promise((resolve) => {
      const ws = new WebSocket(`${gwUrl.replace('http', 'ws')}/v1/responses`, { headers: { 'x-forwarded-for': forwardedFor } });
      ws.once('open', () => {
        open.push(ws);
        resolve({ ws });
      });
      ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode }));
      ws.once('error', () => resolve({ status: -1 }));
    });
  const closeAll = async () => {
    const all = open.splice(0);
    await Promise.all(all.map((ws) => new Promise<void>((resolve) => (ws.readyState === WebSocket.CLOSED ? resolve() : (ws.once('close', () => resolve()), ws.close())))));
  };

  const trusted = await gatewayFromYaml(compatYaml(mock.url, { extra: 'trusted-proxies: ["127.0.0.1"]' }));
  t.teardown(() => trusted.close());
  for (let i = 0; i < MAX_RESPONSES_SOCKETS_PER_ADDRESS; i++) {
    const r = await connect(trusted.url, `203.0.113.${i}, 198.51.100.10`);
    if (!r.ws) t.fail(`socket ${i + 1} of client A refused: ${r.status}`);
  }
  t.equal((await connect(trusted.url, '198.51.100.10')).status, 429, 'client A is at its cap, whatever it forges on the left');
  t.ok((await connect(trusted.url, '198.51.100.11')).ws, 'client B behind the same proxy still gets a socket');
  await closeAll();

  const plain = await gatewayFromYaml(compatYaml(mock.url));
  t.teardown(() => plain.close());
  for (let i = 0; i < MAX_RESPONSES_SOCKETS_PER_ADDRESS; i++) {
    const r = await connect(plain.url, `198.51.100.${20 + i}`);
    if (!r.ws) t.fail(`socket ${i + 1} refused: ${r.status}`);
  }
  t.equal((await connect(plain.url, '198.51.100.99')).status, 429, 'nothing trusted: a fresh X-Forwarded-For does not buy another slot');
  await closeAll();
});

t.test('AI Studio relay: relay-max-connections-per-ip counts forwarded clients', async (t) => {
  const key = 'sk-trusted-relay';
  const base = `api-keys:\n  - "${key}"\nrelay-max-connections-per-ip: 1\n`;
  const apps: SimulatedApp[] = [];
  t.teardown(async () => {
    for (const a of apps) await a.close();
  });
  const as = (forwardedFor: string) => ({ query: `key=${key}`, headers: { 'x-forwarded-for': forwardedFor } });

  const trusted = await gatewayFromYaml(`${base}trusted-proxies: ["127.0.0.0/8"]\n`);
  t.teardown(() => trusted.close());
  apps.push(await SimulatedApp.connect(trusted.url, as('198.51.100.30')));
  t.equal((await SimulatedApp.refusal(trusted.url, as('192.0.2.7, 198.51.100.30')))?.status, 429, 'the same client again: over its cap');
  apps.push(await SimulatedApp.connect(trusted.url, as('198.51.100.31')));
  t.pass('another client behind the same proxy connects');

  const plain = await gatewayFromYaml(base);
  t.teardown(() => plain.close());
  apps.push(await SimulatedApp.connect(plain.url, as('198.51.100.40')));
  t.equal((await SimulatedApp.refusal(plain.url, as('198.51.100.41')))?.status, 429, 'nothing trusted: X-Forwarded-For does not buy another slot');
});

t.test('request logs name the forwarded client', async (t) => {
  const mock = await startMockOpenAI();
  t.teardown(() => mock.close());
  const gw = await mgmtGateway(compatYaml(mock.url, { extra: 'request-log: true\ntrusted-proxies: ["127.0.0.1"]' }));
  t.teardown(() => gw.close());
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': '192.0.2.200, 198.51.100.77' },
    body: JSON.stringify({ model: 'gpt-mock', messages: [{ role: 'user', content: 'hi' }] }),
  });
  t.equal(res.status, 200);
  await res.text();
  const logDir = path.join(gw.dir, 'logs');
  const files = () => (existsSync(logDir) ? readdirSync(logDir).filter((n) => n.startsWith('v1-chat-completions-')) : []);
  t.ok(await waitFor(() => files().length === 1), 'one request log');
  const text = readFileSync(path.join(logDir, files()[0]!), 'utf8');
  t.match(text, /^Client: 198\.51\.100\.77$/m, 'the client, not the proxy or a forged entry');
});

const nginx = ['nginx', '/usr/sbin/nginx', '/usr/local/sbin/nginx'].find((p) => {
  const r = spawnSync(p, ['-v'], { encoding: 'utf8' });
  return !r.error && r.status === 0;
});

t.test('through deploy/nginx.conf: nginx forwards the client, forged entries are ignored', { skip: nginx ? false : 'no nginx binary on this machine' }, async (t) => {
  // nginx connects to the gateway from 127.0.0.2 (proxy_bind), so it alone is
  // trusted and the test client (127.0.0.1) is an ordinary client behind it.
  const mock = await startMockOpenAI();
  t.teardown(() => mock.close());
  const gw = await mgmtGateway(compatYaml(mock.url, { extra: 'request-log: true\ntrusted-proxies: ["127.0.0.2"]' }), { key: null, management: { env: { MANAGEMENT_PASSWORD: KEY } } });
  t.teardown(() => gw.close());
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const dir = mkdtempSync(path.join(tmpdir(), 'cliproxy-xff-nginx-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'logs'));
  const listen = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
  let conf = readFileSync(path.join(root, 'deploy/nginx.conf'), 'utf8');
  t.match(conf, /proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;/, 'nginx appends the client to X-Forwarded-For');
  conf = conf
    .replace(/server gateway:8317[^;]*;/, `server 127.0.0.1:${gw.port};`)
    .replace(/\s*server gateway-[bc]:8317[^;]*;/g, '')
    .replace('listen 8080;', `listen 127.0.0.1:${listen};`)
    .replace('worker_processes auto;', 'worker_processes 1;')
    .replace('proxy_pass http://gateways;', 'proxy_pass http://gateways;\n      proxy_bind 127.0.0.2;')
    .replace('http {', `http {\n${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `  ${k}_temp_path ${path.join(dir, k)};`).join('\n')}`);
  const confFile = path.join(dir, 'nginx.conf');
  writeFileSync(confFile, `pid ${path.join(dir, 'nginx.pid')};\nerror_log ${path.join(dir, 'error.log')} warn;\n${conf}`);
  const check = spawnSync(nginx!, ['-t', '-p', dir, '-c', confFile], { encoding: 'utf8' });
  t.equal(check.status, 0, `nginx -t accepts the config${check.status ? `:\n${check.stderr}` : ''}`);
  const proc = spawn(nginx!, ['-p', dir, '-c', confFile, '-g', 'daemon off;'], { stdio: 'ignore' });
  const killer = setTimeout(() => proc.kill('SIGKILL'), 60_000);
  t.teardown(() => {
    clearTimeout(killer);
    proc.kill('SIGTERM');
  });
  const lb = `http://127.0.0.1:${listen}`;
  t.ok(await waitFor(() => fetch(`${lb}/lb-health`).then((r) => r.ok, () => false), { everyMs: 50 }), 'nginx answers');
  const viaLb = (headers: Record<string, string> = {}) => fetch(`${lb}/v0/management/debug`, { headers: { authorization: `Bearer ${KEY}`, ...headers } }).then((r) => r.status);

  t.equal(await viaLb(), 200, 'the client (127.0.0.1) is forwarded: local through a loopback nginx');
  t.equal(await viaLb({ 'x-forwarded-for': '198.51.100.1' }), 200, 'a forged X-Forwarded-For cannot make it someone else');
  t.equal((await debug(gw, KEY, { 'x-forwarded-for': '198.51.100.1' })).status, 200, 'nor can it, sent directly by an untrusted peer');

  const res = await fetch(`${lb}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.1' },
    body: JSON.stringify({ model: 'gpt-mock', messages: [{ role: 'user', content: 'hi' }] }),
  });
  t.equal(res.status, 200);
  await res.text();
  const logDir = path.join(gw.dir, 'logs');
  const files = () => (existsSync(logDir) ? readdirSync(logDir).filter((n) => n.startsWith('v1-chat-completions-')) : []);
  t.ok(await waitFor(() => files().length === 1), 'one request log');
  t.match(readFileSync(path.join(logDir, files()[0]!), 'utf8'), /^Client: 127\.0\.0\.1$/m, 'the log names the client, not nginx (127.0.0.2) nor the forged entry');
});

t.test('/v1internal (local clients only): a client forwarded by a proxy on this host is not local', async (t) => {
  const gw = await gatewayFromYaml('trusted-proxies: ["127.0.0.1"]\n');
  t.teardown(() => gw.close());
  const call = (headers: Record<string, string>) =>
    fetch(`${gw.url}/v1internal:loadCodeAssist`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' }).then(async (r) => ({ status: r.status, text: await r.text() }));
  const remote = await call({ 'x-forwarded-for': '198.51.100.5' });
  t.equal(remote.status, 403, 'a remote client behind the proxy is refused');
  t.match(remote.text, /only served to local clients/);
  t.equal((await call({})).status, 403, 'so is a request the proxy forwards without an address');
  t.equal((await call({ 'x-forwarded-for': '127.0.0.1' })).status, 200, 'a loopback client through the loopback proxy is served');
});
