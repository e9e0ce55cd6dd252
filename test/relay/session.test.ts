// One relay session over a fake socket: calls matched by id, the frame kinds
// turned into sink events, faults, and flow control in both directions.
import t from 'tap';
import { log } from '../../lib/logging/logger.js';
import type { UpstreamSink } from '../../lib/providers/upstream.js';
import { HIGH_WATER, MAX_HELD_BYTES, RelaySession, type RelaySocket } from '../../lib/relay/session.js';
import { registerSession, relayTransport, unregisterSession } from '../../lib/relay/transport.js';
import { quietFor, waitFor } from '../helpers/wait.js';

if (!process.env.LOG_LEVEL) log.level = 'error';

class FakeSocket implements RelaySocket {
  sent: any[] = [];
  buffered = 0;
  sendStatus = 1;
  send(frame: string): number {
    this.sent.push(JSON.parse(frame));
    return this.sendStatus;
  }
  bufferedAmount(): number {
    return this.buffered;
  }
  requests(): any[] {
    return this.sent.filter((f) => f.type === 'http_request');
  }
}

type Ev = ['start', number, Record<string, unknown>] | ['data', string] | ['end'] | ['error', string, boolean];

function recorder(): { sink: UpstreamSink; events: Ev[] } {
  const events: Ev[] = [];
  return {
    events,
    sink: {
      onStart: (s, h) => events.push(['start', s, h as Record<string, unknown>]),
      onData: (c) => events.push(['data', c.toString()]),
      onEnd: () => events.push(['end']),
      onError: (e) => events.push(['error', e.message, (e as { credentialGone?: boolean }).credentialGone === true]),
    },
  };
}

const req = (model = 'm', stream = false) => ({
  url: `https://generativelanguage.googleapis.com/v1beta/models/${model}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`,
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: '{"contents":[]}',
  proxyUrl: '',
});

function setup(timeoutMs = 0) {
  const socket = new FakeSocket();
  const session = new RelaySession('aistudio-test', 'aistudio-test', socket, { timeoutMs: () => timeoutMs });
  const frame = (f: unknown) => session.onMessage(Buffer.from(JSON.stringify(f)));
  return { socket, session, frame };
}

const flush = () => new Promise((r) => setImmediate(r));

t.test('http_request out, http_response back', async (t) => {
  const { socket, session, frame } = setup();
  const r = recorder();
  session.call(req(), r.sink);
  const sent = socket.requests();
  t.equal(sent.length, 1);
  t.match(sent[0].payload, { method: 'POST', url: /models\/m:generateContent$/, headers: { 'content-type': ['application/json'] }, body: '{"contents":[]}' });
  t.equal(session.inFlight, 1);
  frame({ id: sent[0].id, type: 'http_response', payload: { status: 200, headers: { 'Content-Type': ['application/json'] }, body: '{"ok":true}' } });
  t.same(r.events, [['start', 200, { 'content-type': 'application/json' }], ['data', '{"ok":true}'], ['end']]);
  t.equal(session.inFlight, 0, 'finished calls leave the pending map');
  frame({ id: sent[0].id, type: 'stream_chunk', payload: { data: 'late' } });
  t.equal(r.events.length, 3, 'frames after the end are ignored');
});

t.test('stream frames, implicit start, SSE reframing of whole answers', async (t) => {
  const { socket, session, frame } = setup();
  const a = recorder();
  const b = recorder();
  const c = recorder();
  session.call(req('m', true), a.sink);
  session.call(req('m', true), b.sink);
  session.call(req('m', true), c.sink);
  const [ra, rb, rc] = socket.requests();
  frame({ id: ra.id, type: 'stream_start', payload: { status: 200 } });
  frame({ id: rb.id, type: 'stream_chunk', payload: { data: 'b1' } });
  frame({ id: ra.id, type: 'stream_chunk', payload: { data: 'a1' } });
  frame({ id: ra.id, type: 'stream_start', payload: { status: 500 } });
  frame({ id: ra.id, type: 'stream_chunk', payload: { data: 'a2' } });
  frame({ id: rb.id, type: 'stream_end' });
  frame({ id: ra.id, type: 'stream_end' });
  frame({ id: rc.id, type: 'http_response', payload: { body: '{"candidates":[]}' } });
  t.same(a.events, [['start', 200, {}], ['data', 'a1'], ['data', 'a2'], ['end']], 'a repeated stream_start is ignored');
  t.same(b.events, [['start', 200, {}], ['data', 'b1'], ['end']], 'a chunk before any start means 200');
  t.same(c.events, [['start', 200, {}], ['data', 'data: {"candidates":[]}\r\n\r\n'], ['end']], 'a whole JSON answer to an SSE request is reframed');
});

