// Graceful drain against a client that holds connections open: many idle
// keep-alive sockets, sockets that sent half a request line, and a request
// whose body trickles in. Shutdown must end within its timeout (plus a
// bounded grace), answer the unfinished request, and close every socket.
import net from 'node:net';
import t from 'tap';
import { compatYaml, gatewayFromYaml } from '../helpers/gateway.js';
import { startMockOpenAI } from '../mocks/openai-upstream.js';

const mock = await startMockOpenAI();
t.teardown(() => mock.close());

interface Held {
  socket: net.Socket;
  data: string;
  closed: Promise<void>;
}

function hold(port: number, first: string): Promise<Held> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const h: Held = { socket, data: '', closed: new Promise((r) => socket.once('close', () => r())) };
    socket.setEncoding('latin1');
    socket.on('data', (d) => (h.data += d));
    socket.on('error', () => {});
    socket.once('connect', () => {
      socket.write(first);
      resolve(h);
    });
    socket.once('error', reject);
  });
}

t.test('idle, half-sent and trickling connections do not hold shutdown past its timeout', async (t) => {
  const gw = await gatewayFromYaml(compatYaml(mock.url, { extra: 'shutdown-timeout-seconds: 1\n' }));
  const held: Held[] = [];
  const body = JSON.stringify({ model: 'gpt-mock', messages: [{ role: 'user', content: 'hi' }] });
  // Keep-alive sockets that finished a request and now sit idle.
  for (let i = 0; i < 40; i++) {
    const h = await hold(gw.port, `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    held.push(h);
  }
  // Half a request line, and headers without their end.
  for (let i = 0; i < 10; i++) held.push(await hold(gw.port, i % 2 ? 'POST /v1/chat/compl' : 'POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n'));
  // A request whose body never completes.
  const trickle = await hold(gw.port, `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length + 1000}\r\n\r\n${body.slice(0, 10)}`);
  held.push(trickle);
  // The idle ones got their answer (they are idle, not still waiting).
  const idleAnswered = await until(() => held.slice(0, 40).every((h) => h.data.includes('HTTP/1.1 200')), 15_000);
  t.ok(idleAnswered, 'the keep-alive sockets were answered and are idle');

  const done = gw.shutdown(1000).then(() => 'done' as const);
  const bound = new Promise<'stuck'>((r) => setTimeout(() => r('stuck'), 30_000).unref());
  t.equal(await Promise.race([done, bound]), 'done', 'shutdown finished (bounded: 1 s timeout, generous 30 s limit)');
  const allClosed = await Promise.race([Promise.all(held.map((h) => h.closed)).then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 15_000).unref())]);
  t.ok(allClosed, 'every held socket was closed by the gateway');
  t.notMatch(trickle.data, /HTTP\/1\.1 200/, 'the unfinished request was not answered as a success');
  for (const h of held) h.socket.destroy();
});

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}
