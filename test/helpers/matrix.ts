// Shared set-up for the client × upstream matrix tests: the four mock upstream
// kinds behind one real gateway, with aliases that name the mock behaviour:
//   <p>-echo, <p>-tools (tool-call), <p>-think (thinking), <p>-result
//   (tool-result-echo), <p>-400 (fail-400), <p>-429 (fail-429), <p>-cut
//   (cut-stream: ends without its end marker), <p>-break (break-stream:
//   the connection drops)
// for p = oa (openai-compat), cl (claude), gm (gemini), cx (codex).
import { startMockClaude } from '../mocks/claude-upstream.js';
import { startMockCodex, type MockCodexUpstream } from '../mocks/codex-upstream.js';
import { startMockGemini } from '../mocks/gemini-upstream.js';
import { startMockOpenAI, type MockUpstream, type RecordedRequest } from '../mocks/openai-upstream.js';
import type { Test } from 'tap';
import { gatewayFromYaml, type TestGateway } from './gateway.js';

export type UpstreamKind = 'openai' | 'claude' | 'gemini' | 'codex';
export const KINDS: readonly UpstreamKind[] = ['openai', 'claude', 'gemini', 'codex'];

export const PREFIX: Record<UpstreamKind, string> = { openai: 'oa', claude: 'cl', gemini: 'gm', codex: 'cx' };

/** Upstream (mock) model name for each alias suffix. */
export const BEHAVIOURS: Record<string, string> = {
  echo: 'echo',
  tools: 'tool-call',
  think: 'thinking',
  result: 'tool-result-echo',
  '400': 'fail-400',
  '429': 'fail-429',
  cut: 'cut-stream',
  break: 'break-stream',
};

export const UPSTREAM_KEYS: Record<UpstreamKind, string> = { openai: 'sk-oa', claude: 'sk-ant-test', gemini: 'AIza-test', codex: 'sk-codex' };

/** Client model name for an upstream kind and a behaviour suffix. */
export function alias(kind: UpstreamKind, behaviour: keyof typeof BEHAVIOURS): string {
  return `${PREFIX[kind]}-${behaviour}`;
}

export interface Matrix {
  gw: TestGateway;
  mocks: { openai: MockUpstream; claude: MockUpstream; gemini: MockUpstream; codex: MockCodexUpstream };
  /** Run fn and return the upstream requests the mock of `kind` received meanwhile. */
  seen<T>(kind: UpstreamKind, fn: () => Promise<T>): Promise<{ result: T; requests: RecordedRequest[] }>;
  close(): Promise<void>;
}

function modelsYaml(kind: UpstreamKind, indent: string): string {
  return Object.entries(BEHAVIOURS)
    .map(([suffix, name]) => `${indent}- { name: "${name}", alias: "${PREFIX[kind]}-${suffix}" }`)
    .join('\n');
}

export function matrixYaml(urls: Record<UpstreamKind, string>, extra = ''): string {
  return [
    'request-retry: 0',
    'api-keys: []',
    'openai-compatibility:',
    '  - name: oa',
    `    base-url: "${urls.openai}"`,
    `    api-key-entries: [{ api-key: "${UPSTREAM_KEYS.openai}" }]`,
    '    models:',
    modelsYaml('openai', '      '),
    'claude-api-key:',
    `  - api-key: "${UPSTREAM_KEYS.claude}"`,
    `    base-url: "${urls.claude}"`,
    '    models:',
    modelsYaml('claude', '      '),
    'gemini-api-key:',
    `  - api-key: "${UPSTREAM_KEYS.gemini}"`,
    `    base-url: "${urls.gemini}"`,
    '    models:',
    modelsYaml('gemini', '      '),
    'codex-api-key:',
    `  - api-key: "${UPSTREAM_KEYS.codex}"`,
    `    base-url: "${urls.codex}"`,
    '    models:',
    modelsYaml('codex', '      '),
    extra,
  ].join('\n');
}

export async function startMatrix(extra = ''): Promise<Matrix> {
  const [openai, claude, gemini, codex] = await Promise.all([startMockOpenAI(), startMockClaude(), startMockGemini(), startMockCodex()]);
  const mocks = { openai, claude, gemini, codex };
  const gw = await gatewayFromYaml(matrixYaml({ openai: openai.url, claude: claude.url, gemini: gemini.url, codex: codex.url }, extra));
  return {
    gw,
    mocks,
    async seen(kind, fn) {
      const mock = mocks[kind];
      const before = mock.requests.length;
      const result = await fn();
      return { result, requests: mock.requests.slice(before) };
    },
    async close() {
      await gw.close();
      await Promise.all([openai.close(), claude.close(), gemini.close(), codex.close()]);
    },
  };
}

/** The usage each mock reports, in the IR's terms (input includes cache reads,
 *  output includes reasoning). */