t.test('error frames: with a status before the answer an HTTP error, otherwise a failure', async (t) => {
  const { socket, session, frame } = setup();
  const a = recorder();
  const b = recorder();
  const c = recorder();
  session.call(req(), a.sink);
  session.call(req(), b.sink);
  session.call(req('m', true), c.sink);
  const [ra, rb, rc] = socket.requests();
  frame({ id: ra.id, type: 'error', payload: { error: 'quota exhausted', status: 429 } });
  t.same(a.events[0], ['start', 429, { 'content-type': 'application/json' }]);
  t.same(JSON.parse((a.events[1] as ['data', string])[1]), { error: { code: 429, message: 'quota exhausted', status: 'RESOURCE_EXHAUSTED' } });
  t.same(a.events[2], ['end']);
  frame({ id: rb.id, type: 'error', payload: { error: 'fetch failed' } });
  t.same(b.events, [['error', 'AI Studio relay error: fetch failed', false]], 'no status: a network-style failure (retryable)');
  frame({ id: rc.id, type: 'stream_chunk', payload: { data: 'x' } });
  frame({ id: rc.id, type: 'error', payload: { error: 'mid', status: 500 } });
  t.same(c.events.at(-1), ['error', 'AI Studio relay error: mid', false], 'after the answer began: a failure');
});

t.test('ping gets pong; malformed and unexpected frames are dropped, the session keeps working', async (t) => {
  const { socket, session, frame } = setup();
  frame({ id: 'p1', type: 'ping' });
  t.same(socket.sent.at(-1), { id: 'p1', type: 'pong' });
  frame({ id: 'p2', type: 'pong' });
  for (const junk of ['{{{', '[]', '{"type":"bogus","id":"1"}', '{"id":"x","type":"stream_chunk","payload":"no"}', '{"id":"x","type":"http_request","payload":{}}']) session.onMessage(junk);
  session.onMessage(new Uint8Array([0xff, 0xfe]));
  t.equal(session.droppedFrames, 6);
  frame({ id: 'nobody', type: 'http_response', payload: {} });
  t.equal(session.droppedFrames, 6, 'a frame for an unknown id is ignored, not counted as malformed');
  const r = recorder();
  session.call(req(), r.sink);
  frame({ id: socket.requests()[0].id, type: 'http_response', payload: { body: 'fine' } });
  t.same(r.events.at(-1), ['end']);
  socket.buffered = HIGH_WATER + 1;
  const before = socket.sent.length;
  frame({ id: 'p3', type: 'ping' });
  t.equal(socket.sent.length, before, 'no pong while the app is not reading');
});

t.test('50 calls in flight, answered in reverse order', async (t) => {
  const { socket, session, frame } = setup();
  const recs = Array.from({ length: 50 }, () => recorder());
  recs.forEach((r) => session.call(req(), r.sink));
  const sent = socket.requests();
  t.equal(new Set(sent.map((f) => f.id)).size, 50, 'unique ids');
  t.equal(session.inFlight, 50);
  for (let i = 49; i >= 0; i--) frame({ id: sent[i].id, type: 'http_response', payload: { body: `answer ${i}` } });
  recs.forEach((r, i) => t.same(r.events[1], ['data', `answer ${i}`]));
  t.equal(session.inFlight, 0);
});

t.test('close fails every waiting call as "credential gone"; later calls fail the same way', async (t) => {
  const { socket, session, frame } = setup();
  const a = recorder();
  const b = recorder();
  session.call(req(), a.sink);
  session.call(req('m', true), b.sink);
  frame({ id: socket.requests()[1].id, type: 'stream_chunk', payload: { data: 'partial' } });
  session.close('code 1006');
  t.same(a.events, [['error', 'AI Studio relay connection closed (code 1006)', true]]);
  t.same(b.events.at(-1), ['error', 'AI Studio relay connection closed (code 1006)', true]);
  const c = recorder();
  session.call(req(), c.sink);
  t.same(c.events, [], 'reported asynchronously');
  await flush();
  t.same(c.events, [['error', 'AI Studio relay connection closed (code 1006)', true]]);
});

