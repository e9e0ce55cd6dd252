// Attacks on secrets at rest: `?%6Bey=<client key>` was accepted as `key`
// but written to the request log unmasked; mask() showed 8 of a 9–12
// character secret; logs/ was 0755 and main.log 0644.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { FileLogging } from '../../lib/logging/file.js';
import { log, mask } from '../../lib/logging/logger.js';
import { maskUrl } from '../../lib/logging/request-log.js';
import { compatYaml } from '../helpers/gateway.js';
import { eventually, mgmtGateway } from '../management/helpers.js';
import { startMockOpenAI } from '../mocks/openai-upstream.js';

const KEY = 'sk-client-0123456789abcdef';

t.test('a percent-encoded key parameter is masked in the request log', async (t) => {
  const mock = await startMockOpenAI();
  const gw = await mgmtGateway(compatYaml(mock.url, { clientKeys: [KEY], extra: 'request-log: true\n' }));
  t.teardown(async () => {
    await gw.close();
    await mock.close();
  });
  const logDir = path.join(gw.dir, 'logs');
  for (const q of [`?%6Bey=${KEY}`, `?%6b%65%79=${KEY}`, `?x=1&key=${KEY}`, `?key=${encodeURIComponent(KEY).replace(/-/g, '%2D')}`]) {
    const r = await fetch(`${gw.url}/v1/chat/completions${q}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-mock', messages: [{ role: 'user', content: 'hi' }] }),
    });
    t.equal(r.status, 200, `${q.slice(0, 14)}… is accepted as the key`);
    await r.arrayBuffer();
  }
  const files = () => (existsSync(logDir) ? readdirSync(logDir).filter((n) => n.startsWith('v1-chat-completions-')) : []);
  t.ok(await eventually(() => files().length === 4), 'four request logs');
  for (const f of files()) {
    const text = readFileSync(path.join(logDir, f), 'utf8');
    t.notMatch(text, '0123456789ab', `${f}: no part of the key beyond its last 4 characters`);
    t.match(text, /URL: \/v1\/chat\/completions\?.*\*\*\*\*cdef/);
  }
});

t.test('maskUrl judges parameters after decoding their names', async (t) => {
  t.equal(maskUrl('/v1/x?%6Bey=abcdefghijklmnopqrst'), '/v1/x?%6Bey=****qrst');
  t.equal(maskUrl('/v1/x?a=1&API_KEY=short#frag'), '/v1/x?a=1&API_KEY=****#frag');
  t.equal(maskUrl('/v1/x?auth_token=abcdefghijklmnop'), '/v1/x?auth_token=****mnop');
  t.equal(maskUrl('/v1/x?alt=sse'), '/v1/x?alt=sse', 'other parameters stay');
  t.equal(maskUrl('/v1/x?%E0%A4%A=1'), '/v1/x?%E0%A4%A=1', 'a bad escape is left as it is');
});

t.test('mask shows at most 4 characters, none of a short secret', async (t) => {
  for (const len of [1, 8, 9, 10, 12, 15]) {
    const s = 'abcdefghijklmnopqrstuvwxyz'.slice(0, len);
    t.equal(mask(s), '****', `${len} characters: nothing shown`);
  }
  const long = 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz';
  t.equal(mask(long), '****wxyz');
  t.ok(mask(long).replace(/\*/g, '').length <= 4);
  t.equal(mask(''), '');
});

t.test('logs/ is 0700 and main.log 0600, also when they existed with looser modes', async (t) => {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'cliproxy-perm-')), 'logs');
  mkdirSync(dir, { mode: 0o755 });
  chmodSync(dir, 0o755);
  writeFileSync(path.join(dir, 'main.log'), 'old line\n', { mode: 0o644 });
  chmodSync(path.join(dir, 'main.log'), 0o644);
  const fl = new FileLogging(dir);
  fl.set(true);
  log.error('a line for the file');
  await fl.flush();
  await fl.close();
  t.equal(statSync(dir).mode & 0o777, 0o700);
  t.equal(statSync(path.join(dir, 'main.log')).mode & 0o777, 0o600);
  const fresh = path.join(mkdtempSync(path.join(tmpdir(), 'cliproxy-perm-')), 'logs');
  const fl2 = new FileLogging(fresh);
  fl2.set(true);
  log.error('a line');
  await fl2.flush();
  await fl2.close();
  t.equal(statSync(fresh).mode & 0o777, 0o700);
  t.equal(statSync(path.join(fresh, 'main.log')).mode & 0o777, 0o600);
});

t.test('credential labels and refusals never carry a key', async (t) => {
  const mock = await startMockOpenAI();
  const gw = await mgmtGateway(compatYaml(mock.url, { clientKeys: [KEY], keys: ['sk-upstream-abcdefghijklmnop'] }));
  t.teardown(async () => {
    await gw.close();
    await mock.close();
  });
  const wrong = await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${KEY.slice(0, -1)}x` } });
  t.equal(wrong.status, 401);
  t.notMatch(await wrong.text(), KEY.slice(0, 10));
  const labels = gw.runtime().credentials.map((c) => c.label).join(' ');
  t.notMatch(labels, 'abcdefghijkl');
  t.match(labels, /\*\*\*\*mnop/);
});
