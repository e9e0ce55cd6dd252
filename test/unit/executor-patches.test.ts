// The executor contract: credential-specific body changes are pure patches
// applied before the body's one serialisation — on the main thread or in the
// translation worker — and no executor parses the body it is handed.
import { Piscina } from 'piscina';
import t from 'tap';
import { getCodec } from '../../pipelines/index.js';
import type { FormatName } from '../../pipelines/ir.js';
import { CLAUDE_CODE_IDENTITY } from '../../lib/providers/claude/executor.js';
import type { ExecuteInput, UpstreamAction } from '../../lib/providers/executor.js';
import { executorFor } from '../../lib/providers/index.js';
import { patchContext } from '../../lib/providers/patch.js';
import { patchFor, patchSpec, sameFormatBody, type PatchSpec } from '../../lib/providers/patches.js';
import type { Credential, ProviderKind } from '../../lib/routing/credentials.js';
import { pipedBody } from '../../lib/routing/passthrough.js';
import { encodeFor } from '../../lib/routing/translate.js';
import run, { type PrepareResult, type PrepareTask } from '../../workers/translate.js';

const KINDS: ProviderKind[] = ['openai-compat', 'gemini', 'claude', 'codex', 'gemini-cli', 'qwen', 'iflow', 'aistudio'];

const cred = (provider: ProviderKind, over: Partial<Credential> = {}): Credential => ({
  id: `${provider}-1`,
  provider,
  label: provider,
  baseUrl: 'http://up.test',
  apiKey: '',
  proxyUrl: '',
  headers: {},
  models: new Map(),
  disabled: false,
  ...over,
});

const spec = (c: Credential, model: string, action: UpstreamAction = 'generate', stream = true) => patchSpec(c.provider, patchContext(c, model, action, stream));

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

t.test('each executor carries the very patch the worker looks up by kind', async (t) => {
  for (const k of KINDS) t.equal(executorFor(k)?.patch, patchFor(k), k);
  t.ok(patchFor('claude') && patchFor('codex') && patchFor('gemini-cli') && patchFor('qwen') && patchFor('iflow'));
});

t.test('no executor parses the body it is handed, nor changes it', async (t) => {
  const real = JSON.parse;
  let calls = 0;
  JSON.parse = ((...a: Parameters<typeof JSON.parse>) => (calls++, real(...a))) as typeof JSON.parse;
  t.teardown(() => void (JSON.parse = real));
  const bodies = [
    JSON.stringify({ model: 'm', system: 'sys', messages: [], tools: [], input: [{ type: 'message' }], request: { contents: [] }, project: 'x' }),
    Buffer.from('{"model":"m","tools":[],"stream":true}'),
  ];
  for (const kind of KINDS) {
    const executor = executorFor(kind)!;
    for (const c of [cred(kind, { apiKey: 'k' }), cred(kind, { accessToken: 'tok', projectId: 'p', accountId: 'a' })]) {
      for (const action of ['generate', 'count-tokens'] as const) {
        for (const stream of [true, false]) {
          for (const body of bodies) {
            const input: ExecuteInput = { credential: c, upstreamModel: 'claude-sonnet-4-5', body, stream, upstreamSse: stream, action, clientHeaders: { 'anthropic-beta': 'b' } };
            const before = calls;
            const r = executor.buildRequest(input);
            t.equal(calls - before, 0, `${kind} ${action} stream=${stream} ${c.accessToken ? 'oauth' : 'key'}: no JSON.parse`);
            t.equal(r.body, body, `${kind}: the body goes as handed over`);
          }
        }
      }
    }
  }
});

t.test('patches: when they apply, and what they change', async (t) => {
  const oauth = cred('claude', { accessToken: 'tok' });
  t.notOk(spec(oauth, 'claude-3-5-haiku-20241022'), 'Claude 3.5 Haiku gets no identity');
  t.notOk(spec(oauth, 'claude-sonnet-4-5', 'count-tokens'), 'token counts carry no identity');
  t.notOk(spec(cred('claude', { apiKey: 'k' }), 'claude-sonnet-4-5'), 'API keys need none');
  t.notOk(spec(cred('qwen', { accessToken: 'q' }), 'qwen3', 'generate', false), 'Qwen: only streams are patched');
  t.notOk(spec(cred('openai-compat', { apiKey: 'k' }), 'm'), 'plain upstreams have no patch');

  const client = deepFreeze({ model: 'claude-sonnet-4-5', system: 'Be brief.', messages: [{ role: 'user', content: 'hi' }] });
  const r = sameFormatBody(client, 'claude-sonnet-4-5', spec(oauth, 'claude-sonnet-4-5'));
  t.same(r.body?.['system'], [{ type: 'text', text: CLAUDE_CODE_IDENTITY, cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'Be brief.' }]);
  t.same(client.system, 'Be brief.', 'the client object is left alone (the next credential starts from it)');
  const already = { model: 'claude-sonnet-4-5', system: [{ type: 'text', text: CLAUDE_CODE_IDENTITY }], messages: [] };
  t.same(sameFormatBody(already, 'claude-sonnet-4-5', spec(oauth, 'claude-sonnet-4-5')), { body: undefined, headers: undefined }, 'identity present: the client bytes go');

  const codex = cred('codex', { apiKey: 'k' });
  const given = sameFormatBody({ model: 'gpt-5', prompt_cache_key: 'pck', input: [] }, 'gpt-5', spec(codex, 'gpt-5'));
  t.same(given, { body: undefined, headers: { session_id: 'pck', conversation_id: 'pck' } }, 'a client key: unchanged body, the headers from it');

  const cli = cred('gemini-cli', { accessToken: 'ya29', projectId: 'proj-9' });
  t.same(sameFormatBody({ model: 'g', project: 'proj-9', request: {} }, 'g', spec(cli, 'g')).body, undefined, 'project and model already right');
  t.same(sameFormatBody({ model: 'x', project: 'y', request: {} }, 'g', spec(cli, 'g', 'count-tokens', false)).body, { request: {} });

  const iflow = cred('iflow', { apiKey: 'k' });
  t.same(sameFormatBody({ model: 'm', tools: [{ type: 'function' }] }, 'm', spec(iflow, 'm')).body, undefined, 'iFlow: non-empty tools stay');
  t.equal((sameFormatBody({ model: 'm', tools: [] }, 'm', spec(iflow, 'm')).body?.['tools'] as any[])[0].function.name, 'noop');

  const raw = Buffer.from('{"model":"m","messages":[]}');
  t.equal(pipedBody(raw, { model: 'm', messages: [] }, 'm', undefined).body, raw, 'no patch, same model: the raw bytes');
});

