// Seeded property tests of the translation hub. A small deterministic
// generator (mulberry32) builds random IR requests and IR event sequences
// full of what real traffic holds now and then: odd JSON schemas ($ref,
// anyOf, type arrays, upper-case Gemini types…), tool calls with and without
// ids, structured and failed tool results, signed and unsigned reasoning,
// emoji, lone surrogates, control characters, empty and huge strings.
//
// Every failure names its seed. Re-run one case with
//   PROP_SEED=<seed> PROP_CASES=1 npx tap test/pipelines/property.test.ts
// (with one case, (c) also prints each encoder's events and output);
// PROP_CASES=<n> alone changes how many cases each property runs (add
// --timeout=900 for large n).
//
// Properties: (a) every format pair encodes whatever any format decodes,
// throwing only TranslationError, into JSON; (b) a same-format round trip
// loses nothing in IR terms; (c) every stream encoder, fed well-formed or
// broken event sequences, writes a valid stream of its format that ends;
// (e) any upstream stream, split anywhere and cut anywhere, reaches every
// client valid and with the same answer; (d) decodeError never throws.
// The last test keeps the smallest form of each bug these found.
import t, { type Test } from 'tap';
import { codecNames, getCodec, StreamTranslator } from '../../pipelines/index.js';
import { TranslationError } from '../../pipelines/ir.js';
import type {
  FormatName,
  IREvent,
  IRFinishReason,
  IRMessage,
  IRPart,
  IRRequest,
  IRTextPart,
  IRTool,
  IRToolCallPart,
  IRUsage,
} from '../../pipelines/ir.js';
import { checkStream, isObj, type Json } from './wire-check.js';
import { Rng } from '../helpers/rng.js';

const BASE_SEED = process.env.PROP_SEED !== undefined ? Number(process.env.PROP_SEED) : 20251126;
const CASES = process.env.PROP_CASES !== undefined ? Number(process.env.PROP_CASES) : undefined;
const FORMATS: FormatName[] = codecNames();
/** At most this many failures are reported per property and format; the rest are counted. */
const MAX_REPORTS = 4;

// ───────────────────────────── the generator ─────────────────────────────


const WORDS = ['the', 'weather', 'in', 'Paris', 'parse', 'test', 'fails', 'Number()', 'ok', 'function', 'λ', 'naïve', 'café', 'x'];
const ODD = [
  '🍓', '👩‍💻', '𝕏', 'e\u0301', 'שלום', '中文字', 'Ǆ', '\u0000', '\u001f', '\u007f', '\u2028', '\u2029', '"', '\\', "'", '\n',
  '\r\n', '\r', '\t', '\ud800', '\udfff', '\udc00x\ud83c', '\ufeff', '\u200b', '</script>', 'data: [DONE]\n\n', 'event: error\n',
  '{"a":1}', '[1,2]', 'null', '${x}', '%s', '  ', '\u00a0',
];

function text(r: Rng, opts: { empty?: boolean; huge?: boolean } = {}): string {
  const roll = r.next();
  if (opts.empty !== false && roll < 0.05) return '';
  if (opts.huge !== false && roll > 0.985) {
    const unit = r.pick(['lorem ipsum dolor ', '🍓é\n', 'a"b\\c', '\ud83d\ude00 ']);
    return unit.repeat(Math.ceil(r.int(20_000, 70_000) / unit.length));
  }
  return r
    .times(1, 10, () => {
      const k = r.next();
      if (k < 0.5) return r.pick(WORDS);
      if (k < 0.8) return r.pick(ODD);
      if (k < 0.9) return String.fromCharCode(r.int(0, 0xffff));
      return String.fromCodePoint(r.int(0x1f300, 0x1faff));
    })
    .join(r.pick([' ', '', '\n']));
}

const TOOL_NAMES = ['get_weather', 'Read', 'Bash', 'mcp__srv__tool', 'ns.search', 'my tool', '工具', '1st_tool', 'a-b:c', 'x'.repeat(70), 'apply_patch', 'mcp__node_repl__js'];

function id(r: Rng, prefix = 'call_'): string {
  const k = r.next();
  if (k < 0.12) return '';
  if (k < 0.2) return 'call_0'; // providers that reuse ids every turn
  if (k < 0.27) return 'weird id/with:chars+' + r.int(0, 99);
  if (k < 0.3) return '呼叫-' + r.int(0, 9);
  return prefix + r.int(0, 1e9).toString(36) + r.int(0, 1e6).toString(36);
}

const TYPES = ['string', 'number', 'integer', 'boolean', 'array', 'object', 'null'];

function propName(r: Rng): string {
  return r.bool(0.85) ? r.pick(['location', 'unit', 'path', 'query', 'limit', 'items', 'nested', 'flag', 'value']) + (r.bool(0.3) ? r.int(0, 9) : '') : r.pick(['with space', 'ünï', '$weird', 'a.b', '🍓', '']);
}

function schema(r: Rng, depth: number): unknown {
  const k = r.next();
  if (depth > 3 || k < 0.3) {
    const s: Json = {};
    const type = r.pick(TYPES.slice(0, 4));
    s.type = r.bool(0.2) ? type.toUpperCase() : r.bool(0.15) ? [type, 'null'] : type;
    if (r.bool(0.3)) s.description = text(r, { huge: false });
    if (r.bool(0.15)) s.enum = r.bool() ? ['a', 'b', text(r, { huge: false })] : [1, 'two', null];
    if (r.bool(0.1)) s.const = r.pick(['x', 1, true]);
    if (r.bool(0.1)) s.nullable = true;
    if (r.bool(0.1)) s.format = r.pick(['date-time', 'uri', 'enum', 'email']);
    if (r.bool(0.1)) s.default = r.pick(['d', 0, false, null]);
    if (r.bool(0.05)) s.minLength = '1';
    return s;
  }
  if (k < 0.4) return { [r.pick(['anyOf', 'oneOf', 'allOf'])]: r.times(1, 3, () => schema(r, depth + 1)) };
  if (k < 0.48) return { $ref: r.pick(['#/$defs/Thing', '#/$defs/Node', '#/definitions/Old', '#/$defs/Missing', 'https://example.com/s.json', '#']) };
  if (k < 0.58) return { type: r.bool(0.2) ? 'ARRAY' : 'array', items: schema(r, depth + 1), ...(r.bool(0.2) ? { minItems: r.pick([1, '2']) } : {}) };
  if (k < 0.62) return r.pick([{}, true, { description: 'anything' }, { not: { type: 'null' } }]);
  return objectSchema(r, depth + 1);
}

function objectSchema(r: Rng, depth: number): Json {
  const props: Json = {};
  for (let n = r.int(0, 4); n > 0; n--) props[propName(r)] = schema(r, depth);
  const s: Json = { type: r.bool(0.15) ? 'OBJECT' : 'object', properties: props };
  const keys = Object.keys(props);
  if (keys.length && r.bool(0.6)) s.required = keys.filter(() => r.bool(0.6)).concat(r.bool(0.1) ? ['not_a_property'] : []);
  if (r.bool(0.3)) s.additionalProperties = r.bool() ? r.bool() : schema(r, depth + 1);
  if (r.bool(0.1)) s.patternProperties = { '^x-': { type: 'string' } };
  return s;
}

