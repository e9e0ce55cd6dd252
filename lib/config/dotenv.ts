// `.env` files, read the way CLIProxyAPI reads its `.env` (godotenv): KEY=VALUE
// lines, `export ` prefixes, `#` comments, single quotes literal, double quotes
// with escapes, $VAR / ${VAR} expansion outside single quotes. Variables that
// are already in the environment win over the file.
import { readFileSync } from 'node:fs';

export interface DotenvResult {
  /** Whether the file was there. */
  found: boolean;
  /** Names set from the file (absent from the environment before). */
  applied: string[];
  /** Lines that could not be read, with their line number. */
  warnings: string[];
}

const KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const DOUBLE_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\', $: '$' };

/** Parse .env text into name → value, in file order. `env` is what $VAR falls back to. */
export function parseDotenv(text: string, env: Record<string, string | undefined> = process.env, file = '.env'): { values: Map<string, string>; warnings: string[] } {
  const values = new Map<string, string>();
  const warnings: string[] = [];
  const src = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const lookup = (name: string) => values.get(name) ?? env[name] ?? '';
  let pos = 0;
  let line = 1;
  while (pos < src.length) {
    const eol = src.indexOf('\n', pos);
    const end = eol < 0 ? src.length : eol;
    const startLine = line;
    const raw = src.slice(pos, end);
    const next = () => {
      pos = end + 1;
      line++;
    };
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      next();
      continue;
    }
    const body = trimmed.replace(/^export\s+/, '');
    const m = /^([^=:\s]+)\s*[=:]\s?/.exec(body);
    if (!m || !KEY.test(m[1]!)) {
      warnings.push(`${file}:${startLine}: not a NAME=value line; ignored`);
      next();
      continue;
    }
    const name = m[1]!;
    // Offset of the value in `src`: the line's leading space, the `export `, the name and `=`.
    const valueStart = pos + raw.indexOf(trimmed) + (trimmed.length - body.length) + m[0].length;
    let rest = src.slice(valueStart, end).replace(/^\s+/, '');
    const quote = rest[0];
    if (quote === "'" || quote === '"') {
      const open = src.indexOf(quote, valueStart);
      const close = findClose(src, open + 1, quote);
      if (close < 0) {
        warnings.push(`${file}:${startLine}: ${name}: unterminated ${quote === '"' ? 'double' : 'single'}-quoted value; ignored`);
        next();
        continue;
      }
      const inner = src.slice(open + 1, close);
      values.set(name, quote === "'" ? inner : expand(unescapeDouble(inner), lookup));
      // A quoted value may span lines: go on after the line holding the closing quote.
      const after = src.indexOf('\n', close);
      const tail = src.slice(close + 1, after < 0 ? src.length : after).trim();
      if (tail !== '' && !tail.startsWith('#')) warnings.push(`${file}:${startLine}: ${name}: text after the closing quote ignored`);
      line += countNewlines(src, pos, after < 0 ? src.length : after) + 1;
      pos = after < 0 ? src.length : after + 1;
      continue;
    }
    // Unquoted: up to the end of the line, less a ` #` comment.
    const hash = /\s#/.exec(rest);
    if (hash) rest = rest.slice(0, hash.index);
    values.set(name, expand(rest.trim(), lookup, true));
    next();
  }
  return { values, warnings };
}

function findClose(src: string, from: number, quote: string): number {
  for (let i = from; i < src.length; i++) {
    if (src[i] === '\\' && quote === '"') {
      i++;
      continue;
    }
    if (src[i] === quote) return i;
  }
  return -1;
}

function countNewlines(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (s[i] === '\n') n++;
  return n;
}

// `\$` stays escaped through expansion; a private-use character stands in for it meanwhile.
const LITERAL_DOLLAR = '\uE000';

function unescapeDouble(s: string): string {
  return s.replace(/\\(.)/gs, (all, c: string) => (c === '$' ? LITERAL_DOLLAR : (DOUBLE_ESCAPES[c] ?? all)));
}

/** $VAR and ${VAR}; in unquoted values `\$` keeps a dollar (double-quoted ones had their escapes read already). */
function expand(s: string, lookup: (name: string) => string, unquoted = false): string {
  return (unquoted ? s.replace(/\\\$/g, LITERAL_DOLLAR) : s)
    .replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_all, braced: string | undefined, bare: string | undefined) => lookup((braced ?? bare)!))
    .replaceAll(LITERAL_DOLLAR, '$');
}

/**
 * Load `file` into `env` (default process.env). A missing file is no error;
 * names already present in `env`, even empty, keep their value.
 */
export function loadDotenv(file: string, env: Record<string, string | undefined> = process.env): DotenvResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { found: false, applied: [], warnings: [] };
    return { found: false, applied: [], warnings: [`${file}: cannot read: ${code ?? String(err)}`] };
  }
  const { values, warnings } = parseDotenv(text, env, file);
  const applied: string[] = [];
  for (const [name, value] of values) {
    if (Object.prototype.hasOwnProperty.call(env, name)) continue;
    env[name] = value;
    applied.push(name);
  }
  return { found: true, applied, warnings };
}
