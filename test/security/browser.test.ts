// Attack: a web page the operator opens uses a gateway that has no client
// keys (the embedded default). A cross-site POST with a text/plain body ran
// an inference, and DNS rebinding (attacker.example resolving to 127.0.0.1)
// let the page read the answer. Now the Host must be a loopback name on a
// loopback bind, a foreign Origin is refused, and browsers must send JSON.
import OpenAI from 'openai';
import t from 'tap';
import { browserRefusal, hostName } from '../../lib/api/browser-gate.js';
import { compatYaml, gatewayFromYaml } from '../helpers/gateway.js';
import { rawRequest } from '../helpers/raw-http.js';
import { startMockOpenAI } from '../mocks/openai-upstream.js';

const mock = await startMockOpenAI();
const gw = await gatewayFromYaml(compatYaml(mock.url, { extra: 'allowed-origins: ["https://chat.example.com"]\n' }));
t.teardown(async () => {
  await gw.close();
  await mock.close();
});
const body = JSON.stringify({ model: 'gpt-mock', messages: [{ role: 'user', content: 'secret prompt' }] });
const port = gw.port;

t.test('DNS rebinding: a foreign Host on a loopback bind is refused before anything runs', async (t) => {
  const before = mock.requests.length;
  const r = await rawRequest(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { host: `attacker.example:${port}`, 'content-type': 'application/json' },
    body,
  });
  t.equal(r.status, 403);
  t.match(JSON.parse(r.body).error.message, /attacker\.example.*not a loopback name/);
  const list = await rawRequest(`${gw.url}/v1/models`, { headers: { host: `attacker.example:${port}` } });
  t.equal(list.status, 403, 'the page cannot read the model list either');
  t.equal(mock.requests.length, before, 'nothing went upstream');
});

t.test('cross-site POST with a text/plain body (no preflight) is refused', async (t) => {
  const before = mock.requests.length;
  const r = await rawRequest(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { host: `127.0.0.1:${port}`, origin: 'https://evil.example', 'content-type': 'text/plain;charset=UTF-8', 'sec-fetch-mode': 'no-cors', 'sec-fetch-site': 'cross-site' },
    body,
  });
  t.equal(r.status, 403);
  t.match(JSON.parse(r.body).error.message, /Origin "https:\/\/evil\.example" is not allowed/);
  const claude = await rawRequest(`${gw.url}/v1/messages`, {
    method: 'POST',
    headers: { host: `localhost:${port}`, origin: 'null', 'content-type': 'text/plain' },
    body,
  });
  t.equal(claude.status, 403);
  t.equal(JSON.parse(claude.body).type, 'error', 'refused in the Claude error shape on a Claude route');
  t.equal(mock.requests.length, before, 'nothing went upstream');
});

t.test('a browser without Origin (Sec-Fetch only) must still send JSON', async (t) => {
  const r = await rawRequest(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { host: `127.0.0.1:${port}`, 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin', 'sec-fetch-mode': 'navigate' },
    body,
  });
  t.equal(r.status, 415);
  t.match(JSON.parse(r.body).error.message, /application\/json/);
});

t.test('an allow-listed origin works, with CORS headers and a preflight', async (t) => {
  const pre = await rawRequest(`${gw.url}/v1/chat/completions`, {
    method: 'OPTIONS',
    headers: { host: `127.0.0.1:${port}`, origin: 'https://chat.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
  });
  t.equal(pre.status, 204);
  t.equal(pre.headers['access-control-allow-origin'], 'https://chat.example.com');
  t.match(pre.headers['access-control-allow-headers'], /content-type/);
  const r = await rawRequest(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { host: `127.0.0.1:${port}`, origin: 'https://chat.example.com', 'content-type': 'application/json', 'sec-fetch-mode': 'cors' },
    body,
  });
  t.equal(r.status, 200);
  t.equal(r.headers['access-control-allow-origin'], 'https://chat.example.com');
  t.equal(JSON.parse(r.body).choices[0].message.content, 'echo: secret prompt');
});

t.test('honest clients are untouched: SDKs, curl-style form bodies, localhost names', async (t) => {
  const openai = new OpenAI({ baseURL: `http://localhost:${port}/v1`, apiKey: 'x', maxRetries: 0 });
  const r = await openai.chat.completions.create({ model: 'gpt-mock', messages: [{ role: 'user', content: 'hi' }] });
  t.equal(r.choices[0]!.message.content, 'echo: hi');
  // curl -d sends application/x-www-form-urlencoded; no browser headers, so it is accepted.
  const curl = await rawRequest(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { host: `127.0.0.1:${port}`, 'content-type': 'application/x-www-form-urlencoded' }, body });
  t.equal(curl.status, 200);
  for (const host of [`[::1]:${port}`, `127.0.0.2:${port}`, `gw.localhost:${port}`, 'localhost']) {
    const ok = await rawRequest(`${gw.url}/v1/models`, { headers: { host } });
    t.equal(ok.status, 200, host);
  }
});

t.test('the control panel calls the management API from its own origin', async (t) => {
  const r = await rawRequest(`${gw.url}/v0/management/config`, { headers: { host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}` } });
  t.not(r.status, 403, 'same-origin management calls pass the gate (the API has its own key check)');
  const foreign = await rawRequest(`${gw.url}/v0/management/config`, { headers: { host: `127.0.0.1:${port}`, origin: 'https://evil.example' } });
  t.equal(foreign.status, 403);
});

t.test('browserRefusal: the rules as a table', async (t) => {
  const loop = { loopbackBind: true, configuredHost: '127.0.0.1', allowedOrigins: [] as string[] };
  const open = { ...loop, loopbackBind: false };
  const req = (headers: Record<string, string>, method = 'POST', url = '/v1/chat/completions') => ({ headers, method, url });
  t.equal(hostName('[::1]:8317'), '::1');
  t.equal(hostName('LocalHost:1'), 'localhost');
  t.equal(browserRefusal(req({ host: 'evil.example' }), loop)?.status, 403);
  t.equal(browserRefusal(req({ host: 'evil.example' }), open), undefined, 'a network bind serves any name (client keys guard it)');
  t.equal(browserRefusal(req({ host: '127.0.0.1.evil.example' }), loop)?.status, 403);
  t.equal(browserRefusal(req({ host: 'localhost.evil.example' }), loop)?.status, 403);
  t.equal(browserRefusal(req({}), loop), undefined, 'no Host (HTTP/1.0)');
  t.equal(browserRefusal(req({ origin: 'https://a.example' }), open)?.status, 403, 'origins are checked on any bind');
  t.equal(browserRefusal(req({ 'sec-fetch-site': 'cross-site', 'content-type': 'text/plain' }), open)?.status, 415);
  t.equal(browserRefusal(req({ 'sec-fetch-site': 'cross-site', 'content-type': 'application/json; charset=utf-8' }), open), undefined);
  t.equal(browserRefusal(req({ 'sec-fetch-site': 'cross-site' }, 'GET', '/v1/models'), open), undefined, 'GETs carry no body');
});
