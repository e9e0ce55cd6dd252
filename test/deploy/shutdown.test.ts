// Graceful shutdown in process (Gateway.shutdown): streams in flight finish
// when they can, and past the timeout each client gets an error event in its
// own format from its official SDK; new requests on open connections get 503
// in their client's format, /readyz says draining, /healthz still answers.
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import http from 'node:http';
import OpenAI from 'openai';
import t from 'tap';
import WebSocket from 'ws';
import { compatYaml, gatewayFromYaml } from '../helpers/gateway.js';
import { geminiChunk, listedModels, parseGeminiUrl, SimulatedApp, until } from '../helpers/relay-app.js';
import { startGatedUpstream } from './gated-upstream.js';

const KEY = 'client-key-shutdown';
const MODELS: Array<[string, string]> = [['gated', 'gated']];

/** A keep-alive connection of its own: requests after the listen socket closed still reach the gateway on it. */
function keptAlive(base: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const request = (method: string, path: string, body?: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; body: string; reused: boolean }>((resolve, reject) => {
      const req = http.request(`${base}${path}`, { method, agent, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, reused: req.reusedSocket }));
      });
      req.on('error', reject);
      req.end(body);
    });
  return { request, close: () => agent.destroy() };
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Resolves when `fn` first reports text; `done` settles with the end of the stream (an error or undefined). */
function consume(run: (onText: (s: string) => void) => Promise<void>) {
  let text = '';
  let first!: () => void;
  const started = new Promise<void>((resolve) => (first = resolve));
  const done = run((s) => {
    text += s;
    if (s) first();
  }).then(
    () => undefined,
    (e: unknown) => e,
  );
  // A stream that fails before any text must not leave the test waiting.
  void done.then(() => first());
  return { started, done, text: () => text };
}

