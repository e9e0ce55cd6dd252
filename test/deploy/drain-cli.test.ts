// SIGTERM on the command line gateway, end to end: a long stream in flight
// survives it and completes, a request after it gets 503, new connections are
// refused, the process exits 0; with a short shutdown-timeout-seconds the
// stream gets an error event instead; a second signal exits at once.
import http from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import t from 'tap';
import { runCli } from '../helpers/cli-process.js';
import { compatYaml } from '../helpers/gateway.js';
import { startGatedUpstream, type GatedUpstream } from './gated-upstream.js';

const KEY = 'client-key-drain';

function start(mock: GatedUpstream, extra: string) {
  const dir = mkdtempSync(path.join(tmpdir(), 'drain-cli-'));
  writeFileSync(path.join(dir, 'config.yaml'), compatYaml(mock.url, { clientKeys: [KEY], models: [['gated', 'gated']], extra }));
  return runCli(['--config', 'config.yaml', '--port', '0'], dir, {}, 60_000);
}

function post(agent: http.Agent, base: string, pathname: string, body: unknown) {
  return new Promise<{ status: number; body: string; reused: boolean }>((resolve, reject) => {
    const req = http.request(`${base}${pathname}`, { method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, reused: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** Open a stream and read its first text; the rest is read by `rest()`. */
async function openStream(base: string) {
  const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: KEY, maxRetries: 0 });
  const stream = await openai.chat.completions.create({ model: 'gated', messages: [{ role: 'user', content: 'x' }], stream: true });
  const it = stream[Symbol.asyncIterator]();
  let text = (await it.next()).value?.choices[0]?.delta.content ?? '';
  const finishes: string[] = [];
  const rest = async (): Promise<{ text: string; finishes: string[]; error?: unknown }> => {
    try {
      for (let r = await it.next(); !r.done; r = await it.next()) {
        text += r.value.choices[0]?.delta.content ?? '';
        if (r.value.choices[0]?.finish_reason) finishes.push(r.value.choices[0].finish_reason);
      }
      return { text, finishes };
    } catch (error) {
      return { text, finishes, error };
    }
  };
  return { first: text, rest };
}

t.test('SIGTERM: the stream in flight completes, new requests get 503, exit code 0', async (t) => {
  const mock = await startGatedUpstream();
  t.teardown(() => mock.close());
  const p = start(mock, 'shutdown-timeout-seconds: 60');
  t.teardown(() => p.stop());
  const base = (await p.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  t.equal((await post(agent, base, '/v1/chat/completions', { model: 'gated', messages: [{ role: 'user', content: 'warm' }] })).status, 200, 'a kept-alive connection is open');

  const stream = await openStream(base);
  t.equal(stream.first, 'first part');
  p.stop(); // SIGTERM
  await p.waitFor(/shutting down/);

  const late = await post(agent, base, '/v1/chat/completions', { model: 'gated', messages: [{ role: 'user', content: 'late' }] });
  t.ok(late.reused, 'sent on the connection that was open before the signal');
  t.equal(late.status, 503, 'a request after SIGTERM gets 503');
  t.match(JSON.parse(late.body), { error: { message: /shutting down/ } }, 'in the OpenAI error shape');
  const fresh = await fetch(`${base}/healthz`).then(
    () => 'answered',
    (e: Error & { cause?: { code?: string } }) => e.cause?.code ?? e.message,
  );
  t.equal(fresh, 'ECONNREFUSED', 'new connections are refused');

  mock.release();
  const end = await stream.rest();
  t.equal(end.error, undefined, 'the stream was not cut');
  t.equal(end.text, 'first part, second part', 'it carried all its text');
  t.same(end.finishes, ['stop'], 'and ended normally');
  const out = await p.output;
  t.equal(out.code, 0, 'exit code 0');
  t.match(out.stdout, /"msg":"stopped"/);
  t.notMatch(out.stdout, /ended the requests still open/, 'nothing was interrupted');
});

t.test('SIGTERM with a short shutdown-timeout-seconds: the stream ends with an error event, exit code 0', async (t) => {
  const mock = await startGatedUpstream();
  t.teardown(() => mock.close());
  const p = start(mock, 'shutdown-timeout-seconds: 1');
  t.teardown(() => p.stop());
  const base = (await p.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
  const stream = await openStream(base);
  p.stop();
  const end = await stream.rest(); // the upstream never finishes: only the timeout ends it
  t.type(end.error, OpenAI.APIError, 'the SDK sees an error event');
  t.match((end.error as Error).message, /shut down before this answer finished \(shutdown-timeout-seconds: 1\)/);
  t.equal(end.text, 'first part');
  t.same(end.finishes, [], 'no finish_reason');
  const out = await p.output;
  t.equal(out.code, 0, 'exit code 0');
  t.match(out.stdout, /"interrupted":1/, 'the log says one request was ended');
});

t.test('a second signal exits at once', async (t) => {
  const mock = await startGatedUpstream();
  t.teardown(() => mock.close());
  const p = start(mock, 'shutdown-timeout-seconds: 600');
  t.teardown(() => p.stop());
  const base = (await p.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
  const stream = await openStream(base);
  p.stop();
  await p.waitFor(/shutting down/);
  p.stop();
  const out = await p.output;
  t.equal(out.code, 143, 'exit code 128 + SIGTERM, without waiting out the 600 s');
  t.match(out.stdout, /second signal/);
  const end = await stream.rest();
  t.ok(end.error, 'the open stream was cut');
});
