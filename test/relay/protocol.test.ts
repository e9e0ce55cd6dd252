// The relay protocol codec: frames in, request frames out, payload readers.
import t from 'tap';
import { asSse, chunkData, encodeHttpRequest, encodePong, errorInfo, geminiErrorBody, parseFrame, responseBody, responseHead } from '../../lib/relay/protocol.js';

t.test('parseFrame reads every message type from text or bytes', async (t) => {
  for (const type of ['http_response', 'stream_start', 'stream_chunk', 'stream_end', 'error', 'http_request'] as const) {
    const r = parseFrame(Buffer.from(JSON.stringify({ id: 'a1', type, payload: { x: 1 } })));
    t.same(r, { ok: true, msg: { id: 'a1', type, payload: { x: 1 } } }, type);
  }
  t.same(parseFrame('{"type":"ping"}'), { ok: true, msg: { id: '', type: 'ping', payload: {} } }, 'ping needs no id, payload defaults to {}');
  t.same(parseFrame('{"id":7,"type":"stream_end","payload":null}'), { ok: true, msg: { id: '7', type: 'stream_end', payload: {} } }, 'numeric id as text');
  const ab = new TextEncoder().encode('{"id":"x","type":"pong"}');
  t.ok(parseFrame(ab.buffer.slice(ab.byteOffset, ab.byteOffset + ab.byteLength)).ok, 'ArrayBuffer (what uWS hands over)');
});

t.test('parseFrame says why a frame is malformed, without echoing it', async (t) => {
  const cases: Array<[string | Uint8Array, RegExp]> = [
    ['not json at all', /not JSON/],
    [new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), /not UTF-8/],
    ['[1,2]', /not a JSON object/],
    ['null', /not a JSON object/],
    ['{"id":"a"}', /no "type"/],
    ['{"id":"a","type":"launch_missiles"}', /unknown type "launch_missiles"/],
    ['{"type":"http_response","payload":{}}', /without an id/],
    ['{"id":{"nested":1},"type":"stream_end"}', /"id" is not a string/],
    ['{"id":"a","type":"stream_chunk","payload":"text"}', /"payload" is not an object/],
    ['{"id":"a","type":"stream_chunk","payload":[1]}', /"payload" is not an object/],
  ];
  for (const [frame, why] of cases) {
    const r = parseFrame(frame);
    t.equal(r.ok, false, String(frame));
    if (!r.ok) t.match(r.reason, why);
  }
  const secret = parseFrame('{"id":"a","type":"sk-secret-value-in-type-field-that-is-long-enough-to-cut"}');
  t.ok(!secret.ok && secret.reason.length < 70, 'an unknown type is cut short in the reason');
});

t.test('encodeHttpRequest: the reference shape (header lists, text body, sent_at)', async (t) => {
  const frame = JSON.parse(
    encodeHttpRequest('id-1', { method: 'POST', url: 'https://g.example/v1beta/models/m:generateContent', headers: { 'content-type': 'application/json' }, body: Buffer.from('{"a":"é"}') }),
  );
  t.equal(frame.id, 'id-1');
  t.equal(frame.type, 'http_request');
  t.same(frame.payload.headers, { 'content-type': ['application/json'] });
  t.equal(frame.payload.body, '{"a":"é"}', 'UTF-8 bytes become text');
  t.equal(frame.payload.method, 'POST');
  t.equal(frame.payload.url, 'https://g.example/v1beta/models/m:generateContent');
  t.ok(!Number.isNaN(Date.parse(frame.payload.sent_at)), 'sent_at is a timestamp');
  t.equal(JSON.parse(encodeHttpRequest('i', { method: 'GET', url: 'u', headers: {} })).payload.body, '', 'no body → empty text');
  t.same(JSON.parse(encodePong('p9')), { id: 'p9', type: 'pong' });
});

t.test('responseHead: status defaults, bad statuses, header shapes', async (t) => {
  t.same(responseHead({}), { status: 200, headers: {} }, 'no status means 200');
  t.equal(responseHead({ status: 429 }).status, 429);
  t.equal(responseHead({ status: 'ok' }).status, 502, 'a status that is not a number is a broken answer');
  t.equal(responseHead({ status: 1000 }).status, 502);
  t.equal(responseHead({ status: 200.5 }).status, 502);
  const h = responseHead({ headers: { 'Content-Type': ['text/event-stream'], 'Retry-After': '3', 'Content-Length': ['99'], 'Set-Cookie': ['a', 'b'], 'X-Bad': 5, 'X-Empty': [] } }).headers;
  t.same(h, { 'content-type': 'text/event-stream', 'retry-after': '3', 'set-cookie': ['a', 'b'] }, 'lower-cased, lists kept, framing headers and junk dropped');
  t.same(responseHead({ headers: 'nope' }).headers, {});
});

t.test('bodies, chunks and errors', async (t) => {
  t.equal(responseBody({ body: 'héllo' }).toString(), 'héllo');
  t.equal(responseBody({ body: 5 }).length, 0);
  t.equal(chunkData({ data: 'data: {}\n\n' }).toString(), 'data: {}\n\n');
  t.equal(chunkData({}).length, 0);
  t.same(errorInfo({ error: 'quota', status: 429 }), { message: 'quota', status: 429 });
  t.same(errorInfo({ message: 'boom' }), { message: 'boom', status: undefined }, 'message is read too');
  t.same(errorInfo({ status: 200 }), { message: 'AI Studio relay reported an error', status: undefined }, 'a non-error status is ignored');
  t.same(JSON.parse(geminiErrorBody({ message: 'slow down', status: 429 }).toString()), { error: { code: 429, message: 'slow down', status: 'RESOURCE_EXHAUSTED' } });
  t.equal(JSON.parse(geminiErrorBody({ message: 'x', status: 418 }).toString()).error.status, 'FAILED_PRECONDITION');
});

t.test('asSse: whole answers to an SSE request become SSE events', async (t) => {
  t.equal(asSse(Buffer.from('{"a":1}')).toString(), 'data: {"a":1}\r\n\r\n');
  t.equal(asSse(Buffer.from('[{"a":1},\n{"b":2}]')).toString(), 'data: {"a":1}\r\n\r\ndata: {"b":2}\r\n\r\n', 'a JSON array stream body');
  t.equal(asSse(Buffer.from('data: {"a":1}\n\n')).toString(), 'data: {"a":1}\n\n', 'SSE stays as it is');
  t.equal(asSse(Buffer.from('oops')).toString(), 'oops', 'non-JSON stays as it is');
});
