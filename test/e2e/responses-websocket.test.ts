// The Responses API over WebSocket (GET /v1/responses with Upgrade), as Codex
// CLI speaks it: `response.create` frames in, the stream's event objects out,
// one per text frame, several turns on one socket. Every event is checked
// against the schema written from the public specification.
import t from 'tap';
import WebSocket from 'ws';
import { compatYaml, gatewayFromYaml } from '../helpers/gateway.js';
import { ra, startResponsesMatrix } from '../helpers/responses-matrix.js';
import { checkEventSequence, checkWebSocketError } from '../helpers/responses-schema.js';
import { startMockOpenAI } from '../mocks/openai-upstream.js';

const m = await startResponsesMatrix();
const wsUrl = `${m.gw.url.replace(/^http/, 'ws')}/v1/responses`;
t.teardown(() => m.close());

/** A socket whose incoming frames can be awaited one by one. */
class Client {
  private readonly frames: any[] = [];
  private waiting?: () => void;
  readonly ws: WebSocket;
  constructor(url: string, headers: Record<string, string> = {}) {
    this.ws = new WebSocket(url, { headers });
    this.ws.on('message', (d) => {
      this.frames.push(JSON.parse(String(d)));
      this.waiting?.();
    });
  }
  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
  }
  async next(ms = 5000): Promise<any> {
    const deadline = Date.now() + ms;
    while (this.frames.length === 0) {
      if (Date.now() > deadline) throw new Error('no frame in time');
      await new Promise<void>((r) => {
        this.waiting = r;
        setTimeout(r, 50);
      });
    }
    return this.frames.shift();
  }
  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }
  /** Send a request and collect its events up to the terminal one. */
  async turn(frame: unknown): Promise<any[]> {
    this.send(frame);
    const out: any[] = [];
    for (;;) {
      const ev = await this.next();
      out.push(ev);
      if (['response.completed', 'response.failed', 'response.incomplete', 'error'].includes(ev.type)) return out;
    }
  }
  close(): void {
    this.ws.close();
  }
}

async function open(url = wsUrl, headers?: Record<string, string>): Promise<Client> {
  const c = new Client(url, headers);
  await c.opened();
  return c;
}

const texts = (evs: any[]) => evs.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join('');

t.test('codex: two turns on one socket, the second carrying the first answer', async (t) => {
  const c = await open();
  t.teardown(() => c.close());
  const one = await m.seen('codex', () => c.turn({ type: 'response.create', model: ra('codex', 'echo'), instructions: 'Be brief.', input: [{ role: 'user', content: 'turn one' }] }));
  t.same(checkEventSequence(one.result), [], 'turn one: every event conforms, numbered from 0');
  t.same(one.result.slice(0, 2).map((e) => e.type), ['response.created', 'response.in_progress'], 'in order');
  t.equal(texts(one.result), 'echo: turn one');
  t.equal(one.requests[0]!.body.stream, true, 'the upstream call streams');
  const first = one.result.at(-1).response;

  const input = [{ role: 'user', content: 'turn one' }, ...first.output, { role: 'user', content: 'turn two' }];
  const two = await m.seen('codex', () => c.turn({ type: 'response.create', model: ra('codex', 'echo'), instructions: 'Be brief.', input }));
  t.same(checkEventSequence(two.result), [], 'turn two: every event conforms, numbered from 0 again');
  t.equal(texts(two.result), 'echo: turn two');
  const sent = two.requests[0]!.body.input as any[];
  t.match(sent, [{ role: 'user' }, { role: 'assistant', content: [{ text: 'echo: turn one' }] }, { role: 'user' }], 'the first answer went back upstream');
  t.not(two.result.at(-1).response.id, first.id, 'a new response id');
});

t.test('a bad frame gets an error event; the socket stays usable', async (t) => {
  const c = await open();
  t.teardown(() => c.close());
  for (const [frame, code] of [
    ['not json', 'invalid_json'],
    [[1, 2], 'invalid_request'],
    [{ type: 'session.update' }, 'unsupported_event_type'],
    [{ type: 'response.create', input: 'no model' }, 'invalid_request'],
    [{ type: 'response.create', model: ra('codex', 'echo'), previous_response_id: 'resp_unknown', input: [] }, 'previous_response_not_found'],
  ] as const) {
    c.send(frame);
    const ev = await c.next();
    t.same(checkWebSocketError(ev), [], `${code}: the error event conforms`);
    t.match(ev, { type: 'error', status: 400, error: { code } }, code);
  }
  c.send({ type: 'response.processed', response_id: 'resp_x' }); // Codex's acknowledgement: no answer
  const after = await c.turn({ type: 'response.create', model: ra('claude', 'echo'), input: 'still here?' });
  t.same(checkEventSequence(after), [], 'the next turn works (over Claude, translated)');
  t.equal(texts(after), 'echo: still here?');
});

