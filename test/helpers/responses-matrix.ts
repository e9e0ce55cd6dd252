// The four mock upstreams behind one gateway, with the model aliases the
// Responses surface tests use: <p>-echo, <p>-tools, <p>-think, <p>-fail (the
// stream breaks after it began), <p>-phased (Codex: commentary + final_answer
// messages), <p>-400 — p = oa, cl, gm, cx as in matrix.ts.
import { startMockClaude } from '../mocks/claude-upstream.js';
import { startMockCodex } from '../mocks/codex-upstream.js';
import { startMockGemini } from '../mocks/gemini-upstream.js';
import { startMockOpenAI } from '../mocks/openai-upstream.js';
import { gatewayFromYaml } from './gateway.js';
import { PREFIX, UPSTREAM_KEYS, type Matrix, type UpstreamKind } from './matrix.js';

const FAIL: Record<UpstreamKind, string> = { openai: 'break-stream', claude: 'stream-error', gemini: 'stream-error', codex: 'stream-error' };

function models(kind: UpstreamKind): string {
  const behaviours: Record<string, string> = { echo: 'echo', tools: 'tool-call', think: 'thinking', fail: FAIL[kind], phased: 'phased', '400': 'fail-400' };
  return Object.entries(behaviours)
    .map(([suffix, name]) => `      - { name: "${name}", alias: "${PREFIX[kind]}-${suffix}" }`)
    .join('\n');
}

export async function startResponsesMatrix(extra = ''): Promise<Matrix> {
  const [openai, claude, gemini, codex] = await Promise.all([startMockOpenAI(), startMockClaude(), startMockGemini(), startMockCodex()]);
  const mocks = { openai, claude, gemini, codex };
  const yaml = [
    'request-retry: 0',
    'api-keys: []',
    'openai-compatibility:',
    '  - name: oa',
    `    base-url: "${openai.url}"`,
    `    api-key-entries: [{ api-key: "${UPSTREAM_KEYS.openai}" }]`,
    '    models:',
    models('openai'),
    'claude-api-key:',
    `  - api-key: "${UPSTREAM_KEYS.claude}"`,
    `    base-url: "${claude.url}"`,
    '    models:',
    models('claude'),
    'gemini-api-key:',
    `  - api-key: "${UPSTREAM_KEYS.gemini}"`,
    `    base-url: "${gemini.url}"`,
    '    models:',
    models('gemini'),
    'codex-api-key:',
    `  - api-key: "${UPSTREAM_KEYS.codex}"`,
    `    base-url: "${codex.url}"`,
    '    models:',
    models('codex'),
    extra,
  ].join('\n');
  const gw = await gatewayFromYaml(yaml);
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

export const ra = (kind: UpstreamKind, behaviour: 'echo' | 'tools' | 'think' | 'fail' | 'phased' | '400'): string => `${PREFIX[kind]}-${behaviour}`;
