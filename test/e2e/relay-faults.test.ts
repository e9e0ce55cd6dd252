// The AI Studio relay under load and faults, with simulated apps on the real
// gateway: many requests in flight on one socket, two sockets balanced, apps
// dying before and after the first byte, an app that stops answering, one
// that stops reading, malformed frames, and a flooding app in another process.
import Anthropic from '@anthropic-ai/sdk';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import OpenAI from 'openai';
import t, { type Test } from 'tap';
import { gatewayFromYaml, type TestGateway } from '../helpers/gateway.js';
import { geminiChunk, geminiEcho, listedModels, SimulatedApp, silent, until, type HttpRequestFrame } from '../helpers/relay-app.js';
import { startMockGemini } from '../mocks/gemini-upstream.js';

const MODEL = 'gemini-2.5-flash';

async function gateway(t: Test, yaml = 'request-retry: 0\n'): Promise<{ gw: TestGateway; openai: OpenAI }> {
  const gw = await gatewayFromYaml(yaml);
  t.teardown(() => gw.close());
  return { gw, openai: new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'c', maxRetries: 0 }) };
}

const ask = (openai: OpenAI, text: string) => openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: text }] }).then((r) => r.choices[0]!.message.content);
async function askStream(openai: OpenAI, text: string): Promise<string> {
  let out = '';
  for await (const c of await openai.chat.completions.create({ model: MODEL, stream: true, messages: [{ role: 'user', content: text }] })) out += c.choices[0]?.delta.content ?? '';
  return out;
}

t.test('50 requests in flight on one socket, answered in reverse order', async (t) => {
  const { gw, openai } = await gateway(t);
  const held: HttpRequestFrame[] = [];
  const app = await SimulatedApp.connect(gw.url, { handler: (req) => void held.push(req) });
  const answers = Array.from({ length: 50 }, (_, i) => (i % 2 ? askStream(openai, `question ${i}`) : ask(openai, `question ${i}`)));
  await until('50 relayed requests in flight', () => held.length === 50, 500);
  for (const req of held.reverse()) geminiEcho(req, app);
  const got = await Promise.all(answers);
  got.forEach((text, i) => t.equal(text, `echo: question ${i}`, `request ${i} got its own answer`));
  t.equal(new Set(app.requests.map((r) => r.id)).size, 50, 'one id per request');
});

t.test('two sockets share the load round-robin', async (t) => {
  const { gw, openai } = await gateway(t);
  const a = await SimulatedApp.connect(gw.url);
  const b = await SimulatedApp.connect(gw.url);
  for (let i = 0; i < 10; i++) t.equal(await ask(openai, `n${i}`), `echo: n${i}`);
  t.equal(a.requests.length, 5, 'first app: half');
  t.equal(b.requests.length, 5, 'second app: half');
  await Promise.all(Array.from({ length: 20 }, (_, i) => askStream(openai, `s${i}`)));
  t.equal(a.requests.length + b.requests.length, 30);
  t.ok(a.requests.length >= 10 && b.requests.length >= 10, `concurrent ones spread too (${a.requests.length}/${b.requests.length})`);
});

t.test('an app that dies before answering: the request moves on (even with request-retry 0), the next ones skip it', async (t) => {
  const { gw, openai } = await gateway(t);
  const dying = await SimulatedApp.connect(gw.url, { handler: (_req, app) => void app.kill() });
  const healthy = await SimulatedApp.connect(gw.url);
  t.equal(await ask(openai, 'first'), 'echo: first');
  t.equal(await askStream(openai, 'second'), 'echo: second');
  await dying.closed;
  t.equal(dying.requests.length, 1, 'the dying app saw one request');
  t.equal(healthy.requests.length, 2, 'the healthy app answered both');
  for (let i = 0; i < 4; i++) t.equal(await ask(openai, `after ${i}`), `echo: after ${i}`);
  t.equal(healthy.requests.length, 6, 'the dead app is out of rotation');
});

