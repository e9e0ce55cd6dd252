// JSON Schema → Gemini Schema cleaning, SDK schema lowering, function names.
import t from 'tap';
import {
  buildToolNameMap,
  hasGeminiParameters,
  lowerSchemaTypes,
  sanitizeFunctionName,
  toGeminiSchema,
} from '../../pipelines/schema.js';

type J = Record<string, any>;

// Everything Gemini's Schema proto knows (genai.d.ts `Schema`), minus what we
// deliberately drop (anyOf is flattened, default/title are not sent).
const ALLOWED = new Set([
  'type', 'format', 'description', 'nullable', 'enum', 'items', 'properties', 'required', 'minItems', 'maxItems',
  'minLength', 'maxLength', 'pattern', 'minimum', 'maximum', 'minProperties', 'maxProperties', 'propertyOrdering', 'example',
]);

/** Paths of keys Gemini would reject, walking schema positions only. */
function rejected(schema: unknown, path = '$'): string[] {
  if (typeof schema !== 'object' || schema === null) return [`${path}: not an object`];
  const s = schema as J;
  const bad: string[] = [];
  for (const k of Object.keys(s)) if (!ALLOWED.has(k)) bad.push(`${path}.${k}`);
  if (typeof s.type !== 'string' || !['string', 'number', 'integer', 'boolean', 'array', 'object'].includes(s.type)) bad.push(`${path}.type=${JSON.stringify(s.type)}`);
  if (s.enum && (s.type !== 'string' || s.enum.some((v: unknown) => typeof v !== 'string'))) bad.push(`${path}.enum not string-only`);
  if (s.properties) {
    if (Object.keys(s.properties).length === 0) bad.push(`${path}.properties empty`);
    for (const [k, v] of Object.entries(s.properties)) bad.push(...rejected(v, `${path}.properties.${k}`));
  }
  if (s.required && (!s.properties || s.required.some((r: string) => !(r in s.properties)))) bad.push(`${path}.required lists unknown properties`);
  if (s.type === 'array') {
    if (!s.items) bad.push(`${path}.items missing`);
    else bad.push(...rejected(s.items, `${path}.items`));
  }
  if (s.format && !['enum', 'date-time'].includes(s.format)) bad.push(`${path}.format=${s.format}`);
  return bad;
}

t.test('drops each keyword Gemini rejects', async (t) => {
  const out = toGeminiSchema({
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'urn:x',
    $comment: 'c',
    title: 'Args',
    type: 'object',
    additionalProperties: false,
    patternProperties: { '^x-': { type: 'string' } },
    propertyNames: { pattern: '^[a-z]+$' },
    properties: {
      url: { type: 'string', format: 'uri', examples: ['https://x'], default: 'https://a' },
      when: { type: 'string', format: 'date-time' },
      kind: { const: 'issue' },
      n: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 10, 'x-google-enum-descriptions': ['a'] },
      tags: { type: 'array', items: { type: 'string' }, uniqueItems: true, minItems: 1 },
    },
    required: ['url', 'kind', 'missing'],
  });
  t.same(rejected(out), []);
  t.same(out, {
    type: 'object',
    properties: {
      url: { type: 'string' },
      when: { type: 'string', format: 'date-time' },
      kind: { type: 'string', enum: ['issue'] },
      n: { type: 'number', minimum: 0, maximum: 10 },
      tags: { type: 'array', items: { type: 'string' }, minItems: 1 },
    },
    required: ['url', 'kind'],
  });
});

t.test('a property named like a keyword is still a property', async (t) => {
  const out = toGeminiSchema({ type: 'object', properties: { default: { type: 'string' }, format: { type: 'string' }, $ref: { type: 'string' }, properties: { type: 'object', properties: { x: { type: 'integer' } } } }, required: ['default', 'format'] });
  t.same(Object.keys(out.properties as J), ['default', 'format', '$ref', 'properties']);
  t.same(out.required, ['default', 'format']);
});