t.test('an app that stops answering times the call out; a paused call does not', async (t) => {
  const { socket, session, frame } = setup(30);
  const a = recorder();
  session.call(req(), a.sink);
  t.ok(await waitFor(() => a.events.length > 0), 'the call fails once the app stays silent');
  t.equal(a.events.length, 1);
  t.match(a.events[0], ['error', /did not answer within/, false], 'a timeout is a retryable failure');
  frame({ id: socket.requests()[0].id, type: 'http_response', payload: { body: 'too late' } });
  t.equal(a.events.length, 1, 'a late answer is ignored');

  const b = recorder();
  const call = session.call(req('m', true), b.sink);
  const id = socket.requests()[1].id;
  frame({ id, type: 'stream_chunk', payload: { data: 'one' } });
  call.pause();
  // The assertion is that no timeout fires: wait four of its 30 ms periods.
  await quietFor(120);
  t.same(b.events, [['start', 200, {}], ['data', 'one']], 'no timeout while we hold the call');
  call.abort();
});

t.test('a paused call holds chunks and the end until resumed; past the cap it fails', async (t) => {
  const { socket, session, frame } = setup();
  const a = recorder();
  const call = session.call(req('m', true), a.sink);
  const id = socket.requests()[0].id;
  frame({ id, type: 'stream_chunk', payload: { data: 'c1' } });
  call.pause();
  frame({ id, type: 'stream_chunk', payload: { data: 'c2' } });
  frame({ id, type: 'stream_chunk', payload: { data: 'c3' } });
  frame({ id, type: 'stream_end' });
  t.same(a.events, [['start', 200, {}], ['data', 'c1']], 'nothing delivered while paused');
  call.resume();
  t.same(a.events.slice(2), [['data', 'c2'], ['data', 'c3'], ['end']]);

  const b = recorder();
  const slow = session.call(req('m', true), b.sink);
  const id2 = socket.requests()[1].id;
  slow.pause();
  const big = 'x'.repeat(1024 * 1024);
  let i = 0;
  while (b.events.every((e) => e[0] !== 'error') && i++ < MAX_HELD_BYTES / big.length + 4) frame({ id: id2, type: 'stream_chunk', payload: { data: big } });
  t.match(b.events.at(-1), ['error', /reads too slowly/, false], 'held bytes are capped');
  t.equal(session.inFlight, 0);
});

t.test('request frames wait while the app is not reading, then go out in order', async (t) => {
  const { socket, session } = setup();
  socket.buffered = HIGH_WATER + 1;
  const calls = [recorder(), recorder(), recorder()].map((r) => session.call(req(), r.sink));
  t.equal(socket.requests().length, 0, 'nothing handed to a backed-up socket');
  calls[1]!.abort();
  socket.buffered = 0;
  session.onDrain();
  t.equal(socket.requests().length, 2, 'the aborted call never goes out');
  t.equal(session.inFlight, 2);
  socket.sendStatus = 2;
  const r = recorder();
  session.call(req(), r.sink);
  t.same(r.events, [], 'not while the caller is still in call()');
  await flush();
  t.match(r.events, [['error', /refused/, false]], 'a dropped send fails the call');
});

t.test('abort: the sink hears nothing more', async (t) => {
  const { socket, session, frame } = setup();
  const a = recorder();
  const call = session.call(req('m', true), a.sink);
  const id = socket.requests()[0].id;
  frame({ id, type: 'stream_chunk', payload: { data: 'one' } });
  call.abort();
  frame({ id, type: 'stream_chunk', payload: { data: 'two' } });
  session.close('bye');
  t.same(a.events, [['start', 200, {}], ['data', 'one']]);
});

t.test('relayTransport finds the live session, or reports the credential gone', async (t) => {
  const { socket, session, frame } = setup();
  registerSession(session);
  t.teardown(() => unregisterSession(session));
  const a = recorder();
  relayTransport('aistudio-test')(req(), a.sink);
  frame({ id: socket.requests()[0].id, type: 'http_response', payload: { body: 'via transport' } });
  t.same(a.events[1], ['data', 'via transport']);
  const b = recorder();
  relayTransport('aistudio-gone')(req(), b.sink);
  await flush();
  t.same(b.events, [['error', 'AI Studio relay connection is gone', true]]);
  const c = recorder();
  relayTransport('aistudio-gone')(req(), c.sink).abort();
  await flush();
  t.same(c.events, [], 'aborted before the report: silence');
});
