// oauth-endpoints: defaults (the providers' own hosts and callback ports) and validation.
import t from 'tap';
import { ConfigError, parseConfig } from '../../lib/config/load.js';

t.test('defaults: empty hosts (built-in), reference callback ports', async (t) => {
  const { config } = parseConfig('');
  t.same(
    Object.fromEntries(Object.entries(config.oauthEndpoints).map(([k, v]) => [k, v.callbackPort])),
    { geminiCli: 8085, claude: 54545, codex: 1455, qwen: 0, iflow: 11451 },
  );
  t.equal(config.oauthEndpoints.claude.tokenUrl, '');
});

t.test('overrides and errors name file, line and key', async (t) => {
  const { config } = parseConfig('oauth-endpoints:\n  codex:\n    token-url: http://127.0.0.1:9/token\n    callback-port: 0\n');
  t.equal(config.oauthEndpoints.codex.tokenUrl, 'http://127.0.0.1:9/token');
  t.equal(config.oauthEndpoints.codex.callbackPort, 0);
  t.throws(() => parseConfig('oauth-endpoints:\n  claude:\n    token-url: "ftp://x"\n', 'c.yaml'), new ConfigError('c.yaml:3:16: oauth-endpoints.claude.token-url: base-url must be http:// or https://'));
  t.throws(() => parseConfig('oauth-endpoints:\n  claude:\n    tokn-url: x\n', 'c.yaml'), /c\.yaml:3:5: oauth-endpoints\.claude\.tokn-url: unknown key "tokn-url"/);
  t.throws(() => parseConfig('oauth-endpoints:\n  iflow:\n    callback-port: 70000\n', 'c.yaml'), /must be at most 65535/);
});
