// A known route asked with a method it does not serve answers 405 with Allow,
// in the error shape of that route's clients (the SDKs' generic request
// methods raise their APIError with status 405 and the message); unknown
// paths stay 404; CORS preflights and management routes keep their rules.
import Anthropic, { APIError as AnthropicAPIError } from '@anthropic-ai/sdk';
import OpenAI, { APIError as OpenAIAPIError } from 'openai';
import t from 'tap';
import { gatewayFromYaml } from '../helpers/gateway.js';

const ORIGIN = 'https://chat.example.com';
const gw = await gatewayFromYaml(['api-keys: ["client-key"]', `allowed-origins: ["${ORIGIN}"]`, 'remote-management:', '  secret-key: "mgmt-405-secret"'].join('\n'));
t.teardown(() => gw.close());

async function call(method: string, path: string, headers: Record<string, string> = {}) {
  const r = await fetch(gw.url + path, { method, headers: { authorization: 'Bearer client-key', ...headers } });
  const text = await r.text();
  return { status: r.status, allow: r.headers.get('allow'), body: text ? JSON.parse(text) : undefined, headers: r.headers };
}

t.test('OpenAI SDK: GET /v1/chat/completions → APIError 405 in OpenAI shape', async (t) => {
  const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'client-key', maxRetries: 0 });
  const err = (await client.get('/chat/completions').catch((e: unknown) => e)) as OpenAIAPIError;
  t.type(err, OpenAI.APIError);
  t.equal(err.status, 405);
  t.equal(err.headers?.get('allow'), 'POST');
  t.match(err.error, { message: 'Method GET is not allowed on /v1/chat/completions; it accepts POST', type: 'invalid_request_error', code: 'method_not_allowed' });
  const del = (await client.delete('/models').catch((e: unknown) => e)) as OpenAIAPIError;
  t.equal(del.status, 405, 'DELETE /v1/models');
  t.equal(del.headers?.get('allow'), 'GET');
  t.match(del.error, { message: /DELETE .*\/v1\/models/ });
});

t.test('Anthropic SDK: PUT /v1/messages → APIError 405 in Anthropic shape', async (t) => {
  const client = new Anthropic({ baseURL: gw.url, apiKey: 'client-key', maxRetries: 0 });
  const err = (await client.put('/v1/messages', { body: {} }).catch((e: unknown) => e)) as AnthropicAPIError;
  t.type(err, Anthropic.APIError);
  t.equal(err.status, 405);
  t.equal(err.headers?.get('allow'), 'POST');
  t.same(err.error, { type: 'error', error: { type: 'invalid_request_error', message: 'Method PUT is not allowed on /v1/messages; it accepts POST' } });
  const count = (await client.get('/v1/messages/count_tokens').catch((e: unknown) => e)) as AnthropicAPIError;
  t.equal(count.status, 405, 'GET count_tokens');
});

t.test('Gemini and Code Assist paths: 405 in the Google shape', async (t) => {
  const r = await call('DELETE', '/v1beta/models/gemini-2.5-pro');
  t.equal(r.status, 405);
  t.equal(r.allow, 'GET, POST');
  t.match(r.body, { error: { code: 405, message: 'Method DELETE is not allowed on /v1beta/models/gemini-2.5-pro; it accepts GET, POST', status: String } });
  const ca = await call('GET', '/v1internal:generateContent');
  t.equal(ca.status, 405);
  t.equal(ca.allow, 'POST');
  t.match(ca.body, { error: { code: 405, message: /GET .*\/v1internal:generateContent/ } });
});

t.test('Responses paths: 405 in the Responses shape', async (t) => {
  const r = await call('PUT', '/v1/responses');
  t.equal(r.status, 405);
  t.equal(r.allow, 'GET, POST', 'POST, and GET (the WebSocket upgrade)');
  t.match(r.body, { error: { type: 'invalid_request_error', code: 'method_not_allowed', message: /PUT .*\/v1\/responses/ } });
  const c = await call('GET', '/v1/responses/compact');
  t.equal(c.status, 405);
  t.equal(c.allow, 'POST');
});