function toolSchema(r: Rng): Record<string, unknown> {
  const k = r.next();
  if (k < 0.05) return {};
  if (k < 0.1) return { location: { type: 'string' }, days: { type: 'integer' } }; // a bare property map (some MCP servers)
  const s = objectSchema(r, 0);
  if (r.bool(0.1)) delete s.type;
  if (r.bool(0.3)) {
    s.$defs = {
      Thing: schema(r, 2),
      Node: { type: 'object', properties: { child: { $ref: '#/$defs/Node' }, label: { type: 'string' } } },
    };
    (s.properties as Json).ref = { $ref: r.pick(['#/$defs/Thing', '#/$defs/Node']) };
  }
  if (r.bool(0.1)) s.$schema = 'http://json-schema.org/draft-07/schema#';
  return s;
}

function args(r: Rng, name?: string): string {
  if (name === 'apply_patch') return JSON.stringify({ input: text(r) });
  const k = r.next();
  if (k < 0.06) return '';
  if (k < 0.1) return '{"location": "Par'; // a model that stopped mid-JSON
  if (k < 0.13) return '[1,2,3]';
  const o: Json = {};
  for (let n = r.int(0, 4); n > 0; n--) o[propName(r)] = r.pick<unknown>([text(r, { huge: false }), r.int(-5, 1e6), r.bool(), null, [1, 'x'], { deep: { er: text(r, { huge: false }) } }]);
  return JSON.stringify(o);
}

const B64 = ['iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', '/9j/4AAQSkZJRgABAQ==', 'JVBERi0xLjQK', 'UklGRiQAAABXQVZF', ''];

function mediaPart(r: Rng): IRPart {
  const k = r.next();
  if (k < 0.45) {
    return r.bool(0.6)
      ? { type: 'image', mediaType: r.pick(['image/png', 'image/jpeg', 'image/webp']), data: r.pick(B64), ...(r.bool(0.2) ? { detail: r.pick(['low', 'high', 'auto']) } : {}) }
      : { type: 'image', url: r.pick(['https://example.com/a.png', 'https://example.com/photo?id=1', 'data:image/png;base64,' + B64[0], 'gs://bucket/x.jpg']) };
  }
  if (k < 0.85) {
    const f = r.next();
    if (f < 0.4) return { type: 'file', mediaType: r.pick(['application/pdf', 'text/plain', 'application/json', 'application/zip']), data: r.pick(B64), ...(r.bool() ? { filename: r.pick(['a.pdf', 'notes.txt', 'ü.bin']) } : {}) };
    if (f < 0.6) return { type: 'file', fileId: 'file-' + r.int(0, 1e6) };
    if (f < 0.8) return { type: 'file', url: r.pick(['https://example.com/spec.pdf', 'gs://b/c.txt']), ...(r.bool() ? { mediaType: 'application/pdf' } : {}) };
    return { type: 'file', fileId: 'file-img', mediaType: 'image/*' };
  }
  return { type: 'audio', data: r.pick(B64) || 'AAAA', ...(r.bool() ? { format: r.pick(['wav', 'mp3']) } : { mediaType: 'audio/ogg' }) };
}

function cache(r: Rng): { cacheControl?: { type: string; ttl?: string } } {
  return r.bool(0.1) ? { cacheControl: r.bool() ? { type: 'ephemeral' } : { type: 'ephemeral', ttl: '1h' } } : {};
}

function textPart(r: Rng): IRTextPart {
  return { type: 'text', text: text(r), ...cache(r) };
}

function reasoningPart(r: Rng): IRPart {
  const k = r.next();
  if (k < 0.1) return { type: 'reasoning', text: '', redactedData: 'EmwKAhgBEgy3va3p' + r.int(0, 999) };
  const p: IRPart = { type: 'reasoning', text: text(r) };
  if (r.bool(0.5)) p.signature = 'EqQBCgIYAhIM' + r.int(0, 1e9).toString(36);
  if (r.bool(0.2)) p.encrypted = 'gAAAAABp' + r.int(0, 1e9).toString(36);
  if (r.bool(0.1)) p.id = 'rs_' + r.int(0, 1e6);
  return p;
}

function conversation(r: Rng, tools: string[]): IRMessage[] {
  const msgs: IRMessage[] = [];
  let calls: IRToolCallPart[] = [];
  const turns = r.int(0, 7);
  for (let k = 0; k < turns; k++) {
    if (calls.length && r.bool(0.85)) {
      // Results for the calls just made: most answered by id, some by name only, some orphans.
      const content: IRPart[] = [];
      for (const c of calls) {
        if (r.bool(0.1)) continue;
        const callId = r.next() < 0.85 ? c.id : r.pick(['', 'call_unknown', c.id + 'x']);
        const body = r.pick<Array<IRTextPart | IRPart>>([
          [{ type: 'text', text: text(r) }],
          [{ type: 'text', text: JSON.stringify({ temperature: r.int(-10, 40), conditions: text(r, { huge: false }) }) }],
          [],
          [{ type: 'text', text: 'see image' }, mediaPart(r)],
        ]).filter((p) => p.type !== 'audio') as Array<Extract<IRPart, { type: 'text' | 'image' | 'file' }>>;
        content.push({
          type: 'tool-result',
          callId,
          content: body,
          ...(r.bool(0.7) ? { name: c.name } : {}),
          ...(r.bool(0.2) ? { isError: true } : {}),
          ...cache(r),
        });
      }
      if (r.bool(0.2)) content.push(textPart(r));
      if (content.length) msgs.push({ role: 'user', content });
      calls = [];
      continue;
    }
    const role = r.pick<IRMessage['role']>(['user', 'user', 'assistant', 'assistant', 'system']);
    if (role === 'system') {
      msgs.push({ role, content: r.times(1, 2, () => textPart(r)) });
    } else if (role === 'user') {
      msgs.push({ role, content: r.times(0, 4, () => (r.bool(0.7) ? textPart(r) : mediaPart(r))) });
    } else {
      const content: IRPart[] = [];
      if (r.bool(0.4)) content.push(...r.times(1, 2, () => reasoningPart(r)));
      if (r.bool(0.7)) content.push(...r.times(1, 2, () => textPart(r)));
      if (r.bool(0.45)) {
        calls = r.times(1, 3, () => {
          const name = r.bool(0.85) && tools.length ? r.pick(tools) : r.pick(TOOL_NAMES);
          const c: IRToolCallPart = { type: 'tool-call', id: id(r), name, arguments: args(r, name) };
          if (r.bool(0.2)) c.signature = 'CiwBcsjaf' + r.int(0, 1e6);
          return c;
        });
        content.push(...calls);
      }
      msgs.push({ role, content });
    }
  }
  return msgs;
}

