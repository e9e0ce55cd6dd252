// excluded-models: a credential does not serve a model its globs name — on
// config keys (per key and per openai-compatibility provider), in a token file
// (excluded_models), and for every account of a provider (oauth-excluded-models).
// The models list shows a model only while some credential still serves it.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import t from 'tap';
import { parseConfig } from '../../lib/config/load.js';
import { startGateway, type Gateway } from '../../lib/gateway.js';
import { log } from '../../lib/logging/logger.js';
import { tempDir } from '../auth/helpers.js';
import { startMockClaude } from '../mocks/claude-upstream.js';

process.env.LOG_LEVEL ??= 'error';
log.level = process.env.LOG_LEVEL;

const FAR = new Date(Date.now() + 30 * 86400_000).toISOString();
const claude = await startMockClaude();
t.teardown(() => claude.close());

/** An OpenAI-compatible upstream that records which key asked for which model. */
async function keyedUpstream() {
  const seen: Array<[string, string]> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const key = String(req.headers['authorization'] ?? '').replace(/^Bearer /, '');
      const model = String((JSON.parse(body) as { model?: string }).model);
      seen.push([key, model]);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'c1', object: 'chat.completion', created: 1, model, choices: [{ index: 0, message: { role: 'assistant', content: `ok ${key}` }, finish_reason: 'stop' }] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    seen,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

async function gw(yaml: string): Promise<Gateway> {
  const g = await startGateway({ config: parseConfig(yaml, 't.yaml').config, port: 0, host: '127.0.0.1', authRefreshCheckMs: 0 });
  t.teardown(() => g.close());
  return g;
}

async function modelIds(g: Gateway): Promise<string[]> {
  const ai = new OpenAI({ baseURL: `${g.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  const ids: string[] = [];
  for await (const m of ai.models.list()) ids.push(m.id);
  return ids;
}

t.test('openai-compatibility: a key excluding a model leaves it to the other key; a provider-wide exclusion hides it', async (t) => {
  const up = await keyedUpstream();
  t.teardown(() => up.close());
  const g = await gw(`
openai-compatibility:
  - name: pool
    base-url: "${up.url}"
    api-key-entries:
      - { api-key: k1, excluded-models: ["SHARED", "*-beta"] }
      - { api-key: k2 }
    models:
      - { name: up-model, alias: shared }
      - { name: up-other, alias: other }
      - { name: up-beta, alias: thing-beta }
  - name: solo
    base-url: "${up.url}"
    api-key-entries: [{ api-key: k3 }]
    excluded-models: ["only-*"]
    models:
      - { name: up-a, alias: only-here }
      - { name: up-b, alias: kept }
`);
  const ai = new OpenAI({ baseURL: `${g.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  const ask = (model: string) => ai.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }] });
  for (let i = 0; i < 4; i++) await ask('shared');
  t.same(up.seen.splice(0).map(([k]) => k), ['k2', 'k2', 'k2', 'k2'], 'k1 excludes "shared" (case-insensitive): only k2 is asked');
  for (let i = 0; i < 4; i++) await ask('other');
  t.same(up.seen.splice(0).map(([k]) => k).sort(), ['k1', 'k1', 'k2', 'k2'], 'a model k1 does not exclude rotates over both');
  for (let i = 0; i < 2; i++) await ask('thing-beta');
  t.same(up.seen.splice(0).map(([k]) => k), ['k2', 'k2'], 'a suffix glob excludes too');
  const gone = await ask('only-here').catch((e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
  t.equal((gone as InstanceType<typeof OpenAI.APIError>).status, 404, 'excluded by the only provider that had it: not found');
  t.same(up.seen, [], 'and no upstream was asked');
  t.same((await modelIds(g)).sort(), ['kept', 'other', 'shared', 'thing-beta'], 'the models list drops only-here and keeps what another key still serves');
});

t.test('Claude: per-key globs, a token file excluded_models and oauth-excluded-models each keep their credential out', async (t) => {
  const dir = tempDir();
  writeFileSync(
    path.join(dir, 'acct.json'),
    JSON.stringify({ type: 'claude', email: 'a@x.test', access_token: 'tok-acct', refresh_token: 'rt', expired: FAR, excluded_models: ['claude-sonnet-4-5-*'] }),
    { mode: 0o600 },
  );
  const g = await gw(`
auth-dir: "${dir}"
oauth-endpoints: { claude: { api-url: "${claude.url}" } }
oauth-excluded-models:
  claude: ["claude-3-7-*"]
claude-api-key:
  - api-key: sk-ant-key
    base-url: "${claude.url}"
    excluded-models: ["claude-opus-*", "*haiku*"]
`);
  const anthropic = new Anthropic({ baseURL: g.url, apiKey: 'unused', maxRetries: 0 });
  const who = async (model: string, n = 3): Promise<string[]> => {
    const before = claude.requests.length;
    for (let i = 0; i < n; i++) await anthropic.messages.create({ model, max_tokens: 8, messages: [{ role: 'user', content: 'x' }] });
    return [...new Set(claude.requests.slice(before).map((r) => String(r.headers['authorization'] ?? r.headers['x-api-key'])))];
  };
  t.same(await who('claude-sonnet-4-5-20250929'), ['sk-ant-key'], 'the token file excludes it: only the key');
  t.same(await who('claude-3-7-sonnet-20250219'), ['sk-ant-key'], 'oauth-excluded-models keeps every Claude account out');
  t.same(await who('claude-3-5-haiku-20241022'), ['Bearer tok-acct'], 'the key excludes *haiku*: only the account');
  t.same(await who('claude-opus-4-8', 2), ['Bearer tok-acct'], 'a name newer than the catalogue obeys the globs too');
  t.same((await who('claude-sonnet-4-20250514', 6)).sort(), ['Bearer tok-acct', 'sk-ant-key'], 'a model neither excludes: both');
  const ids = await modelIds(g);
  t.ok(ids.includes('claude-3-5-haiku-20241022') && ids.includes('claude-sonnet-4-5-20250929'), 'models one credential still serves stay listed');

  const none = await gw(`
auth-dir: "${dir}"
oauth-endpoints: { claude: { api-url: "${claude.url}" } }
claude-api-key:
  - api-key: sk-ant-key
    base-url: "${claude.url}"
    excluded-models: ["claude-sonnet-4-5-20250929"]
`);
  t.notOk((await modelIds(none)).includes('claude-sonnet-4-5-20250929'), 'excluded by the key and the token file: not listed');
  const miss = await new Anthropic({ baseURL: none.url, apiKey: 'unused', maxRetries: 0 }).messages
    .create({ model: 'claude-sonnet-4-5-20250929', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] })
    .catch((e: unknown) => e as InstanceType<typeof Anthropic.APIError>);
  t.equal((miss as InstanceType<typeof Anthropic.APIError>).status, 404, 'and not served');
});

