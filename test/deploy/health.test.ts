// GET /healthz and /readyz: answered before any client-key check, never
// request-logged, and /readyz follows the checks registered in Readiness.
// Also the shutdown-timeout-seconds key and the compose config example.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { parseConfig } from '../../lib/config/load.js';
import { compatYaml, gatewayFromYaml } from '../helpers/gateway.js';
import { startGatedUpstream } from './gated-upstream.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const KEY = 'client-key-health';

t.test('/healthz and /readyz answer without a client key; a failing check flips /readyz to 503 and back', async (t) => {
  const mock = await startGatedUpstream();
  t.teardown(() => mock.close());
  const gw = await gatewayFromYaml(compatYaml(mock.url, { clientKeys: [KEY], models: [['gated', 'gated']], extra: 'request-log: true' }));
  t.teardown(() => gw.close());

  const models = await fetch(`${gw.url}/v1/models`);
  t.equal(models.status, 401, 'inference routes still need the key');

  const health = await fetch(`${gw.url}/healthz`);
  t.equal(health.status, 200);
  t.same(await health.json(), { status: 'ok' });
  t.equal(health.headers.get('cache-control'), 'no-store');
  const ready = await fetch(`${gw.url}/readyz`);
  t.equal(ready.status, 200);
  t.same(await ready.json(), { status: 'ready' });
  t.equal((await fetch(`${gw.url}/readyz`, { method: 'HEAD' })).status, 200, 'HEAD works for probes that use it');

  let down: string | undefined = 'connection refused';
  const remove = gw.readiness.add({ name: 'probe-store', problem: () => down });
  const failing = await fetch(`${gw.url}/readyz`);
  t.equal(failing.status, 503);
  t.same(await failing.json(), { status: 'unavailable', reasons: ['probe-store: connection refused'] });
  t.equal((await fetch(`${gw.url}/healthz`)).status, 200, '/healthz does not depend on the checks');
  down = undefined;
  t.equal((await fetch(`${gw.url}/readyz`)).status, 200, 'back to ready when the check passes');
  down = 'again';
  remove();
  t.equal((await fetch(`${gw.url}/readyz`)).status, 200, 'a removed check no longer counts');

  // A browser page cannot read them (the browser gate still runs first).
  const fromPage = await fetch(`${gw.url}/readyz`, { headers: { origin: 'https://evil.example' } });
  t.equal(fromPage.status, 403, 'a foreign Origin is refused as on every route');

  // Probes are not request-logged (only upstream calls are).
  const files = () => (existsSync(gw.management.logDir) ? readdirSync(gw.management.logDir, { recursive: true }).length : 0);
  const before = files();
  for (let i = 0; i < 5; i++) await fetch(`${gw.url}/${i % 2 ? 'healthz' : 'readyz'}`);
  t.equal(files(), before, 'request-log is on, and probes wrote nothing');
});

t.test('shutdown-timeout-seconds: default 30, bounds checked with file, line and key', async (t) => {
  t.equal(parseConfig('port: 8317\n', 'c.yaml').config.shutdownTimeoutSeconds, 30);
  t.equal(parseConfig('shutdown-timeout-seconds: 0\n', 'c.yaml').config.shutdownTimeoutSeconds, 0, '0: end open requests at once');
  t.throws(() => parseConfig('port: 8317\nshutdown-timeout-seconds: -1\n', 'c.yaml'), /c\.yaml:2:\d+: shutdown-timeout-seconds: must be at least 0/);
  t.throws(() => parseConfig('shutdown-timeout-seconds: 3601\n', 'c.yaml'), /shutdown-timeout-seconds: must be at most 3600/);
  t.throws(() => parseConfig('shutdown-timeout-seconds: soon\n', 'c.yaml'), /shutdown-timeout-seconds: .*soon/);
});

t.test('the compose config example is valid and safe: network bind, client keys, no management secret in the file', async (t) => {
  const text = readFileSync(path.join(root, 'deploy/config.example.yaml'), 'utf8');
  const { config } = parseConfig(text, 'deploy/config.example.yaml');
  t.equal(config.host, '0.0.0.0', 'listens on every interface inside the container');
  t.ok(config.apiKeys.length > 0, 'client keys are required');
  t.equal(config.remoteManagement.secretKey, '', 'the management secret comes from MANAGEMENT_PASSWORD');
  t.same(config.allowedOrigins, []);
  t.equal(config.shutdownTimeoutSeconds, 30);
  t.equal(config.authDir, '/auths');
  t.equal(config.wsAuth, null, 'the relay follows api-keys (key required)');
  const example = readFileSync(path.join(root, 'config.example.yaml'), 'utf8');
  t.match(example, /\nshutdown-timeout-seconds: 30\n/, 'documented in config.example.yaml');
});