t.test('an upstream refusal is an error frame with its status', async (t) => {
  const c = await open();
  t.teardown(() => c.close());
  const evs = await c.turn({ type: 'response.create', model: ra('gemini', '400'), input: 'x' });
  t.equal(evs.length, 1);
  t.same(checkWebSocketError(evs[0]), [], 'conforms');
  t.equal(evs[0].status, 400);
  const broken = await c.turn({ type: 'response.create', model: ra('codex', 'fail'), input: 'x' });
  t.same(checkEventSequence(broken), [], 'a stream that breaks ends with response.failed');
  t.equal(broken.at(-1).type, 'response.failed');
  t.equal(texts(await c.turn({ type: 'response.create', model: ra('codex', 'echo'), input: 'ok' })), 'echo: ok', 'usable afterwards');
});

t.test('incremental mode: previous_response_id and only the new items', async (t) => {
  const c = await open();
  t.teardown(() => c.close());
  const warm = await m.seen('codex', () => c.turn({ type: 'response.create', model: ra('codex', 'echo'), instructions: 'Be brief.', input: [], generate: false }));
  t.equal(warm.requests.length, 0, 'the warm-up is answered without the model');
  t.same(checkEventSequence(warm.result), [], 'warm-up events conform');
  t.match(warm.result.at(-1), { type: 'response.completed', response: { output: [] } });
  const one = await c.turn({ type: 'response.create', model: ra('codex', 'echo'), previous_response_id: warm.result.at(-1).response.id, input: [{ role: 'user', content: 'first' }] });
  t.equal(texts(one), 'echo: first', 'continues the warm-up');
  const two = await m.seen('codex', () => c.turn({ type: 'response.create', previous_response_id: one.at(-1).response.id, input: [{ role: 'user', content: 'second' }] }));
  t.same(checkEventSequence(two.result), [], 'conforms');
  t.equal(texts(two.result), 'echo: second');
  const up = two.requests[0]!.body;
  t.equal(up.model, 'echo', 'model carried over from the last turn');
  t.equal(up.instructions, 'Be brief.', 'instructions carried over');
  t.notOk('previous_response_id' in up, 'nothing stored upstream: no previous_response_id sent');
  t.match(up.input, [{ role: 'user', content: 'first' }, { role: 'assistant' }, { role: 'user', content: 'second' }], 'the whole conversation went up');
});

t.test('plain GET → 426; browsers from other origins are refused', async (t) => {
  const plain = await fetch(`${m.gw.url}/v1/responses`);
  t.equal(plain.status, 426);
  t.match(await plain.json(), { error: { code: 'upgrade_required' } });
  const status = await new Promise<number>((resolve) => {
    const ws = new WebSocket(wsUrl, { headers: { origin: 'https://evil.example' } });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('open', () => resolve(101));
    ws.on('error', () => {});
  });
  t.equal(status, 403);
});

t.test('client keys are checked at the upgrade', async (t) => {
  const up = await startMockOpenAI();
  const gw = await gatewayFromYaml(compatYaml(up.url, { clientKeys: ['k-ws'] }));
  t.teardown(async () => {
    await gw.close();
    await up.close();
  });
  const url = `${gw.url.replace(/^http/, 'ws')}/v1/responses`;
  const refused = await new Promise<number>((resolve) => {
    const ws = new WebSocket(url);
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('open', () => resolve(101));
    ws.on('error', () => {});
  });
  t.equal(refused, 401, 'no key: 401');
  const c = await open(url, { authorization: 'Bearer k-ws' });
  t.teardown(() => c.close());
  const evs = await c.turn({ type: 'response.create', model: 'gpt-mock', input: 'with a key' });
  t.same(checkEventSequence(evs), [], 'conforms');
  t.equal(texts(evs), 'echo: with a key');
});

t.test('closing the socket mid-turn leaves the gateway serving', async (t) => {
  const c = await open();
  c.send({ type: 'response.create', model: ra('codex', 'echo'), input: 'bye' });
  const closed = new Promise((resolve) => c.ws.once('close', resolve));
  c.close();
  await closed; // the gateway saw the close and answered it
  const again = await open();
  t.teardown(() => again.close());
  t.equal(texts(await again.turn({ type: 'response.create', model: ra('codex', 'echo'), input: 'hello again' })), 'echo: hello again');
});