t.test('$ref and $defs are inlined; recursion stops', async (t) => {
  const out = toGeminiSchema({
    type: 'object',
    $defs: { Point: { type: 'object', properties: { x: { type: 'number' }, y: { type: 'number' } }, required: ['x', 'y'] } },
    definitions: { Color: { type: 'string', enum: ['red', 'green'] } },
    properties: {
      from: { $ref: '#/$defs/Point', description: 'start' },
      color: { $ref: '#/definitions/Color' },
      ext: { $ref: 'https://example.com/schema.json' },
    },
  });
  t.same(rejected(out), []);
  t.same((out.properties as J).from, { type: 'object', description: 'start', properties: { x: { type: 'number' }, y: { type: 'number' } }, required: ['x', 'y'] });
  t.same((out.properties as J).color, { type: 'string', enum: ['red', 'green'] });
  t.same((out.properties as J).ext, { type: 'object', description: 'See: schema.json' });

  const tree = toGeminiSchema({
    type: 'object',
    properties: { root: { $ref: '#/$defs/Node' } },
    $defs: { Node: { type: 'object', properties: { name: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/Node' } } } } },
  });
  t.same(rejected(tree), []);
  const children = (tree.properties as J).root.properties.children;
  t.same(children.items, { type: 'object', description: 'See: Node' }, 'the second visit of a recursive ref becomes a described object');
});

t.test('in-memory cycles and deep nesting terminate', async (t) => {
  const a: J = { type: 'object', properties: {} };
  a.properties.self = a;
  a.properties.name = { type: 'string' };
  const out = toGeminiSchema(a);
  t.same(rejected(out), []);
  t.same((out.properties as J).self, { type: 'object', description: 'Recursive structure.' });
  let deep: J = { type: 'string' };
  for (let i = 0; i < 500; i++) deep = { type: 'object', properties: { d: deep } };
  t.same(rejected(toGeminiSchema(deep)), []);
});

t.test('type arrays, nullable, unions', async (t) => {
  const out = toGeminiSchema({
    type: 'object',
    properties: {
      a: { type: ['string', 'null'] },
      b: { type: ['integer', 'string'] },
      c: { anyOf: [{ type: 'string' }, { type: 'null' }], description: 'maybe' },
      d: { oneOf: [{ const: 'asc' }, { const: 'desc' }] },
      e: { anyOf: [{ type: 'string' }, { type: 'object', properties: { q: { type: 'string' } } }] },
      f: { allOf: [{ type: 'object', properties: { p: { type: 'string' } }, required: ['p'] }, { properties: { r: { type: 'integer' } }, required: ['r'] }] },
      g: { type: 'string', enum: ['x', null] },
      h: { type: 'integer', enum: [1, 2, 3] },
      i: { enum: [1, 'two'] },
      j: { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } }, anyOf: [{ required: ['a'] }, { required: ['b'] }] },
    },
  });
  t.same(rejected(out), []);
  const p = out.properties as J;
  t.same(p.a, { type: 'string', nullable: true });
  t.same(p.b, { type: 'integer', description: 'Accepts: integer | string' });
  t.same(p.c, { type: 'string', description: 'maybe', nullable: true });
  t.same(p.d, { type: 'string', enum: ['asc', 'desc'] });
  t.same(p.e, { type: 'object', description: 'Accepts: string | object', properties: { q: { type: 'string' } } });
  t.same(p.f, { type: 'object', properties: { p: { type: 'string' }, r: { type: 'integer' } }, required: ['p', 'r'] });
  t.same(p.g, { type: 'string', enum: ['x'], nullable: true });
  t.same(p.h, { type: 'integer', description: 'Allowed values: 1, 2, 3' }, 'numeric enums keep their type');
  t.same(p.i, { type: 'string', enum: ['1', 'two'] }, 'an untyped mixed enum is read as strings');
  t.same(p.j, { type: 'object', properties: { a: { type: 'string' }, b: { type: 'string' } } }, '"at least one of" constraints make neither required');
});

t.test('object and array shapes Gemini insists on', async (t) => {
  const out = toGeminiSchema({
    properties: {
      empty: { type: 'object', properties: {} },
      free: { type: 'object', additionalProperties: { type: 'string' } },
      implicit: { properties: { z: { type: 'string' } }, required: ['z'] },
      list: { type: 'array' },
      tuple: { type: 'array', items: [{ type: 'number' }, { type: 'string' }] },
      str: { type: 'string', properties: { bogus: { type: 'string' } }, required: ['bogus'] },
      mcp: { type: 'string', required: true },
      any: {},
      upper: { type: 'STRING' },
    },
  });
  t.same(rejected(out), []);
  const p = out.properties as J;
  t.same(p.empty, { type: 'object' });
  t.same(p.free, { type: 'object' });
  t.same(p.implicit, { type: 'object', properties: { z: { type: 'string' } }, required: ['z'] });
  t.same(p.list, { type: 'array', items: { type: 'string' } });
  t.same(p.tuple, { type: 'array', items: { type: 'number' } });
  t.same(p.str, { type: 'string' });
  t.same(p.any, { type: 'string' });
  t.same(p.upper, { type: 'string' });
  t.same(out.required, ['mcp'], 'boolean required on a property promoted to the parent');
  t.notOk(hasGeminiParameters(toGeminiSchema({ type: 'object', properties: {} })), 'argument-less function: no parameters');
  t.ok(hasGeminiParameters(out));
});

t.test('never throws on weird input', async (t) => {
  const weird: unknown[] = [null, undefined, 5, 'x', [], true, { type: 123 }, { properties: 'x' }, { properties: { a: null, b: 5, c: [] } }, { items: 7, type: 'array' },
    { enum: 'x' }, { required: 'a', properties: { a: {} } }, { anyOf: [] }, { oneOf: [null, 3] }, { allOf: 'x' }, { $ref: 5 }, { $ref: '#/nope/x' }, { $ref: '#/%E0%A4%A' },
    { type: ['null'] }, { type: [] }, { const: null }, { properties: { x: { $ref: '#' } } }, { minItems: 'lots', type: 'array' }];
  for (const w of weird) {
    t.doesNotThrow(() => {
      const out = toGeminiSchema(w);
      const bad = rejected(out);
      if (bad.length) throw new Error(bad.join('; '));
    }, JSON.stringify(w) ?? String(w));
  }
  t.same(toGeminiSchema(null), { type: 'object' });
  t.same(toGeminiSchema({ type: 'string' }), { type: 'object' }, 'a scalar root means no parameters');
});

t.test('a realistic pydantic/zod schema comes out clean', async (t) => {
  const pydantic = {
    $defs: {
      Priority: { enum: ['low', 'high'], title: 'Priority', type: 'string' },
      Label: { properties: { name: { title: 'Name', type: 'string' }, color: { anyOf: [{ type: 'string' }, { type: 'null' }], default: null, title: 'Color' } }, required: ['name'], title: 'Label', type: 'object' },
    },
    properties: {
      title: { title: 'Title', type: 'string', minLength: 1 },
      priority: { $ref: '#/$defs/Priority', default: 'low' },
      labels: { items: { $ref: '#/$defs/Label' }, title: 'Labels', type: 'array' },
      due: { anyOf: [{ format: 'date', type: 'string' }, { type: 'null' }], default: null, title: 'Due' },
    },
    required: ['title'],
    title: 'CreateIssue',
    type: 'object',
    additionalProperties: false,
    $schema: 'https://json-schema.org/draft/2020-12/schema',
  };
  const out = toGeminiSchema(pydantic);
  t.same(rejected(out), []);
  t.same(out, {
    type: 'object',
    properties: {
      title: { type: 'string', minLength: 1 },
      priority: { type: 'string', enum: ['low', 'high'] },
      labels: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, color: { type: 'string', nullable: true } }, required: ['name'] } },
      due: { type: 'string', nullable: true },
    },
    required: ['title'],
  });
});

