// Proxies: the global proxy-url and a token file's own proxy_url, through
// real local proxy servers (HTTP CONNECT and SOCKS5, both with user:pass).
// Each account's traffic — API calls and token refreshes — goes through its
// own proxy only; the tunnels' bytes show whose traffic they carried.
import type http from 'node:http';
import { writeFileSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { createServer as createHttpServer } from 'node:http';
import { createProxy } from 'proxy';
import socks from 'simple-socks';
import t from 'tap';
import { authStoreFor } from '../../lib/auth/store.js';
import { parseConfig } from '../../lib/config/load.js';
import { startGateway } from '../../lib/gateway.js';
import { log } from '../../lib/logging/logger.js';
import { tempDir } from '../auth/helpers.js';
import { startMockClaude } from '../mocks/claude-upstream.js';
import { startMockOAuth } from '../mocks/oauth-server.js';

process.env.LOG_LEVEL ??= 'error';
log.level = process.env.LOG_LEVEL;

async function httpProxy(user: string, pass: string) {
  const seen = { bytes: '', tunnels: 0, refused: 0 };
  const server = createProxy(createHttpServer());
  server.authenticate = (req: http.IncomingMessage) => {
    const ok = req.headers['proxy-authorization'] === `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    if (!ok) seen.refused++;
    return ok;
  };
  server.on('connect', (_req: http.IncomingMessage, socket: Socket) => {
    seen.tunnels++;
    socket.on('data', (d: Buffer) => (seen.bytes += d.toString('latin1')));
  });
  server.on('request', (req: http.IncomingMessage) => (seen.bytes += `${req.method} ${req.url} ${JSON.stringify(req.headers)}`));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { seen, port: (server.address() as AddressInfo).port, close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))) };
}

async function socksProxy(user: string, pass: string) {
  const seen = { bytes: '', connects: 0, refused: 0 };
  const server = socks.createServer({
    authenticate(u, p, _socket, cb) {
      if (u === user && p === pass) return setImmediate(cb);
      seen.refused++;
      setImmediate(cb, new Error('bad credentials'));
    },
  });
  server.on('handshake', (socket: Socket) => socket.on('data', (d: Buffer) => (seen.bytes += d.toString('latin1'))));
  server.on('proxyConnect', () => seen.connects++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => (sockets.add(s), s.on('close', () => sockets.delete(s))));
  return {
    seen,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))),
  };
}

const api = await startMockClaude();
const oauth = await startMockOAuth({ flavour: 'claude', email: 'via-socks@x.test' });
const hp = await httpProxy('hu', 'h p@ss');
const sp = await socksProxy('su', 's:pw');
t.teardown(async () => {
  await api.close();
  await oauth.close();
  await hp.close();
  await sp.close();
});

t.test('global proxy-url (HTTP CONNECT) for one account, a SOCKS5 proxy_url for another; refresh follows the account', async (t) => {
  // A token that needs refreshing now, so its refresh goes out at start-up, through its proxy.
  const login = await import('../auth/helpers.js').then((h) => h.loginFile('claude', oauth, tempDir(), api.url));
  const viaSocks = JSON.parse((await import('node:fs')).readFileSync(login, 'utf8'));
  const dir = tempDir();
  const soon = new Date(Date.now() + 60_000).toISOString();
  writeFileSync(path.join(dir, 'socks.json'), JSON.stringify({ ...viaSocks, expired: soon, last_refresh: new Date(Date.now() - 3600_000).toISOString(), proxy_url: `socks5://su:${encodeURIComponent('s:pw')}@127.0.0.1:${sp.port}` }));
  writeFileSync(path.join(dir, 'global.json'), JSON.stringify({ type: 'claude', email: 'g@x.test', access_token: 'tok-global', expired: new Date(Date.now() + 86400_000).toISOString() }));
  const yaml = [
    `auth-dir: "${dir}"`,
    `proxy-url: "http://hu:${encodeURIComponent('h p@ss')}@127.0.0.1:${hp.port}"`,
    `oauth-endpoints: { claude: { api-url: "${api.url}", token-url: "${oauth.url}/token" } }`,
  ].join('\n');
  const gw = await startGateway({ config: parseConfig(yaml).config, port: 0, host: '127.0.0.1', authRefreshCheckMs: 0 });
  t.teardown(() => gw.close());
  await authStoreFor(gw.context)!.checkRefreshes();
  t.equal(oauth.refreshes, 1, 'the socks account refreshed');
  t.match(sp.seen.bytes, /grant_type.*refresh_token/, 'its refresh went through the SOCKS5 proxy');
  t.notMatch(hp.seen.bytes, /refresh_token/, 'not through the global proxy');

  const before = api.requests.length;
  for (let i = 0; i < 4; i++) {
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5-20250929', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] }),
    });
    t.equal(res.status, 200);
    await res.arrayBuffer();
  }
  const used = api.requests.slice(before).map((r) => r.headers['authorization']);
  t.same(used.filter((a) => a === 'Bearer claude-at-2').length, 2, 'the refreshed token serves');
  t.same(used.filter((a) => a === 'Bearer tok-global').length, 2);
  t.ok(hp.seen.tunnels >= 1, 'CONNECT tunnels through the HTTP proxy');
  t.ok(sp.seen.connects >= 2, 'connections through the SOCKS5 proxy (refresh + API)');
  t.match(hp.seen.bytes, /Bearer tok-global/);
  t.notMatch(hp.seen.bytes, /claude-at-2/, "the socks account's traffic never touched the HTTP proxy");
  t.match(sp.seen.bytes, /Bearer claude-at-2/);
  t.notMatch(sp.seen.bytes, /tok-global/, "the global account's traffic never touched the SOCKS5 proxy");
  t.equal(hp.seen.refused + sp.seen.refused, 0, 'user:pass accepted by both proxies');
});

t.test('wrong proxy credentials: the proxy refuses and the client gets a clear upstream error', async (t) => {
  const dir = tempDir();
  writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ type: 'claude', email: 'b@x.test', access_token: 'tok-bad', expired: new Date(Date.now() + 86400_000).toISOString(), proxy_url: `socks5://su:wrong@127.0.0.1:${sp.port}` }));
  const gw = await startGateway({ config: parseConfig(`auth-dir: "${dir}"\nrequest-retry: 0\noauth-endpoints: { claude: { api-url: "${api.url}" } }\n`).config, port: 0, host: '127.0.0.1', authRefreshCheckMs: 0 });
  t.teardown(() => gw.close());
  const refusedBefore = sp.seen.refused;
  const before = api.requests.length;
  const res = await fetch(`${gw.url}/v1/messages`, {
    method: 'POST',
    headers: { 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model: 'claude-sonnet-4-5-20250929', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] }),
  });
  t.equal(res.status, 502);
  t.match(await res.text(), /upstream unreachable/);
  t.ok(sp.seen.refused > refusedBefore);
  t.equal(api.requests.length, before, 'nothing reached the upstream around the proxy');
});
