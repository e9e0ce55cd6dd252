// Alias rules as the registry applies them: several aliases of one model, the
// reasoning level an alias carries (Target.thinking), fork, the per-channel
// oauth-model-alias for accounts only, the provider-independent model-aliases
// for every credential, and the config errors for bad rules.
import t from 'tap';
import { parseConfig } from '../../lib/config/load.js';
import { fileControls } from '../../lib/auth/credential.js';
import { credentialsFromConfig, type Credential } from '../../lib/routing/credentials.js';
import { ModelRegistry } from '../../lib/routing/registry.js';
import { servedModels } from '../../lib/routing/model-aliases.js';

function account(provider: Credential['provider'], models: string[], extra: Partial<Credential> = {}): Credential {
  return { id: `${provider}:file:${models[0]}`, provider, label: provider, baseUrl: '', apiKey: '', proxyUrl: '', headers: {}, models: new Map(models.map((m) => [m, m])), disabled: false, ...extra };
}

const registryOf = (yaml: string, extra: Credential[] = []) => {
  const cfg = parseConfig(yaml, 't.yaml').config;
  return new ModelRegistry([...credentialsFromConfig(cfg), ...extra], (c) => c.provider, cfg);
};

t.test('a key may give one upstream model several aliases; each routes to it', async (t) => {
  const reg = registryOf(`
codex-api-key:
  - api-key: k1
    models:
      - { name: gpt-5, alias: fast }
      - { name: gpt-5, alias: smart }
      - { name: gpt-5-codex }
`);
  t.same(reg.list().map((m) => m.id), ['fast', 'smart', 'gpt-5-codex']);
  t.same([reg.targets('fast')[0]!.upstreamModel, reg.targets('smart')[0]!.upstreamModel], ['gpt-5', 'gpt-5']);
  t.same(reg.targets('gpt-5'), [], 'an aliased name is not served under its upstream name');
});

t.test('an alias whose name carries a level sets Target.thinking', async (t) => {
  const reg = registryOf(`
codex-api-key:
  - api-key: k1
    models:
      - { name: "gpt-5(high)", alias: gpt-5-deep }
      - { name: "gpt-5(low)", alias: gpt-5-quick }
      - { name: "gpt-5(2048)", alias: gpt-5-budget }
      - { name: gpt-5, alias: gpt-5-plain }
model-aliases:
  - { name: "gpt-5-plain(minimal)", alias: gpt-5-min, fork: true }
`);
  t.match(reg.targets('gpt-5-deep')[0], { upstreamModel: 'gpt-5', thinking: 'high' });
  t.match(reg.targets('gpt-5-quick')[0], { upstreamModel: 'gpt-5', thinking: 'low' });
  t.match(reg.targets('gpt-5-budget')[0], { upstreamModel: 'gpt-5', thinking: 2048 });
  t.equal(reg.targets('gpt-5-plain')[0]!.thinking, undefined, 'no level: the request decides');
  t.match(reg.targets('gpt-5-min')[0], { upstreamModel: 'gpt-5', thinking: 'minimal' }, 'a global alias may carry a level too');
});

t.test('oauth-model-alias renames for accounts of its channel only; fork keeps the original', async (t) => {
  const codexAccount = account('codex', ['gpt-5', 'gpt-5-codex']);
  const claudeAccount = account('claude', ['claude-sonnet-4-5-20250929']);
  const reg = registryOf(
    `
codex-api-key:
  - api-key: k1
    base-url: http://127.0.0.1:1
oauth-model-alias:
  codex:
    - { name: gpt-5, alias: g5 }
    - { name: gpt-5, alias: g5-too }
    - { name: gpt-5-codex, alias: g5c, fork: true }
  claude:
    - { name: claude-sonnet-4-5-20250929, alias: cs45 }
`,
    [codexAccount, claudeAccount],
  );
  t.same(reg.targets('g5').map((x) => x.credential.id), [codexAccount.id], 'the API key is not reached by the OAuth channel');
  t.same(reg.targets('g5-too').map((x) => x.upstreamModel), ['gpt-5']);
  t.same(reg.targets('gpt-5').map((x) => x.credential.configured), [true], 'the account no longer serves gpt-5; the key still does');
  t.same(reg.targets('gpt-5-codex').length, 2, 'fork: the account keeps gpt-5-codex');
  t.same(reg.targets('g5c').length, 1);
  t.same(reg.targets('cs45').map((x) => x.upstreamModel), ['claude-sonnet-4-5-20250929']);
  t.same(reg.targets('claude-sonnet-4-5-20250929'), [], 'no claude key, and the account only answers to the alias');
});

