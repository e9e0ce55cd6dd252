// request-log cannot fill the disk: refused requests (bad key, bad JSON,
// unknown model, too large, local answers) write nothing, and the folder is
// capped by request-log-max-files and request-log-max-size, oldest out first,
// including files an earlier run left behind.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { compatYaml } from '../helpers/gateway.js';
import { eventually, mgmtGateway, type MgmtGateway } from '../management/helpers.js';
import { startMockOpenAI } from '../mocks/openai-upstream.js';
import { quietFor } from '../helpers/wait.js';

const CLIENT_KEY = 'client-key-123456';
const LOG_FILE = /-\d{4}-\d\d-\d\dT\d{9}-\d{6}\.log$/;

const mock = await startMockOpenAI();
t.teardown(() => mock.close());

async function gateway(t: Test, extra: string, logDir?: string): Promise<{ gw: MgmtGateway; logDir: string; files: () => string[] }> {
  const gw = await mgmtGateway(`request-log: true\nmax-body-size: 64KB\n${extra}\n${compatYaml(mock.url, { clientKeys: [CLIENT_KEY] })}`, logDir ? { management: { defaultMetrics: false, env: {}, logDir } } : {});
  t.teardown(() => gw.close());
  const dir = logDir ?? path.join(gw.dir, 'logs');
  const files = () => (existsSync(dir) ? readdirSync(dir).filter((n) => LOG_FILE.test(n)).sort() : []);
  return { gw, logDir: dir, files };
}

function chat(gw: MgmtGateway, body: unknown, key = CLIENT_KEY): Promise<number> {
  return fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  }).then(async (r) => {
    await r.arrayBuffer();
    return r.status;
  });
}

const honest = (gw: MgmtGateway, n: number) => chat(gw, { model: 'gpt-mock', messages: [{ role: 'user', content: `request-number-${n}` }] });

/** For the assertions that a write or removal does NOT happen: give
 *  fire-and-forget writes and removals time to land. */
const settle = () => quietFor(300);

t.test('refused requests write no request log', async (t) => {
  const { gw, files } = await gateway(t, '');
  const statuses = new Set<number>();
  for (let i = 0; i < 200; i++) statuses.add(await chat(gw, { model: 'gpt-mock', messages: [{ role: 'user', content: 'x' }] }, `wrong-key-${i}`));
  t.same([...statuses], [401], '200 requests with a wrong key');
  t.equal(await chat(gw, '{not json'), 400, 'bad JSON');
  t.equal(await chat(gw, { model: 'no-such-model', messages: [] }), 404, 'unknown model');
  t.equal(await chat(gw, { model: 'gpt-mock', messages: [{ role: 'user', content: 'y'.repeat(100_000) }] }), 413, 'too large');
  t.equal((await fetch(`${gw.url}/`)).status, 200, 'a local answer');
  t.equal((await fetch(`${gw.url}/v1/nothing-here`, { method: 'POST' })).status, 404, 'unknown path');
  t.equal((await fetch(`${gw.url}/v1/chat/completions`, { method: 'DELETE' })).status, 405, 'wrong method');
  await settle();
  t.equal(files().length, 0, 'no file for any of them');

  t.equal(await honest(gw, 1), 200);
  t.ok(await eventually(() => files().length === 1), 'a request that went upstream is logged');
});

t.test('request-log-max-files: 20 requests leave the newest 5; folder 0700, files 0600', async (t) => {
  const { gw, logDir, files } = await gateway(t, 'request-log-max-files: 5');
  for (let i = 0; i < 20; i++) t.equal(await honest(gw, i), 200);
  t.ok(await eventually(() => files().length === 5), 'exactly five files');
  await settle();
  const names = files();
  t.equal(names.length, 5, 'and it stays five');
  const numbers = names.map((n) => Number(/request-number-(\d+)/.exec(readFileSync(path.join(logDir, n), 'utf8'))?.[1]));
  t.same(numbers, [15, 16, 17, 18, 19], 'the newest ones, oldest removed first');
  if (process.platform !== 'win32') {
    t.equal(statSync(logDir).mode & 0o777, 0o700, 'folder 0700');
    for (const n of names) t.equal(statSync(path.join(logDir, n)).mode & 0o777, 0o600, `${n} 0600`);
  }
});

t.test('request-log-max-size: the folder stays under the byte cap, newest kept', async (t) => {
  const { gw, logDir, files } = await gateway(t, 'request-log-max-size: 8KB');
  for (let i = 0; i < 20; i++) t.equal(await honest(gw, i), 200);
  // A file listed may be removed before it is read: it counts as gone.
  const gone = <T>(read: () => T, otherwise: T): T => {
    try {
      return read();
    } catch {
      return otherwise;
    }
  };
  const bytes = () => files().reduce((s, n) => s + gone(() => statSync(path.join(logDir, n)).size, 0), 0);
  const newest = () => files().some((n) => gone(() => readFileSync(path.join(logDir, n), 'utf8'), '').includes('request-number-19'));
  // The removals that bring the folder under the cap land after the newest write.
  await eventually(() => newest() && bytes() <= 8 * 1024);
  const names = files();
  const total = bytes();
  t.comment(`${names.length} files, ${total} bytes`);
  t.ok(total <= 8 * 1024, `${total} bytes ≤ 8 KiB`);
  t.ok(names.length >= 2 && names.length < 20, 'some, not all');
  t.match(readFileSync(path.join(logDir, names.at(-1)!), 'utf8'), 'request-number-19', 'the newest one is there');
});

t.test('files an earlier run left count too: the oldest go first, other files are left alone', async (t) => {
  const logDir = path.join(mkdtempSync(path.join(tmpdir(), 'cliproxy-reqlog-')), 'logs');
  mkdirSync(logDir, { mode: 0o755 });
  const old = Array.from({ length: 10 }, (_, i) => `v1-chat-completions-2001-01-01T0000000${String(i).padStart(2, '0')}-00000${i}.log`);
  for (const n of old) writeFileSync(path.join(logDir, n), 'old\n');
  writeFileSync(path.join(logDir, 'main.log'), 'keep\n');
  writeFileSync(path.join(logDir, 'notes.txt'), 'keep\n');
  const stale = `.${old[0]!.replace('2001', '2000')}.tmp`;
  writeFileSync(path.join(logDir, stale), 'half');
  const { gw, files } = await gateway(t, 'request-log-max-files: 5', logDir);
  t.equal(await honest(gw, 1), 200);
  t.ok(await eventually(() => files().length === 5 && !files().includes(old[5]!)), 'five request logs left');
  const names = files();
  t.same(names.filter((n) => n.startsWith('v1-chat-completions-2001')), old.slice(6), 'the four newest old ones');
  t.equal(names.filter((n) => !n.startsWith('v1-chat-completions-2001')).length, 1, 'and the new one');
  t.ok(existsSync(path.join(logDir, 'main.log')) && existsSync(path.join(logDir, 'notes.txt')), 'other files untouched');
  t.notOk(existsSync(path.join(logDir, stale)), 'a half-written leftover is removed');
  if (process.platform !== 'win32') t.equal(statSync(logDir).mode & 0o777, 0o700, 'an existing folder is made private');
});
