// Attack: open Responses WebSockets (GET /v1/responses upgrade) without end
// from one address, or park many large requests behind a running turn, to
// grow the gateway's memory. One address holds at most 32 sockets; queued
// requests per socket are bounded in count and bytes.
import t from 'tap';
import WebSocket from 'ws';
import { MAX_RESPONSES_SOCKETS_PER_ADDRESS } from '../../lib/api/responses-ws.js';
import { compatYaml, gatewayFromYaml } from '../helpers/gateway.js';
import { startMockOpenAI } from '../mocks/openai-upstream.js';

const mock = await startMockOpenAI();
const gw = await gatewayFromYaml(compatYaml(mock.url));
t.teardown(async () => {
  await gw.close();
  await mock.close();
});
const url = gw.url.replace('http', 'ws') + '/v1/responses';

function connect(): Promise<{ ws?: WebSocket; status?: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode }));
    ws.once('error', () => resolve({ status: -1 }));
  });
}

t.test('one address holds at most the cap of Responses sockets; a closed one frees its slot', async (t) => {
  const open: WebSocket[] = [];
  t.teardown(() => open.forEach((ws) => ws.terminate()));
  for (let i = 0; i < MAX_RESPONSES_SOCKETS_PER_ADDRESS; i++) {
    const r = await connect();
    t.ok(r.ws, `socket ${i + 1} opens`);
    if (r.ws) open.push(r.ws);
  }
  const over = await connect();
  t.equal(over.status, 429, 'the next one is refused');
  const first = open.shift()!;
  await new Promise<void>((resolve) => {
    first.once('close', () => resolve());
    first.close();
  });
  let again: { ws?: WebSocket; status?: number } = {};
  for (let i = 0; i < 50 && !again.ws; i++) {
    again = await connect();
    if (!again.ws) await new Promise((r) => setImmediate(r));
  }
  t.ok(again.ws, 'a slot is free again after a close');
  if (again.ws) open.push(again.ws);
});
