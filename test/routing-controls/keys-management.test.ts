// The management API's /api-keys with object entries: GET shows them as the
// file has them, PUT/PATCH/DELETE accept them beside plain strings, edits
// keep the file's comments, bad entries get a 400, and a change applies to
// the next request.
import { readFileSync } from 'node:fs';
import OpenAI from 'openai';
import t from 'tap';
import { eventually, mgmtGateway } from '../management/helpers.js';
import { startMockOpenAI } from '../mocks/openai-upstream.js';

const mock = await startMockOpenAI();
const gw = await mgmtGateway(
  [
    'api-keys:',
    '  - "plain-1" # a plain key',
    '  - key: team-a # a key with settings',
    '    models: ["gpt-*"]',
    '    max-requests-per-minute: 100',
    'openai-compatibility:',
    `  - name: mock\n    base-url: "${mock.url}"\n    api-key-entries: [{ api-key: sk-up }]\n    models: [{ name: gpt-mock, alias: gpt-mock }, { name: gpt-mock, alias: other-model }]`,
  ].join('\n'),
);
t.teardown(async () => {
  await gw.close();
  await mock.close();
});
const file = () => readFileSync(gw.configPath, 'utf8');
const keys = async () => (await gw.api('GET', '/api-keys')).json['api-keys'];
const chat = (key: string, model: string) =>
  new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key, maxRetries: 0 }).chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }).then(
    () => 200,
    (e) => e.status as number,
  );

t.test('GET shows strings and objects in config order; /config too', async (t) => {
  t.same(await keys(), ['plain-1', { key: 'team-a', models: ['gpt-*'], 'max-requests-per-minute': 100 }]);
  const cfg = (await gw.api('GET', '/config')).json;
  t.same(cfg['api-keys'], ['plain-1', { key: 'team-a', models: ['gpt-*'], 'max-requests-per-minute': 100 }]);
});

t.test('PATCH by index and by old/new with objects; DELETE by value; comments kept', async (t) => {
  t.equal(await chat('team-a', 'other-model'), 403, 'before: team-a may not use other-model');
  t.equal((await gw.api('PATCH', '/api-keys', { index: 1, value: { key: 'team-a', models: ['gpt-*', 'other-*'] } })).status, 200);
  t.same((await keys())[1], { key: 'team-a', models: ['gpt-*', 'other-*'] });
  t.match(file(), /# a plain key/, 'the other entries keep their comments');
  t.ok(await eventually(async () => (await chat('team-a', 'other-model')) === 200), 'the edit applies to the next requests');

  t.equal((await gw.api('PATCH', '/api-keys', { old: 'plain-1', new: { key: 'plain-1', 'max-requests-per-minute': 1 } })).status, 200, 'a plain key gets settings');
  t.equal((await gw.api('PATCH', '/api-keys', { old: 'absent', new: 'plain-2' })).status, 200, 'old not found → appended');
  t.same(await keys(), [{ key: 'plain-1', 'max-requests-per-minute': 1 }, { key: 'team-a', models: ['gpt-*', 'other-*'] }, 'plain-2']);
  t.equal((await gw.api('PATCH', '/api-keys', { index: 0, value: 'plain-1' })).status, 200, 'and back to a plain string');
  t.equal((await keys())[0], 'plain-1');

  t.equal((await gw.api('DELETE', '/api-keys?value=team-a')).status, 200, 'an object entry deleted by its key');
  t.same(await keys(), ['plain-1', 'plain-2']);
  t.notMatch(file(), /team-a/);
});

t.test('PUT a mixed list; bad entries are refused with a message', async (t) => {
  const list = ['p-1', { key: 'limited', models: ['gpt-mock'], 'max-requests-per-minute': 2 }];
  t.equal((await gw.api('PUT', '/api-keys', list)).status, 200);
  t.same(await keys(), list);
  t.match(file(), /key: limited/);
  t.ok(await eventually(async () => (await chat('limited', 'other-model')) === 403), 'the new key is restricted');

  const bad = async (body: unknown, pattern: RegExp, why: string) => {
    const r = await gw.api('PUT', '/api-keys', body);
    t.equal(r.status, 400, why);
    t.match(r.json?.error, pattern, why);
  };
  await bad([{ models: ['x'] }], /needs a non-empty "key"/, 'no key');
  await bad([{ key: 'k', models: [''] }], /"models" must be a list/, 'empty pattern');
  await bad([{ key: 'k', 'max-requests-per-minute': -3 }], /whole number/, 'negative rate');
  await bad([{ key: 'k', rate: 3 }], /unknown field "rate"/, 'unknown field');
  await bad([1], /string or an object/, 'a number');
  const dup = await gw.api('PUT', '/api-keys', ['same', { key: 'same', models: ['x'] }]);
  t.ok(dup.status >= 400 && dup.status < 500, 'a key listed twice is refused by config validation');
  t.notMatch(dup.text, /"same"/, 'without echoing the key');
  t.same(await keys(), list, 'nothing changed by refused edits');
  const patchBad = await gw.api('PATCH', '/api-keys', { index: 0, value: { key: '' } });
  t.equal(patchBad.status, 400);
});
