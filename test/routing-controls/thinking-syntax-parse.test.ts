// parseModelSyntax and the model globs, as pure functions.
import t from 'tap';
import { modelGlob, parseModelSyntax } from '../../lib/routing/model-syntax.js';
import { applyThinking } from '../../pipelines/thinking-apply.js';

t.test('model(value) splits into the routed name and the reasoning', async (t) => {
  t.same(parseModelSyntax('gpt-5'), { model: 'gpt-5' }, 'no parenthesis: as it is');
  t.same(parseModelSyntax('gemini-2.5-pro(8192)'), { model: 'gemini-2.5-pro', thinking: 8192 });
  t.same(parseModelSyntax('claude-sonnet-4-5(HIGH)'), { model: 'claude-sonnet-4-5', thinking: 'high' }, 'levels are case-insensitive');
  t.same(parseModelSyntax('gpt-5(none)'), { model: 'gpt-5', thinking: 'none' });
  t.same(parseModelSyntax('gpt-5(0)'), { model: 'gpt-5', thinking: 0 });
  t.same(parseModelSyntax('gpt-5(auto)'), { model: 'gpt-5', thinking: 'auto' });
  t.same(parseModelSyntax('gpt-5(-1)'), { model: 'gpt-5', thinking: 'auto' });
  t.same(parseModelSyntax('gpt-5(max)'), { model: 'gpt-5', thinking: 'xhigh' }, "the reference's max = xhigh");
  t.same(parseModelSyntax('gpt-5(08192)'), { model: 'gpt-5', thinking: 8192 }, 'leading zeros as the reference');
  for (const [name, why, pattern] of [
    ['gpt-5(', 'unclosed', /malformed/],
    ['gpt-5(high', 'unclosed with a value', /malformed/],
    ['gpt-5)high(', 'reversed', /malformed/],
    ['gpt-5(high)x', 'text after', /malformed/],
    ['gpt-5((high))', 'nested', /malformed/],
    ['gpt-5(a)(b)', 'two suffixes', /malformed/],
    ['(high)', 'no model', /names no model/],
    ['gpt-5()', 'empty', /empty parentheses/],
    ['gpt-5(ultra)', 'unknown level', /"\(ultra\)".*not a level/],
    ['gpt-5(-2)', 'negative', /not a level/],
    ['gpt-5(1.5)', 'fraction', /not a level/],
    ['gpt-5(99999999999)', 'huge', /too large/],
  ] as const) {
    const r = parseModelSyntax(name);
    t.ok('error' in r, `${name}: ${why}`);
    if ('error' in r) t.match(r.error, pattern, `${name}: message`);
  }
});

t.test('globs: * is any run, case-insensitive, linear', async (t) => {
  const g = (p: string, m: string) => modelGlob(p)(m);
  t.ok(g('gpt-*', 'gpt-5'));
  t.ok(g('GPT-*', 'gpt-5'), 'case-insensitive');
  t.ok(g('*-thinking', 'claude-3-7-sonnet-thinking'));
  t.ok(g('gemini-*-pro', 'gemini-2.5-pro'));
  t.ok(g('*', 'anything'));
  t.ok(g('claude-sonnet-4*', 'claude-sonnet-4'));
  t.notOk(g('gpt-*', 'o3'));
  t.notOk(g('gemini-*-pro', 'gemini-2.5-flash'));
  t.notOk(g('a*b*c', 'acb'));
  t.ok(g('a*b*c', 'axbyc'));
  t.notOk(g('ab*ba', 'aba'), 'prefix and suffix may not overlap');
  t.ok(g('exact', 'EXACT'));
  t.notOk(g('exact', 'exact-1'));
  const long = 'a'.repeat(100_000);
  t.notOk(g('*a*a*a*a*b', long), 'no backtracking blow-up');
});

t.test('applyThinking leaves nested client objects untouched', async (t) => {
  const client = { generationConfig: { temperature: 1, thinkingConfig: { thinkingBudget: 5 } } };
  const copy = { ...client };
  applyThinking('gemini', copy, 'gemini-2.5-pro', 'high');
  t.same(client.generationConfig.thinkingConfig, { thinkingBudget: 5 }, 'the shared object is not modified');
  t.equal((copy.generationConfig as any).thinkingConfig.thinkingBudget, 24576);
  const cli = { model: 'm', request: { generationConfig: {} } };
  const cliCopy = { ...cli };
  applyThinking('gemini-cli', cliCopy, 'gemini-2.5-flash', 0);
  t.same(cli.request, { generationConfig: {} });
  t.same((cliCopy.request as any).generationConfig.thinkingConfig, { thinkingBudget: 0, includeThoughts: false });
  const reasoning = { effort: 'low', summary: 'auto' };
  const codex = { reasoning };
  applyThinking('codex', codex, 'gpt-5', 'none');
  t.same(reasoning, { effort: 'low', summary: 'auto' });
  t.same(codex.reasoning, { effort: 'none' });
});

t.test('Claude: dynamic has no budget of its own, so auto thinks at the medium budget', async (t) => {
  const body: Record<string, unknown> = { model: 'claude-sonnet-4-5', max_tokens: 100, top_k: 5, output_config: { effort: 'low' } };
  applyThinking('claude', body, 'claude-sonnet-4-5', 'auto');
  t.same(body.thinking, { type: 'enabled', budget_tokens: 8192 });
  t.equal(body.max_tokens, 8192 + 1024, 'max_tokens raised above the budget');
  t.equal(body.top_k, undefined, 'top_k is refused with thinking');
  t.equal(body.output_config, undefined, 'an effort of its own is dropped (the suffix decides)');
});
