// List settings: client keys (strings) and provider entries (objects). Edits
// touch only the list items they change, so comments on the others stay.
import { isSeq, YAMLSeq, type Document } from 'yaml';
import { dropLegacyKeyProviders } from '../../config/legacy-auth.js';
import { clientKeysYaml, entryFromJson } from '../../access/key-config.js';
import { toYamlShape, sectionSchema } from '../../config/shape.js';
import type { Config } from '../../config/types.js';
import type { Schema } from '../../config/validate.js';
import type { Register } from './context.js';
import { answer, INVALID } from './basics.js';
import { registerChannelMaps } from './channel-maps.js';
import { isObj } from '../../../pipelines/guards.js';

type Json = Record<string, unknown>;


/** The list node at `key`, created (or replacing a non-list) when needed. */
function seqAt(doc: Document, key: string): YAMLSeq {
  const node = doc.get(key, true);
  if (isSeq(node)) return node;
  const seq = new YAMLSeq();
  doc.set(key, seq);
  return seq;
}

function parseIndex(raw: string | undefined, length: number): number | undefined {
  if (raw === undefined || !/^\s*\d+\s*$/.test(raw)) return undefined;
  const i = Number(raw);
  return i < length ? i : undefined;
}

/** PUT bodies: a raw array, or {"items": [...]}. */
function listBody(body: unknown): unknown[] | undefined {
  if (Array.isArray(body)) return body;
  if (isObj(body) && Array.isArray(body['items']) && body['items'].length > 0) return body['items'];
  return undefined;
}

// ---- string lists -------------------------------------------------------

interface StringList {
  path: string;
  key: string;
  get(c: Config): string[];
  /** Write the new list into the document. */
  write(doc: Document, cfg: Config, next: string[], change: { index?: number; remove?: number[]; append?: boolean }): void;
}

// ---- client keys: strings, or objects {key, models, max-requests-per-minute} ----

type KeyEntry = string | Json;

const keyOf = (e: KeyEntry): string => (typeof e === 'string' ? e : String(e['key'] ?? ''));

function writeClientKeys(doc: Document, next: KeyEntry[], change: { index?: number; remove?: number[]; append?: boolean }): void {
  // The list shown includes a legacy auth block's keys: the first edit moves them all into api-keys.
  if (dropLegacyKeyProviders(doc)) return void doc.set('api-keys', doc.createNode(next));
  const seq = seqAt(doc, 'api-keys');
  if (change.index !== undefined && change.index < seq.items.length) seq.items[change.index] = doc.createNode(next[change.index]);
  else if (change.append && seq.items.length === next.length - 1) seq.items.push(doc.createNode(next[next.length - 1]));
  else if (change.remove) for (const i of [...change.remove].sort((a, b) => b - a)) seq.items.splice(i, 1);
  else doc.set('api-keys', doc.createNode(next));
}

/** /api-keys: plain keys read and write as strings, keys with settings as objects (config order). */
function clientKeyList(add: Register): void {
  const current = (c: Config): KeyEntry[] => clientKeysYaml(c.apiKeys, c.apiKeySettings);
  add('GET', '/api-keys', (c) => c.reply(200, { 'api-keys': current(c.m.config()) }));
  add('PUT', '/api-keys', async (c) => {
    const arr = listBody(await c.json());
    if (!arr) return c.reply(400, INVALID);
    const next: KeyEntry[] = [];
    for (const v of arr) {
      const r = entryFromJson(v);
      if ('error' in r) return c.reply(400, { error: r.error });
      if (keyOf(r.entry) !== '') next.push(r.entry);
    }
    answer(c, await c.m.store.edit((doc) => writeClientKeys(doc, next, {})));
  });
  add('PATCH', '/api-keys', async (c) => {
    const b = await c.json();
    if (!isObj(b)) return c.reply(400, INVALID);
    const { index, value, old, new: nu } = b;
    const set = value !== undefined ? entryFromJson(value) : nu !== undefined ? entryFromJson(nu) : undefined;
    if (set && 'error' in set) return c.reply(400, { error: set.error });
    if (typeof index === 'number' && set) {
      return answer(c, await c.m.store.edit((doc, cfg) => {
        const list = current(cfg);
        if (!Number.isInteger(index) || index < 0 || index >= list.length) return { notFound: true };
        list[index] = set.entry;
        writeClientKeys(doc, list, { index });
      }));
    }
    if (typeof old === 'string' && set && nu !== undefined) {
      return answer(c, await c.m.store.edit((doc, cfg) => {
        const list = current(cfg);
        const i = list.findIndex((e) => keyOf(e) === old);
        if (i >= 0) list[i] = set.entry;
        else list.push(set.entry);
        writeClientKeys(doc, list, i >= 0 ? { index: i } : { append: true });
      }));
    }
    c.reply(400, { error: 'missing fields' });
  });
  add('DELETE', '/api-keys', async (c) => {
    const index = c.query('index');
    const value = c.query('value')?.trim();
    if (index === undefined && !value) return c.reply(400, { error: 'missing index or value' });
    answer(c, await c.m.store.edit((doc, cfg) => {
      const list = current(cfg);
      const i = parseIndex(index, list.length);
      const remove = i !== undefined ? [i] : value ? list.flatMap((e, j) => (keyOf(e).trim() === value ? [j] : [])) : [];
      if (remove.length === 0) return { notFound: true };
      writeClientKeys(doc, list.filter((_, j) => !remove.includes(j)), { remove });
    }));
  });
}

