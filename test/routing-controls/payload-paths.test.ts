// JSON paths and rule application as pure functions: copy-on-write (a client
// object shared with the next credential tried is never changed), default vs
// override order, rule matching and its bounded cache.
import t from 'tap';
import { hasJsonPath, MAX_PATH_INDEX, parseJsonPath, setJsonPath } from '../../pipelines/json-path.js';
import { applyPayload } from '../../pipelines/payload-apply.js';
import { payloadFor } from '../../lib/routing/payload-rules.js';
import { sameFormatBody } from '../../lib/providers/patches.js';
import type { PayloadConfig } from '../../lib/config/types.js';

t.test('paths', async (t) => {
  t.same(parseJsonPath('generationConfig.thinkingConfig.thinkingBudget'), ['generationConfig', 'thinkingConfig', 'thinkingBudget']);
  t.same(parseJsonPath('tools.0.name'), ['tools', '0', 'name']);
  t.same(parseJsonPath('a\\.b.c'), ['a.b', 'c'], 'escaped dot');
  t.equal(parseJsonPath('a..b'), undefined);
  t.equal(parseJsonPath(''), undefined);
  t.ok(hasJsonPath({ a: { b: null } }, ['a', 'b']), 'null is present');
  t.notOk(hasJsonPath({ a: [1] }, ['a', '1']));
  t.ok(hasJsonPath({ a: [1] }, ['a', '0']));
});

t.test('set is copy-on-write below the top level', async (t) => {
  const inner = { tools: [{ name: 'x', parameters: { type: 'object' } }] };
  const client = { tools: inner.tools, keep: { deep: 1 } };
  const body = { ...client };
  t.ok(setJsonPath(body, ['tools', '0', 'name'], 'y'));
  t.equal(inner.tools[0]!.name, 'x', 'the client array and object are not modified');
  t.equal((body.tools as any)[0].name, 'y');
  t.equal((body.tools as any)[0].parameters, inner.tools[0]!.parameters, 'untouched siblings are shared, not copied');
  t.equal(body.keep, client.keep);
  const b2: Record<string, unknown> = {};
  t.ok(setJsonPath(b2, ['a', '2', 'b'], true));
  t.same(b2, { a: [null, null, { b: true }] }, 'missing arrays are made and padded (sjson)');
  t.ok(setJsonPath(b2, ['a', '-1'], 'end'), '-1 appends');
  t.equal((b2.a as unknown[]).length, 4);
  t.notOk(setJsonPath({ a: [] }, ['a', 'name'], 1), 'a name into an array is refused');
  t.notOk(setJsonPath({ a: [] }, ['a', String(MAX_PATH_INDEX + 1)], 1), 'a huge index is refused');
  const value = { nested: [1] };
  const b3: Record<string, unknown> = {};
  setJsonPath(b3, ['v'], value);
  (b3.v as any).nested.push(2);
  t.same(value, { nested: [1] }, 'the configured value is copied per body');
});

t.test('defaults: first wins and never replace; overrides: last wins', async (t) => {
  const body: Record<string, unknown> = { a: 1 };
  applyPayload(body, { defaults: [[['a'], 9], [['b'], 2], [['b'], 3]], overrides: [[['c'], 1], [['c'], 2]] }, 'openai-chat');
  t.same(body, { a: 1, b: 2, c: 2 });
  const cli: Record<string, unknown> = { project: 'p', request: { contents: [] } };
  applyPayload(cli, { defaults: [[['generationConfig', 'x'], 1]], overrides: [] }, 'gemini-cli');
  t.same(cli, { project: 'p', request: { contents: [], generationConfig: { x: 1 } } }, 'Gemini CLI: under request');
});

t.test('matching: model glob and protocol; no rules, no work; the cache is bounded', async (t) => {
  const cfg: PayloadConfig = {
    default: [{ models: [{ name: 'gemini-*', protocol: 'gemini' }], params: { 'a.b': 1 } }],
    override: [{ models: [{ name: 'gpt-*', protocol: '' }], params: { c: 2 } }],
  };
  t.same(payloadFor(cfg, 'gemini-2.5-pro', 'gemini-cli'), { defaults: [[['a', 'b'], 1]], overrides: [] }, 'gemini-cli speaks the gemini protocol');
  t.equal(payloadFor(cfg, 'gemini-2.5-pro', 'openai-chat'), undefined, 'protocol mismatch');
  t.same(payloadFor(cfg, 'gpt-5', 'codex')?.overrides, [[['c'], 2]], 'no protocol = any');
  t.equal(payloadFor({ default: [], override: [] }, 'gpt-5', 'codex'), undefined);
  t.equal(payloadFor(undefined, 'gpt-5', 'codex'), undefined);
  for (let i = 0; i < 5000; i++) payloadFor(cfg, `gpt-${i}`, 'codex');
  t.pass('many client-chosen names: the cache is cleared at its cap');
});

t.test('a same-format body: the client object is left as it was for the next credential', async (t) => {
  const client = { model: 'gpt-mock', tools: [{ function: { name: 'a' } }], generationConfig: { t: 1 } };
  const snapshot = structuredClone(client);
  const spec = { kind: 'openai-compat' as const, ctx: { oauth: false, projectId: '', upstreamModel: 'gpt-up', action: 'generate' as const, stream: false }, noExecutorPatch: true, format: 'openai-chat' as const, thinking: 'high', payload: { defaults: [], overrides: [[['tools', '0', 'function', 'name'], 'b']] as [string[], unknown][] } };
  const first = sameFormatBody(client, 'gpt-up', spec);
  const second = sameFormatBody(client, 'gpt-up', spec);
  t.same(client, snapshot, 'unchanged');
  t.same(first.body, second.body, 'each attempt gets the same result');
  t.equal((first.body as any).tools[0].function.name, 'b');
  t.equal((first.body as any).reasoning_effort, 'high');
});