t.test('lowerSchemaTypes: @google/genai schemas to JSON Schema', async (t) => {
  const sdk = {
    type: 'OBJECT',
    properties: {
      q: { type: 'STRING', enum: ['OBJECT', 'A'] },
      n: { type: 'INTEGER', nullable: true },
      list: { type: 'ARRAY', items: { type: 'NUMBER' }, minItems: '1', maxItems: '3' },
      alt: { anyOf: [{ type: 'BOOLEAN' }, { type: 'STRING' }] },
      TYPE: { type: 'TYPE_UNSPECIFIED', description: 'd' },
    },
    required: ['q'],
  };
  t.same(lowerSchemaTypes(sdk), {
    type: 'object',
    properties: {
      q: { type: 'string', enum: ['OBJECT', 'A'] },
      n: { type: ['integer', 'null'] },
      list: { type: 'array', items: { type: 'number' }, minItems: 1, maxItems: 3 },
      alt: { anyOf: [{ type: 'boolean' }, { type: 'string' }] },
      TYPE: { description: 'd' },
    },
    required: ['q'],
  });
  t.same(sdk.type, 'OBJECT', 'input not mutated');
  const cyc: J = { type: 'OBJECT', properties: {} };
  cyc.properties.me = cyc;
  const low = lowerSchemaTypes(cyc) as J;
  t.equal(low.type, 'object');
  t.equal(low.properties.me, low, 'cycles preserved, not followed forever');
  t.equal(lowerSchemaTypes('x'), 'x');
  t.same(toGeminiSchema(lowerSchemaTypes(sdk)), {
    type: 'object',
    properties: {
      q: { type: 'string', enum: ['OBJECT', 'A'] },
      n: { type: 'integer', nullable: true },
      list: { type: 'array', items: { type: 'number' }, minItems: 1, maxItems: 3 },
      alt: { type: 'boolean', description: 'Accepts: boolean | string' },
      TYPE: { type: 'string', description: 'd' },
    },
    required: ['q'],
  }, 'lower → clean round trip');
});

t.test('function names', async (t) => {
  t.equal(sanitizeFunctionName('get_weather'), 'get_weather');
  t.equal(sanitizeFunctionName('mcp__github/create issue'), 'mcp__github_create_issue');
  t.equal(sanitizeFunctionName('9lives'), '_9lives');
  t.equal(sanitizeFunctionName('-x'), '_-x');
  t.equal(sanitizeFunctionName(''), '_');
  t.equal(sanitizeFunctionName('ns.tool:v1-beta'), 'ns.tool:v1-beta');
  const long = `a${'b'.repeat(100)}`;
  const s = sanitizeFunctionName(long);
  t.equal(s.length, 64);
  t.not(sanitizeFunctionName(`${long}1`), sanitizeFunctionName(`${long}2`), 'truncated names stay distinct');
  for (const n of ['é', '🙂tool', 'a b', long]) t.match(sanitizeFunctionName(n), /^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$/);

  const m = buildToolNameMap(['a/b', 'a_b', 'ok', 'a/b']);
  t.equal(m.toUpstream.get('a_b'), 'a_b');
  t.match(m.toUpstream.get('a/b'), /^a_b_[0-9a-f]{8}$/, 'the renamed one moves aside, the valid one keeps its name');
  t.equal(m.toClient.get(m.toUpstream.get('a/b')!), 'a/b', 'reversible');
  t.notOk(m.toClient.has('ok'), 'unchanged names need no mapping');
  t.equal(m.toClient.size, 1);
});
