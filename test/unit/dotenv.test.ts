// .env parsing (godotenv's rules, as CLIProxyAPI reads its .env) and loading.
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { loadDotenv, parseDotenv } from '../../lib/config/dotenv.js';

const parse = (text: string, env: Record<string, string> = {}) => {
  const { values, warnings } = parseDotenv(text, env, '.env');
  return { values: Object.fromEntries(values), warnings };
};

t.test('plain, exported, commented, spaced', async (t) => {
  const { values, warnings } = parse(
    [
      '# a comment',
      '',
      'PLAIN=value',
      'export EXPORTED=yes',
      '  INDENTED = spaced value  ',
      'INLINE=abc # trailing comment',
      'HASH=abc#not-a-comment',
      'EMPTY=',
      'COLON: yaml style',
      'URL=http://127.0.0.1:8317/v1?x=1',
    ].join('\n'),
  );
  t.same(values, {
    PLAIN: 'value',
    EXPORTED: 'yes',
    INDENTED: 'spaced value',
    INLINE: 'abc',
    HASH: 'abc#not-a-comment',
    EMPTY: '',
    COLON: 'yaml style',
    URL: 'http://127.0.0.1:8317/v1?x=1',
  });
  t.same(warnings, []);
});

t.test('quotes: single literal, double with escapes, multi-line, CRLF', async (t) => {
  const { values, warnings } = parse(
    [
      `SINGLE='a $HOME \\n # kept'`,
      `DOUBLE="line1\\nline2 \\"q\\" \\\\ # kept" # comment`,
      `MULTI="first`,
      `second"`,
      `AFTER=ok`,
      `SPACED = "  padded  "`,
    ].join('\r\n'),
  );
  t.same(values, {
    SINGLE: 'a $HOME \\n # kept',
    DOUBLE: 'line1\nline2 "q" \\ # kept',
    MULTI: 'first\nsecond',
    AFTER: 'ok',
    SPACED: '  padded  ',
  });
  t.same(warnings, []);
});

t.test('$VAR and ${VAR}: earlier lines first, then the environment; escapes and single quotes stay literal', async (t) => {
  const { values } = parse(['BASE=/srv', 'A=$BASE/a', 'B="${BASE}/b"', "C='$BASE'", 'D=\\$BASE', 'E=${FROM_ENV}', 'F=$MISSING.x', 'G="\\$BASE"'].join('\n'), { FROM_ENV: 'env', BASE: 'ignored' });
  t.same(values, { BASE: '/srv', A: '/srv/a', B: '/srv/b', C: '$BASE', D: '$BASE', E: 'env', F: '.x', G: '$BASE' });
});

t.test('bad lines warn with their line number and the rest still loads', async (t) => {
  const { values, warnings } = parse(['GOOD=1', 'no equals sign', '1BAD=x', 'OPEN="never closed', 'LATER=2'].join('\n'));
  t.same(values, { GOOD: '1', LATER: '2' });
  t.same(warnings, ['.env:2: not a NAME=value line; ignored', '.env:3: not a NAME=value line; ignored', '.env:4: OPEN: unterminated double-quoted value; ignored']);
  t.match(parse('Q="a" junk\nNEXT=1\n').warnings, ['.env:1: Q: text after the closing quote ignored']);
  t.same(parse('M="a\nb"\nBAD\n').warnings, ['.env:3: not a NAME=value line; ignored'], 'line numbers count the lines of a multi-line value');
});

t.test('loadDotenv: variables already set win, even empty; a missing file is no error', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dotenv-'));
  const file = path.join(dir, '.env');
  writeFileSync(file, 'NEW=from-file\nSET=from-file\nBLANK=from-file\n');
  const env: Record<string, string | undefined> = { SET: 'from-env', BLANK: '' };
  const r = loadDotenv(file, env);
  t.same(r, { found: true, applied: ['NEW'], warnings: [] });
  t.same(env, { SET: 'from-env', BLANK: '', NEW: 'from-file' });
  t.same(loadDotenv(path.join(dir, 'absent'), env), { found: false, applied: [], warnings: [] });
  mkdirSync(path.join(dir, 'dir.env'));
  t.match(loadDotenv(path.join(dir, 'dir.env'), env).warnings, [/dir\.env: cannot read: EISDIR/]);
});
