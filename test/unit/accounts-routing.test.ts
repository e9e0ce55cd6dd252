// Routing pieces for accounts: reset hints, suspensions, and what each
// account executor puts on the wire.
import t from 'tap';
import { claudeExecutor, CLAUDE_CODE_IDENTITY } from '../../lib/providers/claude/executor.js';
import { codexExecutor } from '../../lib/providers/codex/executor.js';
import type { ExecuteInput, ProviderExecutor } from '../../lib/providers/executor.js';
import { geminiCliExecutor } from '../../lib/providers/gemini-cli/executor.js';
import { iflowExecutor } from '../../lib/providers/iflow/executor.js';
import { patchContext } from '../../lib/providers/patch.js';
import { applyPatch, patchSpec } from '../../lib/providers/patches.js';
import { qwenExecutor } from '../../lib/providers/qwen/executor.js';
import { Cooldowns } from '../../lib/routing/cooldown.js';
import type { Credential } from '../../lib/routing/credentials.js';
import { resetHintMs } from '../../lib/routing/reset-hints.js';
import { Selector } from '../../lib/routing/selector.js';

const cred = (over: Partial<Credential>): Credential => ({
  id: 'c1',
  provider: 'claude',
  label: 'c1',
  baseUrl: 'http://up.test',
  apiKey: '',
  proxyUrl: '',
  headers: {},
  models: new Map(),
  disabled: false,
  ...over,
});
const input = (c: Credential, body: unknown, over: Partial<ExecuteInput> = {}): ExecuteInput => ({ credential: c, upstreamModel: 'm-up', body: JSON.stringify(body), stream: true, action: 'generate', ...over });
/** What dispatch sends for a body: the executor's patch applied to the encoded object before its one serialisation. */
const send = (executor: ProviderExecutor, c: Credential, body: Record<string, unknown>, over: Partial<ExecuteInput> = {}) => {
  const i = input(c, body, over);
  const obj = structuredClone(body);
  const patched = applyPatch(obj, patchSpec(executor.kind, patchContext(c, i.upstreamModel, i.action, i.stream)));
  return executor.buildRequest({ ...i, body: JSON.stringify(obj), patchHeaders: patched?.headers });
};
const json = (b: string | Buffer | undefined) => JSON.parse(String(b));

t.test('reset hints: Retry-After first, then the provider hint', async (t) => {
  const now = Date.parse('2030-01-01T00:00:00Z');
  t.equal(resetHintMs('claude', { 'retry-after': '7' }, '', now), 7000);
  t.equal(resetHintMs('codex', {}, '{"error":{"type":"usage_limit_reached","resets_in_seconds":9123}}', now), 9_123_000);
  t.equal(resetHintMs('codex', {}, `{"error":{"resets_at":${now / 1000 + 60}}}`, now), 60_000);
  const gemini = JSON.stringify({ error: { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'quota', details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '37s' }] } });
  t.equal(resetHintMs('gemini', {}, gemini, now), 37_000);
  t.equal(resetHintMs('gemini-cli', {}, `[${gemini}]`, now), 37_000);
  const h = {
    'anthropic-ratelimit-requests-remaining': '5',
    'anthropic-ratelimit-requests-reset': '2030-01-01T00:00:10Z',
    'anthropic-ratelimit-output-tokens-remaining': '0',
    'anthropic-ratelimit-output-tokens-reset': '2030-01-01T00:02:00Z',
  };
  t.equal(resetHintMs('claude', h, '', now), 120_000, 'the exhausted limit decides');
  t.equal(resetHintMs('claude', { 'anthropic-ratelimit-unified-reset': String(now / 1000 + 300), 'anthropic-ratelimit-unified-status': 'rejected' }, '', now), 300_000);
  t.equal(resetHintMs('openai-chat', { 'x-ratelimit-reset-requests': '1m30s', 'x-ratelimit-reset-tokens': '250ms' }, '', now), 90_000);
  t.equal(resetHintMs('claude', {}, 'not json', now), undefined);
});

t.test('suspensions: out of rotation until resumed, and not counted as cooling', async (t) => {
  let now = 0;
  const cd = new Cooldowns(() => now);
  const sel = new Selector(cd);
  const a = cred({ id: 'a' });
  const b = cred({ id: 'b' });
  const targets = [{ credential: a, upstreamModel: 'm' }, { credential: b, upstreamModel: 'm' }];
  cd.suspend('a', 1000, 'unauthorized');
  t.equal(sel.pick('x', targets, new Set(), 'round-robin', true)!.credential.id, 'b');
  t.equal(sel.pick('x', targets, new Set(['b']), 'round-robin', false), undefined, 'disable-cooling does not bring a suspended account back');
  t.equal(sel.soonestReset(targets.slice(0, 1)), 0, 'a suspension is not a cooldown (503, not model_cooldown)');
  cd.suspend('b', 1000, 'forbidden', 'other-model');
  t.equal(cd.remaining('b', 'm'), 0, 'model-level suspension only for its model');
  t.equal(cd.suspension('a', 'm')!.reason, 'unauthorized');
  cd.resume('a');
  t.equal(cd.remaining('a', 'm'), 0, 'resumed after a refresh');
  cd.suspend('a', 1000, 'unauthorized');
  now = 1001;
  t.equal(cd.suspension('a', 'm'), undefined, 'suspensions expire');
});

