// Token files through the API: list, download, upload (multipart and raw
// JSON), delete one or all; names that are not plain *.json are refused.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { badAuthFileName } from '../../lib/management/handlers/auth-files.js';
import { mgmtGateway } from './helpers.js';

const gw = await mgmtGateway('debug: false\n');
t.teardown(() => gw.close());
const authDir = path.join(gw.dir, 'auth');
const outside = path.join(gw.dir, 'outside.json');
writeFileSync(outside, '{"secret":"do not touch"}');

const BAD_NAMES = [
  '../outside.json',
  '..\\outside.json',
  'sub/x.json',
  'sub\\x.json',
  '/etc/passwd.json',
  outside,
  'C:x.json',
  '..json',
  'x..json',
  'token.txt',
  'token.json.bak',
  'token',
  '.json',
  ' spaced.json',
  'nul\u0000.json',
  'quote".json',
  '',
];

t.test('the name check refuses everything that is not a plain *.json name', async (t) => {
  for (const n of BAD_NAMES) t.ok(badAuthFileName(n), `refused: ${JSON.stringify(n)}`);
  for (const n of ['claude-a@b.c.json', 'codex_1.JSON', 'gemini-proj-1.json', '.oauth-hidden.json']) t.equal(badAuthFileName(n), undefined, `accepted: ${n}`);
});

t.test('upload as raw JSON and as multipart; list; download', async (t) => {
  const raw = await gw.api('POST', '/auth-files?name=claude-a%40example.com.json', { type: 'claude', email: 'a@example.com', access_token: 'tok-a', last_refresh: '2025-01-02T03:04:05Z' });
  t.same([raw.status, raw.json], [200, { status: 'ok' }]);
  const form = new FormData();
  form.append('file', new Blob([JSON.stringify({ type: 'codex', email: 'b@example.com', disabled: true })], { type: 'application/json' }), 'Codex-b.json');
  const mp = await gw.api('POST', '/auth-files', form);
  t.same([mp.status, mp.json], [200, { status: 'ok' }]);
  t.same(readdirSync(authDir).sort(), ['Codex-b.json', 'claude-a@example.com.json']);
  t.equal(statSync(path.join(authDir, 'Codex-b.json')).mode & 0o777, 0o600, 'token files are private');

  const files = (await gw.api('GET', '/auth-files')).json.files;
  t.same(files.map((f: any) => f.name), ['claude-a@example.com.json', 'Codex-b.json'], 'sorted by name, case-insensitive');
  const keys = ['id', 'name', 'type', 'provider', 'label', 'email', 'status', 'status_message', 'disabled', 'unavailable', 'runtime_only', 'source', 'size', 'modtime', 'path', 'created_at', 'updated_at', 'last_refresh', 'account_type', 'account'];
  for (const k of keys) t.ok(k in files[0], `field ${k}`);
  t.match(files[0], { type: 'claude', provider: 'claude', email: 'a@example.com', status: 'active', disabled: false, source: 'file', last_refresh: '2025-01-02T03:04:05.000Z', path: path.join(authDir, 'claude-a@example.com.json') });
  t.match(files[1], { type: 'codex', status: 'disabled', disabled: true });
  t.ok(files[0].size > 0);

  const dl = await fetch(`${gw.url}/v0/management/auth-files/download?name=Codex-b.json`, { headers: { authorization: 'Bearer mgmt-secret-key' } });
  t.equal(dl.status, 200);
  t.equal(dl.headers.get('content-disposition'), 'attachment; filename="Codex-b.json"');
  t.same(await dl.json(), { type: 'codex', email: 'b@example.com', disabled: true });
  t.same((await gw.api('GET', '/auth-files/download?name=absent.json')).json, { error: 'file not found' });
});