t.test('oauth-model-mappings (older name) is read when oauth-model-alias is absent', async (t) => {
  const reg = registryOf(`oauth-model-mappings:\n  qwen:\n    - { name: qwen3-coder-plus, alias: coder }\n`, [account('qwen', ['qwen3-coder-plus'])]);
  t.equal(reg.targets('coder').length, 1);
});

t.test('model-aliases applies to keys and accounts alike; a token file rule wins over global ones', async (t) => {
  const own = fileControls({ model_aliases: [{ name: 'gpt-5', alias: 'mine' }, { name: 'gpt-5', alias: 'shared' }] });
  const acct = account('codex', ['gpt-5'], own);
  const reg = registryOf(
    `
openai-compatibility:
  - name: p
    base-url: http://127.0.0.1:1/v1
    api-key-entries: [{ api-key: k1 }]
    models: [{ name: up-1, alias: gpt-5 }]
model-aliases:
  - { name: gpt-5, alias: shared, fork: true }
  - { name: "gpt-5(high)", alias: shared }
`,
    [acct],
  );
  t.same(reg.targets('shared').map((x) => [x.credential.provider, x.upstreamModel, x.thinking]), [['openai-compat', 'up-1', undefined], ['codex', 'gpt-5', undefined]], 'the first rule naming an alias owns it');
  t.same(reg.targets('gpt-5').map((x) => x.credential.provider), ['openai-compat'], 'the global fork rule lost "shared" to the token file rule, so the account hides gpt-5; the key keeps it');
  t.same(reg.targets('mine').map((x) => x.credential.provider), ['codex']);

  // The same alias for two different models: the token file's rule decides, whatever the catalogue order.
  const both = account('codex', ['gpt-5', 'gpt-5-codex'], fileControls({ model_aliases: [{ name: 'gpt-5-codex', alias: 'x' }] }));
  const reg2 = registryOf('model-aliases:\n  - { name: gpt-5, alias: x }\n', [both]);
  t.same(reg2.targets('x').map((x) => x.upstreamModel), ['gpt-5-codex']);
  t.same(reg2.targets('gpt-5').length, 1, 'the global rule for gpt-5 lost its alias: gpt-5 keeps its own name');
});

t.test('servedModels: case-insensitive rule match, alias equal to name ignored, excluded aliases vanish', async (t) => {
  const models = new Map([['GPT-5', 'gpt-5'], ['o3', 'o3']]);
  const served = servedModels(models, (m) => m === 'nope', [
    { name: 'gpt-5', alias: 'x', fork: false },
    { name: 'gpt-5', alias: 'nope', fork: false },
    { name: 'o3', alias: 'O3', fork: false },
  ]);
  t.same(served.map((m) => m.id), ['x', 'o3'], 'the O3 rule names the model itself: ignored');
});

t.test('config errors name the bad alias rule', async (t) => {
  const err = (yaml: string) => {
    try {
      parseConfig(yaml, 'c.yaml');
      return '';
    } catch (e) {
      return (e as Error).message;
    }
  };
  t.match(err('model-aliases:\n  - { name: gpt-5 }\n'), /c\.yaml:\d+:\d+: model-aliases: \[0\]: "alias" must name the client-visible model/);
  t.match(err('model-aliases:\n  - { name: "", alias: a }\n'), /model-aliases: \[0\]: "name" must name a model/);
  t.match(err('model-aliases:\n  - { name: "gpt-5(warp)", alias: a }\n'), /model-aliases: \[0\]: .*not a level/);
  t.match(err('oauth-model-alias:\n  codex:\n    - { name: gpt-5, alias: "g(5)" }\n'), /oauth-model-alias: codex\[0\]: the alias "g\(5\)" must not contain parentheses/);
  t.match(err('oauth-model-alias:\n  codex: [{ name: gpt-5, alias: g, fork: maybe }]\n'), /oauth-model-alias\.codex\[0\]\.fork: expected true or false/);
  t.match(err('claude-api-key:\n  - api-key: k\n    models: [{ name: "claude-x(", alias: x }]\n'), /claude-api-key\[0\]\.models: \[0\]: .*malformed/);
  t.match(err('oauth-model-alias: [a]\n'), /oauth-model-alias: expected a mapping/);
  t.match(err('codex-api-key:\n  - api-key: k\n    models: [{ name: "gpt-5(high)" }]\n'), /codex-api-key\[0\]\.models: \[0\]: "gpt-5\(high\)" needs an alias/);
  const { warnings } = parseConfig('oauth-model-alias:\n  antigravity:\n    - { name: a, alias: b }\n  codex:\n    - { name: gpt-5, alias: g5, display-name: G5 }\n', 'c.yaml');
  t.match(warnings.join('\n'), /oauth-model-alias\.antigravity: unknown key/, 'a channel this gateway does not serve only warns');
  t.match(warnings.join('\n'), /display-name: unknown key/);
});