t.test('losing the relay never hurts a request an HTTP Gemini key can serve', async (t) => {
  const mock = await startMockGemini();
  t.teardown(() => mock.close());
  const { gw, openai } = await gateway(t, `request-retry: 0\ngemini-api-key:\n  - api-key: AIza-test\n    base-url: "${mock.url}"\n`);
  let killed = 0;
  // Each app dies mid-answer: after stream_start and a chunk, before the end.
  const dyingApp = () =>
    SimulatedApp.connect(gw.url, {
      handler: async (req, app) => {
        app.start(req.id);
        await app.sendAndWait({ id: req.id, type: 'stream_chunk', payload: { data: 'data: {"candidates":[]}\r\n\r\n' } });
        killed++;
        await app.kill();
      },
    });
  await dyingApp();
  await dyingApp();
  const texts = await Promise.all([ask(openai, 'one'), ask(openai, 'two'), ask(openai, 'three'), ask(openai, 'four')]);
  t.same(texts, ['echo: one', 'echo: two', 'echo: three', 'echo: four']);
  t.ok(killed >= 1, `relayed requests failed over (${killed} apps died)`);
  t.equal(mock.requests.length, 4, 'every request was finally served over HTTP');
});

t.test('an app that dies mid-stream: the client gets what arrived, then an error in its own format', async (t) => {
  const { gw, openai } = await gateway(t);
  const partial = (sse: boolean) => (sse ? `data: ${JSON.stringify(geminiChunk('partial answer', false))}\r\n\r\n` : `[${JSON.stringify(geminiChunk('partial answer', false))}`);
  const handler = async (req: HttpRequestFrame, app: SimulatedApp) => {
    app.start(req.id);
    await app.sendAndWait({ id: req.id, type: 'stream_chunk', payload: { data: partial(req.url.includes('alt=sse')) } });
    await app.kill();
  };

  await SimulatedApp.connect(gw.url, { handler });
  let text = '';
  const err = await (async () => {
    for await (const c of await openai.chat.completions.create({ model: MODEL, stream: true, messages: [{ role: 'user', content: 'x' }] })) text += c.choices[0]?.delta.content ?? '';
  })().catch((e) => e);
  t.equal(text, 'partial answer', 'OpenAI: the text before the break');
  t.type(err, OpenAI.APIError);
  t.match(err.message, /relay connection closed/);

  await SimulatedApp.connect(gw.url, { handler });
  const anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'c', maxRetries: 0 });
  const stream = anthropic.messages.stream({ model: MODEL, max_tokens: 50, messages: [{ role: 'user', content: 'x' }] });
  let claudeText = '';
  stream.on('text', (d) => (claudeText += d));
  const cerr = await stream.finalMessage().catch((e) => e);
  t.equal(claudeText, 'partial answer', 'Claude: the text before the break');
  t.match(String(cerr?.message ?? cerr), /relay connection closed/, 'Claude: an error event');

  await SimulatedApp.connect(gw.url, { handler });
  const raw = await fetch(`${gw.url}/v1beta/models/${MODEL}:streamGenerateContent?alt=sse`, { method: 'POST', body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'x' }] }] }) }).then((r) => r.text());
  const events = raw.split(/\r?\n\r?\n/).filter(Boolean).map((e) => JSON.parse(e.replace(/^data: /, '')));
  t.equal(events[0].candidates[0].content.parts[0].text, 'partial answer', 'Gemini: the chunk before the break');
  t.match(events.at(-1), { error: { code: 502, message: /relay connection closed/ } }, 'Gemini: an error chunk last');

  await SimulatedApp.connect(gw.url, { handler });
  const nonStream = await ask(openai, 'whole').catch((e) => e);
  t.type(nonStream, OpenAI.APIError);
  t.equal(nonStream.status, 502, 'non-stream: a clean 502 when no other credential is left');
  t.match(nonStream.message, /relay connection closed/);
});

t.test('an app that stops answering times out instead of hanging', async (t) => {
  const { gw, openai } = await gateway(t, 'request-retry: 1\nrelay-timeout-seconds: 1\n');
  const mute = await SimulatedApp.connect(gw.url, { handler: silent });
  const err = await ask(openai, 'anyone?').catch((e) => e);
  t.type(err, OpenAI.APIError);
  t.equal(err.status, 502);
  t.match(err.message, /did not answer within 1s/);
  t.equal(mute.requests.length, 2, 'request-retry 1: the only app is asked once more, then the client hears of it');

  const helper = await SimulatedApp.connect(gw.url);
  t.same(await Promise.all([ask(openai, 'a'), askStream(openai, 'b')]), ['echo: a', 'echo: b'], 'with another app the requests move on');
  t.ok(mute.requests.length >= 2 && helper.requests.length === 2);
});

