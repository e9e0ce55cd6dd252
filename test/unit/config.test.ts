import { readFileSync } from 'node:fs';
import t from 'tap';
import { ConfigError, defaultConfig, parseConfig } from '../../lib/config/load.js';

t.test('embedded default: loopback 8317, no keys, no providers', async (t) => {
  const c = defaultConfig();
  t.equal(c.host, '127.0.0.1');
  t.equal(c.port, 8317);
  t.same(c.apiKeys, []);
  t.same(c.openaiCompatibility, []);
  t.equal(c.requestRetry, 3);
  t.equal(c.maxBodySize, 50 * 1024 * 1024);
  t.equal(c.routing.strategy, 'round-robin');
  t.equal(c.quotaExceeded.switchProject, true);
});

t.test('config.example.yaml loads without warnings', async (t) => {
  const text = readFileSync(new URL('../../config.example.yaml', import.meta.url), 'utf8');
  const { config, warnings } = parseConfig(text, 'config.example.yaml');
  t.same(warnings, []);
  t.equal(config.port, 8317);
});

t.test('openai-compatibility: entries, legacy api-keys migrate, aliases', async (t) => {
  const { config } = parseConfig(`
openai-compatibility:
  - name: router
    base-url: https://example.test/api/v1
    api-key-entries:
      - api-key: k1
        proxy-url: socks5://u:p@127.0.0.1:1080
    api-keys: [k1, k2]
    models:
      - name: vendor/model-a
        alias: a
`);
  const p = config.openaiCompatibility[0]!;
  t.same(p.apiKeyEntries, [
    { apiKey: 'k1', proxyUrl: 'socks5://u:p@127.0.0.1:1080' },
    { apiKey: 'k2', proxyUrl: '' },
  ]);
  t.same(p.models, [{ name: 'vendor/model-a', alias: 'a' }]);
});

t.test('legacy generative-language-api-key joins gemini-api-key', async (t) => {
  const { config } = parseConfig(`
gemini-api-key:
  - api-key: g1
generative-language-api-key: [g1, g2]
`);
  t.same(config.geminiApiKey.map((k) => k.apiKey), ['g1', 'g2']);
});

t.test('sizes accept units', async (t) => {
  t.equal(parseConfig('max-body-size: 2MiB').config.maxBodySize, 2 * 1024 * 1024);
  t.equal(parseConfig('max-body-size: 1000').config.maxBodySize, 1000);
});

