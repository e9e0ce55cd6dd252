// Write-back: comments and key order survive, writes are atomic, a failed
// write changes nothing, and concurrent changes all land.
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { parseConfig } from '../../lib/config/load.js';
import type { Config } from '../../lib/config/types.js';
import { atomicWriteFile, ConfigStore } from '../../lib/config/writeback.js';
import { mgmtGateway } from './helpers.js';

const YAML = `# Gateway config — hand written
port: 8317 # the port

# Client keys
api-keys:
  - "alpha" # first key
  - "beta"

debug: false # verbose?
claude-api-key:
  # the main account
  - api-key: "sk-ant-1"
    base-url: "http://127.0.0.1:1"
`;

function tempFile(text: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'cliproxy-wb-'));
  const file = path.join(dir, 'config.yaml');
  writeFileSync(file, text);
  return file;
}

t.test('an edit keeps comments, key order and untouched formatting, and goes live', async (t) => {
  const file = tempFile(YAML);
  const applied: Config[] = [];
  const store = new ConfigStore({ file, initial: parseConfig(YAML).config, apply: (c) => applied.push(c) });
  const r = await store.edit((doc) => void doc.setIn(['debug'], true));
  t.ok(r.ok);
  const text = readFileSync(file, 'utf8');
  t.equal(text, YAML.replace('debug: false # verbose?', 'debug: true # verbose?'), 'only the value changed');
  t.equal(applied.length, 1);
  t.equal(applied[0]!.debug, true, 'applied through the reload path');
  t.same(readdirSync(path.dirname(file)), ['config.yaml'], 'no temp file left behind');
});

t.test('a failing write leaves the old file and the old live config, and says 500', async (t) => {
  const file = tempFile(YAML);
  const applied: Config[] = [];
  for (const failing of ['writeFile', 'rename'] as const) {
    const ops = { [failing]: async () => Promise.reject(new Error(`disk full (${failing})`)) };
    const store = new ConfigStore({ file, initial: parseConfig(YAML).config, apply: (c) => applied.push(c), ops });
    const r = await store.edit((doc) => void doc.setIn(['debug'], true));
    t.notOk(r.ok);
    if (!r.ok) {
      t.equal(r.status, 500);
      t.match(r.body['error'], new RegExp(`^failed to save config: disk full \\(${failing}\\)`));
    }
    t.equal(readFileSync(file, 'utf8'), YAML, `file untouched when ${failing} fails`);
  }
  t.equal(applied.length, 0, 'nothing applied');
  t.same(readdirSync(path.dirname(file)), ['config.yaml'], 'temp files cleaned up');
});

t.test('an edit that makes the config invalid is refused with 400 and nothing changes', async (t) => {
  const file = tempFile(YAML);
  let applied = 0;
  const store = new ConfigStore({ file, initial: parseConfig(YAML).config, apply: () => applied++ });
  const r = await store.edit((doc) => void doc.setIn(['request-retry'], 'many'));
  t.notOk(r.ok);
  if (!r.ok) {
    t.equal(r.status, 400);
    t.equal(r.body['error'], 'invalid body');
    t.match(r.body['message'], /request-retry/);
  }
  t.equal(readFileSync(file, 'utf8'), YAML);
  t.equal(applied, 0);
});

t.test('concurrent edits are serialized: none is lost', async (t) => {
  const file = tempFile(YAML);
  let live = parseConfig(YAML).config;
  const store = new ConfigStore({ file, initial: live, apply: (c) => (live = c) });
  const keys = Array.from({ length: 25 }, (_, i) => `key-${i}`);
  const results = await Promise.all(
    keys.map((k) =>
      store.edit((doc, cur) => {
        doc.setIn(['api-keys'], doc.createNode([...cur.apiKeys, k]));
      }),
    ),
  );
  t.ok(results.every((r) => r.ok));
  const onDisk = parseConfig(readFileSync(file, 'utf8')).config.apiKeys;
  t.same(onDisk.slice().sort(), ['alpha', 'beta', ...keys].sort(), 'every key on disk');
  t.same(live.apiKeys.slice().sort(), onDisk.slice().sort(), 'and live');
});

t.test('atomicWriteFile keeps the file mode and writes through symlinks', async (t) => {
  const { symlinkSync, statSync, chmodSync, lstatSync } = await import('node:fs');
  const file = tempFile('a: 1\n');
  chmodSync(file, 0o640);
  const link = path.join(path.dirname(file), 'link.yaml');
  symlinkSync(file, link);
  await atomicWriteFile(link, 'a: 2\n');
  t.equal(readFileSync(file, 'utf8'), 'a: 2\n');
  t.ok(lstatSync(link).isSymbolicLink(), 'the link is still a link');
  t.equal(statSync(file).mode & 0o777, 0o640);
});

t.test('over HTTP: concurrent PATCHes all land in the file and the live config', async (t) => {
  const gw = await mgmtGateway('api-keys:\n  - "first" # keep me\n');
  t.teardown(() => gw.close());
  const keys = Array.from({ length: 20 }, (_, i) => `client-${i}`);
  const answers = await Promise.all(keys.map((k) => gw.api('PATCH', '/api-keys', { old: `absent-${k}`, new: k })));
  t.same(answers.map((a) => a.status), keys.map(() => 200));
  const text = readFileSync(gw.configPath, 'utf8');
  t.match(text, /- "first" # keep me/, 'comment kept');
  const onDisk = parseConfig(text).config.apiKeys;
  t.same(onDisk.slice().sort(), ['first', ...keys].sort());
  t.same(gw.runtime().config.apiKeys.slice().sort(), onDisk.slice().sort());
});

t.test('over HTTP: a failed write answers 500 and changes nothing', async (t) => {
  const gw = await mgmtGateway('debug: false\n', {
    management: { defaultMetrics: false, env: {}, writeOps: { rename: async () => Promise.reject(new Error('read-only file system')) } },
  });
  t.teardown(() => gw.close());
  const before = readFileSync(gw.configPath, 'utf8');
  const r = await gw.api('PUT', '/debug', { value: true });
  t.equal(r.status, 500);
  t.same(r.json, { error: 'failed to save config: read-only file system' });
  t.equal(readFileSync(gw.configPath, 'utf8'), before);
  t.equal(gw.runtime().config.debug, false);
  t.same((await gw.api('GET', '/debug')).json, { debug: false });
});
