// Credential patches (Claude Code identity, Codex prompt cache key and its
// session headers, the Code Assist project) reach the upstream the same
// whether the body was rewritten on the main thread or, above the offload
// threshold, in the translation worker.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { startMockClaude } from '../mocks/claude-upstream.js';
import { startMockCodex } from '../mocks/codex-upstream.js';
import { startMockGemini } from '../mocks/gemini-upstream.js';
import type { MockUpstream, RecordedRequest } from '../mocks/openai-upstream.js';

// Read once when the gateway's modules load: set before importing them.
const THRESHOLD = 32 * 1024;
process.env['CLIPROXY_OFFLOAD_THRESHOLD'] = String(THRESHOLD);
const { gatewayFromYaml } = await import('../helpers/gateway.js');
const { CLAUDE_CODE_IDENTITY } = await import('../../lib/providers/claude/executor.js');

const FAR = new Date(Date.now() + 30 * 86400_000).toISOString();
const claude = await startMockClaude();
const codex = await startMockCodex();
const gemini = await startMockGemini();
const dir = mkdtempSync(path.join(tmpdir(), 'cliproxy-offload-'));
writeFileSync(path.join(dir, 'claude.json'), JSON.stringify({ type: 'claude', email: 'c@x.test', access_token: 'tok-c', refresh_token: 'r', expired: FAR }), { mode: 0o600 });
writeFileSync(path.join(dir, 'gemini.json'), JSON.stringify({ type: 'gemini', email: 'g@x.test', project_id: 'proj-9', token: { access_token: 'gat', refresh_token: 'r', expiry: FAR } }), { mode: 0o600 });
const gw = await gatewayFromYaml(
  [
    `auth-dir: "${dir}"`,
    `oauth-endpoints: { claude: { api-url: "${claude.url}" }, gemini-cli: { api-url: "${gemini.url}" } }`,
    'codex-api-key:',
    `  - api-key: sk-codex\n    base-url: "${codex.url}"\n    models: [{ name: gpt-5, alias: codex-m }]`,
  ].join('\n'),
);
t.teardown(async () => {
  await gw.close();
  await claude.close();
  await codex.close();
  await gemini.close();
});

const SMALL = 'the last words';
const LARGE = 'x'.repeat(THRESHOLD * 2);

/** Send the body with its last words small, then large (offloaded); what the upstream got, the padding put back to small. */
async function both(mock: MockUpstream, url: string, body: (last: string) => unknown, headers: Record<string, string> = {}): Promise<[RecordedRequest, RecordedRequest, unknown, unknown]> {
  const got: RecordedRequest[] = [];
  for (const last of [SMALL, LARGE]) {
    const text = JSON.stringify(body(last));
    if (last === LARGE) t.ok(text.length > THRESHOLD, 'over the offload threshold');
    const before = mock.requests.length;
    const res = await fetch(`${gw.url}${url}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: text });
    await res.arrayBuffer();
    t.equal(res.status, 200, `${url} answered`);
    got.push(mock.requests[before]!);
  }
  const norm = (r: RecordedRequest) => JSON.parse(JSON.stringify(r.body).split(LARGE).join(SMALL));
  return [got[0]!, got[1]!, norm(got[0]!), norm(got[1]!)];
}

const identity = [{ type: 'text', text: CLAUDE_CODE_IDENTITY, cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'Be brief.' }];
const claudeBody = (last: string) => ({ model: 'claude-sonnet-4-5-20250929', max_tokens: 8, system: 'Be brief.', messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'ok' }, { role: 'user', content: last }] });
const chatBody = (model: string) => (last: string) => ({ model, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hi' }, { role: 'assistant', content: 'ok' }, { role: 'user', content: last }] });

t.test('Claude OAuth, piped: the identity first in system on both paths', async (t) => {
  const [, , small, large] = await both(claude, '/v1/messages', claudeBody, { 'anthropic-version': '2023-06-01' });
  t.same((small as any).system, identity);
  t.same(large, small);
});

t.test('Claude OAuth, from an OpenAI client: the same', async (t) => {
  const [, , small, large] = await both(claude, '/v1/chat/completions', chatBody('claude-sonnet-4-5-20250929'));
  t.same((small as any).system[0], identity[0]);
  t.same(large, small);
});

t.test('Codex: the derived prompt cache key and its session headers on both paths', async (t) => {
  const body = (last: string) => ({ model: 'codex-m', instructions: 'Be brief.', input: [{ role: 'user', content: [{ type: 'input_text', text: 'hi' }] }, { role: 'user', content: [{ type: 'input_text', text: last }] }] });
  const [a, b, small, large] = await both(codex, '/v1/responses', body);
  const key = (small as any).prompt_cache_key;
  t.match(key, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
  t.same(large, small);
  for (const r of [a, b]) {
    t.equal(r.headers['session_id'], key, 'session_id from the key');
    t.equal(r.headers['conversation_id'], key, 'conversation_id from the key');
  }
});

t.test("Gemini CLI: the account's project and the upstream model on both paths", async (t) => {
  const cli = (last: string) => ({ model: 'gemini-2.5-pro', project: 'client-proj', request: { contents: [{ role: 'user', parts: [{ text: 'hi' }] }, { role: 'model', parts: [{ text: 'ok' }] }, { role: 'user', parts: [{ text: last }] }] } });
  const [, , small, large] = await both(gemini, '/v1internal:generateContent', cli);
  t.match(small, { project: 'proj-9', model: 'gemini-2.5-pro' });
  t.same(large, small);
  const [, , s2, l2] = await both(gemini, '/v1/chat/completions', chatBody('gemini-2.5-pro'));
  t.match(s2, { project: 'proj-9', model: 'gemini-2.5-pro' });
  t.same(l2, s2);
});