t.test('claude: OAuth tokens get Claude Code headers, betas and identity; API keys stay as they were', async (t) => {
  const oauth = send(claudeExecutor, cred({ accessToken: 'tok' }), { model: 'm', system: 'Be brief.', messages: [] }, { clientHeaders: { 'anthropic-beta': 'x-beta' } });
  t.equal(oauth.headers['authorization'], 'Bearer tok');
  t.equal(oauth.headers['x-api-key'], undefined);
  t.equal(oauth.headers['anthropic-beta'], 'x-beta,oauth-2025-04-20');
  t.equal(oauth.headers['x-app'], 'cli');
  t.match(oauth.headers['user-agent'], /^claude-cli\//);
  t.same(json(oauth.body).system, [{ type: 'text', text: CLAUDE_CODE_IDENTITY, cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'Be brief.' }]);
  const plain = send(claudeExecutor, cred({ accessToken: 'tok' }), { model: 'm', messages: [] });
  t.equal(plain.headers['anthropic-beta'], 'claude-code-20250219,oauth-2025-04-20,interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14');
  const again = send(claudeExecutor, cred({ accessToken: 'tok' }), { model: 'm', system: [{ type: 'text', text: CLAUDE_CODE_IDENTITY }], messages: [] });
  t.equal(json(again.body).system.length, 1, 'not added twice');
  const key = send(claudeExecutor, cred({ apiKey: 'sk-ant' }), { model: 'm', system: 's', messages: [] });
  t.equal(key.headers['x-api-key'], 'sk-ant');
  t.equal(json(key.body).system, 's');
  t.equal(key.headers['x-app'], undefined);
});

t.test('codex: account id, originator, prompt cache key (the client’s, else stable per conversation start)', async (t) => {
  const c = cred({ provider: 'codex', accessToken: 'at', accountId: 'acct' });
  const given = send(codexExecutor, c, { model: 'gpt-5', prompt_cache_key: 'pck', input: [] });
  t.equal(given.headers['chatgpt-account-id'], 'acct');
  t.equal(given.headers['originator'], 'codex_cli_rs');
  t.equal(given.headers['session_id'], 'pck');
  t.equal(given.headers['conversation_id'], 'pck');
  const first = { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] };
  const a = send(codexExecutor, c, { model: 'gpt-5', instructions: 'i', input: [first] });
  const b = send(codexExecutor, c, { model: 'gpt-5', instructions: 'i', input: [first, { type: 'message', role: 'assistant', content: [] }] });
  const other = send(codexExecutor, c, { model: 'gpt-5', instructions: 'i', input: [{ ...first, content: [{ type: 'input_text', text: 'other' }] }] });
  t.match(json(a.body).prompt_cache_key, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
  t.equal(json(a.body).prompt_cache_key, json(b.body).prompt_cache_key, 'same conversation, same key');
  t.not(json(a.body).prompt_cache_key, json(other.body).prompt_cache_key);
});

t.test('gemini-cli: Code Assist URL and headers, the account project in the envelope', async (t) => {
  const c = cred({ provider: 'gemini-cli', accessToken: 'ya29', projectId: 'proj-9' });
  const r = send(geminiCliExecutor, c, { model: 'client-model', project: 'cliproxy-gateway', request: { contents: [] } }, { upstreamSse: true });
  t.equal(r.url, 'http://up.test/v1internal:streamGenerateContent?alt=sse');
  t.equal(r.headers['authorization'], 'Bearer ya29');
  t.equal(r.headers['user-agent'], 'google-api-nodejs-client/9.15.1');
  t.match(r.headers['client-metadata'], /pluginType=GEMINI/);
  t.match(json(r.body), { model: 'm-up', project: 'proj-9', request: { contents: [] } }, "the client's project is replaced by the account's");
  const n = send(geminiCliExecutor, c, { request: {} }, { stream: false });
  t.equal(n.url, 'http://up.test/v1internal:generateContent');
  const arr = send(geminiCliExecutor, c, { request: {} }, { upstreamSse: false });
  t.equal(arr.url, 'http://up.test/v1internal:streamGenerateContent');
  const count = send(geminiCliExecutor, c, { model: 'x', project: 'y', request: { model: 'models/x', contents: [] } }, { action: 'count-tokens', stream: false });
  t.equal(count.url, 'http://up.test/v1internal:countTokens');
  t.same(json(count.body), { request: { model: 'models/x', contents: [] } });
});

t.test('qwen and iflow: bearer credentials, their headers, the reference body fixes', async (t) => {
  const q = send(qwenExecutor, cred({ provider: 'qwen', accessToken: 'qt', baseUrl: 'http://q.test/v1' }), { model: 'm', messages: [], stream: true });
  t.equal(q.url, 'http://q.test/v1/chat/completions');
  t.equal(q.headers['authorization'], 'Bearer qt');
  t.match(json(q.body), { stream_options: { include_usage: true }, tools: [{ function: { name: 'do_not_call_me' } }] });
  const qn = send(qwenExecutor, cred({ provider: 'qwen', accessToken: 'qt' }), { model: 'm', messages: [] }, { stream: false });
  t.equal(json(qn.body).tools, undefined, 'non-stream requests are left alone');
  const i = send(iflowExecutor, cred({ provider: 'iflow', apiKey: 'sk-if', baseUrl: 'http://i.test/v1' }), { model: 'm', messages: [], tools: [] });
  t.equal(i.headers['authorization'], 'Bearer sk-if');
  t.equal(i.headers['user-agent'], 'iFlow-Cli');
  t.equal(json(i.body).tools[0].function.name, 'noop');
});
