// JSON Schema adaptation for Gemini function declarations.
//
// Gemini's `parameters` field takes an OpenAPI-3.0 flavoured Schema proto, not
// JSON Schema: unknown keywords are a hard 400 ("Invalid JSON payload received.
// Unknown name ..."), `type` must be one string, enums are string-only, and an
// OBJECT with an empty `properties` map is rejected. Tool schemas from MCP
// servers, zod and pydantic use all of those, so they are rebuilt from an
// allow-list here instead of deleting known-bad keys (a deny-list always misses
// the next vendor extension). Nothing in this file throws: weird input degrades
// to a loose schema rather than failing the whole request.
import { isObj } from './guards.js';

type Json = Record<string, unknown>;


const MAX_DEPTH = 48;
/**
 * Schema nodes one cleaning may produce. Inlining $refs multiplies nodes: a
 * 2 KB schema whose definitions each reference the next one twice expands to
 * 2^depth nodes (20 levels took 8 s and 60 MB on the main thread). Real tool
 * schemas stay far below this; past it, the rest degrades to loose objects.
 */
const MAX_NODES = 10_000;

const GEMINI_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object']);
const STRING_FORMATS = new Set(['enum', 'date-time']);

interface CleanCtx {
  root: Json;
  /** $refs being expanded on the current path: a repeat means a recursive schema. */
  refs: string[];
  /** Objects on the current path, for in-memory cycles that JSON could never hold. */
  path: Set<object>;
  depth: number;
  /** Nodes cleaned so far (see MAX_NODES). */
  nodes: number;
}

/** Clean a JSON Schema (any dialect, upper- or lower-case types) into what
 *  Gemini's functionDeclarations[].parameters accepts. */
export function toGeminiSchema(schema: unknown): Json {
  if (!isObj(schema)) return { type: 'object' };
  const root = wrapBarePropertyMap(schema);
  const looksUntyped = root.type === undefined && root.anyOf === undefined && root.oneOf === undefined && root.allOf === undefined && root.$ref === undefined;
  const out = cleanNode(looksUntyped ? { ...root, type: 'object' } : root, { root, refs: [], path: new Set(), depth: 0, nodes: 0 });
  // Function arguments are always an object; a scalar root cannot be expressed, so it means "no parameters".
  return out.type === 'object' ? out : { type: 'object' };
}

/** True when a cleaned parameters schema declares at least one property;
 *  Gemini wants `parameters` left out entirely for argument-less functions. */
export function hasGeminiParameters(cleaned: Json): boolean {
  return isObj(cleaned.properties) && Object.keys(cleaned.properties).length > 0;
}

// Some MCP servers send `{foo: {type: 'string'}, bar: {...}}` with no
// `type`/`properties` wrapper; treat a root made only of schema-looking
// children as that map.
function wrapBarePropertyMap(s: Json): Json {
  const keys = Object.keys(s);
  if (keys.length === 0 || 'type' in s || 'properties' in s || '$ref' in s) return s;
  if (keys.some((k) => k.startsWith('$') || ['anyOf', 'oneOf', 'allOf', 'items', 'enum', 'const'].includes(k))) return s;
  const looksLikeSchema = (v: unknown) => isObj(v) && ('type' in v || 'description' in v || 'enum' in v);
  if (!keys.every((k) => looksLikeSchema(s[k]))) return s;
  return { type: 'object', properties: s };
}

function cleanNode(input: unknown, ctx: CleanCtx): Json {
  if (!isObj(input)) return { type: 'string' }; // `true`, `{}`-ish or garbage: "anything" has no Gemini spelling
  if (ctx.path.has(input) || ctx.depth > MAX_DEPTH) return { type: 'object', description: 'Recursive structure.' };
  if (++ctx.nodes > MAX_NODES) return { type: 'object', description: 'Schema too large to describe.' };
  ctx.path.add(input);
  ctx.depth++;
  const { node, refs } = resolveRef(input, ctx);
  ctx.refs.push(...refs);
  try {
    return cleanResolved(node, ctx);
  } finally {
    ctx.refs.length -= refs.length;
    ctx.path.delete(input);
    ctx.depth--;
  }
}

function refName(ref: string): string {
  const i = ref.lastIndexOf('/');
  return (i >= 0 ? ref.slice(i + 1) : ref).replace(/~1/g, '/').replace(/~0/g, '~') || ref;
}

function resolvePointer(root: Json, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  let cur: unknown = root;
  for (const raw of ref.slice(1).split('/').filter(Boolean)) {
    let key = raw;
    try {
      key = decodeURIComponent(raw);
    } catch {
      // keep the raw segment
    }
    key = key.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) cur = cur[Number(key)];
    else if (isObj(cur)) cur = cur[key];
    else return undefined;
  }
  return cur;
}