t.test('malformed frames are dropped; the socket and its requests carry on', async (t) => {
  const { gw, openai } = await gateway(t);
  const app = await SimulatedApp.connect(gw.url);
  for (const junk of ['not json', '[]', '{"type":"teleport","id":"1"}', '{"type":"http_response"}', '{"id":"nobody","type":"http_response","payload":{}}', '{"id":"x","type":"stream_chunk","payload":7}'])
    app.send(junk);
  app.ws.send(Buffer.from([0xff, 0x00, 0xfe]), { binary: true });
  app.send({ id: 'ping-1', type: 'ping' });
  await until('pong', () => app.others.some((f) => f.type === 'pong' && f.id === 'ping-1'));
  t.equal(app.ws.readyState, app.ws.OPEN, 'still connected');
  t.equal(await ask(openai, 'still there?'), 'echo: still there?');
  t.equal(await askStream(openai, 'streaming?'), 'echo: streaming?');
  // An app that answers garbage to a request: the request times out or fails, never hangs.
  app.handler = (req) => app.send(`{"id":"${req.id}","type":"http_response","payload":{"status":"two hundred","body":"x"}}`);
  const broken = await ask(openai, 'broken').catch((e) => e);
  t.type(broken, OpenAI.APIError);
  t.equal(broken.status, 502, 'a non-numeric status is a bad gateway');
});

t.test('an app that stops reading: request frames wait at the gateway and time out, not buffer up', async (t) => {
  const { gw, openai } = await gateway(t, 'request-retry: 0\nrelay-timeout-seconds: 1\n');
  const app = await SimulatedApp.connect(gw.url);
  const socket = (app.ws as unknown as { _socket: import('node:net').Socket })._socket;
  socket.pause();
  const big = 'x'.repeat(2 * 1024 * 1024);
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => ask(openai, `${i} ${big}`).catch((e) => e)));
  for (const r of results) t.match(r, { status: 502, message: /did not answer within 1s/ });
  socket.resume();
  // Everything the gateway handed to the socket arrives before the answer to a later ping.
  let pinged = 0;
  await until('a pong after the backlog', () => {
    app.send({ id: `after-${pinged++}`, type: 'ping' });
    return app.others.some((f) => f.type === 'pong');
  }, 1000);
  t.ok(app.requests.length >= 1 && app.requests.length < 20, `only ${app.requests.length} of 20 request frames were handed to the socket`);
  t.equal(await ask(openai, 'reading again'), 'echo: reading again', 'the app serves again once it reads');
});

t.test('a flooding app in another process does not starve the others', async (t) => {
  const { gw, openai } = await gateway(t);
  const good = await SimulatedApp.connect(gw.url);
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/relay-flooder.ts', `${gw.url.replace('http', 'ws')}/v1/ws`], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.teardown(() => void child.kill());
  const lines = createInterface({ input: child.stdout! });
  const [first] = (await once(lines, 'line')) as [string];
  t.equal(first, 'flooding');
  await until('the flooder to be served too', async () => (await listedModels(gw.url)).length > 0);
  const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? askStream(openai, `q${i}`) : ask(openai, `q${i}`))));
  for (const [i, a] of answers.entries()) t.ok(a === `echo: q${i}` || a === 'from the flooder', `request ${i} answered`);
  t.ok(good.requests.length >= 5, `the well-behaved app served its share (${good.requests.length})`);
  child.stdin!.write('stop\n');
  const [report] = (await once(lines, 'line')) as [string];
  const r = JSON.parse(report);
  t.equal(r.open, true, 'the flooder was not disconnected for its junk');
  t.equal(r.capped, false, 'the requests finished while the flood was still going');
  t.ok(r.frames > 1000, `flooded ${r.frames} frames`);
});
