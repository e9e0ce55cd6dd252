// A small schema walker over yaml's node tree, so every error can name the
// file, line and key it comes from (a plain JSON-Schema validator would lose
// the source positions).
import { isMap, isScalar, isSeq, LineCounter, type Node, type Pair } from 'yaml';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export type Schema =
  | { kind: 'string' }
  | { kind: 'bool' }
  | { kind: 'int'; min?: number; max?: number }
  | { kind: 'size' } // bytes: 1048576, "50MB", "512KiB"
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'stringList' }
  | { kind: 'stringMap' }
  | { kind: 'list'; of: Schema; what?: string } // what: the "expected …" wording (default "a list")
  | { kind: 'object'; fields: Record<string, Field>; strict: boolean }
  // A plain string or a mapping (api-keys entries: "key" or {key, models, …}).
  | { kind: 'stringOrObject'; object: Schema }
  // Names to any YAML value, kept as JSON (payload params).
  | { kind: 'jsonMap' };

export interface Field {
  key: string; // the camelCase name in the typed config
  schema: Schema;
  default?: unknown;
  /** Checks beyond the type walk (e.g. glob patterns, JSON paths): a message names the problem. */
  check?: (value: unknown) => string | undefined;
  /** Absent from the file = absent from the typed config (no default), so
   *  management answers show only what the file says. */
  optional?: boolean;
}

export interface Walk {
  file: string;
  lines: LineCounter;
  warnings: string[];
}

function where(w: Walk, node: Node | null | undefined, path: string): string {
  const off = node?.range?.[0];
  if (off === undefined) return `${w.file}: ${path}`;
  const { line, col } = w.lines.linePos(off);
  return `${w.file}:${line}:${col}: ${path}`;
}

function fail(w: Walk, node: Node | null | undefined, path: string, msg: string): never {
  throw new ConfigError(`${where(w, node, path)}: ${msg}`);
}

const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