// Inline a local $ref (following chains); siblings of the $ref override the
// target. The refs expanded stay on ctx.refs while the subtree is cleaned, so a
// recursive schema stops at its second visit. A recursive or external reference
// cannot be inlined and becomes a described object.
function resolveRef(input: Json, ctx: CleanCtx): { node: Json; refs: string[] } {
  let node = input;
  const refs: string[] = [];
  while (typeof node.$ref === 'string') {
    const ref = node.$ref;
    const { $ref: _drop, ...siblings } = node;
    const target = resolvePointer(ctx.root, ref);
    if (!isObj(target) || ctx.refs.includes(ref) || refs.includes(ref)) {
      const hint = `See: ${refName(ref)}`;
      const description = typeof siblings.description === 'string' ? `${siblings.description} (${hint})` : hint;
      const type = isObj(target) && typeof target.type === 'string' && target.type.toLowerCase() !== 'object' ? target.type : 'object';
      return { node: { type, description }, refs };
    }
    refs.push(ref);
    node = { ...target, ...siblings };
  }
  return { node, refs };
}

function appendHint(out: Json, hint: string): void {
  out.description = typeof out.description === 'string' && out.description ? `${out.description} (${hint})` : hint;
}

function mergeAllOf(node: Json): Json {
  const branches = node.allOf;
  if (!Array.isArray(branches)) return node;
  const { allOf: _drop, ...merged } = node;
  for (const b of branches) {
    if (!isObj(b)) continue;
    for (const [k, v] of Object.entries(b)) {
      if (k === 'properties' && isObj(v)) merged.properties = { ...v, ...(isObj(merged.properties) ? merged.properties : {}) };
      else if (k === 'required' && Array.isArray(v)) merged.required = [...(Array.isArray(merged.required) ? merged.required : []), ...v];
      else if (!(k in merged)) merged[k] = v;
    }
  }
  return merged;
}

function branchType(b: Json): string {
  const t = typeof b.type === 'string' ? b.type.toLowerCase() : undefined;
  if (t) return t;
  if (isObj(b.properties)) return 'object';
  if (b.items !== undefined) return 'array';
  if ('const' in b || Array.isArray(b.enum)) return 'string';
  return '';
}

function isNullBranch(b: unknown): boolean {
  return isObj(b) && (b.type === 'null' || b.type === 'NULL' || ('const' in b && b.const === null));
}

// anyOf/oneOf: Gemini takes one shape per field. Literal unions collapse into
// an enum; otherwise the richest branch wins (object > array > scalar) and the
// alternatives are named in the description so the model still knows them.
function flattenUnion(node: Json, ctx: CleanCtx): Json {
  const key = Array.isArray(node.anyOf) ? 'anyOf' : Array.isArray(node.oneOf) ? 'oneOf' : undefined;
  if (!key) return node;
  const { anyOf: _a, oneOf: _o, ...rest } = node;
  const all = (node[key] as unknown[]).map((b) => (isObj(b) ? resolveRef(b, ctx).node : b));
  const branches = all.filter((b): b is Json => isObj(b) && !isNullBranch(b));
  const nullable = all.some(isNullBranch);
  if (branches.length === 0) return { ...rest, type: rest.type ?? 'string', nullable: nullable || undefined };
  // anyOf [{required:[a]}, {required:[b]}] ("at least one of") only constrains
  // the parent; picking a branch would make one of them mandatory.
  const SHAPE = ['type', 'properties', 'items', 'enum', 'const', '$ref', 'anyOf', 'oneOf', 'allOf'];
  if (branches.every((b) => !SHAPE.some((k) => k in b))) return nullable ? { ...rest, nullable: true } : rest;
  const literals = branches.every((b) => 'const' in b || (Array.isArray(b.enum) && b.type !== 'integer' && b.type !== 'number'));
  if (literals) {
    const values = branches.flatMap((b) => ('const' in b ? [b.const] : (b.enum as unknown[])));
    const desc = branches.map((b) => b.description).filter((d) => typeof d === 'string');
    const out: Json = { ...rest, type: 'string', enum: values };
    if (out.description === undefined && desc.length) out.description = desc.join('; ');
    if (nullable) out.nullable = true;
    return out;
  }
  const score = (b: Json) => ({ object: 3, array: 2 } as Record<string, number>)[branchType(b)] ?? (branchType(b) ? 1 : 0);
  let best = branches[0]!;
  for (const b of branches) if (score(b) > score(best)) best = b;
  const out: Json = { ...best, ...rest };
  if (typeof rest.description !== 'string' && typeof best.description === 'string') out.description = best.description;
  const types = [...new Set(branches.map(branchType).filter(Boolean))];
  if (types.length > 1) appendHint(out, `Accepts: ${types.join(' | ')}`);
  if (nullable) out.nullable = true;
  return out;
}