function usage(r: Rng): IRUsage {
  const u: IRUsage = { inputTokens: r.int(0, 200000), outputTokens: r.int(0, 50000) };
  if (r.bool(0.5)) u.cachedTokens = r.int(0, u.inputTokens);
  if (r.bool(0.3)) u.cacheCreationTokens = r.int(0, Math.max(0, u.inputTokens - (u.cachedTokens ?? 0)));
  if (r.bool(0.4)) u.reasoningTokens = r.int(0, u.outputTokens);
  if (r.bool(0.3)) u.totalTokens = u.inputTokens + u.outputTokens;
  return u;
}

const MODELS = ['gpt-4.1', 'gpt-5', 'o3-mini', 'claude-sonnet-4-5', 'claude-3-5-haiku-20241022', 'gemini-2.5-flash', 'gemini-2.5-pro', 'gemini-2.5-flash-lite', 'gemini-3-pro-preview', 'gpt-5-codex-high', 'deepseek-reasoner', 'some/model:free'];

function request(r: Rng): IRRequest {
  const tools: IRTool[] = r.times(0, 4, () => {
    if (r.bool(0.1)) return { type: 'builtin', name: r.pick(['web_search', 'google_search', 'code_execution', 'url_context', 'file_search']), ...(r.bool() ? { config: { max_uses: 3 } } : {}) };
    const tool: IRTool = { type: 'function', name: r.pick(TOOL_NAMES), parameters: toolSchema(r) };
    if (r.bool(0.7)) tool.description = text(r);
    if (r.bool(0.2)) tool.strict = r.bool();
    if (r.bool(0.05)) tool.cacheControl = { type: 'ephemeral' };
    return tool;
  });
  const names = tools.filter((x) => x.type === 'function').map((x) => x.name);
  const req: IRRequest = {
    model: r.pick(MODELS),
    system: r.times(0, 2, () => textPart(r)),
    messages: conversation(r, names),
    stream: r.bool(),
    extras: {},
  };
  if (tools.length) req.tools = tools;
  if (r.bool(0.3)) req.toolChoice = r.pick<IRRequest['toolChoice']>([{ type: 'auto' }, { type: 'none' }, { type: 'required' }, { type: 'tool', name: names[0] ?? 'get_weather' }]);
  if (r.bool(0.2)) req.parallelToolCalls = r.bool();
  if (r.bool(0.6)) req.maxTokens = r.pick([1, 16, 1024, 4096, 32000, 200000]);
  if (r.bool(0.5)) req.temperature = r.pick([0, 0.2, 0.7, 1, 1.5, 2]);
  if (r.bool(0.3)) req.topP = r.pick([0.1, 0.9, 1]);
  if (r.bool(0.2)) req.topK = r.int(1, 100);
  if (r.bool(0.3)) req.stop = r.times(1, 3, () => r.pick(['END', '\n\n', ' ', '###', text(r, { huge: false })]));
  if (r.bool(0.1)) req.seed = r.int(0, 1e6);
  if (r.bool(0.1)) req.presencePenalty = 0.5;
  if (r.bool(0.1)) req.frequencyPenalty = -0.5;
  if (r.bool(0.05)) req.candidateCount = 1;
  if (r.bool(0.2)) {
    req.responseFormat = r.pick<NonNullable<IRRequest['responseFormat']>>([
      { type: 'text' },
      { type: 'json_object' },
      { type: 'json_schema', name: 'answer', schema: objectSchema(r, 1), strict: r.bool() },
      { type: 'json_schema', schema: { type: 'array', items: { type: 'string' } } },
    ]);
  }
  if (r.bool(0.4)) {
    const k = r.next();
    req.reasoning =
      k < 0.4 ? { effort: r.pick(['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'auto'] as const) }
      : k < 0.8 ? { budgetTokens: r.pick([-1, 0, 100, 1024, 8000, 50000]), ...(r.bool() ? { includeThoughts: r.bool() } : {}) }
      : { effort: 'high', budgetTokens: 4096, includeThoughts: true, summary: 'auto' };
  }
  if (r.bool(0.3)) req.includeUsage = true;
  if (r.bool(0.2)) req.user = 'user-' + r.int(0, 99);
  if (r.bool(0.1)) req.metadata = { ticket: 'T-' + r.int(0, 99), note: text(r, { huge: false }) };
  return req;
}

// ───────────────────────────── checks ─────────────────────────────

/** Why a value would not survive JSON.stringify → JSON.parse unchanged
 *  (undefined object members are dropped harmlessly and allowed). */
function notJson(v: unknown, path = '$', seen = new Set<object>()): string | undefined {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return undefined;
  if (typeof v === 'number') return Number.isFinite(v) ? undefined : `${path} is ${v}`;
  if (typeof v !== 'object') return `${path} is a ${typeof v}`;
  if (seen.has(v)) return `${path} is a cycle`;
  seen.add(v);
  try {
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        if (v[i] === undefined) return `${path}[${i}] is undefined`;
        const bad = notJson(v[i], `${path}[${i}]`, seen);
        if (bad) return bad;
      }
      return undefined;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) return `${path} is a ${proto?.constructor?.name ?? 'strange'} object`;
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined) continue;
      const bad = notJson(x, `${path}.${k}`, seen);
      if (bad) return bad;
    }
    return undefined;
  } finally {
    seen.delete(v);
  }
}

