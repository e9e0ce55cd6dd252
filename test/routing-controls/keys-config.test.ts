// api-keys object entries in config: parsed beside plain strings, each
// mistake refused with a message naming the place (never the key itself).
import t from 'tap';
import { ConfigError, parseConfig } from '../../lib/config/load.js';


t.test('strings and objects side by side', async (t) => {
  const { config } = parseConfig('api-keys:\n  - plain-1\n  - key: team-a\n    models: ["gpt-*", "*-thinking"]\n    max-requests-per-minute: 30\n  - key: team-b\n', 'c.yaml');
  t.same(config.apiKeys, ['plain-1', 'team-a', 'team-b'], 'every key is a client key');
  t.same(config.apiKeySettings, [
    { key: 'team-a', models: ['gpt-*', '*-thinking'], maxRequestsPerMinute: 30 },
    { key: 'team-b', models: [], maxRequestsPerMinute: 0 },
  ]);
  const plain = parseConfig('api-keys: [a, b]\n', 'c.yaml').config;
  t.same(plain.apiKeys, ['a', 'b'], 'plain lists unchanged');
  t.same(plain.apiKeySettings, []);
  const legacy = parseConfig('api-keys:\n  - key: team-a\n    models: [x]\nauth:\n  providers:\n    - name: p\n      type: config-api-key\n      api-keys: [old-key]\n', 'c.yaml').config;
  t.same(legacy.apiKeys, ['team-a', 'old-key'], 'legacy auth keys still join');
});

t.test('each mistake is a ConfigError naming the entry', async (t) => {
  const refuses = (_t: unknown, yaml: string, pattern: RegExp, why: string) => t.throws(() => parseConfig(yaml, 'c.yaml'), { name: 'ConfigError', message: pattern }, why);
  refuses(t, 'api-keys:\n  - key: ""\n', /c\.yaml:2:3: api-keys: \[0\]: "key" is required/, 'empty key');
  refuses(t, 'api-keys:\n  - models: [a]\n', /\[0\]: "key" is required/, 'no key');
  refuses(t, 'api-keys:\n  - key: k1\n    models: [""]\n', /\[0\]\.models\[0\]: a model pattern must be a non-empty string/, 'empty pattern');
  refuses(t, 'api-keys:\n  - key: k1\n    models: "gpt-*"\n', /api-keys\[0\]\.models: expected a list of strings/, 'models not a list');
  refuses(t, 'api-keys:\n  - key: k1\n    max-requests-per-minute: -1\n', /c\.yaml:3:30: api-keys\[0\]\.max-requests-per-minute: must be at least 0/, 'negative rate');
  refuses(t, 'api-keys:\n  - key: k1\n    max-requests-per-minute: fast\n', /max-requests-per-minute: expected a whole number/, 'rate not a number');
  refuses(t, 'api-keys:\n  - key: k1\n    max-requests-per-minute: 9999999999\n', /must be at most 1000000/, 'absurd rate');
  refuses(t, 'api-keys:\n  - key: k1\n    modles: [a]\n', /api-keys\[0\]\.modles: unknown key "modles"/, 'unknown field');
  refuses(t, 'api-keys:\n  - k1\n  - key: k1\n    models: [a]\n', /\[1\]: this key is listed twice/, 'a key with two entries');
  refuses(t, 'api-keys:\n  - [a]\n', /api-keys\[0\]: expected a single value/, 'a list as an entry');
  try {
    parseConfig('api-keys:\n  - sk-secret-value\n  - key: sk-secret-value\n    models: [a]\n', 'c.yaml');
    t.fail('should throw');
  } catch (err) {
    t.type(err, ConfigError);
    t.notMatch((err as Error).message, /sk-secret-value/, 'the key itself is never in the message');
  }
});