function numeric(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

function cleanResolved(input: Json, ctx: CleanCtx): Json {
  let node = mergeAllOf(input);
  node = flattenUnion(node, ctx);
  const out: Json = {};

  // type: one lower-case string; ["x","null"] becomes x + nullable.
  let nullable = node.nullable === true;
  let type: string | undefined;
  const rawTypes = Array.isArray(node.type) ? node.type : node.type !== undefined ? [node.type] : [];
  const types = rawTypes.filter((t): t is string => typeof t === 'string').map((t) => t.toLowerCase());
  if (types.includes('null')) nullable = true;
  const nonNull = types.filter((t) => GEMINI_TYPES.has(t));
  if (nonNull.length > 0) type = nonNull[0];
  if (nonNull.length > 1) appendHint(out, `Accepts: ${nonNull.join(' | ')}`);

  // const → enum, and enums are string-only in Gemini.
  let enumVals: unknown[] | undefined = Array.isArray(node.enum) ? node.enum : 'const' in node ? [node.const] : undefined;
  if (enumVals?.some((v) => v === null)) {
    nullable = true;
    enumVals = enumVals.filter((v) => v !== null);
  }
  if (!type) type = isObj(node.properties) || Array.isArray(node.required) ? 'object' : node.items !== undefined ? 'array' : 'string';
  if (enumVals && enumVals.length > 0) {
    if (type === 'string' || enumVals.every((v) => typeof v === 'string')) {
      type = 'string';
      out.enum = [...new Set(enumVals.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))))];
    } else {
      // Forcing numbers into string enums would make the model send "1" for a number; keep the type, describe the values.
      appendHint(out, `Allowed values: ${enumVals.map((v) => JSON.stringify(v)).join(', ')}`);
    }
  }

  out.type = type;
  if (typeof node.description === 'string' && node.description) {
    out.description = typeof out.description === 'string' ? `${node.description} (${out.description})` : node.description;
  }
  if (nullable) out.nullable = true;
  if (typeof node.format === 'string' && type === 'string' && STRING_FORMATS.has(node.format)) out.format = node.format;
  if (node.example !== undefined && typeof node.example !== 'object') out.example = node.example;

  if (type === 'string') {
    for (const k of ['minLength', 'maxLength'] as const) if (numeric(node[k]) !== undefined) out[k] = numeric(node[k]);
    if (typeof node.pattern === 'string') out.pattern = node.pattern;
  }
  if (type === 'number' || type === 'integer') {
    const min = numeric(node.minimum) ?? numeric(node.exclusiveMinimum);
    const max = numeric(node.maximum) ?? numeric(node.exclusiveMaximum);
    if (min !== undefined) out.minimum = min;
    if (max !== undefined) out.maximum = max;
  }
  if (type === 'array') {
    let items: unknown = node.items;
    if (Array.isArray(items)) items = items[0];
    if (items === undefined && Array.isArray(node.prefixItems)) items = node.prefixItems[0];
    out.items = items === undefined || items === true ? { type: 'string' } : cleanNode(items, ctx);
    for (const k of ['minItems', 'maxItems'] as const) if (numeric(node[k]) !== undefined) out[k] = numeric(node[k]);
  }
  if (type === 'object') cleanObject(node, out, ctx);
  return out;
}

function cleanObject(node: Json, out: Json, ctx: CleanCtx): void {
  const props = isObj(node.properties) ? node.properties : {};
  const cleaned: Json = {};
  const promoted: string[] = [];
  for (const [name, sub] of Object.entries(props)) {
    // A boolean `required` on a property (draft-3 / some MCP servers) means "required in the parent".
    if (isObj(sub) && typeof sub.required === 'boolean') {
      if (sub.required) promoted.push(name);
      const { required: _r, ...rest } = sub;
      cleaned[name] = cleanNode(rest, ctx);
    } else {
      cleaned[name] = cleanNode(sub, ctx);
    }
  }
  const names = Object.keys(cleaned);
  if (names.length === 0) return; // `properties: {}` is "should be non-empty for OBJECT type"
  out.properties = cleaned;
  const req = [...(Array.isArray(node.required) ? node.required : []), ...promoted];
  const required = [...new Set(req.filter((r): r is string => typeof r === 'string' && r in cleaned))];
  if (required.length > 0) out.required = required;
  if (Array.isArray(node.propertyOrdering)) {
    const order = node.propertyOrdering.filter((p): p is string => typeof p === 'string' && p in cleaned);
    if (order.length === names.length) out.propertyOrdering = order;
  }
  for (const k of ['minProperties', 'maxProperties'] as const) if (numeric(node[k]) !== undefined) out[k] = numeric(node[k]);
}