t.test('bad names are refused with 400 on upload, download and delete; nothing outside auth-dir is touched', async (t) => {
  for (const n of BAD_NAMES) {
    const q = encodeURIComponent(n);
    t.equal((await gw.api('POST', `/auth-files?name=${q}`, { type: 'x' })).status, 400, `upload ${JSON.stringify(n)}`);
    t.equal((await gw.api('GET', `/auth-files/download?name=${q}`)).status, 400, `download ${JSON.stringify(n)}`);
    t.equal((await gw.api('DELETE', `/auth-files?name=${q}`)).status, 400, `delete ${JSON.stringify(n)}`);
  }
  for (const n of ['../evil.json', 'sub/evil.json', 'evil.txt']) {
    const form = new FormData();
    form.append('file', new Blob(['{}']), n);
    t.equal((await gw.api('POST', '/auth-files', form)).status, 400, `multipart ${n}`);
  }
  t.equal(readFileSync(outside, 'utf8'), '{"secret":"do not touch"}');
  t.notOk(existsSync(path.join(gw.dir, 'evil.json')));
  t.same(readdirSync(authDir).sort(), ['Codex-b.json', 'claude-a@example.com.json']);
});

t.test('uploads must be JSON objects', async (t) => {
  t.same((await gw.api('POST', '/auth-files?name=x.json', 'not json', { 'content-type': 'application/json' })).json, { error: 'invalid body' });
  t.equal((await gw.api('POST', '/auth-files?name=x.json', [1, 2])).status, 400);
  t.equal((await gw.api('POST', '/auth-files', new FormData())).status, 400, 'multipart without a file');
});

t.test('the live credential state wins over the file, and runtime-only credentials are listed', async (t) => {
  const m = gw.management;
  const prev = m.authFiles;
  t.teardown(() => void (m.authFiles = prev));
  const changed: string[] = [];
  m.registerAuthFiles({
    list: () => [
      { id: 'claude:a', name: 'claude-a@example.com.json', provider: 'claude', status: 'error', statusMessage: 'refresh failed: 400', unavailable: true, path: path.join(authDir, 'claude-a@example.com.json') },
      { id: 'relay:1', name: 'aistudio-relay-1', provider: 'aistudio', runtimeOnly: true, label: 'AI Studio relay' },
    ],
    changed: (name, removed) => void changed.push(`${removed ? '-' : '+'}${name}`),
  });
  const files = (await gw.api('GET', '/auth-files')).json.files;
  t.same(files.map((f: any) => f.name), ['aistudio-relay-1', 'claude-a@example.com.json', 'Codex-b.json']);
  t.match(files[1], { id: 'claude:a', status: 'error', status_message: 'refresh failed: 400', unavailable: true, source: 'file', email: 'a@example.com' });
  t.match(files[0], { runtime_only: true, source: 'memory', label: 'AI Studio relay', size: 0 });
  t.equal((await gw.api('POST', '/auth-files?name=new.json', { type: 'qwen' })).status, 200);
  t.equal((await gw.api('DELETE', '/auth-files?name=new.json')).status, 200);
  t.same(changed, ['+new.json', '-new.json'], 'the auth state hears about API changes');
});

t.test('delete one, then all', async (t) => {
  t.same((await gw.api('DELETE', '/auth-files?name=absent.json')).json, { error: 'file not found' });
  t.same((await gw.api('DELETE', '/auth-files?name=Codex-b.json')).json, { status: 'ok' });
  writeFileSync(path.join(authDir, 'more.json'), '{}');
  writeFileSync(path.join(authDir, 'notes.txt'), 'keep');
  mkdirSync(path.join(authDir, 'dir.json'));
  t.same((await gw.api('DELETE', '/auth-files?all=true')).json, { status: 'ok', deleted: 2 });
  t.same(readdirSync(authDir).sort(), ['dir.json', 'notes.txt'], 'only token files removed');
  t.same((await gw.api('GET', '/auth-files')).json.files.filter((f: any) => f.source === 'file'), []);
});
