// A config with the legacy auth.providers block, through the management API:
// its keys guard the gateway, show in /api-keys and /config, survive other
// write-backs, and a key deleted through the API is gone for good.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { parseConfig } from '../../lib/config/load.js';
import { mgmtGateway } from './helpers.js';

const LEGACY = `api-keys:
  - "plain-1"
# kept from an old CLIProxyAPI install
auth:
  providers:
    - name: config-inline
      type: config-api-key
      api-keys:
        - "legacy-1"
        - "legacy-2"
        - "plain-1"
    - name: external
      type: some-sdk-provider
`;

async function models(url: string, key?: string): Promise<number> {
  return (await fetch(`${url}/v1/models`, { headers: key ? { authorization: `Bearer ${key}` } : {} })).status;
}

t.test('legacy keys guard the gateway and show in the API; other write-backs keep the block', async (t) => {
  const gw = await mgmtGateway(LEGACY);
  t.teardown(() => gw.close());
  t.equal(await models(gw.url), 401, 'no key');
  t.equal(await models(gw.url, 'wrong'), 401);
  for (const k of ['plain-1', 'legacy-1', 'legacy-2']) t.equal(await models(gw.url, k), 200, k);
  t.same((await gw.api('GET', '/api-keys')).json, { 'api-keys': ['plain-1', 'legacy-1', 'legacy-2'] });
  const cfg = (await gw.api('GET', '/config')).json;
  t.same(cfg['api-keys'], ['plain-1', 'legacy-1', 'legacy-2']);
  t.notOk('auth' in cfg, 'GET /config shows the merged keys, not the legacy block');

  t.equal((await gw.api('PUT', '/debug', { value: true })).status, 200);
  const file = readFileSync(gw.configPath, 'utf8');
  t.match(file, /# kept from an old CLIProxyAPI install\nauth:\n  providers:\n    - name: config-inline\n      type: config-api-key/, 'the block and its comment survive');
  t.match(file, /debug: true/);
  t.equal(await models(gw.url, 'legacy-2'), 200, 'still honoured after the write-back');
});

t.test('an /api-keys edit moves the legacy keys into api-keys, so a deleted key stays deleted', async (t) => {
  const gw = await mgmtGateway(LEGACY);
  t.teardown(() => gw.close());
  t.equal((await gw.api('DELETE', '/api-keys?value=legacy-1')).status, 200);
  t.same((await gw.api('GET', '/api-keys')).json, { 'api-keys': ['plain-1', 'legacy-2'] });
  t.equal(await models(gw.url, 'legacy-1'), 401, 'the deleted legacy key is refused');
  t.equal(await models(gw.url, 'legacy-2'), 200);
  const text = readFileSync(gw.configPath, 'utf8');
  const { config } = parseConfig(text);
  t.same(config.apiKeys, ['plain-1', 'legacy-2']);
  t.notMatch(text, /config-api-key/, 'the config-api-key provider left the block');
  t.match(text, /type: some-sdk-provider/, 'other providers stay');

  t.equal((await gw.api('DELETE', '/api-keys?index=0')).status, 200, 'later edits work on the plain list');
  t.same(parseConfig(readFileSync(gw.configPath, 'utf8')).config.apiKeys, ['legacy-2']);
});

t.test('a block of config-api-key providers only is removed whole by the first edit', async (t) => {
  const gw = await mgmtGateway('auth:\n  providers:\n    - type: config-api-key\n      api-keys: ["only-1"]\n');
  t.teardown(() => gw.close());
  t.equal(await models(gw.url), 401);
  t.equal((await gw.api('PATCH', '/api-keys', { old: '\u0000', new: 'added-2' })).status, 200);
  const text = readFileSync(gw.configPath, 'utf8');
  t.notMatch(text, /^auth:/m);
  t.same(parseConfig(text).config.apiKeys, ['only-1', 'added-2']);
  t.equal(await models(gw.url, 'only-1'), 200);
  t.equal(await models(gw.url, 'added-2'), 200);
});