// ---------------------------------------------------------------------------

const SCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'];
const SCHEMA_LISTS = ['anyOf', 'oneOf', 'allOf', 'prefixItems'];
const SCHEMA_ONE = ['items', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains', 'propertyNames', 'additionalItems', 'unevaluatedProperties', 'unevaluatedItems'];
const INT_KEYWORDS = ['minItems', 'maxItems', 'minLength', 'maxLength', 'minProperties', 'maxProperties'];

/** Gemini-SDK schemas (@google/genai sends `type: "OBJECT"`, int64 limits as
 *  strings, `nullable: true`) → plain JSON Schema, so the IR never holds the
 *  Gemini dialect and JSON-Schema upstreams (OpenAI, Claude) accept it. */
export function lowerSchemaTypes(schema: unknown): unknown {
  return lowerNode(schema, new WeakMap());
}

function lowerNode(node: unknown, seen: WeakMap<object, unknown>): unknown {
  if (Array.isArray(node)) return node.map((n) => lowerNode(n, seen));
  if (!isObj(node)) return node;
  const memo = seen.get(node);
  if (memo !== undefined) return memo;
  const out: Json = {};
  seen.set(node, out);
  for (const [k, v] of Object.entries(node)) {
    if (k === 'type') {
      const list = (Array.isArray(v) ? v : [v]).map((t) => (typeof t === 'string' ? t.toLowerCase() : t)).filter((t) => t !== 'type_unspecified');
      if (list.length === 1) out.type = list[0];
      else if (list.length > 1) out.type = list;
    } else if (SCHEMA_MAPS.includes(k) && isObj(v)) {
      const m: Json = {};
      for (const [name, sub] of Object.entries(v)) m[name] = lowerNode(sub, seen);
      out[k] = m;
    } else if (SCHEMA_LISTS.includes(k) && Array.isArray(v)) {
      out[k] = v.map((s) => lowerNode(s, seen));
    } else if (SCHEMA_ONE.includes(k) && (isObj(v) || Array.isArray(v))) {
      out[k] = lowerNode(v, seen);
    } else if (INT_KEYWORDS.includes(k) && typeof v === 'string' && numeric(v) !== undefined) {
      out[k] = numeric(v);
    } else {
      out[k] = v; // data (enum, default, example, const): copied as-is
    }
  }
  // OpenAPI `nullable` is not JSON Schema; express it as a type union.
  if (out.nullable === true && typeof out.type === 'string') {
    out.type = [out.type, 'null'];
    delete out.nullable;
  } else if (out.nullable === false) {
    delete out.nullable;
  }
  return out;
}

// ---------------------------------------------------------------------------

/** 32-bit FNV-1a as 8 hex digits: a short deterministic suffix that keeps
 *  truncated or colliding names distinct. */
export function shortHash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** A name Gemini accepts for a function: starts with a letter or underscore,
 *  only [a-zA-Z0-9_.:-], at most 64 characters. Deterministic, so the same
 *  client name maps to the same upstream name in every request. */
export function sanitizeFunctionName(name: string): string {
  let s = String(name ?? '').replace(/[^a-zA-Z0-9_.:-]/g, '_');
  if (!/^[a-zA-Z_]/.test(s)) s = `_${s}`;
  if (s.length > 64) s = `${s.slice(0, 55)}_${shortHash(String(name))}`;
  return s;
}

/** Upstream↔client function-name maps for one request's tools. Names that
 *  collide after sanitizing get a hash suffix. `toClient` only lists names
 *  that changed, so an empty map means "nothing to translate back". */
export interface ToolNameMap {
  toUpstream: Map<string, string>;
  toClient: Map<string, string>;
}

export function buildToolNameMap(names: Iterable<string>): ToolNameMap {
  const toUpstream = new Map<string, string>();
  const toClient = new Map<string, string>();
  const unique = [...new Set(names)];
  // Names Gemini already accepts keep themselves; only the others may move aside on a clash.
  const taken = new Set(unique.filter((n) => sanitizeFunctionName(n) === n));
  for (const name of unique) {
    if (taken.has(name)) {
      toUpstream.set(name, name);
      continue;
    }
    let up = sanitizeFunctionName(name);
    if (taken.has(up)) up = `${up.slice(0, 55)}_${shortHash(name)}`;
    taken.add(up);
    toUpstream.set(name, up);
    toClient.set(up, name);
  }
  return { toUpstream, toClient };
}