t.test('past the timeout every client format gets its own error event; new requests get 503', async (t) => {
  const mock = await startGatedUpstream();
  t.teardown(() => mock.close());
  const gw = await gatewayFromYaml(compatYaml(mock.url, { clientKeys: [KEY], models: MODELS }));
  t.teardown(() => gw.close());
  const conn = keptAlive(gw.url);
  t.teardown(() => conn.close());
  t.equal((await conn.request('GET', '/healthz')).status, 200, 'connection open');

  const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 });
  const anthropic = new Anthropic({ baseURL: gw.url, apiKey: KEY, maxRetries: 0 });
  const genai = new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: gw.url, retryOptions: { attempts: 1 } } });
  const finishes: string[] = [];

  const chat = consume(async (onText) => {
    const stream = await openai.chat.completions.create({ model: 'gated', messages: [{ role: 'user', content: 'x' }], stream: true });
    for await (const c of stream) {
      onText(c.choices[0]?.delta.content ?? '');
      if (c.choices[0]?.finish_reason) finishes.push(`chat:${c.choices[0].finish_reason}`);
    }
  });
  const claudeEvents: string[] = [];
  const claude = consume(async (onText) => {
    const stream = anthropic.messages.stream({ model: 'gated', max_tokens: 64, messages: [{ role: 'user', content: 'x' }] });
    stream.on('streamEvent', (e) => claudeEvents.push(e.type));
    stream.on('text', onText);
    await stream.finalMessage();
  });
  const gemini = consume(async (onText) => {
    for await (const c of await genai.models.generateContentStream({ model: 'gated', contents: 'x' })) {
      onText(c.text ?? '');
      if (c.candidates?.[0]?.finishReason) finishes.push(`gemini:${c.candidates[0].finishReason}`);
    }
  });
  const responseTypes: string[] = [];
  let responseFailure = '';
  const responses = consume(async (onText) => {
    const stream = await openai.responses.create({ model: 'gated', input: 'x', stream: true });
    for await (const ev of stream) {
      responseTypes.push(ev.type);
      if (ev.type === 'response.output_text.delta') onText(ev.delta);
      if (ev.type === 'response.failed') responseFailure = ev.response.error?.message ?? '';
    }
  });
  await mock.untilWaiting(4);
  await Promise.all([chat.started, claude.started, gemini.started, responses.started]);

  // A long drain to look at it undisturbed; a second call with no time left ends it below.
  const draining = gw.shutdown(60_000);
  // Draining: the open connection still gets answers, in each client's format.
  const ready = await conn.request('GET', '/readyz');
  t.equal(ready.status, 503, '/readyz is 503 while draining');
  t.match(JSON.parse(ready.body), { status: 'unavailable', reasons: [/draining/] });
  t.ok(ready.reused, 'asked on the connection opened before the shutdown');
  t.equal((await conn.request('GET', '/healthz')).status, 200, '/healthz still 200: the process is up');
  const chatNew = await conn.request('POST', '/v1/chat/completions', JSON.stringify({ model: 'gated', messages: [{ role: 'user', content: 'x' }] }), { authorization: `Bearer ${KEY}` });
  t.equal(chatNew.status, 503);
  t.match(JSON.parse(chatNew.body), { error: { message: /shutting down/, type: String } }, 'OpenAI error shape');
  const claudeNew = await conn.request('POST', '/v1/messages', JSON.stringify({ model: 'gated', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] }), { 'x-api-key': KEY });
  t.equal(claudeNew.status, 503);
  t.match(JSON.parse(claudeNew.body), { type: 'error', error: { type: String, message: /shutting down/ } }, 'Anthropic error shape');
  const geminiNew = await conn.request('POST', '/v1beta/models/gated:generateContent', JSON.stringify({ contents: [{ parts: [{ text: 'x' }] }] }), { 'x-goog-api-key': KEY });
  t.equal(geminiNew.status, 503);
  t.match(JSON.parse(geminiNew.body), { error: { code: 503, message: /shutting down/, status: String } }, 'Gemini error shape');
  t.equal(mock.waiting(), 4, 'none of the refused requests went upstream');

  const { interrupted } = await gw.shutdown(0);
  t.equal(interrupted, 4, 'the four streams were ended by the timeout');
  t.same(await draining, { interrupted: 0 }, 'the first call resolves too, once everything ended');
  const WHY = /shut down before this answer finished/;

  const chatErr = await chat.done;
  t.type(chatErr, OpenAI.APIError, 'OpenAI chat: the SDK throws an APIError');
  t.match(message(chatErr), WHY);
  t.equal(chat.text(), 'first part', 'the text before the shutdown arrived');

  const claudeErr = await claude.done;
  t.type(claudeErr, Anthropic.APIError, 'Anthropic: finalMessage() rejects with an APIError');
  t.match(message(claudeErr), WHY);
  t.notOk(claudeEvents.includes('message_stop'), 'no message_stop');

  const geminiErr = await gemini.done;
  t.type(geminiErr, Error, 'Gemini: the SDK throws');
  t.match(message(geminiErr), WHY);

  const responsesErr = await responses.done;
  t.notOk(responseTypes.includes('response.completed'), 'Responses: no response.completed');
  t.match(responseFailure || message(responsesErr), WHY, 'Responses: response.failed or an error event');
  t.same(finishes, [], 'no stream pretended to finish normally');
});

t.test('streams in flight finish when they can; the shutdown then resolves with nothing interrupted', async (t) => {
  const mock = await startGatedUpstream();
  t.teardown(() => mock.close());
  const gw = await gatewayFromYaml(compatYaml(mock.url, { models: MODELS }));
  t.teardown(() => gw.close());
  const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'any', maxRetries: 0 });
  const chat = consume(async (onText) => {
    const stream = await openai.chat.completions.create({ model: 'gated', messages: [{ role: 'user', content: 'x' }], stream: true });
    for await (const c of stream) onText(c.choices[0]?.delta.content ?? '');
  });
  await chat.started;
  let settled = false;
  const stopping = gw.shutdown(60_000).then((r) => {
    settled = true;
    return r;
  });
  // New connections are refused once the listen socket is closed.
  const refused = await fetch(`${gw.url}/healthz`).then(
    () => 'answered',
    (e: Error & { cause?: { code?: string } }) => e.cause?.code ?? e.message,
  );
  t.equal(refused, 'ECONNREFUSED', 'no new connections while draining');
  t.notOk(settled, 'the shutdown waits for the stream');
  mock.release();
  t.equal(await chat.done, undefined, 'the stream ended normally');
  t.equal(chat.text(), 'first part, second part', 'with all its text');
  t.same(await stopping, { interrupted: 0 });
});

