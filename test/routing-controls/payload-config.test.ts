// payload rules in config: parsed as the reference writes them, each mistake
// refused with a message naming the place.
import t from 'tap';
import { parseConfig } from '../../lib/config/load.js';

t.test('rules as the reference example writes them', async (t) => {
  const { config, warnings } = parseConfig(
    [
      'payload:',
      '  default:',
      '    - models:',
      '        - name: "gemini-2.5-pro"',
      '          protocol: "gemini"',
      '      params:',
      '        "generationConfig.thinkingConfig.thinkingBudget": 32768',
      '  override:',
      '    - models: [{ name: "gpt-*", protocol: codex }, { name: "*-thinking" }]',
      '      params: { "reasoning.effort": high, "tools.0.name": x, "metadata": { a: [1, 2] } }',
    ].join('\n'),
    'c.yaml',
  );
  t.same(warnings, []);
  t.same(config.payload, {
    default: [{ models: [{ name: 'gemini-2.5-pro', protocol: 'gemini' }], params: { 'generationConfig.thinkingConfig.thinkingBudget': 32768 } }],
    override: [{ models: [{ name: 'gpt-*', protocol: 'codex' }, { name: '*-thinking', protocol: '' }], params: { 'reasoning.effort': 'high', 'tools.0.name': 'x', metadata: { a: [1, 2] } } }],
  });
  t.same(parseConfig('', 'c.yaml').config.payload, { default: [], override: [] }, 'absent = no rules');
});

t.test('each mistake is a ConfigError naming the rule', async (t) => {
  const refuses = (yaml: string, pattern: RegExp, why: string) => t.throws(() => parseConfig(yaml, 'c.yaml'), { name: 'ConfigError', message: pattern }, why);
  refuses('payload:\n  default:\n    - models: [{ name: "x", protocol: foo }]\n      params: { a: 1 }\n', /payload: default\[0\]\.models\[0\]\.protocol: expected one of openai, gemini, claude, codex.*"foo"/, 'unknown protocol');
  refuses('payload:\n  default:\n    - models: []\n      params: { a: 1 }\n', /default\[0\]: "models" must list at least one/, 'no models');
  refuses('payload:\n  override:\n    - models: [{ name: "" }]\n      params: { a: 1 }\n', /override\[0\]\.models\[0\]\.name: a model pattern must be a non-empty string/, 'empty name');
  refuses('payload:\n  override:\n    - models: [{ name: "x" }]\n      params: {}\n', /override\[0\]: "params" must set at least one JSON path/, 'no params');
  refuses('payload:\n  override:\n    - models: [{ name: "x" }]\n      params: { "a..b": 1 }\n', /override\[0\]\.params: "a\.\.b" is not a JSON path/, 'bad path');
  refuses('payload:\n  override:\n    - models: [{ name: "x" }]\n      params: [a]\n', /c\.yaml:4:15: payload\.override\[0\]\.params: expected a mapping of names to values/, 'params not a mapping');
  refuses('payload:\n  defaults: []\n', /payload\.defaults: unknown key "defaults" \(did you mean "default"\?\)/, 'misspelt section');
  refuses('payload:\n  override:\n    - models: [{ name: "x", protcol: gemini }]\n      params: { a: 1 }\n', /models\[0\]\.protcol: unknown key/, 'misspelt field');
  refuses('payload: [a]\n', /payload: expected a mapping of keys/, 'not a mapping');
});