const legacyGemini: StringList = {
  path: '/generative-language-api-key',
  key: 'generative-language-api-key',
  get: (c) => c.geminiApiKey.map((k) => k.apiKey),
  write(doc, cfg, next) {
    // Keys that stay keep their entries (and overrides); new keys are key-only entries.
    const seq = geminiSeq(doc, cfg);
    const byKey = new Map(cfg.geminiApiKey.map((k, i) => [k.apiKey, seq.items[i]]));
    const items = next.map((k) => byKey.get(k) ?? doc.createNode({ 'api-key': k }));
    seq.items.splice(0, seq.items.length, ...items);
  },
};

function stringList(add: Register, l: StringList): void {
  add('GET', l.path, (c) => c.reply(200, { [l.key]: l.get(c.m.config()) }));
  add('PUT', l.path, async (c) => {
    const arr = listBody(await c.json());
    if (!arr || !arr.every((v) => typeof v === 'string')) return c.reply(400, INVALID);
    const next = (arr as string[]).map((s) => s.trim()).filter((s) => s !== '');
    answer(c, await c.m.store.edit((doc, cfg) => l.write(doc, cfg, next, {})));
  });
  add('PATCH', l.path, async (c) => {
    const b = await c.json();
    if (!isObj(b)) return c.reply(400, INVALID);
    const { index, value, old, new: nu } = b;
    if (typeof index === 'number' && typeof value === 'string') {
      return answer(c, await c.m.store.edit((doc, cfg) => {
        const list = [...l.get(cfg)];
        if (!Number.isInteger(index) || index < 0 || index >= list.length) return { notFound: true };
        list[index] = value.trim();
        l.write(doc, cfg, list, { index });
      }));
    }
    if (typeof old === 'string' && typeof nu === 'string') {
      return answer(c, await c.m.store.edit((doc, cfg) => {
        const list = [...l.get(cfg)];
        const i = list.indexOf(old);
        if (i >= 0) list[i] = nu.trim();
        else list.push(nu.trim());
        l.write(doc, cfg, list, i >= 0 ? { index: i } : { append: true });
      }));
    }
    c.reply(400, { error: 'missing fields' });
  });
  add('DELETE', l.path, async (c) => {
    const index = c.query('index');
    const value = c.query('value')?.trim();
    if (index === undefined && !value) return c.reply(400, { error: 'missing index or value' });
    answer(c, await c.m.store.edit((doc, cfg) => {
      const list = l.get(cfg);
      const i = parseIndex(index, list.length);
      const remove = i !== undefined ? [i] : value ? list.flatMap((v, j) => (v.trim() === value ? [j] : [])) : [];
      if (remove.length === 0) return { notFound: true };
      l.write(doc, cfg, list.filter((_, j) => !remove.includes(j)), { remove });
    }));
  });
}

// ---- object lists -------------------------------------------------------

interface ObjectList {
  path: string;
  key: string;
  /** The field that names an entry, and the PATCH field / DELETE parameter that selects by it. */
  idField: 'api-key' | 'name';
  matchField: 'match' | 'name';
  get(c: Config): Json[];
  /** An entry written with this value is removed instead (reference behaviour). */
  removes?(v: Json): boolean;
  /** PUT drops entries for which this holds. */
  drop?(v: Json): boolean;
  seq(doc: Document, cfg: Config): YAMLSeq;
}

/** Trim strings and leave out empty fields, so the file stays as tidy as a hand-written one. */
function tidy(v: unknown, schema: Schema | undefined): unknown {
  if (typeof v === 'string') return v.trim();
  if (Array.isArray(v)) {
    const items = v.map((x) => tidy(x, schema?.kind === 'list' ? schema.of : undefined));
    return items.filter((x) => !(isObj(x) && Object.keys(x).length === 0));
  }
  if (isObj(v)) {
    const out: Json = {};
    for (const [k, x] of Object.entries(v)) {
      const field = schema?.kind === 'object' ? schema.fields[k] : undefined;
      const t = field?.schema.kind === 'stringMap' ? x : tidy(x, field?.schema);
      if (t === '' || t === null || t === undefined || (Array.isArray(t) && t.length === 0) || (isObj(t) && Object.keys(t).length === 0)) continue;
      out[k] = t;
    }
    return out;
  }
  return v;
}