export interface Usage {
  input: number;
  output: number;
  total: number;
  cached?: number;
  reasoning?: number;
}
export const UPSTREAM_USAGE: Record<UpstreamKind, Usage> = {
  openai: { input: 11, output: 6, total: 17 },
  // input_tokens 11 + cache_read_input_tokens 3
  claude: { input: 14, output: 6, total: 20, cached: 3 },
  // promptTokenCount 11, candidates 6 + thoughts 2, cached 3, total 19
  gemini: { input: 11, output: 8, total: 19, cached: 3, reasoning: 2 },
  // input 11 (cached 3), output 6 (reasoning 2), total 17
  codex: { input: 11, output: 6, total: 17, cached: 3, reasoning: 2 },
};

/** Which upstream request of a batch is the generation call (not e.g. a probe). */
export function only(t: Test, requests: RecordedRequest[]): RecordedRequest {
  t.equal(requests.length, 1, 'exactly one upstream request');
  return requests[0]!;
}

/** Checks the upstream request has the right path, auth, model name and key fields. */
export function checkUpstreamRequest(
  t: Test,
  kind: UpstreamKind,
  rec: RecordedRequest,
  o: { model: string; stream: boolean; userText?: string; tools?: string[] },
): void {
  const b = rec.body;
  switch (kind) {
    case 'openai': {
      t.match(rec.url, /\/v1\/chat\/completions$/, 'openai-compat path');
      t.equal(rec.headers.authorization, `Bearer ${UPSTREAM_KEYS.openai}`, 'openai-compat key as Bearer');
      t.equal(b.model, o.model, 'upstream model name');
      t.equal(Boolean(b.stream), o.stream, 'stream flag');
      if (o.userText) t.ok(JSON.stringify(b.messages).includes(o.userText), 'user text in messages');
      if (o.tools) t.match(b.tools?.map((x: any) => x.function?.name), o.tools, 'tools as functions');
      break;
    }
    case 'claude': {
      t.match(rec.url, /^\/v1\/messages(\?|$)/, 'messages path');
      t.equal(rec.headers['x-api-key'], UPSTREAM_KEYS.claude, 'claude key as x-api-key');
      t.ok(rec.headers['anthropic-version'], 'anthropic-version header');
      t.equal(b.model, o.model, 'upstream model name');
      t.equal(Boolean(b.stream), o.stream, 'stream flag');
      t.ok(Number.isInteger(b.max_tokens) && b.max_tokens > 0, 'max_tokens supplied');
      if (o.userText) t.ok(JSON.stringify(b.messages).includes(o.userText), 'user text in messages');
      if (o.tools) t.match(b.tools?.map((x: any) => x.name), o.tools, 'tools with input_schema');
      break;
    }
    case 'gemini': {
      const method = o.stream ? 'streamGenerateContent' : 'generateContent';
      t.equal(new URL(rec.url, 'http://x').pathname, `/v1beta/models/${o.model}:${method}`, 'model and method in the URL');
      if (o.stream) t.match(rec.url, /[?&]alt=sse/, 'SSE stream asked for');
      t.equal(rec.headers['x-goog-api-key'], UPSTREAM_KEYS.gemini, 'gemini key as x-goog-api-key');
      if (o.userText) t.ok(JSON.stringify(b.contents).includes(o.userText), 'user text in contents');
      if (o.tools) t.match(b.tools?.flatMap((x: any) => x.functionDeclarations ?? []).map((d: any) => d.name), o.tools, 'function declarations');
      break;
    }
    case 'codex': {
      t.equal(new URL(rec.url, 'http://x').pathname, '/backend-api/codex/responses', 'codex path');
      t.equal(rec.headers.authorization, `Bearer ${UPSTREAM_KEYS.codex}`, 'codex key as Bearer');
      t.equal(b.model, o.model, 'upstream model name');
      t.equal(b.stream, true, 'codex always streams');
      t.equal(b.store, false, 'store false');
      t.ok(typeof b.instructions === 'string' && b.instructions.length > 0, 'instructions present');
      if (o.userText) t.ok(JSON.stringify(b.input).includes(o.userText), 'user text in input');
      if (o.tools) t.match(b.tools?.map((x: any) => x.name), o.tools, 'function tools');
      break;
    }
  }
}

/** What tool-result-echo answers for results of the two mock tool calls, per upstream. */
export function expectedEcho(kind: UpstreamKind, results: Array<{ id: string; name: string; output: string }>): (parsed: any) => boolean {
  switch (kind) {
    case 'claude':
      return (p) =>
        Array.isArray(p) &&
        p.length === results.length &&
        results.every((r, i) => p[i].tool_use_id === r.id && JSON.stringify(p[i].content).includes(r.output));
    case 'gemini':
      return (p) =>
        Array.isArray(p) && p.length === results.length && results.every((r, i) => p[i].name === r.name && JSON.stringify(p[i].response).includes(r.output));
    case 'codex':
      return (p) =>
        Array.isArray(p) && p.length === results.length && results.every((r, i) => p[i].call_id === r.id && JSON.stringify(p[i].output).includes(r.output));
    default:
      return () => false;
  }
}
