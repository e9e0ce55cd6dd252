// Make a uWebSockets.js binary built against glibc 2.38 load on glibc 2.36
// (Debian 12). It needs only three 2.38 symbols: the C23 variants of sscanf,
// strtol and strtoul, which differ from the classic ones only in accepting a
// 0b prefix. We point those imports at the classic functions (the C23 name
// ends with the classic one, so only the string offset moves), bind them to
// the architecture's base version (GLIBC_2.2.5 on x86-64, GLIBC_2.17 on aarch64), and mark the GLIBC_2.38 requirement weak so the
// loader does not refuse the file. The patched copy is written beside the
// other caches; the original package stays untouched.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';

const C23_PREFIX = '__isoc23_';
const VER_FLG_WEAK = 0x2;

interface Section {
  name: string;
  offset: number;
  size: number;
}

function sections(b: Buffer): Map<string, Section> {
  if (b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1) throw new Error('not a little-endian ELF64 file');
  const shoff = Number(b.readBigUInt64LE(0x28));
  const shentsize = b.readUInt16LE(0x3a);
  const shnum = b.readUInt16LE(0x3c);
  const shstrndx = b.readUInt16LE(0x3e);
  const raw = Array.from({ length: shnum }, (_, i) => {
    const o = shoff + i * shentsize;
    return { nameOff: b.readUInt32LE(o), offset: Number(b.readBigUInt64LE(o + 24)), size: Number(b.readBigUInt64LE(o + 32)) };
  });
  const names = raw[shstrndx]!;
  const out = new Map<string, Section>();
  for (const s of raw) out.set(cstr(b, names.offset + s.nameOff), { name: '', offset: s.offset, size: s.size });
  return out;
}

function cstr(b: Buffer, at: number): string {
  const end = b.indexOf(0, at);
  return b.toString('latin1', at, end);
}

/** Patch the bytes of a shared object in place; returns how many imports moved. */
export function patchC23Imports(b: Buffer): number {
  const s = sections(b);
  const dynsym = s.get('.dynsym');
  const dynstr = s.get('.dynstr');
  const versym = s.get('.gnu.version');
  const verneed = s.get('.gnu.version_r');
  if (!dynsym || !dynstr || !versym || !verneed) throw new Error('missing dynamic symbol or version sections');
  const str = (off: number) => cstr(b, dynstr.offset + off);

  // Walk Verneed → Vernaux for libc's GLIBC_2.38 and GLIBC_2.2.5 entries.
  let weakPos = -1;
  let baseIndex = -1;
  let aarch64Base = -1;
  for (let o = verneed.offset; ; ) {
    const cnt = b.readUInt16LE(o + 2);
    const file = str(b.readUInt32LE(o + 4));
    let a = o + b.readUInt32LE(o + 8);
    for (let i = 0; i < cnt; i++) {
      const name = str(b.readUInt32LE(a + 8));
      if (file === 'libc.so.6' && name === 'GLIBC_2.38') weakPos = a;
      // The first libc version of the architecture: x86-64's 2.2.5, aarch64's
      // 2.17. An x86-64 file may need 2.17 as well (for other symbols), so
      // 2.2.5 wins wherever it is listed.
      if (file === 'libc.so.6' && name === 'GLIBC_2.2.5') baseIndex = b.readUInt16LE(a + 6);
      if (file === 'libc.so.6' && name === 'GLIBC_2.17') aarch64Base = b.readUInt16LE(a + 6);
      const next = b.readUInt32LE(a + 12);
      if (!next) break;
      a += next;
    }
    const next = b.readUInt32LE(o + 12);
    if (!next) break;
    o += next;
  }
  if (weakPos < 0) return 0; // nothing needs 2.38
  if (baseIndex < 0) baseIndex = aarch64Base;
  if (baseIndex < 0) throw new Error('no GLIBC_2.2.5 (x86-64) or GLIBC_2.17 (aarch64) version entry to rebind to');
  b.writeUInt16LE(b.readUInt16LE(weakPos + 4) | VER_FLG_WEAK, weakPos + 4);

  let moved = 0;
  for (let i = 0; i < dynsym.size / 24; i++) {
    const at = dynsym.offset + i * 24;
    const nameOff = b.readUInt32LE(at);
    if (!str(nameOff).startsWith(C23_PREFIX)) continue;
    b.writeUInt32LE(nameOff + C23_PREFIX.length, at);
    b.writeUInt16LE(baseIndex, versym.offset + i * 2);
    moved++;
  }
  return moved;
}

/** A patched copy of `binary` in `cacheDir` (made once, shared by processes). */
export function glibcCompatCopy(binary: string, cacheDir: string): string {
  const original = readFileSync(binary);
  const hash = createHash('sha256').update(original).digest('hex').slice(0, 16);
  const target = path.join(cacheDir, `${path.basename(binary, '.node')}-glibc236-${hash}.node`);
  if (existsSync(target)) return target;
  const patched = Buffer.from(original);
  if (patchC23Imports(patched) === 0) return binary;
  mkdirSync(cacheDir, { recursive: true });
  // Write then rename: parallel starters never load a half-written file.
  const tmp = `${target}.${process.pid}.tmp`;
  writeFileSync(tmp, patched, { mode: 0o755 });
  renameSync(tmp, target);
  return target;
}