t.test('config errors for excluded-models', async (t) => {
  const err = (yaml: string) => {
    try {
      parseConfig(yaml, 'c.yaml');
      return '';
    } catch (e) {
      return (e as Error).message;
    }
  };
  t.match(err('claude-api-key:\n  - api-key: k\n    excluded-models: "claude-*"\n'), /c\.yaml:3:22: claude-api-key\[0\]\.excluded-models: expected a list of strings/);
  t.match(err('codex-api-key:\n  - api-key: k\n    excluded-models: ["gpt-5", "  "]\n'), /codex-api-key\[0\]\.excluded-models: \[1\]: a model pattern must be a non-empty string/);
  t.match(err(`gemini-api-key:\n  - api-key: k\n    excluded-models: ["${'x'.repeat(300)}"]\n`), /gemini-api-key\[0\]\.excluded-models: \[0\]: the model pattern .* is longer than 256 characters/);
  t.match(err('openai-compatibility:\n  - name: p\n    base-url: http://127.0.0.1:1\n    excluded-models: [{ a: 1 }]\n'), /openai-compatibility\[0\]\.excluded-models\[0\]: expected a single value/);
  t.match(err('oauth-excluded-models:\n  codex: [""]\n'), /oauth-excluded-models: codex\[0\]: a model pattern must be a non-empty string/);
  t.match(err('oauth-excluded-models:\n  claude: claude-3-*\n'), /oauth-excluded-models\.claude: expected a list of strings/);
  const { warnings } = parseConfig('oauth-excluded-models:\n  vertex: ["gemini-3-pro-preview"]\n', 'c.yaml');
  t.match(warnings.join('\n'), /oauth-excluded-models\.vertex: unknown key/, 'a provider this gateway does not serve only warns');
});
