// The glibc 2.36 compatibility patch for the uWebSockets.js 20.56 binary.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';
import t from 'tap';
import { patchC23Imports } from '../../lib/server/glibc-compat.js';

const require = createRequire(import.meta.url);
const dir = path.dirname(require.resolve('@btc-vision/uwebsockets.js'));

t.test('the three C23 imports move to their classic names; nothing else changes', async (t) => {
  const original = readFileSync(path.join(dir, 'uws_linux_x64_115.node'));
  const patched = Buffer.from(original);
  t.equal(patchC23Imports(patched), 3);
  let diff = 0;
  for (let i = 0; i < original.length; i++) if (original[i] !== patched[i]) diff++;
  t.ok(diff > 0 && diff < 40, `only a few bytes differ (${diff})`);
  t.equal(patchC23Imports(Buffer.from(patched)), 0, 'patching twice finds nothing left to move');
});

t.test('refuses files that are not ELF64', async (t) => {
  t.throws(() => patchC23Imports(Buffer.from('not an elf file at all, just text')), /ELF64/);
});

t.test('aarch64: the C23 imports rebind to its base version, GLIBC_2.17', async (t) => {
  const original = readFileSync(path.join(dir, 'uws_linux_arm64_115.node'));
  const patched = Buffer.from(original);
  // aarch64's build imports two of the three (no sscanf); before, this threw for want of GLIBC_2.2.5.
  t.equal(patchC23Imports(patched), 2);
  t.equal(patchC23Imports(Buffer.from(patched)), 0, 'patching twice finds nothing left to move');
});

t.test('the patched x86-64 binary loads in a fresh process (its C23 imports bound to GLIBC_2.2.5)', async (t) => {
  if (process.arch !== 'x64' || process.platform !== 'linux') return t.plan(0, 'x86-64 Linux only');
  const dirOut = mkdtempSync(path.join(tmpdir(), 'glibc-compat-'));
  t.teardown(() => rmSync(dirOut, { recursive: true, force: true }));
  const patched = Buffer.from(readFileSync(path.join(dir, `uws_linux_x64_${process.versions.modules}.node`)));
  patchC23Imports(patched);
  const file = path.join(dirOut, 'uws.node');
  writeFileSync(file, patched, { mode: 0o755 });
  // A wrong version binding shows only when the loader resolves the symbols: load it in a child.
  const r = spawnSync(process.execPath, ['-e', `process.dlopen({ exports: {} }, ${JSON.stringify(file)}); console.log('loaded')`], { encoding: 'utf8', timeout: 30_000 });
  t.equal(r.stdout.trim(), 'loaded', `dlopen succeeds${r.stderr ? `: ${r.stderr.trim().split('\n')[0]}` : ''}`);
});