function parseSize(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
  if (typeof v !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(v);
  if (!m) return undefined;
  const unit = SIZE_UNITS[(m[2] || 'b').toLowerCase()];
  return unit ? Math.floor(Number(m[1]) * unit) : undefined;
}

function scalarValue(w: Walk, node: Node, path: string): unknown {
  if (!isScalar(node)) fail(w, node, path, `expected a single value, got a ${isSeq(node) ? 'list' : 'mapping'}`);
  return node.value;
}

function closest(name: string, options: string[]): string | undefined {
  // Cheap "did you mean": same letters once dashes are ignored, or a shared prefix.
  const norm = (s: string) => s.replace(/[-_]/g, '').toLowerCase();
  const n = norm(name);
  return (
    options.find((o) => norm(o) === n || norm(o) === n + 's' || norm(o) + 's' === n) ??
    options.find((o) => n.length > 4 && norm(o).startsWith(n.slice(0, 5)))
  );
}

/** Walk `node` against `schema`; null/absent nodes take the default. */
export function walk(w: Walk, node: Node | null | undefined, schema: Schema, path: string, dflt?: unknown): unknown {
  if (node == null || (isScalar(node) && node.value === null)) {
    return dflt !== undefined ? structuredClone(dflt) : emptyOf(schema);
  }
  switch (schema.kind) {
    case 'string': {
      const v = scalarValue(w, node, path);
      if (typeof v === 'string') return v;
      if (typeof v === 'number' || typeof v === 'boolean') return String(v);
      return fail(w, node, path, 'expected a string');
    }
    case 'bool': {
      const v = scalarValue(w, node, path);
      if (typeof v !== 'boolean') fail(w, node, path, `expected true or false, got ${JSON.stringify(v)}`);
      return v;
    }
    case 'int': {
      const v = scalarValue(w, node, path);
      if (typeof v !== 'number' || !Number.isInteger(v)) fail(w, node, path, `expected a whole number, got ${JSON.stringify(v)}`);
      if (schema.min !== undefined && v < schema.min) fail(w, node, path, `must be at least ${schema.min}`);
      if (schema.max !== undefined && v > schema.max) fail(w, node, path, `must be at most ${schema.max}`);
      return v;
    }
    case 'size': {
      const v = scalarValue(w, node, path);
      const n = parseSize(v);
      if (n === undefined) fail(w, node, path, `expected a size such as 52428800 or "50MiB", got ${JSON.stringify(v)}`);
      return n;
    }
    case 'enum': {
      const v = scalarValue(w, node, path);
      if (typeof v !== 'string' || !schema.values.includes(v)) {
        fail(w, node, path, `expected one of ${schema.values.join(', ')}, got ${JSON.stringify(v)}`);
      }
      return v;
    }
    case 'stringList': {
      if (!isSeq(node)) fail(w, node, path, 'expected a list of strings');
      return node.items.map((item, i) => walk(w, item as Node, { kind: 'string' }, `${path}[${i}]`));
    }
    case 'stringMap': {
      if (!isMap(node)) fail(w, node, path, 'expected a mapping of names to strings');
      const out: Record<string, string> = {};
      for (const pair of node.items as Pair<Node, Node>[]) {
        const k = String(isScalar(pair.key) ? pair.key.value : pair.key);
        out[k] = walk(w, pair.value, { kind: 'string' }, `${path}.${k}`) as string;
      }
      return out;
    }
    case 'list': {
      if (!isSeq(node)) fail(w, node, path, `expected ${schema.what ?? 'a list'}`);
      return node.items.map((item, i) => walk(w, item as Node, schema.of, `${path}[${i}]`));
    }
    case 'stringOrObject':
      return isMap(node) ? walk(w, node, schema.object, path) : walk(w, node, { kind: 'string' }, path);
    case 'jsonMap': {
      if (!isMap(node)) fail(w, node, path, 'expected a mapping of names to values');
      const out: Record<string, unknown> = {};
      for (const pair of node.items as Pair<Node, Node>[]) {
        const k = String(isScalar(pair.key) ? pair.key.value : pair.key);
        out[k] = pair.value == null ? null : (pair.value.toJSON() as unknown);
      }
      return out;
    }
    case 'object': {
      if (!isMap(node)) fail(w, node, path, 'expected a mapping of keys');
      const out: Record<string, unknown> = {};
      const seen = new Set<string>();
      const known = Object.keys(schema.fields);
      for (const pair of node.items as Pair<Node, Node>[]) {
        const k = String(isScalar(pair.key) ? pair.key.value : pair.key);
        const field = schema.fields[k];
        const keyPath = path ? `${path}.${k}` : k;
        if (!field) {
          const hint = closest(k, known);
          const msg = `unknown key "${k}"${hint ? ` (did you mean "${hint}"?)` : ''}`;
          if (schema.strict) fail(w, pair.key as Node, keyPath, msg);
          w.warnings.push(`${where(w, pair.key as Node, keyPath)}: ${msg}; ignored`);
          continue;
        }
        seen.add(k);
        out[field.key] = walk(w, pair.value, field.schema, keyPath, field.default);
        const problem = field.check?.(out[field.key]);
        if (problem) fail(w, pair.value, keyPath, problem);
      }
      for (const [k, field] of Object.entries(schema.fields)) {
        if (!seen.has(k) && !field.optional) out[field.key] = field.default !== undefined ? structuredClone(field.default) : emptyOf(field.schema);
      }
      return out;
    }
  }
}

function emptyOf(schema: Schema): unknown {
  switch (schema.kind) {
    case 'string':
      return '';
    case 'bool':
      return false;
    case 'int':
      return 0;
    case 'size':
      return 0;
    case 'enum':
      return schema.values[0];
    case 'stringList':
    case 'list':
      return [];
    case 'stringMap':
    case 'jsonMap':
      return {};
    case 'stringOrObject':
      return '';
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const f of Object.values(schema.fields)) out[f.key] = f.default !== undefined ? structuredClone(f.default) : emptyOf(f.schema);
      return out;
    }
  }
}

export { fail as configFail, where as configWhere };