/** The worker task run in this thread (the pool only moves its result between threads). */
function inWorker(task: Omit<PrepareTask, 'op' | 'raw'>, body: unknown): PrepareResult {
  const raw = new Uint8Array(Buffer.from(JSON.stringify(body)));
  const r = run({ op: 'prepare', raw, ...task }) as unknown as Record<symbol, unknown>;
  return ((r[Piscina.valueSymbol] as PrepareResult | undefined) ?? (r as unknown as PrepareResult));
}
const text = (b: string | Buffer | Uint8Array | undefined) => (typeof b === 'string' ? b : Buffer.from(b!).toString('utf8'));

t.test('offloaded bodies get the same patched body (and headers) as the main thread', async (t) => {
  const cases: Array<{ name: string; inbound: FormatName; c: Credential; model: string; body: Record<string, unknown>; stream: boolean }> = [
    { name: 'Claude OAuth, piped', inbound: 'claude', c: cred('claude', { accessToken: 'tok' }), model: 'claude-up', body: { model: 'claude-x', max_tokens: 9, system: 'S', messages: [{ role: 'user', content: 'hi' }] }, stream: true },
    { name: 'Claude OAuth, from OpenAI', inbound: 'openai-chat', c: cred('claude', { accessToken: 'tok' }), model: 'claude-up', body: { model: 'c', messages: [{ role: 'system', content: 'S' }, { role: 'user', content: 'hi' }] }, stream: false },
    { name: 'Codex, from Responses', inbound: 'openai-responses', c: cred('codex', { accessToken: 'at', accountId: 'a' }), model: 'gpt-5', body: { model: 'x', instructions: 'I', input: [{ role: 'user', content: [{ type: 'input_text', text: 'hi' }] }] }, stream: true },
    { name: 'Codex, from OpenAI', inbound: 'openai-chat', c: cred('codex', { apiKey: 'k' }), model: 'gpt-5', body: { model: 'x', messages: [{ role: 'user', content: 'hi' }] }, stream: false },
    { name: 'Gemini CLI, piped', inbound: 'gemini-cli', c: cred('gemini-cli', { accessToken: 'ya29', projectId: 'proj-9' }), model: 'gemini-up', body: { model: 'g', project: 'client-proj', request: { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] } }, stream: true },
    { name: 'Gemini CLI, from OpenAI', inbound: 'openai-chat', c: cred('gemini-cli', { accessToken: 'ya29', projectId: 'proj-9' }), model: 'gemini-up', body: { model: 'g', messages: [{ role: 'user', content: 'hi' }] }, stream: true },
  ];
  for (const k of cases) {
    const upstream = executorFor(k.c.provider)!.format;
    const upstreamStream = k.stream || executorFor(k.c.provider)!.alwaysStreams === true;
    const patch: PatchSpec | undefined = spec(k.c, k.model, 'generate', upstreamStream);
    t.ok(patch, `${k.name}: a patch applies`);
    const piped = upstream === k.inbound;
    const main = piped
      ? pipedBody(Buffer.from(JSON.stringify(k.body)), k.body, k.model, patch)
      : encodeFor(upstream, getCodec(k.inbound).decodeRequest(k.body), k.model, upstreamStream, patch);
    const w = inWorker({ inbound: k.inbound, upstream, upstreamModel: k.model, upstreamStream, passthrough: piped, patch }, k.body);
    t.notOk(w.error, `${k.name}: the worker succeeded`);
    t.equal(text(w.body), text(main.body), `${k.name}: the same bytes`);
    t.same(w.patchHeaders, main.patchHeaders, `${k.name}: the same derived headers`);
  }
});

t.test('the worker-side patch modules import nothing of the gateway at run time', async (t) => {
  const { readFileSync } = await import('node:fs');
  const root = new URL('../../lib/providers/', import.meta.url);
  const files = ['patch.ts', 'patches.ts', ...KINDS.map((k) => `${k}/patch.ts`)].filter((f) => {
    try {
      readFileSync(new URL(f, root));
      return true;
    } catch {
      return false; // providers without a patch
    }
  });
  t.ok(files.length >= 7, 'the registry and the five patches');
  for (const f of files) {
    const src = readFileSync(new URL(f, root), 'utf8');
    for (const m of src.matchAll(/^import (?!type )[^;]*?from '([^']+)'/gm)) {
      const spec = m[1]!;
      t.ok(spec.startsWith('node:') || /^(\.\.?\/)+(?:[\w-]+\/)?patch\.js$/.test(spec), `${f} imports ${spec}`);
    }
  }
});