function errorOf(text: string): string {
  try {
    parseConfig(text, 'my.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

t.test('syntax errors name file, line and column', async (t) => {
  t.match(errorOf('port: 8317\napi-keys: [a, b\n'), /^my\.yaml:\d+:\d+: YAML syntax error/);
});

t.test('wrong types name the key and its line', async (t) => {
  t.equal(errorOf('debug: false\nport: "eighty"\n'), 'my.yaml:2:7: port: expected a whole number, got "eighty"');
  t.equal(errorOf('request-retry: -1'), 'my.yaml:1:16: request-retry: must be at least 0');
  t.match(errorOf('debug: yes please'), /^my\.yaml:1:8: debug: expected true or false/);
  t.match(errorOf('api-keys: abc'), /api-keys: expected a list of strings/);
  t.match(errorOf('routing:\n  strategy: random'), /my\.yaml:2:13: routing\.strategy: expected one of round-robin, fill-first/);
});

t.test('unknown provider fields are errors, with a hint', async (t) => {
  const msg = errorOf(`
openai-compatibility:
  - name: x
    base-url: http://127.0.0.1:1/v1
    api-key: oops
`);
  t.match(msg, /^my\.yaml:5:5: openai-compatibility\[0\]\.api-key: unknown key "api-key" \(did you mean "api-keys"\?\)/);
  t.match(errorOf('claude-api-key:\n  - api-key: k\n    bse-url: x\n'), /my\.yaml:3:5: claude-api-key\[0\]\.bse-url: unknown key/);
});

t.test('unknown top-level keys only warn', async (t) => {
  const { warnings } = parseConfig('port: 1\nfuture-feature: true\n', 'my.yaml');
  t.equal(warnings.length, 1);
  t.match(warnings[0], /my\.yaml:2:1: future-feature: unknown key/);
});

t.test('semantic checks: required fields, URLs, duplicates', async (t) => {
  t.match(errorOf('openai-compatibility:\n  - name: x\n'), /my\.yaml:2:5: openai-compatibility\[0\]: base-url is required for provider "x"/);
  t.match(errorOf('openai-compatibility:\n  - base-url: http://a/v1\n'), /name is required/);
  t.match(errorOf('openai-compatibility:\n  - name: x\n    base-url: not a url\n'), /my\.yaml:3:15: openai-compatibility\[0\]\.base-url: not a valid URL/);
  t.match(errorOf('proxy-url: ftp://x:1\n'), /proxy-url must be http:\/\/, https:\/\/ or socks5:\/\//);
  t.match(errorOf('openai-compatibility:\n  - name: x\n    base-url: http://a/v1\n  - name: x\n    base-url: http://b/v1\n'), /duplicate provider name "x"/);
  t.match(errorOf('claude-api-key:\n  - base-url: http://a\n'), /claude-api-key\[0\]: api-key is required/);
  t.match(errorOf('port: 1\nport: 2\n'), /my\.yaml:2:1: YAML syntax error: Map keys must be unique/);
});

t.test('an empty or comment-only file is the default config', async (t) => {
  t.same(parseConfig('# nothing\n').config, defaultConfig());
});

t.test('legacy auth.providers: config-api-key keys join api-keys, deduplicated, with a warning', async (t) => {
  const { config, warnings } = parseConfig(
    `api-keys: [a, b]
auth:
  providers:
    - name: config-inline
      type: config-api-key
      api-keys: [b, c]
    - type: config-api-key
      api-keys: [c, d, ""]
`,
    'my.yaml',
  );
  t.same(config.apiKeys, ['a', 'b', 'c', 'd']);
  t.same(warnings, ['my.yaml:2:1: auth: legacy block (older CLIProxyAPI): its 2 config-api-key key(s) are accepted as client keys along with api-keys; move them to api-keys and remove the block']);
  t.notOk('legacyAuth' in config, 'the block is not part of the typed config');
  t.same(parseConfig('auth:\n  providers:\n    - type: config-api-key\n      api-keys: [only]\n').config.apiKeys, ['only'], 'a legacy block alone gives the client keys');
});

t.test('legacy auth.providers: other types and fields warn; a block that yields no key is refused', async (t) => {
  const { config, warnings } = parseConfig(
    `auth:
  providers:
    - name: ext
      type: some-sdk-provider
      sdk: github.com/x/y
      config: { a: 1 }
    - type: config-api-key
      api-keys: [k]
`,
    'my.yaml',
  );
  t.same(config.apiKeys, ['k']);
  t.equal(warnings.length, 3);
  t.match(warnings[0], /my\.yaml:6:7: auth\.providers\[0\]\.config: unknown key "config"; ignored/);
  t.match(warnings[1], /my\.yaml:3:7: auth\.providers\[0\]: type "some-sdk-provider" is not supported \(only "config-api-key"\); ignored/);
  t.match(warnings[2], /my\.yaml:1:1: auth: legacy block/);
  t.match(errorOf('auth:\n  providers:\n    - type: config-api-key\n      api-keys: []\n'), /^my\.yaml:2:3: auth\.providers: the legacy auth block asks for client authentication but gives no key; refusing to run without a client-key check/);
  t.match(errorOf('auth:\n  providers:\n    - type: some-sdk-provider\n'), /refusing to run without a client-key check/);
  t.same(parseConfig('api-keys: [x]\nauth:\n  providers:\n    - type: some-sdk-provider\n').config.apiKeys, ['x'], 'api-keys still guard the gateway');
  const empty = parseConfig('auth: {}\n', 'my.yaml');
  t.same(empty.config.apiKeys, []);
  t.same(empty.warnings, ['my.yaml:1:1: auth: legacy block (older CLIProxyAPI): it adds no client key; remove it']);
  t.match(errorOf('auth:\n  providers:\n    - type: config-api-key\n      api-keys: k\n'), /my\.yaml:4:17: auth\.providers\[0\]\.api-keys: expected a list of strings/);
});