function wire<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}\n${(err.stack ?? '').split('\n').slice(1, 4).join('\n')}` : String(err);
}

/** First difference between two JSON-like values, as a path and the two sides. */
function diff(a: unknown, b: unknown, path = '$'): string | undefined {
  if (Object.is(a, b)) return undefined;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') {
    return `${path}: ${JSON.stringify(a)?.slice(0, 200)} ≠ ${JSON.stringify(b)?.slice(0, 200)}`;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return `${path}: array vs object`;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return `${path}: length ${a.length} ≠ ${bb.length} (${JSON.stringify(a).slice(0, 300)} vs ${JSON.stringify(bb).slice(0, 300)})`;
    for (let i = 0; i < a.length; i++) {
      const d = diff(a[i], bb[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  const ao = a as Json;
  const bo = b as Json;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  for (const k of keys) {
    if (ao[k] === undefined && bo[k] === undefined) continue;
    const d = diff(ao[k], bo[k], `${path}.${k}`);
    if (d) return d;
  }
  return undefined;
}

/** TAP is line based: a raw line break (also U+2028/2029) or control
 *  character inside a failure message would corrupt the report. */
function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\ud800-\udfff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

class Reporter {
  private counts = new Map<string, number>();
  constructor(private readonly t: Test) {}
  fail(key: string, message: string): void {
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, n);
    if (n <= MAX_REPORTS) this.t.fail(printable(message));
  }
  summary(what: string, cases: number): void {
    let total = 0;
    for (const [key, n] of this.counts) {
      total += n;
      if (n > MAX_REPORTS) this.t.fail(`${key}: ${n - MAX_REPORTS} more failures not shown`);
    }
    if (total === 0) this.t.pass(`${what}: ${cases} cases hold`);
  }
}

function seeds(n: number): number[] {
  const count = CASES ?? n;
  return Array.from({ length: count }, (_, k) => BASE_SEED + k);
}

// ───────────────────────────── (a) any pair encodes ─────────────────────────────

t.test('(a) for every format pair, decode then encode throws only TranslationError and gives JSON', async (t) => {
  const rep = new Reporter(t);
  const list = seeds(220);
  const refused = new Map<string, number>();
  const count = (k: string): void => void refused.set(k, (refused.get(k) ?? 0) + 1);
  for (const seed of list) {
    const ir = request(new Rng(seed));
    for (const f of FORMATS) {
      const codec = getCodec(f);
      let inbound: Record<string, unknown>;
      try {
        inbound = wire(codec.encodeRequest(structuredClone(ir)));
      } catch (err) {
        if (!(err instanceof TranslationError)) rep.fail(`encode ${f}`, `seed ${seed}: ${f}.encodeRequest(IR) threw ${describe(err)}`);
        continue;
      }
      let req: IRRequest;
      try {
        req = codec.decodeRequest(inbound);
      } catch (err) {
        if (!(err instanceof TranslationError)) rep.fail(`decode ${f}`, `seed ${seed}: ${f}.decodeRequest threw ${describe(err)}`);
        else count(`${f} decode: ${err.message.replace(/\d+/g, 'N')}`);
        continue;
      }
      for (const u of FORMATS) {
        let out: Record<string, unknown>;
        try {
          out = getCodec(u).encodeRequest(structuredClone(req));
        } catch (err) {
          if (!(err instanceof TranslationError)) rep.fail(`${f}→${u}`, `seed ${seed}: ${f} → ${u} encodeRequest threw ${describe(err)}`);
          else count(`${f}→${u} encode: ${err.message}`);
          continue;
        }
        const bad = notJson(out);
        if (bad) rep.fail(`${f}→${u} json`, `seed ${seed}: ${f} → ${u}: the upstream body is not JSON: ${bad}`);
      }
    }
  }
  for (const [k, n] of refused) t.comment(`TranslationError ×${n}: ${k}`);
  rep.summary('any pair', list.length);
});

// ───────────────────────────── (b) same-format round trips ─────────────────────────────

/**
 * Differences a same-format round trip may show in IR terms without losing
 * anything, each with its reason. Applied to both sides before comparing.
 */
function normalise(f: FormatName, req: IRRequest): IRRequest {
  const r = wire(req);
  // openai-chat: a leading system message with no text (content "") leaves
  // a layout hint with parts: 0 in the extras; with no text to send it is not
  // written again, so the hint does not come back. Nothing is lost.
  const chat = r.extras['openai-chat'] as Json | undefined;
  if (f === 'openai-chat' && chat && Array.isArray(chat.system)) {
    chat.system = chat.system.filter((s) => !(isObj(s) && s.parts === 0));
    if ((chat.system as unknown[]).length === 0) delete chat.system;
  }
  // openai-chat: a message whose only part is an empty text is written as
  // content "" (a lone text part goes out as a string), which decodes to no
  // parts; [{type: "text", text: ""}] decodes to one empty part.
  if (f === 'openai-chat') {
    for (const m of r.messages) m.content = m.content.filter((p) => !(p.type === 'text' && p.text === ''));
  }
  // claude: a final assistant turn is a prefill, and Claude rejects trailing
  // whitespace there, so the encoder trims it (dropping what becomes empty).
  // A turn that only became final because what followed it encoded to
  // nothing is trimmed on the next pass.
  if (f === 'claude') {
    const last = r.messages[r.messages.length - 1];
    const tail = last?.content[last.content.length - 1];
    if (last?.role === 'assistant' && tail?.type === 'text') {
      tail.text = tail.text.trimEnd();
      if (!tail.text) last.content.pop();
      if (!last.content.length) r.messages.pop();
    }
  }
  // openai-responses / codex: the decoder keeps one hosted web_search tool
  // (the IR holds one), but the raw tool list it remembers for ordering still
  // has a duplicate an earlier encode wrote; the next encode writes the one.
  const rx = r.extras['openai-responses'] as Json | undefined;
  if ((f === 'openai-responses' || f === 'codex') && rx && Array.isArray(rx.tools)) {
    let seen = false;
    rx.tools = rx.tools.filter((x) => {
      const web = isObj(x) && typeof x.type === 'string' && x.type.startsWith('web_search');
      if (!web) return true;
      if (seen) return false;
      seen = true;
      return true;
    });
  }
  return r;
}

t.test('(b) a same-format round trip decode → encode → decode loses nothing', async (t) => {
  const rep = new Reporter(t);
  const list = seeds(220);
  let compared = 0;
  for (const seed of list) {
    const ir = request(new Rng(seed));
    for (const f of FORMATS) {
      const codec = getCodec(f);
      let first: IRRequest;
      try {
        first = codec.decodeRequest(wire(codec.encodeRequest(structuredClone(ir))));
      } catch (err) {
        if (!(err instanceof TranslationError)) rep.fail(`first ${f}`, `seed ${seed}: ${f}: the first decode threw ${describe(err)}`);
        continue; // the random IR is not something this format can say
      }
      let second: IRRequest;
      try {
        second = codec.decodeRequest(wire(codec.encodeRequest(structuredClone(first))));
      } catch (err) {
        rep.fail(`second ${f}`, `seed ${seed}: ${f}: a body this codec wrote from its own decode is refused: ${describe(err)}`);
        continue;
      }
      compared++;
      const d = diff(normalise(f, first), normalise(f, second));
      if (d) rep.fail(`roundtrip ${f}`, `seed ${seed}: ${f} round trip changes the IR at ${d}`);
    }
  }
  t.ok(compared > list.length * 3, `${compared} round trips compared`);
  rep.summary('round trips', list.length);
});

// ───────────────────────────── (c) stream encoders ─────────────────────────────

interface EventCase {
  events: IREvent[];
  wellFormed: boolean;
  /** Well-formed, but tool calls stream their arguments interleaved (as
   *  OpenAI-style upstreams may): calls compare by id, not by order. */
  interleaved: boolean;
  text: string;
  reasoning: string;
  calls: Array<{ id: string; name: string; args: string }>;
}

const FINISH_REASONS: IRFinishReason[] = ['stop', 'length', 'tool_calls', 'content_filter', 'pause', 'refusal', 'error'];
const RAW_REASONS = [undefined, 'stop', 'end_turn', 'tool_use', 'STOP', 'MAX_TOKENS', 'length', 'completed', 'max_tokens', 'weird'];

function eventCase(r: Rng, callNames: string[]): EventCase {
  const interleaved = r.bool(0.15);
  const out: EventCase = { events: [], wellFormed: true, interleaved, text: '', reasoning: '', calls: [] };
  const groups: IREvent[][] = [];
  let index = r.int(0, 2);
  for (let b = interleaved ? r.int(2, 4) : r.int(0, 6); b > 0; b--) {
    const kind = interleaved ? 'tool' : r.pick(['text', 'text', 'reasoning', 'tool']);
    const i = index;
    index += r.int(1, 2);
    const g: IREvent[] = [];
    if (kind === 'text') {
      for (let n = r.int(1, 4); n > 0; n--) {
        const s = text(r);
        out.text += s;
        g.push({ type: 'text-delta', index: i, text: s });
      }
    } else if (kind === 'reasoning') {
      if (r.bool(0.1)) g.push({ type: 'reasoning-delta', index: i, redactedData: 'Emw' + r.int(0, 999) });
      else {
        for (let n = r.int(1, 3); n > 0; n--) {
          const s = text(r);
          out.reasoning += s;
          g.push({ type: 'reasoning-delta', index: i, text: s });
        }
        if (r.bool(0.4)) g.push({ type: 'reasoning-delta', index: i, signature: 'sig' + r.int(0, 1e6) });
        if (r.bool(0.2)) g.push({ type: 'reasoning-delta', index: i, encrypted: 'gAAA' + r.int(0, 1e6) });
      }
    } else {
      const name = r.pick(callNames);
      const a = args(r, name).replace(/^$|^\{"location": "Par$|^\[1,2,3\]$/, '{}');
      const callId = interleaved || r.bool(0.9) ? 'call_' + r.int(0, 1e9).toString(36) + '_' + b : '';
      g.push({ type: 'tool-call-start', index: i, id: callId, name, ...(r.bool(0.2) ? { signature: 'CiwB' + r.int(0, 99) } : {}) });
      let rest = a;
      while (rest.length) {
        const cut = Math.min(rest.length, r.int(1, 40));
        g.push({ type: 'tool-call-delta', index: i, args: rest.slice(0, cut) });
        rest = rest.slice(cut);
      }
      out.calls.push({ id: callId, name, args: a });
    }
    g.push({ type: 'block-end', index: i });
    groups.push(g);
  }
  if (interleaved) {
    // Each call's own events stay in order; the calls take turns at random.
    const queues = groups.map((g) => [...g]);
    const mixed: IREvent[] = [];
    while (queues.some((q) => q.length)) mixed.push(r.pick(queues.filter((q) => q.length)).shift()!);
    groups.length = 0;
    groups.push(mixed);
  }
  const ev = out.events;
  ev.push({ type: 'start', id: r.pick(['msg_01', 'chatcmpl-9', 'resp_abc', 'Q3Zyaf2y', '']), model: r.pick(['gpt-4.1', 'claude-x', 'gemini-2.5-pro', '']), ...(r.bool() ? { created: 1762600000 } : {}) });
  if (r.bool(0.3)) ev.push({ type: 'usage', usage: usage(r) });
  for (const g of groups) ev.push(...g);
  if (r.bool(0.2)) ev.push({ type: 'usage', usage: usage(r) });
  const raw = r.pick(RAW_REASONS);
  ev.push({ type: 'finish', reason: r.pick(FINISH_REASONS), ...(r.bool(0.6) ? { usage: usage(r) } : {}), ...(raw ? { rawReason: raw } : {}) });
  if (r.bool(0.1)) ev.push({ type: 'usage', usage: usage(r) });

  if (r.bool(0.5)) {
    out.wellFormed = false;
    for (let m = r.int(1, 3); m > 0; m--) mutate(r, ev, groups);
  }
  return out;
}

/** Breaks a well-formed sequence the ways upstream decoders and cut streams can. */
function mutate(r: Rng, ev: IREvent[], groups: IREvent[][]): void {
  const at = () => r.int(0, ev.length);
  switch (r.int(0, 9)) {
    case 0: // no start
      if (ev[0]?.type === 'start') ev.shift();
      break;
    case 1: // block ends lost
      for (let k = ev.length - 1; k >= 0; k--) if (ev[k]!.type === 'block-end' && r.bool()) ev.splice(k, 1);
      break;
    case 2: {
      // blocks interleaved (each block's own order kept)
      const blocks = groups.map((g) => [...g]);
      const mixed: IREvent[] = [];
      while (blocks.some((b) => b.length)) {
        const b = r.pick(blocks.filter((x) => x.length));
        mixed.push(b.shift()!);
      }
      const first = ev.findIndex((e) => e.type !== 'start' && e.type !== 'usage');
      const last = ev.findIndex((e) => e.type === 'finish');
      if (first >= 0 && last >= first) ev.splice(first, last - first, ...mixed);
      break;
    }
    case 3: // a second finish
      ev.push({ type: 'finish', reason: r.pick(FINISH_REASONS), ...(r.bool() ? { usage: usage(r) } : {}) });
      break;
    case 4: // an error mid-way, and whatever the decoder still had
      ev.splice(at(), 0, { type: 'error', status: r.pick([400, 429, 500, 502, 529, 0, 200]), message: text(r, { huge: false }), ...(r.bool() ? { code: r.pick(['rate_limit_error', 'RESOURCE_EXHAUSTED', 'x']) } : {}) });
      break;
    case 5: // no finish: the stream just stops
      for (let k = ev.length - 1; k >= 0; k--) if (ev[k]!.type === 'finish') ev.splice(k, 1);
      break;
    case 6: // content after the finish
      ev.push({ type: 'text-delta', index: 99, text: 'late' }, { type: 'tool-call-start', index: 100, id: 'late', name: 'get_weather' }, { type: 'block-end', index: 100 });
      break;
    case 7: // deltas for blocks that never started, and an index reused for another kind
      ev.splice(at(), 0, { type: 'tool-call-delta', index: 77, args: '{"x":1}' });
      ev.splice(at(), 0, { type: 'tool-call-start', index: 0, id: 'reuse', name: 'Read' }, { type: 'text-delta', index: 0, text: 'same index' });
      break;
    case 8: // usage before the start, and empty deltas
      ev.unshift({ type: 'usage', usage: usage(r) });
      ev.splice(at(), 0, { type: 'text-delta', index: 5, text: '' }, { type: 'reasoning-delta', index: 6 });
      break;
    default: // truncated anywhere
      ev.length = r.int(0, ev.length);
  }
}

interface EncoderSetup {
  label: string;
  format: FormatName;
  sse: boolean;
}

const ENCODERS: EncoderSetup[] = FORMATS.flatMap((f): EncoderSetup[] =>
  f === 'gemini' || f === 'gemini-cli'
    ? [
        { label: `${f} SSE`, format: f, sse: true },
        { label: `${f} JSON array`, format: f, sse: false },
      ]
    : [{ label: f, format: f, sse: true }],
);

/** A Responses client request with a freeform tool and a namespaced one, so
 *  that encoder's custom_tool_call and namespace paths are exercised too. */
const RESPONSES_TOOLS_REQ = getCodec('openai-responses').decodeRequest({
  model: 'gpt-5-codex',
  input: 'hi',
  tools: [
    { type: 'custom', name: 'apply_patch', description: 'patch' },
    { type: 'namespace', name: 'mcp__node_repl', tools: [{ type: 'function', name: 'js', parameters: { type: 'object', properties: { code: { type: 'string' } } } }] },
    { type: 'function', name: 'get_weather', parameters: { type: 'object', properties: {} } },
  ],
});

const CARRIES_REASONING = new Set<FormatName>(['openai-chat', 'claude', 'openai-responses', 'codex', 'gemini', 'gemini-cli']);
const CARRIES_CALLS = CARRIES_REASONING;

t.test('(c) every stream encoder gives a valid, terminated stream for any event sequence', async (t) => {
  const rep = new Reporter(t);
  const list = seeds(300);
  let wellFormed = 0;
  for (const seed of list) {
    const r = new Rng(seed);
    const req: IRRequest = r.bool(0.3) ? { ...RESPONSES_TOOLS_REQ, includeUsage: r.bool() } : { ...request(r), stream: true };
    const c = eventCase(r, r.bool(0.5) ? ['apply_patch', 'mcp__node_repl__js', 'get_weather'] : TOOL_NAMES);
    if (c.wellFormed) wellFormed++;
    for (const e of ENCODERS) {
      let out = '';
      try {
        const enc = getCodec(e.format).createStreamEncoder(req, { sse: e.sse });
        for (const ev of c.events) out += enc.push(ev);
        out += enc.end();
      } catch (err) {
        rep.fail(`${e.label} throws`, `seed ${seed}: the ${e.label} encoder threw ${describe(err)}`);
        continue;
      }
      const checked = checkStream(e.format, out, { sse: e.sse, strict: c.wellFormed });
      if (CASES === 1) t.comment(printable(`${e.label} events: ${JSON.stringify(c.events).slice(0, 4000)}`) + '\n' + printable(`output: ${out.slice(0, 4000)}`).replace(/\\u000a/g, '\n'));
      if (checked.problems.length) {
        rep.fail(`${e.label} wire${c.wellFormed ? '' : ' (ill-formed)'}`, `seed ${seed}: ${e.label}${c.wellFormed ? '' : ' (ill-formed input)'}: ${checked.problems.slice(0, 4).join('; ')}`);
        continue;
      }
      if (checked.answer.ended === 'none') rep.fail(`${e.label} end`, `seed ${seed}: ${e.label} stream does not end`);
      if (!c.wellFormed) continue;
      const a = checked.answer;
      const label = `seed ${seed}: ${e.label}`;
      if (a.text !== c.text) rep.fail(`${e.label} text`, `${label}: text ${JSON.stringify(a.text.slice(0, 80))} ≠ ${JSON.stringify(c.text.slice(0, 80))}`);
      if (CARRIES_REASONING.has(e.format) && a.reasoning !== c.reasoning) rep.fail(`${e.label} reasoning`, `${label}: reasoning ${JSON.stringify(a.reasoning.slice(0, 80))} ≠ ${JSON.stringify(c.reasoning.slice(0, 80))}`);
      if (!CARRIES_CALLS.has(e.format)) continue;
      if (a.calls.length !== c.calls.length) {
        rep.fail(`${e.label} calls`, `${label}: ${a.calls.length} tool calls, expected ${c.calls.length}`);
        continue;
      }
      const gotCalls = c.interleaved ? [...a.calls].sort((x, y) => x.id.localeCompare(y.id)) : a.calls;
      const wantCalls = c.interleaved ? [...c.calls].sort((x, y) => x.id.localeCompare(y.id)) : c.calls;
      wantCalls.forEach((want, k) => {
        const got = gotCalls[k]!;
        if (got.name !== want.name) rep.fail(`${e.label} call name`, `${label}: call ${k} is named ${got.name}, expected ${want.name}`);
        const same = (() => {
          try {
            return JSON.stringify(JSON.parse(got.args || '{}')) === JSON.stringify(JSON.parse(want.args || '{}'));
          } catch {
            return false;
          }
        })();
        if (!same) rep.fail(`${e.label} call args`, `${label}: call ${k} arguments ${got.args.slice(0, 80)} ≠ ${want.args.slice(0, 80)}`);
        if (want.id && got.id !== want.id && e.format !== 'gemini' && e.format !== 'gemini-cli') rep.fail(`${e.label} call id`, `${label}: call ${k} id ${got.id} ≠ ${want.id}`);
        if (!got.id && e.format !== 'gemini' && e.format !== 'gemini-cli') rep.fail(`${e.label} call id missing`, `${label}: call ${k} has no id`);
      });
    }
  }
  t.ok(wellFormed > list.length / 4 && wellFormed < list.length, `${wellFormed} well-formed and ${list.length - wellFormed} ill-formed sequences`);
  rep.summary('stream encoders', list.length);
});

// ───────────────────────────── (e) upstream → client ─────────────────────────────

/** Who can carry what: legacy completions only text. */
const TEXT_ONLY = new Set<FormatName>(['openai-completions']);

t.test('(e) any upstream stream, split and cut anywhere, reaches every client as a valid stream with the same answer', async (t) => {
  const rep = new Reporter(t);
  const list = seeds(50);
  let translations = 0;
  for (const seed of list) {
    const r = new Rng(seed);
    let c = eventCase(r, TOOL_NAMES.filter((n) => n !== 'apply_patch'));
    while (!c.wellFormed) c = eventCase(r, TOOL_NAMES.filter((n) => n !== 'apply_patch'));
    const req: IRRequest = { ...request(r), stream: true, includeUsage: true };
    for (const up of ENCODERS) {
      // The upstream's own wire text for this answer.
      const enc = getCodec(up.format).createStreamEncoder({ model: 'up-model', system: [], messages: [], stream: true, includeUsage: true, extras: {} }, { sse: up.sse });
      const wireText = c.events.map((e) => enc.push(e)).join('') + enc.end();
      const bytes = Buffer.from(wireText, 'utf8');
      const framing = up.sse ? 'sse' : 'json-array';
      for (const client of ENCODERS) {
        for (const cut of [bytes.length, r.int(0, bytes.length)]) {
          translations++;
          const label = `seed ${seed}: ${up.label} → ${client.label}${cut < bytes.length ? ` cut at ${cut}/${bytes.length}` : ''}`;
          let out = '';
          try {
            const tr = new StreamTranslator({ upstream: getCodec(up.format), inbound: getCodec(client.format), req, framing, sse: client.sse });
            for (let at = 0; at < cut; ) {
              const n = Math.min(cut - at, r.int(1, 160));
              out += tr.push(bytes.subarray(at, at + n));
              at += n;
            }
            // A cut stream either ends, or its connection fails (the router then calls error()).
            out += cut < bytes.length && r.bool() ? tr.error(502, 'upstream connection failed mid-stream') : tr.end();
          } catch (err) {
            rep.fail(`${up.label}→${client.label} throws`, `${label}: the translator threw ${describe(err)}`);
            continue;
          }
          const full = cut === bytes.length;
          const checked = checkStream(client.format, out, { sse: client.sse, strict: full });
          if (checked.problems.length) {
            rep.fail(`${up.label}→${client.label} wire`, `${label}: ${checked.problems.slice(0, 4).join('; ')}`);
            continue;
          }
          const a = checked.answer;
          if (a.ended === 'none') rep.fail(`${up.label}→${client.label} end`, `${label}: the stream does not end`);
          if (!full) {
            if (!c.text.startsWith(a.text)) rep.fail(`${up.label}→${client.label} prefix`, `${label}: the text so far is no prefix of the answer`);
            continue;
          }
          if (a.ended !== 'clean') rep.fail(`${up.label}→${client.label} clean`, `${label}: a whole answer ended with ${a.ended}: ${a.error}`);
          if (a.text !== c.text) rep.fail(`${up.label}→${client.label} text`, `${label}: text ${JSON.stringify(a.text.slice(0, 80))} ≠ ${JSON.stringify(c.text.slice(0, 80))}`);
          const both = !TEXT_ONLY.has(up.format) && !TEXT_ONLY.has(client.format);
          if (!TEXT_ONLY.has(client.format) && a.reasoning !== (both ? c.reasoning : '')) {
            rep.fail(`${up.label}→${client.label} reasoning`, `${label}: reasoning ${JSON.stringify(a.reasoning.slice(0, 80))} ≠ ${JSON.stringify((both ? c.reasoning : '').slice(0, 80))}`);
          }
          if (TEXT_ONLY.has(client.format)) continue;
          const want = both ? c.calls : [];
          if (a.calls.length !== want.length) {
            rep.fail(`${up.label}→${client.label} calls`, `${label}: ${a.calls.length} tool calls, expected ${want.length}`);
            continue;
          }
          const order = (xs: typeof want) => (c.interleaved ? [...xs].sort((x, y) => x.id.localeCompare(y.id)) : xs);
          const got = order(a.calls);
          order(want).forEach((w, k) => {
            const g = got[k]!;
            if (g.name !== w.name) rep.fail(`${up.label}→${client.label} call name`, `${label}: call ${k} is ${g.name}, expected ${w.name}`);
            let same = false;
            try {
              same = JSON.stringify(JSON.parse(g.args || '{}')) === JSON.stringify(JSON.parse(w.args || '{}'));
            } catch {
              same = false;
            }
            if (!same) rep.fail(`${up.label}→${client.label} call args`, `${label}: call ${k} arguments ${g.args.slice(0, 80)} ≠ ${w.args.slice(0, 80)}`);
            if (w.id && g.id !== w.id) rep.fail(`${up.label}→${client.label} call id`, `${label}: call ${k} id ${g.id} ≠ ${w.id}`);
          });
        }
      }
    }
  }
  t.comment(`${translations} translations`);
  rep.summary('upstream → client', list.length);
});

// ───────────────────────────── (d) error decoding ─────────────────────────────

const ERROR_SAMPLES = [
  '{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"33s"}]}}',
  '[{"error":{"code":429,"message":"capacity","details":[{"metadata":{"quotaResetDelay":"2h41m7.36s"}}]}}]',
  '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
  '{"error":{"message":"bad","type":"invalid_request_error","param":null,"code":"x"}}',
  '{"detail":"Unsupported parameter: max_output_tokens"}',
  '{"detail":[{"loc":["body"],"msg":"field required"}]}',
  '<html><head><title>502 Bad Gateway</title></head><body><h1>502</h1></body></html>',
];

function junk(r: Rng): string {
  const k = r.next();
  if (k < 0.25) {
    const s = r.pick(ERROR_SAMPLES);
    return s.slice(0, r.int(0, s.length)); // cut short
  }
  if (k < 0.45) return Buffer.from(Array.from({ length: r.int(0, 300) }, () => r.int(0, 255))).toString(r.pick(['utf8', 'latin1'] as const));
  if (k < 0.7) {
    const v = (depth: number): unknown => {
      const c = r.int(0, 8);
      if (depth > 3 || c < 2) return r.pick<unknown>([null, true, 0, -1, 1e308, 429, '429', text(r), [], {}]);
      if (c < 4) return r.times(0, 3, () => v(depth + 1));
      const o: Json = {};
      for (let n = r.int(0, 4); n > 0; n--) o[r.pick(['error', 'message', 'code', 'status', 'type', 'detail', 'details', 'errors', 'retryDelay', 'metadata', 'msg', 'response'])] = v(depth + 1);
      return o;
    };
    return JSON.stringify(v(0));
  }
  if (k < 0.8) return JSON.stringify({ error: { code: r.pick<unknown>([200, 0, -5, 'abc', 1e9, 404.5, null]), message: r.pick<unknown>([text(r), 42, null, { nested: 1 }]), status: r.pick<unknown>(['NOT_FOUND', 7, null]) } });
  if (k < 0.9) return text(r);
  return '';
}

t.test('(d) decodeError never throws on random bytes, and every error shape it gives encodes', async (t) => {
  const rep = new Reporter(t);
  const list = seeds(300);
  for (const seed of list) {
    const r = new Rng(seed);
    const body = junk(r);
    const status = r.pick([0, 200, 204, 302, 400, 401, 403, 404, 408, 413, 422, 429, 499, 500, 502, 503, 504, 529, 599, -1, 600, 999, 450.5, Number.NaN]);
    for (const f of FORMATS) {
      let err;
      try {
        err = getCodec(f).decodeError(status, body);
      } catch (e) {
        rep.fail(`${f} decodeError`, `seed ${seed}: ${f}.decodeError(${status}, …) threw ${describe(e)}`);
        continue;
      }
      if (!isObj(err) || typeof err.message !== 'string' || !err.message) {
        rep.fail(`${f} message`, `seed ${seed}: ${f}.decodeError gave no message: ${JSON.stringify(err)}`);
        continue;
      }
      if (!Number.isInteger(err.status) || err.status < 400 || err.status > 599) {
        rep.fail(`${f} status`, `seed ${seed}: ${f}.decodeError(${status}, ${JSON.stringify(body.slice(0, 60))}) gave status ${err.status}, not an error status`);
      }
      for (const i of FORMATS) {
        try {
          const out = getCodec(i).encodeError(err);
          if (!Number.isInteger(out.status) || out.status < 400 || out.status > 599) rep.fail(`${f}→${i} encodeError status`, `seed ${seed}: ${i}.encodeError(${f} error with status ${err.status}) answers HTTP ${out.status}`);
          const bad = notJson(out.body);
          if (bad) rep.fail(`${f}→${i} encodeError json`, `seed ${seed}: ${i}.encodeError body is not JSON: ${bad}`);
          const streamText = getCodec(i).encodeStreamError(err);
          if (typeof streamText !== 'string' || !streamText.replace(/\r\n/g, '\n').endsWith('\n\n')) rep.fail(`${f}→${i} encodeStreamError`, `seed ${seed}: ${i}.encodeStreamError is not a terminated frame`);
        } catch (e) {
          rep.fail(`${f}→${i} encodeError throws`, `seed ${seed}: ${i}.encodeError threw ${describe(e)}`);
        }
      }
    }
  }
  rep.summary('error decoding', list.length);
});


// ───────────────────────────── regressions ─────────────────────────────

/** The smallest form of each codec bug these properties found (all fixed). */
t.test('regressions found by the properties', async (t) => {
  const req: IRRequest = { model: 'gemini-2.5-pro', system: [], messages: [], stream: true, extras: {} };
  const run = (f: FormatName, events: IREvent[], sse = true): string => {
    const enc = getCodec(f).createStreamEncoder(req, { sse });
    return events.map((e) => enc.push(e)).join('') + enc.end();
  };
  const u: IRUsage = { inputTokens: 3, outputTokens: 4 };

  // found by (c): a usage event after an error frame went out after the error.
  for (const sse of [true, false]) {
    const c = checkStream('gemini', run('gemini', [{ type: 'error', status: 400, message: 'bad' }, { type: 'start', id: 'r', model: 'm' }, { type: 'usage', usage: u }], sse), { sse });
    t.same(c.problems, [], `gemini ${sse ? 'SSE' : 'JSON array'}: nothing after the error frame`);
  }
  // found by (c): a stream of only a start (or nothing) had no finishReason.
  for (const events of [[], [{ type: 'start', id: 'r', model: 'm' }, { type: 'usage', usage: u }]] as IREvent[][]) {
    for (const sse of [true, false]) {
      const c = checkStream('gemini-cli', run('gemini-cli', events, sse), { sse });
      t.same(c.problems, [], `gemini-cli ${sse ? 'SSE' : 'JSON array'} with ${events.length} events still finishes`);
    }
  }
  // found by (c): a start after content renamed the response mid-stream.
  t.same(checkStream('gemini', run('gemini', [{ type: 'text-delta', index: 0, text: 'a' }, { type: 'start', id: 'late', model: 'm' }, { type: 'text-delta', index: 0, text: 'b' }])).problems, [], 'gemini: responseId stays');
  // found by (c): content after the finish chunk.
  const late = checkStream('openai-chat', run('openai-chat', [{ type: 'text-delta', index: 0, text: 'a' }, { type: 'finish', reason: 'stop' }, { type: 'text-delta', index: 1, text: 'late' }, { type: 'usage', usage: u }]));
  t.same(late.problems, [], 'openai-chat: nothing after the finish chunk but usage');
  t.equal(late.answer.text, 'a');
  // found by (c): a repeated tool-call-start reused a tool_calls index for another id.
  const rep = checkStream('openai-chat', run('openai-chat', [
    { type: 'tool-call-start', index: 0, id: 'c1', name: 'Read' }, { type: 'tool-call-start', index: 2, id: 'c2', name: 'Bash' },
    { type: 'tool-call-start', index: 0, id: 'c1', name: 'Read' }, { type: 'tool-call-start', index: 4, id: 'c3', name: 'Grep' },
  ]));
  t.same(rep.problems, [], 'openai-chat: repeated start is the same call');
  t.same(rep.answer.calls.map((c) => c.id), ['c1', 'c2', 'c3']);
  // found by (c): a call without an upstream id went out with call_id "".
  for (const f of ['openai-responses', 'codex'] as const) {
    const c = checkStream(f, run(f, [{ type: 'tool-call-start', index: 0, id: '', name: 'Read' }, { type: 'tool-call-delta', index: 0, args: '{}' }, { type: 'block-end', index: 0 }, { type: 'finish', reason: 'tool_calls' }]), { strict: true });
    t.same(c.problems, [], `${f}: a call_id is minted`);
    const body = getCodec(f).encodeResponse({ id: 'resp_x', model: 'm', created: 1, content: [{ type: 'tool-call', id: '', name: 'Read', arguments: '{}' }], finishReason: 'tool_calls' }, req) as Json;
    t.match((body.output as Json[])[0], { type: 'function_call', call_id: /^call_./ }, `${f} body: a call_id is minted`);
  }
  // found by (b): an assistant turn that encodes to nothing left two user turns side by side.
  const g = getCodec('gemini').encodeRequest({
    ...req,
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'a' }] },
      { role: 'assistant', content: [] },
      { role: 'system', content: [{ type: 'text', text: 'b' }] },
    ],
  });
  t.same((g.contents as Json[]).map((c) => c.role), ['user'], 'gemini: roles alternate');
  // found by (d): non-error statuses and empty messages in errors.
  for (const f of ['gemini', 'gemini-cli'] as const) {
    t.match(getCodec(f).decodeError(302, '<html>moved</html>'), { status: 500 }, `${f}: a 302 is no error status`);
    t.match(getCodec(f).decodeError(200, '{"error":{"code":429,"message":"q"}}'), { status: 429 }, `${f}: the body's code when the HTTP status is none`);
    t.match(getCodec(f).decodeError(400, '{"error":{"message":"","status":"NOT_FOUND"}}'), { message: 'NOT_FOUND' }, `${f}: an empty message falls back`);
  }
  for (const f of ['openai-responses', 'codex'] as const) t.equal(getCodec(f).encodeError({ status: 302, message: 'x' }).status, 500, `${f}: encodeError answers an HTTP error status`);
  // found by the golden matrix: error() after streaming began wrote a Responses error with sequence_number 0
  // and an SSE frame into a Gemini JSON array it never closed.
  for (const [client, sse] of [['openai-responses', true], ['gemini', false], ['gemini-cli', false]] as const) {
    const tr = new StreamTranslator({ upstream: getCodec('openai-chat'), inbound: getCodec(client), req, framing: 'sse', sse });
    const out = tr.push(`data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: null }] })}\n\n`) + tr.error(502, 'lost');
    const c = checkStream(client, out, { sse });
    t.same(c.problems, [], `${client}${sse ? '' : ' JSON array'}: error() continues the stream it ends`);
    t.equal(c.answer.ended, 'error');
  }
  // found by (e): a Chat upstream streaming two calls' arguments in turns
  // (or all call headers first) lost the rest of the first call's arguments.
  const chunk = (tc: Json) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { tool_calls: [tc] }, finish_reason: null }] })}\n\n`;
  const turns =
    chunk({ index: 0, id: 'call_a', type: 'function', function: { name: 'Read', arguments: '' } }) +
    chunk({ index: 1, id: 'call_b', type: 'function', function: { name: 'Bash', arguments: '{"cmd":' } }) +
    chunk({ index: 0, function: { arguments: '{"path":' } }) +
    chunk({ index: 1, function: { arguments: '"ls"}' } }) +
    chunk({ index: 0, function: { arguments: '"a.txt"}' } }) +
    `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] })}\n\ndata: [DONE]\n\n`;
  for (const client of ['claude', 'gemini', 'openai-responses'] as const) {
    const tr = new StreamTranslator({ upstream: getCodec('openai-chat'), inbound: getCodec(client), req, framing: 'sse' });
    const c = checkStream(client, tr.push(turns) + tr.end(), { strict: true });
    t.same(c.problems, [], `chat upstream with calls in turns → ${client}: a valid stream`);
    t.same(c.answer.calls.map((x) => [x.name, JSON.parse(x.args)]), [['Read', { path: 'a.txt' }], ['Bash', { cmd: 'ls' }]], `→ ${client}: both calls whole`);
  }
});
