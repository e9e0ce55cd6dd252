// The glibc 2.36 compatibility patch for the uWebSockets.js 20.56 binary.
import { readFileSync } from 'node:fs';
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