function entryValue(l: ObjectList, v: Json): Json {
  const schema = sectionSchema(l.key);
  const value = { ...v };
  if (l.key === 'openai-compatibility' && Array.isArray(value['api-keys'])) {
    // Legacy plain keys become api-key-entries.
    const entries = Array.isArray(value['api-key-entries']) ? [...(value['api-key-entries'] as unknown[])] : [];
    for (const k of value['api-keys'] as unknown[]) {
      if (typeof k === 'string' && k.trim() && !entries.some((e) => isObj(e) && e['api-key'] === k.trim())) entries.push({ 'api-key': k.trim() });
    }
    // Same place in the entry, new name.
    const renamed: Json = {};
    for (const [k, x] of Object.entries(value)) {
      if (k === 'api-keys') renamed['api-key-entries'] = entries;
      else if (k !== 'api-key-entries') renamed[k] = x;
    }
    return tidy(renamed, schema?.kind === 'list' ? schema.of : undefined) as Json;
  }
  return tidy(value, schema?.kind === 'list' ? schema.of : undefined) as Json;
}

/** gemini-api-key as a list that lines up with the live config: legacy keys folded in. */
function geminiSeq(doc: Document, cfg: Config): YAMLSeq {
  const seq = seqAt(doc, 'gemini-api-key');
  if (doc.has('generative-language-api-key')) {
    for (const k of cfg.geminiApiKey.slice(seq.items.length)) seq.items.push(doc.createNode({ 'api-key': k.apiKey }));
    doc.delete('generative-language-api-key');
  }
  return seq;
}

function shaped(key: string, items: unknown[]): Json[] {
  const s = sectionSchema(key);
  return toYamlShape(items, s ?? { kind: 'list', of: { kind: 'string' } }) as Json[];
}

const OBJECT_LISTS: ObjectList[] = [
  {
    path: '/gemini-api-key',
    key: 'gemini-api-key',
    idField: 'api-key',
    matchField: 'match',
    get: (c) => shaped('gemini-api-key', c.geminiApiKey),
    removes: (v) => !v['api-key'],
    seq: geminiSeq,
  },
  { path: '/claude-api-key', key: 'claude-api-key', idField: 'api-key', matchField: 'match', get: (c) => shaped('claude-api-key', c.claudeApiKey), seq: (d) => seqAt(d, 'claude-api-key') },
  { path: '/codex-api-key', key: 'codex-api-key', idField: 'api-key', matchField: 'match', get: (c) => shaped('codex-api-key', c.codexApiKey), seq: (d) => seqAt(d, 'codex-api-key') },
  {
    path: '/openai-compatibility',
    key: 'openai-compatibility',
    idField: 'name',
    matchField: 'name',
    get: (c) => shaped('openai-compatibility', c.openaiCompatibility),
    removes: (v) => !v['base-url'],
    drop: (v) => !v['base-url'],
    seq: (d) => seqAt(d, 'openai-compatibility'),
  },
];

function objectList(add: Register, l: ObjectList): void {
  add('GET', l.path, (c) => c.reply(200, { [l.key]: l.get(c.m.config()) }));
  add('PUT', l.path, async (c) => {
    const arr = listBody(await c.json());
    if (!arr || !arr.every(isObj)) return c.reply(400, INVALID);
    const values = arr.map((v) => entryValue(l, v)).filter((v) => !l.drop?.(v));
    answer(c, await c.m.store.edit((doc, cfg) => {
      const seq = l.seq(doc, cfg);
      seq.items.splice(0, seq.items.length, ...values.map((v) => doc.createNode(v)));
    }));
  });
  add('PATCH', l.path, async (c) => {
    const b = await c.json();
    if (!isObj(b) || !isObj(b['value'])) return c.reply(400, INVALID);
    const value = entryValue(l, b['value']);
    const index = b['index'];
    const match = typeof b[l.matchField] === 'string' ? (b[l.matchField] as string).trim() : undefined;
    answer(c, await c.m.store.edit((doc, cfg) => {
      const list = l.get(cfg);
      let i = typeof index === 'number' && Number.isInteger(index) && index >= 0 && index < list.length ? index : -1;
      if (i < 0 && match !== undefined) i = list.findIndex((e) => e[l.idField] === match);
      if (i < 0) return { notFound: true };
      const seq = l.seq(doc, cfg);
      if (l.removes?.(value)) seq.items.splice(i, 1);
      else seq.items[i] = doc.createNode(value);
    }));
  });
  add('DELETE', l.path, async (c) => {
    const id = c.query(l.idField)?.trim();
    const index = c.query('index');
    if (!id && index === undefined) return c.reply(400, { error: `missing ${l.idField} or index` });
    answer(c, await c.m.store.edit((doc, cfg) => {
      const list = l.get(cfg);
      const i = parseIndex(index, list.length);
      const remove = id ? list.flatMap((e, j) => (e[l.idField] === id ? [j] : [])) : i !== undefined ? [i] : [];
      if (remove.length === 0) return { notFound: true };
      const seq = l.seq(doc, cfg);
      for (const j of remove.sort((a, b) => b - a)) seq.items.splice(j, 1);
    }));
  });
}

export function registerLists(add: Register): void {
  clientKeyList(add);
  stringList(add, legacyGemini);
  for (const l of OBJECT_LISTS) objectList(add, l);
  registerChannelMaps(add);
}
