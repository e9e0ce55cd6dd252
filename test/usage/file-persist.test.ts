// One instance keeps its usage statistics over a restart: a file next to the
// config (usage-statistics.json, the export format), written atomically and
// on close; a broken file is moved aside, never a reason not to start.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { startMockOpenAI } from '../mocks/openai-upstream.js';
import { configDir, eventually, usageGateway } from './helpers.js';

const mock = await startMockOpenAI();
t.teardown(() => mock.close());

t.test('statistics survive a restart of the gateway', async (t) => {
  const dir = configDir(mock.url);
  const file = path.join(dir, 'usage-statistics.json');
  const first = await usageGateway(dir);
  t.same(first.management.usage.state(), { kind: 'file', where: file, problem: undefined, pending: 0 });
  for (let i = 0; i < 4; i++) await first.chat('gpt-mock');
  await first.chat('gpt-mock', { stream: true });
  await first.chat('fail-400');
  const before = (await first.api('GET', '/usage')).json.usage;
  t.equal(before.total_requests, 6);
  // Written within about a second, without waiting for close.
  t.ok(await eventually(() => existsSync(file) && JSON.parse(readFileSync(file, 'utf8')).usage.total_requests === 6), 'written while running');
  await first.chat('gpt-mock');
  await first.close(); // the last request is written on close
  const saved = JSON.parse(readFileSync(file, 'utf8'));
  t.equal(saved.version, 1, 'the file is an export');
  t.equal(saved.usage.total_requests, 7);
  t.same(readdirSync(dir).filter((f) => f.includes('.tmp')), [], 'no temporary file left');

  const second = await usageGateway(dir);
  const after = (await second.api('GET', '/usage')).json.usage;
  t.equal(after.total_requests, 7);
  t.equal(after.failure_count, 1);
  t.equal(after.success_count, 6);
  t.equal(after.total_tokens, before.total_tokens + 17);
  t.same(after.requests_by_day, { [Object.keys(before.requests_by_day)[0]!]: 7 });
  t.equal(after.apis['POST /v1/chat/completions'].models['gpt-mock'].details.length, 6);
  await second.chat('gpt-mock');
  t.equal((await second.api('GET', '/usage')).json.usage.total_requests, 8, 'counting goes on from the kept totals');
  await second.close();

  const third = await usageGateway(dir);
  t.equal((await third.api('GET', '/usage')).json.usage.total_requests, 8);
  await third.close();
});

t.test('a broken statistics file is moved aside and the gateway starts from zero', async (t) => {
  const dir = configDir(mock.url);
  const file = path.join(dir, 'usage-statistics.json');
  writeFileSync(file, '{"usage": {"total_requests": "lots"');
  const gw = await usageGateway(dir);
  t.teardown(() => gw.close());
  t.equal((await gw.api('GET', '/usage')).json.usage.total_requests, 0);
  const aside = readdirSync(dir).filter((f) => f.startsWith('usage-statistics.json.invalid-'));
  t.equal(aside.length, 1, 'the broken file is kept for a look');
  await gw.chat('gpt-mock');
  t.ok(await eventually(() => existsSync(file) && JSON.parse(readFileSync(file, 'utf8')).usage.total_requests === 1));
});

t.test('an unwritable location: requests are served and counted, the problem is reported', async (t) => {
  const dir = configDir(mock.url);
  // A file where the directory should be: every write fails.
  writeFileSync(path.join(dir, 'blocked'), 'x');
  const gw = await usageGateway(dir, { usageFile: path.join(dir, 'blocked', 'usage.json') });
  t.teardown(() => gw.close());
  t.equal((await gw.chat('gpt-mock')).status, 200);
  t.equal((await gw.api('GET', '/usage')).json.usage.total_requests, 1);
  t.ok(await eventually(() => gw.management.usage.state().problem !== undefined), 'the write failure is known');
  const metrics = await (await fetch(`${gw.url}/metrics`)).text();
  t.match(metrics, /^cliproxy_usage_store_up 0$/m);
  t.match(metrics, /^cliproxy_usage_pending_requests 1$/m);
});
