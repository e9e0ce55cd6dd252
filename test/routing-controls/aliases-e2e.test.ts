// Aliases end to end: two aliases of one upstream model both route; the
// global oauth-model-alias renames a Codex token-file account's models (and
// model-aliases reaches API keys too); an alias carrying a reasoning level
// sends that level upstream; /v1/models lists what the aliases expose.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import t from 'tap';
import { parseConfig } from '../../lib/config/load.js';
import { startGateway, type Gateway } from '../../lib/gateway.js';
import { log } from '../../lib/logging/logger.js';
import { tempDir } from '../auth/helpers.js';
import { startMockClaude } from '../mocks/claude-upstream.js';
import { startMockCodex } from '../mocks/codex-upstream.js';

process.env.LOG_LEVEL ??= 'error';
log.level = process.env.LOG_LEVEL;

const FAR = new Date(Date.now() + 30 * 86400_000).toISOString();
const claude = await startMockClaude();
const codex = await startMockCodex();
t.teardown(async () => {
  await claude.close();
  await codex.close();
});

/** An OpenAI-compatible upstream that keeps every request body. */
async function recordingUpstream() {
  const bodies: Array<Record<string, unknown>> = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const body = JSON.parse(raw) as Record<string, unknown>;
      bodies.push(body);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'c1', object: 'chat.completion', created: 1, model: body['model'], choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    bodies,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

async function gw(yaml: string): Promise<Gateway> {
  const g = await startGateway({ config: parseConfig(yaml, 't.yaml').config, port: 0, host: '127.0.0.1', authRefreshCheckMs: 0 });
  t.teardown(() => g.close());
  return g;
}

async function modelIds(ai: OpenAI): Promise<string[]> {
  const ids: string[] = [];
  for await (const m of ai.models.list()) ids.push(m.id);
  return ids;
}

const apiError = (e: unknown) => e as InstanceType<typeof OpenAI.APIError>;

t.test('two aliases of one Claude model both route to it; the upstream name is not served', async (t) => {
  const g = await gw(`
claude-api-key:
  - api-key: sk-ant-1
    base-url: "${claude.url}"
    models:
      - { name: claude-sonnet-4-5-20250929, alias: sonnet }
      - { name: claude-sonnet-4-5-20250929, alias: house-default }
`);
  const ai = new OpenAI({ baseURL: `${g.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  for (const alias of ['sonnet', 'house-default']) {
    const before = claude.requests.length;
    const r = await ai.chat.completions.create({ model: alias, max_tokens: 8, messages: [{ role: 'user', content: 'x' }] });
    t.ok(r.choices[0]!.message.content, `${alias} answered`);
    t.equal(claude.requests.slice(before)[0]?.body.model, 'claude-sonnet-4-5-20250929', `${alias}: the upstream got the real name`);
  }
  t.same((await modelIds(ai)).sort(), ['house-default', 'sonnet']);
  t.equal(apiError(await ai.chat.completions.create({ model: 'claude-sonnet-4-5-20250929', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e)).status, 404);
});

t.test('oauth-model-alias on a Codex token file: the alias routes, the original is hidden unless forked', async (t) => {
  const dir = tempDir();
  writeFileSync(path.join(dir, 'codex-a.json'), JSON.stringify({ type: 'codex', email: 'a@x.test', access_token: 'codex-tok', refresh_token: 'rt', account_id: 'acct-1', expired: FAR }), { mode: 0o600 });
  const g = await gw(`
auth-dir: "${dir}"
oauth-endpoints: { codex: { api-url: "${codex.url}" } }
oauth-model-alias:
  codex:
    - { name: gpt-5, alias: house-gpt }
    - { name: gpt-5, alias: house-gpt-2 }
    - { name: gpt-5-codex, alias: house-codex, fork: true }
    - { name: "gpt-5(low)", alias: house-gpt-quick }
`);
  const ai = new OpenAI({ baseURL: `${g.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  for (const [alias, upstream] of [['house-gpt', 'gpt-5'], ['house-gpt-2', 'gpt-5'], ['house-codex', 'gpt-5-codex'], ['gpt-5-codex', 'gpt-5-codex']]) {
    const before = codex.requests.length;
    const r = await ai.chat.completions.create({ model: alias!, messages: [{ role: 'user', content: 'hi' }] });
    t.match(r.choices[0]!.message.content, /echo: hi/, `${alias} answered`);
    const sent = codex.requests.slice(before)[0]!;
    t.equal(sent.body.model, upstream, `${alias} → ${upstream}`);
    t.equal(sent.headers['authorization'], 'Bearer codex-tok');
  }
  const gone = apiError(await ai.chat.completions.create({ model: 'gpt-5', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e));
  t.equal(gone.status, 404, 'gpt-5 is renamed (no fork): not served under its own name');
  const ids = await modelIds(ai);
  t.ok(['house-gpt', 'house-gpt-2', 'house-codex', 'gpt-5-codex', 'house-gpt-quick'].every((id) => ids.includes(id)), 'aliases and the forked original are listed');
  t.notOk(ids.includes('gpt-5'), 'the renamed original is not');

  const before = codex.requests.length;
  await ai.chat.completions.create({ model: 'house-gpt-quick', messages: [{ role: 'user', content: 'hi' }] });
  t.match(codex.requests.slice(before)[0]!.body, { model: 'gpt-5', reasoning: { effort: 'low' } }, 'the alias level reaches the upstream');
});

t.test('a Claude account renamed by oauth-model-alias does not serve the old name through the claude-* prefix route', async (t) => {
  const dir = tempDir();
  writeFileSync(path.join(dir, 'claude-a.json'), JSON.stringify({ type: 'claude', email: 'a@x.test', access_token: 'claude-tok', refresh_token: 'rt', expired: FAR }), { mode: 0o600 });
  const g = await gw(`
auth-dir: "${dir}"
oauth-endpoints: { claude: { api-url: "${claude.url}" } }
oauth-model-alias:
  claude:
    - { name: claude-sonnet-4-5-20250929, alias: cs45 }
`);
  const ai = new OpenAI({ baseURL: `${g.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  const before = claude.requests.length;
  await ai.chat.completions.create({ model: 'cs45', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] });
  t.equal(claude.requests.slice(before)[0]?.body.model, 'claude-sonnet-4-5-20250929', 'the alias reaches the account');
  const gone = apiError(await ai.chat.completions.create({ model: 'claude-sonnet-4-5-20250929', messages: [{ role: 'user', content: 'x' }] }).catch((e) => e));
  t.equal(gone.status, 404, 'the renamed name is not served');
  await ai.chat.completions.create({ model: 'claude-opus-4-8', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] });
  t.equal(claude.requests.at(-1)?.body.model, 'claude-opus-4-8', 'names newer than the catalogue still go to the account');
});

t.test('model-aliases reaches API keys; an alias level overrides the request, a client suffix overrides the alias', async (t) => {
  const up = await recordingUpstream();
  t.teardown(() => up.close());
  const g = await gw(`
openai-compatibility:
  - name: p
    base-url: "${up.url}"
    api-key-entries: [{ api-key: k1 }]
    models:
      - { name: up-model, alias: base }
      - { name: "up-model(high)", alias: base-deep }
model-aliases:
  - { name: base, alias: nick, fork: true }
  - { name: "base(minimal)", alias: nick-min }
`);
  const ai = new OpenAI({ baseURL: `${g.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  const send = async (model: string, extra: Record<string, unknown> = {}) => {
    await ai.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }], ...extra });
    return up.bodies.splice(0)[0]!;
  };
  t.match(await send('nick'), { model: 'up-model' });
  t.match(await send('base'), { model: 'up-model' }, 'fork: the original stays');
  t.equal((await send('nick'))['reasoning_effort'], undefined, 'no level on the alias: none sent');
  t.match(await send('base-deep', { reasoning_effort: 'low' }), { model: 'up-model', reasoning_effort: 'high' }, 'the alias level wins over the request');
  t.match(await send('nick-min'), { model: 'up-model', reasoning_effort: 'minimal' }, 'a global alias level');
  t.match(await send('base-deep(low)'), { model: 'up-model', reasoning_effort: 'low' }, 'the client suffix wins over the alias');
  t.same((await modelIds(ai)).sort(), ['base', 'base-deep', 'nick', 'nick-min']);
});
