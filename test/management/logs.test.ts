// Logs: logging-to-file with rotation, GET/DELETE /logs with a cursor,
// request-log files with secrets masked, and debug switching verbosity live.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { FileLogging, formatLogLine, localStamp } from '../../lib/logging/file.js';
import { log } from '../../lib/logging/logger.js';
import { lineTimestamp } from '../../lib/management/handlers/logs.js';
import { compatYaml } from '../helpers/gateway.js';
import { startMockOpenAI } from '../mocks/openai-upstream.js';
import { quietFor } from '../helpers/wait.js';
import { eventually, mgmtGateway } from './helpers.js';

t.test('log lines are readable text and their timestamps parse back', async (t) => {
  const line = formatLogLine(JSON.stringify({ level: 'warn', time: '2025-03-04T05:06:07.000Z', msg: 'hello', credential: 'x' }));
  const stamp = localStamp(new Date('2025-03-04T05:06:07.000Z'));
  t.equal(line, `[${stamp}] [warn] hello {"credential":"x"}\n`);
  t.equal(lineTimestamp(line), Date.parse('2025-03-04T05:06:07.000Z') / 1000);
  t.equal(lineTimestamp('no stamp here'), 0);
});

t.test('main.log rotates by size into main.log.1 …', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'cliproxy-rot-'));
  const fl = new FileLogging(dir, { size: '1K', keep: 3 });
  fl.set(true);
  t.teardown(() => fl.close());
  const big = 'x'.repeat(300);
  for (let i = 0; i < 12; i++) {
    log.error({ i }, big);
    await fl.flush();
  }
  t.ok(await eventually(() => existsSync(path.join(dir, 'main.log.1'))), 'rotated');
  const names = readdirSync(dir).filter((n) => n.startsWith('main.log'));
  t.ok(names.every((n) => /^main\.log(\.[1-3])?$/.test(n)), `at most 3 rotations kept: ${names.join(', ')}`);
});

t.test('logging-to-file through the API; GET /logs with a cursor; DELETE /logs', async (t) => {
  const gw = await mgmtGateway('logging-to-file: false\n');
  t.teardown(() => gw.close());
  const logDir = path.join(gw.dir, 'logs');
  t.same((await gw.api('GET', '/logs')).json, { error: 'logging to file disabled' });
  t.equal((await gw.api('PUT', '/logging-to-file', { value: true })).status, 200);
  log.error('first marker line');
  const first = (await gw.api('GET', '/logs')).json;
  t.ok(first.lines.some((l: string) => /\[error\] first marker line$/.test(l)), 'the line is in main.log');
  t.ok(first['line-count'] >= 1);
  t.ok(first['latest-timestamp'] > 0);
  t.ok(existsSync(path.join(logDir, 'main.log')));

  // Lines older than the cursor are left out; an older rotated file is read first.
  const old = `[2001-01-01 00:00:00] [info] ancient line\n`;
  writeFileSync(path.join(logDir, 'main.log.1'), old);
  const all = (await gw.api('GET', '/logs')).json;
  t.equal(all.lines[0], old.trim(), 'rotated files first, oldest first');
  const cursor = lineTimestamp(old) + 1;
  const since = (await gw.api('GET', `/logs?after=${cursor}`)).json;
  t.notOk(since.lines.includes(old.trim()), 'older than the cursor: left out');
  t.ok(since.lines.some((l: string) => l.endsWith('first marker line')));
  t.equal((await gw.api('GET', `/logs?since=${cursor}`)).json.lines.length, since.lines.length, '?since= works too');

  const cleared = (await gw.api('DELETE', '/logs')).json;
  t.match(cleared, { success: true, removed: 1 });
  t.notOk(existsSync(path.join(logDir, 'main.log.1')));
  t.equal(readFileSync(path.join(logDir, 'main.log'), 'utf8'), '', 'main.log truncated');
  log.error('after clearing');
  const after = (await gw.api('GET', '/logs')).json.lines;
  t.ok(after.some((l: string) => l.endsWith('after clearing')), 'logging goes on in the same file');

  t.equal((await gw.api('PUT', '/logging-to-file', { value: false })).status, 200);
  t.equal((await gw.api('DELETE', '/logs')).status, 400);
});

t.test('debug switches verbosity live', { skip: process.env.LOG_LEVEL ? 'LOG_LEVEL pins the level' : false }, async (t) => {
  const gw = await mgmtGateway('debug: false\n');
  t.teardown(() => gw.close());
  t.equal((await gw.api('PUT', '/debug', { value: true })).status, 200);
  t.equal(log.level, 'debug');
  t.equal((await gw.api('PUT', '/debug', { value: false })).status, 200);
  t.equal(log.level, 'info');
});

t.test('request-log: one file per request with inbound, upstream and final parts, secrets masked', async (t) => {
  const mock = await startMockOpenAI();
  const gw = await mgmtGateway(compatYaml(mock.url, { clientKeys: ['client-secret-123456'] }));
  t.teardown(async () => {
    await gw.close();
    await mock.close();
  });
  const logDir = path.join(gw.dir, 'logs');
  const send = (model: string, stream = false) =>
    fetch(`${gw.url}/v1/chat/completions?key=query-secret-abcdef`, {
      method: 'POST',
      headers: { authorization: 'Bearer client-secret-123456', 'content-type': 'application/json' },
      body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'log me' }] }),
    }).then((r) => r.text());
  await send('gpt-mock');
  t.notOk(existsSync(logDir) && readdirSync(logDir).some((n) => n.startsWith('v1-chat')), 'off by default');

  t.equal((await gw.api('PUT', '/request-log', { value: true })).status, 200);
  await send('gpt-mock');
  await send('gpt-mock', true);
  const files = () => (existsSync(logDir) ? readdirSync(logDir).filter((n) => n.startsWith('v1-chat-completions-')) : []);
  t.ok(await eventually(() => files().length === 2), 'two request logs');
  const texts = files().map((n) => readFileSync(path.join(logDir, n), 'utf8'));
  for (const text of texts) {
    for (const part of ['=== REQUEST INFO ===', '=== HEADERS ===', '=== REQUEST BODY ===', '=== API REQUEST ===', '=== API RESPONSE ===', '=== RESPONSE ===']) t.match(text, part);
    t.match(text, '"content":"log me"', 'inbound body');
    t.match(text, '"model":"mock-model"', 'upstream body (model mapped)');
    t.match(text, /Status: 200/);
    t.notMatch(text, 'client-secret-123456', 'client key masked');
    t.notMatch(text, 'sk-upstream-1', 'upstream key masked');
    t.notMatch(text, 'query-secret-abcdef', 'query key masked');
    t.match(text, /authorization: Bearer \*\*\*\*3456/);
  }
  t.ok(texts.some((x) => x.includes('data: [DONE]')), 'the streamed answer is logged');
  t.ok(texts.some((x) => x.includes('"echo: log me"')), 'the whole answer is logged');
  t.equal((await gw.api('PUT', '/request-log', { value: false })).status, 200);
  await send('gpt-mock');
  // Nothing to wait for: the assertion is that no file appears (a log file is written after the answer).
  await quietFor(100);
  t.equal(files().length, 2, 'off again');
});