t.test('unknown paths stay 404; known routes still work', async (t) => {
  const r = await call('GET', '/v1/chat/complete');
  t.equal(r.status, 404);
  t.equal(r.allow, null);
  const p = await call('PUT', '/v2/messages');
  t.equal(p.status, 404);
  t.equal((await call('GET', '/v1/models')).status, 200);
  t.equal((await call('HEAD', '/')).status, 200);
});

t.test('OPTIONS: an allowed origin still gets its CORS preflight; a plain OPTIONS learns Allow', async (t) => {
  const pre = await call('OPTIONS', '/v1/chat/completions', { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' });
  t.equal(pre.status, 204);
  t.equal(pre.headers.get('access-control-allow-origin'), ORIGIN);
  t.match(pre.headers.get('access-control-allow-methods'), /POST/);
  const bad = await call('OPTIONS', '/v1/chat/completions', { origin: 'https://evil.example', 'access-control-request-method': 'POST' });
  t.equal(bad.status, 403, 'a foreign origin is refused by the gate, as before');
  const plain = await call('OPTIONS', '/v1/messages');
  t.equal(plain.status, 204);
  t.equal(plain.allow, 'POST');
  // The gate's Content-Type rule for browsers still runs before the method check of a known route.
  const browserGet = await call('GET', '/v1/messages', { origin: ORIGIN });
  t.equal(browserGet.status, 405);
  t.equal(browserGet.headers.get('access-control-allow-origin'), ORIGIN, 'an allowed page can read the 405');
});

t.test('management: 405 in its JSON shape, only after the key check', async (t) => {
  const key = { authorization: 'Bearer mgmt-405-secret' };
  const r = await call('POST', '/v0/management/config', key);
  t.equal(r.status, 405);
  t.equal(r.allow, 'GET');
  t.same(r.body, { error: 'method POST not allowed on /v0/management/config; it accepts GET' });
  const d = await call('DELETE', '/v0/management/debug', key);
  t.equal(d.status, 405);
  t.equal(d.allow, 'GET, PATCH, PUT');
  const nokey = await call('POST', '/v0/management/config', { authorization: '' });
  t.equal(nokey.status, 401, 'no key: refused before any method detail');
  const unknown = await call('GET', '/v0/management/nope', key);
  t.equal(unknown.status, 404);
  const page = await call('POST', '/management.html');
  t.equal(page.status, 405);
  t.equal(page.allow, 'GET');
  t.match(page.body, { error: /POST .*\/management\.html/ });
});

t.test('a method in the wrong case, an unknown one, TRACE: 405 too', async (t) => {
  const { rawRequest } = await import('../helpers/raw-http.js');
  const headers = { authorization: 'Bearer client-key', 'content-type': 'application/json' };
  // Node's HTTP client upper-cases methods: a lower-case one goes over a plain socket.
  const { connect } = await import('node:net');
  const u = new URL(gw.url);
  const answer = await new Promise<string>((resolve, reject) => {
    const sock = connect(Number(u.port), u.hostname, () => sock.end(`post /v1/messages HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: Bearer client-key\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`));
    const parts: Buffer[] = [];
    sock.on('data', (c: Buffer) => parts.push(c));
    sock.on('close', () => resolve(Buffer.concat(parts).toString('utf8')));
    sock.on('error', reject);
    sock.setTimeout(10_000, () => sock.destroy(new Error('no answer within 10 s')));
  });
  t.match(answer, /^HTTP\/1\.1 405 /, 'post (lower case)');
  t.match(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)), { type: 'error', error: { message: 'Method names are case-sensitive: /v1/messages accepts POST' } });
  const foo = await rawRequest(gw.url, { method: 'FOO', path: '/v1/chat/completions', headers, body: '{}' });
  t.equal(foo.status, 405, 'FOO');
  t.match(JSON.parse(foo.body), { error: { message: 'Method FOO is not allowed on /v1/chat/completions; it accepts POST' } });
  const trace = await rawRequest(gw.url, { method: 'TRACE', path: '/', headers: { authorization: 'Bearer client-key', cookie: 'secret-cookie' } });
  t.equal(trace.status, 405, 'TRACE');
  t.notMatch(trace.body, /client-key|secret-cookie/, 'TRACE echoes nothing it was sent');
});