t.test('Responses WebSocket: the drain waits for a running turn; past the timeout it fails, and sockets close with 1001', async (t) => {
  const mock = await startGatedUpstream();
  t.teardown(() => mock.close());
  const gw = await gatewayFromYaml(compatYaml(mock.url, { models: MODELS }));
  t.teardown(() => gw.close());
  const url = `${gw.url.replace(/^http/, 'ws')}/v1/responses`;
  const open = (ws: WebSocket) => new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
  const closed = (ws: WebSocket) => new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })));

  const busy = new WebSocket(url);
  const idle = new WebSocket(url);
  await Promise.all([open(busy), open(idle)]);
  const busyClosed = closed(busy);
  const idleClosed = closed(idle);
  const events: any[] = [];
  let firstDelta!: () => void;
  const delta = new Promise<void>((resolve) => (firstDelta = resolve));
  busy.on('message', (d) => {
    const ev = JSON.parse(String(d));
    events.push(ev);
    if (ev.type === 'response.output_text.delta') firstDelta();
  });
  busy.send(JSON.stringify({ type: 'response.create', model: 'gated', input: 'x' }));
  await delta;

  let settled = false;
  const draining = gw.shutdown(60_000).then((r) => ((settled = true), r));
  // The drain does not end while the turn runs: look a few times (no time bound asserted).
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 20));
  t.notOk(settled, 'the shutdown waits for the running turn');

  const { interrupted } = await gw.shutdown(0);
  t.equal(interrupted, 1, 'the turn was ended by the timeout');
  await draining;
  const types = events.map((e) => e.type);
  t.notOk(types.includes('response.completed'), 'no response.completed');
  const failure = events.find((e) => e.type === 'response.failed' || e.type === 'error');
  t.ok(failure, `the turn ended with an error event (${types.at(-1)})`);
  t.match(JSON.stringify(failure), /shut down before this answer finished/);
  t.same(await busyClosed, { code: 1001, reason: 'gateway shutting down' }, 'the busy socket closes with 1001');
  t.same(await idleClosed, { code: 1001, reason: 'gateway shutting down' }, 'the idle socket too');
});

t.test('AI Studio relay: the app stays connected while a relayed stream drains, then closes with 1001', async (t) => {
  const gw = await gatewayFromYaml('');
  t.teardown(() => gw.close());
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  // Answers the first piece at once and the rest when the test says so.
  const app = await SimulatedApp.connect(gw.url, {
    handler: (req, a) => {
      const { model, sse } = parseGeminiUrl(req.url);
      const frame = (text: string, last: boolean, first: boolean) => {
        const c = JSON.stringify(geminiChunk(text, last, model));
        return sse ? `data: ${c}\r\n\r\n` : `${first ? '[' : ','}${c}${last ? ']' : ''}`;
      };
      a.start(req.id);
      a.chunk(req.id, frame('relayed ', false, true));
      void released.then(() => {
        a.chunk(req.id, frame('to the end', true, false));
        a.end(req.id);
      });
    },
  });
  let appClosed = false;
  void app.closed.then(() => (appClosed = true));
  await until('relay models listed', async () => (await listedModels(gw.url)).includes('gemini-2.5-flash'));

  const genai = new GoogleGenAI({ apiKey: 'any', httpOptions: { baseUrl: gw.url, retryOptions: { attempts: 1 } } });
  const stream = consume(async (onText) => {
    for await (const c of await genai.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'x' })) onText(c.text ?? '');
  });
  await stream.started;
  const draining = gw.shutdown(60_000);
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 20));
  t.notOk(appClosed, 'the relay app is still connected while its stream drains');
  release();
  t.equal(await stream.done, undefined, 'the relayed stream completed');
  t.equal(stream.text(), 'relayed to the end');
  t.same(await draining, { interrupted: 0 });
  t.equal((await app.closed).code, 1001, 'then the app is closed with 1001 (going away)');
});
