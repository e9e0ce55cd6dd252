// Requests shaped like what real CLIs send (FEATURES.md §6), sent with plain
// fetch to the gateway and routed to each upstream kind in turn. Each must be
// accepted (no 4xx), reach the mock upstream as a request the real API would
// take (the mocks validate), and stream to its end.
import http from 'node:http';
import t, { type Test } from 'tap';
import { parseSse } from '../helpers/sse.js';
import { gatewayFromYaml, type TestGateway } from '../helpers/gateway.js';
import { KINDS, type UpstreamKind } from '../helpers/matrix.js';
import { startMockClaude } from '../mocks/claude-upstream.js';
import { CODEX_MOCK_ENCRYPTED, startMockCodex } from '../mocks/codex-upstream.js';
import { startMockGemini } from '../mocks/gemini-upstream.js';
import { startMockOpenAI, type RecordedRequest } from '../mocks/openai-upstream.js';

const [oa, cl, gm, cx] = await Promise.all([startMockOpenAI(), startMockClaude(), startMockGemini(), startMockCodex()]);
const mocks = { openai: oa, claude: cl, gemini: gm, codex: cx };
t.teardown(async () => {
  await Promise.all([oa.close(), cl.close(), gm.close(), cx.close()]);
});

// The model names the CLIs ask for.
const CLAUDE_CODE_MODEL = 'claude-opus-4-8'; // newer than any catalogue
const CODEX_MODEL = 'gpt-5.1-codex';
const GEMINI_MODEL = 'gemini-2.5-pro';
const GEMINI_ROUTER_MODEL = 'gemini-2.5-flash-lite';
const ALL_MODELS = [CLAUDE_CODE_MODEL, CODEX_MODEL, GEMINI_MODEL, GEMINI_ROUTER_MODEL];

const aliases = (names: string[], indent: string) => names.map((n) => `${indent}- { name: "echo", alias: "${n}" }`).join('\n');

/** One gateway per upstream kind: every CLI's model name lands on that kind. */
function yamlFor(kind: UpstreamKind): string {
  const head = 'request-retry: 0\napi-keys: []\n';
  switch (kind) {
    case 'openai':
      return `${head}openai-compatibility:
  - name: oa
    base-url: "${oa.url}"
    api-key-entries: [{ api-key: "sk-oa" }]
    models:
${aliases(ALL_MODELS, '      ')}
`;
    case 'claude':
      // A key without a models list serves the catalogue and newer claude-* names
      // (claude-opus-4-8); a second key takes the other CLIs' names by alias.
      return `${head}claude-api-key:
  - api-key: "sk-ant-cc"
    base-url: "${cl.url}"
  - api-key: "sk-ant-alias"
    base-url: "${cl.url}"
    models:
${aliases([CODEX_MODEL, GEMINI_MODEL, GEMINI_ROUTER_MODEL], '      ')}
`;
    case 'gemini':
      return `${head}gemini-api-key:
  - api-key: "AIza-cli"
    base-url: "${gm.url}"
  - api-key: "AIza-alias"
    base-url: "${gm.url}"
    models:
${aliases([CLAUDE_CODE_MODEL, CODEX_MODEL], '      ')}
`;
    case 'codex':
      return `${head}codex-api-key:
  - api-key: "sk-codex"
    base-url: "${cx.url}"
    models:
${aliases(ALL_MODELS, '      ')}
`;
  }
}

const gateways = {} as Record<UpstreamKind, TestGateway>;
for (const kind of KINDS) gateways[kind] = await gatewayFromYaml(yamlFor(kind));
t.teardown(async () => {
  await Promise.all(Object.values(gateways).map((g) => g.close()));
});

// ───────────────────────────── helpers ─────────────────────────────


async function post(url: string, body: unknown, headers: Record<string, string>) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text };
}

/** Runs fn and returns what the mock of `kind` received meanwhile. */
async function seen<T>(kind: UpstreamKind, fn: () => Promise<T>): Promise<{ result: T; requests: RecordedRequest[] }> {
  const before = mocks[kind].requests.length;
  const result = await fn();
  return { result, requests: mocks[kind].requests.slice(before) };
}

function upstreamOk(t: Test, kind: UpstreamKind, requests: RecordedRequest[], model: string): RecordedRequest {
  t.equal(requests.length, 1, `${kind}: one upstream request`);
  const rec = requests[0]!;
  const path = new URL(rec.url, 'http://x').pathname;
  if (kind === 'openai') t.equal(rec.body.model, 'echo', 'alias mapped to the upstream name');
  if (kind === 'codex') t.equal(rec.body.model, 'echo', 'alias mapped to the upstream name');
  if (kind === 'claude') t.equal(rec.body.model, model === CLAUDE_CODE_MODEL ? CLAUDE_CODE_MODEL : 'echo', 'upstream model name');
  if (kind === 'gemini') t.match(path, /^\/v1beta\/models\/[^/:]+:streamGenerateContent$|^\/v1beta\/models\/[^/:]+:generateContent$/, 'a Gemini generate path');
  return rec;
}

const pad = (s: string, n: number) => Array.from({ length: n }, (_, i) => `${s} (${i + 1})`).join('\n');

// ───────────────────────────── Claude Code 2.1 ─────────────────────────────

const JSON_SCHEMA = 'http://json-schema.org/draft-07/schema#';
function ccTool(name: string, description: string, properties: Record<string, unknown>, required: string[] = []): Record<string, unknown> {
  return { name, description, input_schema: { type: 'object', properties, required, additionalProperties: false, $schema: JSON_SCHEMA } };
}
const str = (description: string) => ({ type: 'string', description });
const num = (description: string) => ({ type: 'number', description });
const bool = (description: string) => ({ type: 'boolean', description });

const CLAUDE_CODE_TOOLS = [
  ccTool('Task', 'Launch a new agent to handle complex, multi-step tasks autonomously.', { description: str('A short (3-5 word) description of the task'), prompt: str('The task for the agent to perform'), subagent_type: str('The type of specialized agent to use for this task'), model: { type: 'string', enum: ['sonnet', 'opus', 'haiku'], description: 'Optional model' } }, ['description', 'prompt', 'subagent_type']),
  ccTool('Bash', 'Executes a given bash command in a persistent shell session with optional timeout.', { command: str('The command to execute'), timeout: num('Optional timeout in milliseconds (max 600000)'), description: str('Clear, concise description of what this command does'), run_in_background: bool('Set to true to run this command in the background'), dangerouslyDisableSandbox: bool('Run without the sandbox') }, ['command']),
  ccTool('Glob', 'Fast file pattern matching tool that works with any codebase size.', { pattern: str('The glob pattern to match files against'), path: str('The directory to search in') }, ['pattern']),
  ccTool('Grep', 'A powerful search tool built on ripgrep.', { pattern: str('The regular expression pattern'), path: str('File or directory to search in'), glob: str('Glob pattern to filter files'), output_mode: { type: 'string', enum: ['content', 'files_with_matches', 'count'], description: 'Output mode' }, '-B': num('Lines before'), '-A': num('Lines after'), '-C': num('Context lines'), '-n': bool('Show line numbers'), '-i': bool('Case insensitive'), type: str('File type to search'), head_limit: num('Limit output'), offset: num('Skip entries'), multiline: bool('Enable multiline mode') }, ['pattern']),
  ccTool('ExitPlanMode', 'Use this tool when you are in plan mode and have finished presenting your plan.', { plan: str('The plan you came up with') }, ['plan']),
  ccTool('Read', 'Reads a file from the local filesystem.', { file_path: str('The absolute path to the file to read'), offset: num('The line number to start reading from'), limit: num('The number of lines to read') }, ['file_path']),
  ccTool('Edit', 'Performs exact string replacements in files.', { file_path: str('The absolute path to the file to modify'), old_string: str('The text to replace'), new_string: str('The text to replace it with'), replace_all: { type: 'boolean', default: false, description: 'Replace all occurrences' } }, ['file_path', 'old_string', 'new_string']),
  ccTool('Write', 'Writes a file to the local filesystem.', { file_path: str('The absolute path to the file to write'), content: str('The content to write to the file') }, ['file_path', 'content']),
  ccTool('NotebookEdit', 'Completely replaces the contents of a specific cell in a Jupyter notebook.', { notebook_path: str('The absolute path to the notebook'), cell_id: str('The ID of the cell to edit'), new_source: str('The new source for the cell'), cell_type: { type: 'string', enum: ['code', 'markdown'] }, edit_mode: { type: 'string', enum: ['replace', 'insert', 'delete'] } }, ['notebook_path', 'new_source']),
  ccTool('WebFetch', 'Fetches content from a specified URL and processes it using an AI model.', { url: { type: 'string', format: 'uri', description: 'The URL to fetch content from' }, prompt: str('The prompt to run on the fetched content') }, ['url', 'prompt']),
  ccTool(
    'TodoWrite',
    'Use this tool to create and manage a structured task list for your current coding session.',
    {
      todos: {
        type: 'array',
        description: 'The updated todo list',
        items: {
          type: 'object',
          properties: { content: { type: 'string', minLength: 1 }, status: { type: 'string', enum: ['pending', 'in_progress', 'completed'] }, activeForm: { type: 'string', minLength: 1 } },
          required: ['content', 'status', 'activeForm'],
          additionalProperties: false,
        },
      },
    },
    ['todos'],
  ),
  ccTool('WebSearch', 'Allows Claude to search the web and use the results to inform responses.', { query: { type: 'string', minLength: 2, description: 'The search query to use' }, allowed_domains: { type: 'array', items: { type: 'string' } }, blocked_domains: { type: 'array', items: { type: 'string' } } }, ['query']),
  ccTool('BashOutput', 'Retrieves output from a running or completed background bash shell.', { bash_id: str('The ID of the background shell'), filter: str('Optional regular expression to filter the output lines') }, ['bash_id']),
  ccTool('KillShell', 'Kills a running background bash shell by its ID.', { shell_id: str('The ID of the background shell to kill') }, ['shell_id']),
  ccTool('Skill', 'Execute a skill within the main conversation.', { skill: str('The skill name') }, ['skill']),
  ccTool('SlashCommand', 'Execute a slash command within the main conversation.', { command: str('The slash command to execute with its arguments') }, ['command']),
  ccTool(
    'AskUserQuestion',
    'Use this tool when you need to ask the user questions during execution.',
    {
      questions: {
        type: 'array',
        minItems: 1,
        maxItems: 4,
        items: {
          type: 'object',
          properties: {
            question: { type: 'string' },
            header: { type: 'string' },
            options: { type: 'array', items: { type: 'object', properties: { label: { type: 'string' }, description: { type: 'string' } }, required: ['label', 'description'], additionalProperties: false } },
            multiSelect: { type: 'boolean' },
          },
          required: ['question', 'header', 'options', 'multiSelect'],
          additionalProperties: false,
        },
      },
    },
    ['questions'],
  ),
  ccTool('EnterPlanMode', 'Enter plan mode to explore and design an implementation approach.', {}),
  ccTool('ListMcpResourcesTool', 'List available resources from configured MCP servers.', { server: str('Optional server name to filter resources by') }),
  ccTool('ReadMcpResourceTool', 'Reads a specific resource from an MCP server.', { server: str('The MCP server name'), uri: str('The resource URI to read') }, ['server', 'uri']),
  ccTool('mcp__ide__getDiagnostics', 'Get language diagnostics from VS Code', { uri: str('Optional file URI to get diagnostics for') }),
  ccTool('mcp__ide__executeCode', 'Execute python code in the Jupyter kernel for the current notebook file.', { code: str('The code to be executed on the kernel.') }, ['code']),
  ccTool('mcp__github__create_pull_request', 'Create a new pull request in a GitHub repository', { owner: str('Repository owner'), repo: str('Repository name'), title: str('PR title'), body: str('PR description'), head: str('Branch with changes'), base: str('Branch to merge into'), draft: bool('Create as draft'), maintainer_can_modify: { anyOf: [{ type: 'boolean' }, { type: 'null' }] } }, ['owner', 'repo', 'title', 'head', 'base']),
  ccTool('LSP', 'Query the language server for definitions, references and hover information.', { operation: { type: 'string', enum: ['definition', 'references', 'hover'] }, file_path: str('File'), line: { type: 'integer', minimum: 0 }, character: { type: 'integer', minimum: 0 } }, ['operation', 'file_path', 'line', 'character']),
];

function claudeCodeBody(model: string) {
  const cache = { type: 'ephemeral' };
  return {
    model,
    max_tokens: 32000,
    stream: true,
    thinking: { type: 'adaptive' },
    output_config: { effort: 'high' },
    context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] },
    metadata: { user_id: 'user_0f3c0a9e_account__session_7b1d2c3e-1111-4a4a-9b9b-000000000001' },
    system: [
      { type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude.", cache_control: cache },
      {
        type: 'text',
        text: `You are an interactive CLI tool that helps users with software engineering tasks.\n${pad('IMPORTANT: Assist with defensive security tasks only. Use the TodoWrite tool to plan tasks. Be concise.', 400)}`,
        cache_control: cache,
      },
    ],
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: '<system-reminder>\nAs you answer the user\'s questions, you can use the following context:\n# claudeMd\nUse tabs.\n</system-reminder>' },
          { type: 'text', text: 'What is in src/index.ts?' },
        ],
      },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: "I'll read the file." },
          { type: 'tool_use', id: 'toolu_01AbCdEfGhIjKlMnOpQrStUv', name: 'Read', input: { file_path: '/repo/src/index.ts' } },
        ],
      },
      {
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: 'toolu_01AbCdEfGhIjKlMnOpQrStUv', content: '     1→export const x = 1;\n     2→' }],
      },
      { role: 'assistant', content: [{ type: 'text', text: 'It exports a constant x = 1.' }] },
      { role: 'system', content: 'Plan mode is now off. You may edit files.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: '<system-reminder>The TodoWrite tool hasn\'t been used recently.</system-reminder>' },
          { type: 'text', text: 'Now run the tests.', cache_control: cache },
        ],
      },
    ],
    tools: CLAUDE_CODE_TOOLS,
  };
}

const CLAUDE_CODE_HEADERS = {
  'x-api-key': 'sk-client',
  'anthropic-version': '2023-06-01',
  'anthropic-beta': 'claude-code-20250219,interleaved-thinking-2025-05-14,context-management-2025-06-27,effort-2025-11-24',
  'anthropic-dangerous-direct-browser-access': 'true',
  'x-app': 'cli',
  'user-agent': 'claude-cli/2.1.0 (external, cli)',
  'x-stainless-lang': 'js',
  'x-stainless-package-version': '0.70.0',
  'x-stainless-retry-count': '0',
  'x-stainless-timeout': '600',
  accept: 'application/json',
};

for (const kind of KINDS) {
  t.test(`Claude Code 2.1 → ${kind}: HEAD /, then POST /v1/messages?beta=true streams to message_stop`, async (t) => {
    const gw = gateways[kind];
    const probe = await fetch(`${gw.url}/`, { method: 'HEAD' });
    t.ok(probe.status > 0, `HEAD / answered (${probe.status})`);
    const body = claudeCodeBody(CLAUDE_CODE_MODEL);
    t.ok(JSON.stringify(body).length > 40_000, 'a Claude Code sized body');
    const { result: r, requests } = await seen(kind, () => post(`${gw.url}/v1/messages?beta=true`, body, CLAUDE_CODE_HEADERS));
    t.equal(r.status, 200, `accepted: ${r.status === 200 ? '' : r.text.slice(0, 300)}`);
    t.match(r.contentType, /^text\/event-stream/);
    const evs = parseSse(r.text);
    t.same(evs.filter((e) => e.event === 'error'), [], 'no error event');
    t.equal(evs[0]?.event, 'message_start');
    t.equal(evs.at(-1)?.event, 'message_stop', 'the stream ran to its end');
    t.equal(evs.find((e) => e.event === 'message_delta')?.data.delta.stop_reason, 'end_turn');
    const text = evs
      .filter((e) => e.event === 'content_block_delta' && e.data.delta.type === 'text_delta')
      .map((e) => e.data.delta.text)
      .join('');
    t.match(text, /^echo: [\s\S]*Now run the tests\.$/, 'the answer to the last user turn');
    const up = upstreamOk(t, kind, requests, CLAUDE_CODE_MODEL);
    switch (kind) {
      case 'claude':
        t.equal(up.headers['x-api-key'], 'sk-ant-cc', 'the key without a models list serves the unknown claude-* name');
        t.match(up.headers['anthropic-beta'], /claude-code-20250219/, "the client's betas go upstream");
        t.equal(up.body.tools.length, 24);
        t.notOk(up.body.messages.some((x: any) => x.role === 'system'), 'no role:"system" message reaches the Messages API');
        break;
      case 'openai':
        t.equal(up.body.tools.length, 24);
        t.ok(up.body.messages.some((x: any) => x.role === 'tool' && x.tool_call_id === 'toolu_01AbCdEfGhIjKlMnOpQrStUv'), 'tool result in history');
        break;
      case 'gemini':
        t.equal(up.headers['x-goog-api-key'], 'AIza-alias');
        t.equal(up.body.tools.flatMap((x: any) => x.functionDeclarations ?? []).length, 24);
        t.notOk(JSON.stringify(up.body.tools).includes('$schema'), 'JSON Schema keywords Gemini refuses are gone');
        break;
      case 'codex':
        t.equal(up.body.tools.length, 24);
        t.ok(up.body.input.some((x: any) => x.type === 'function_call_output' && x.call_id === 'toolu_01AbCdEfGhIjKlMnOpQrStUv'), 'tool result in input');
        break;
    }
  });
}

// ───────────────────────────── Codex CLI 0.171 ─────────────────────────────

const fn = (name: string, description: string, properties: Record<string, unknown>, required: string[]) => ({
  type: 'function',
  name,
  description,
  strict: false,
  parameters: { type: 'object', properties, required, additionalProperties: false },
});

const CODEX_TOOLS = [
  fn('shell_command', 'Runs a shell command and returns its output.', { command: { type: 'string', description: 'The shell script to execute' }, workdir: { type: 'string' }, timeout_ms: { type: 'number' } }, ['command']),
  fn('update_plan', 'Updates the task plan.', { explanation: { type: 'string' }, plan: { type: 'array', items: { type: 'object', properties: { step: { type: 'string' }, status: { type: 'string', enum: ['pending', 'in_progress', 'completed'] } }, required: ['step', 'status'], additionalProperties: false } } }, ['plan']),
  fn('apply_patch', 'Use the apply_patch tool to edit files.', { input: { type: 'string', description: 'The entire contents of the apply_patch command' } }, ['input']),
  fn('view_image', 'Attach a local image to the conversation context.', { path: { type: 'string' } }, ['path']),
  {
    type: 'namespace',
    name: 'mcp__github',
    description: 'Tools of the github MCP server',
    tools: [
      fn('search_issues', 'Search issues in a repository', { q: { type: 'string' }, per_page: { type: 'integer' } }, ['q']),
      fn('get_pull_request', 'Get a pull request', { owner: { type: 'string' }, repo: { type: 'string' }, number: { type: 'integer' } }, ['owner', 'repo', 'number']),
    ],
  },
  { type: 'web_search' },
];

function codexBody(model: string) {
  return {
    model,
    instructions: `You are Codex, based on GPT-5. You are running as a coding agent in the Codex CLI on a user's computer.\n${pad('## General\n- Prefer rg over grep. Keep edits minimal.', 120)}`,
    input: [
      { type: 'message', role: 'developer', content: [{ type: 'input_text', text: '<permissions instructions>\nFilesystem sandboxing: workspace-write. Approvals: on-request.\n</permissions instructions>' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: '<environment_context>\n  <cwd>/repo</cwd>\n  <shell>bash</shell>\n</environment_context>' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'list the repo' }] },
      { type: 'reasoning', summary: [{ type: 'summary_text', text: '**Listing files**' }], content: null, encrypted_content: CODEX_MOCK_ENCRYPTED },
      { type: 'function_call', name: 'shell_command', arguments: '{"command":"ls","workdir":"/repo"}', call_id: 'call_Q1w2E3r4T5y6' },
      { type: 'function_call_output', call_id: 'call_Q1w2E3r4T5y6', output: 'Exit code: 0\nOutput:\nREADME.md\nsrc\n' },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'The repo has README.md and src/.' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'now run the tests' }] },
    ],
    tools: CODEX_TOOLS,
    tool_choice: 'auto',
    parallel_tool_calls: false,
    reasoning: { effort: 'high', summary: 'auto' },
    store: false,
    stream: true,
    include: ['reasoning.encrypted_content'],
    prompt_cache_key: '0199a2b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b',
    client_metadata: { originator: 'codex_cli_rs', session_id: '0199a2b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b' },
  };
}

const CODEX_HEADERS = {
  authorization: 'Bearer sk-client',
  'openai-beta': 'responses=experimental',
  originator: 'codex_cli_rs',
  'user-agent': 'codex_cli_rs/0.171.0 (Ubuntu 24.4.0; x86_64) xterm-256color',
  accept: 'text/event-stream',
};
// Codex CLI also sends `session_id` and `conversation_id` headers; uWebSockets.js
// 20.15–20.4x dropped requests with underscores in header names without an
// answer (uNetworking/uWebSockets.js#1018), which the gateway's newer build fixes.
const CODEX_SESSION_HEADERS = { session_id: '0199a2b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b', conversation_id: '0199a2b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b' };

for (const kind of KINDS) {
  t.test(`Codex CLI 0.171 → ${kind}: POST /v1/responses streams to response.completed`, async (t) => {
    const gw = gateways[kind];
    const { result: r, requests } = await seen(kind, () => post(`${gw.url}/v1/responses`, codexBody(CODEX_MODEL), { ...CODEX_HEADERS, ...CODEX_SESSION_HEADERS }));
    t.equal(r.status, 200, `accepted: ${r.status === 200 ? '' : r.text.slice(0, 300)}`);
    t.match(r.contentType, /^text\/event-stream/);
    const evs = parseSse(r.text);
    t.same(evs.filter((e) => e.event === 'error' || e.event === 'response.failed'), [], 'no error event');
    t.equal(evs[0]?.event, 'response.created');
    t.equal(evs.at(-1)?.event, 'response.completed', 'the stream ran to its end');
    const text = evs
      .filter((e) => e.event === 'response.output_text.delta')
      .map((e) => e.data.delta)
      .join('');
    t.equal(text, 'echo: now run the tests');
    t.equal(evs.at(-1)?.data.response.status, 'completed');
    const up = upstreamOk(t, kind, requests, CODEX_MODEL);
    const names = (tools: any[]) => JSON.stringify(tools);
    switch (kind) {
      case 'codex':
        t.ok(up.body.input.some((x: any) => x.type === 'reasoning' && x.encrypted_content === CODEX_MOCK_ENCRYPTED), 'the encrypted reasoning item goes back');
        t.ok(up.body.tools.some((x: any) => x.type === 'namespace' || /search_issues/.test(x.name ?? '')), 'namespace tools kept');
        t.ok(up.body.tools.some((x: any) => x.type === 'web_search'), 'web_search kept');
        break;
      case 'openai':
        t.match(names(up.body.tools), /search_issues/, 'namespace children offered as functions');
        t.ok(up.body.messages.some((x: any) => x.role === 'tool' && x.tool_call_id === 'call_Q1w2E3r4T5y6'), 'tool result in history');
        break;
      case 'claude':
        t.match(names(up.body.tools), /search_issues/, 'namespace children offered as tools');
        t.ok(
          up.body.messages.some((x: any) => Array.isArray(x.content) && x.content.some((b: any) => b.type === 'tool_result' && b.tool_use_id === 'call_Q1w2E3r4T5y6')),
          'tool result in history',
        );
        break;
      case 'gemini':
        t.match(names(up.body.tools), /search_issues/, 'namespace children offered as function declarations');
        break;
    }
  });
}

t.test("Codex CLI's session_id / conversation_id headers (underscores) are accepted", async (t) => {
  const r = await post(`${gateways.codex.url}/v1/responses`, codexBody(CODEX_MODEL), { ...CODEX_HEADERS, ...CODEX_SESSION_HEADERS }).catch((e: Error) => ({
    status: 0,
    contentType: '',
    text: `${e.message}: ${String((e.cause as Error | undefined)?.message)}`,
  }));
  t.equal(r.status, 200, `accepted: ${r.status === 200 ? '' : r.text.slice(0, 300)}`);
});

t.test('Codex CLI opening Responses over WebSocket is upgraded (the turns: responses-websocket.test.ts)', async (t) => {
  const gw = gateways.codex;
  const u = new URL(`${gw.url}/v1/responses`);
  const res = await new Promise<{ status: number; body: string; upgraded: boolean }>((resolve, reject) => {
    const req = http.request({
      host: u.hostname,
      port: u.port,
      path: u.pathname,
      method: 'GET',
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        authorization: 'Bearer sk-client',
        'openai-beta': 'responses_websockets=2026-02-04',
      },
    });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      resolve({ status: 101, body: '', upgraded: true });
    });
    req.on('response', (r) => {
      let body = '';
      r.setEncoding('utf8');
      r.on('data', (c: string) => (body += c));
      r.on('end', () => resolve({ status: r.statusCode ?? 0, body, upgraded: false }));
    });
    req.on('error', reject);
    req.end();
  });
  t.ok(res.upgraded, `upgraded (status ${res.status}${res.body ? ': ' + res.body.slice(0, 200) : ''})`);
  t.equal(res.status, 101);
});

// ───────────────────────────── Gemini CLI ─────────────────────────────

const GEMINI_CLI_TOOLS = [
  {
    functionDeclarations: [
      {
        name: 'list_directory',
        description: 'Lists the names of files and subdirectories directly within a specified directory path.',
        parametersJsonSchema: { type: 'object', properties: { path: { type: 'string', description: 'The absolute path to the directory to list' }, ignore: { type: 'array', items: { type: 'string' } } }, required: ['path'] },
      },
      {
        name: 'read_file',
        description: 'Reads and returns the content of a specified file.',
        parametersJsonSchema: { type: 'object', properties: { absolute_path: { type: 'string' }, offset: { type: 'number' }, limit: { type: 'number' } }, required: ['absolute_path'] },
      },
      {
        name: 'run_shell_command',
        description: 'Executes a given shell command.',
        // Older declarations (and @google/genai users) write Gemini schemas with upper-case types.
        parameters: { type: 'OBJECT', properties: { command: { type: 'STRING', description: 'Exact bash command' }, directory: { type: 'STRING' } }, required: ['command'] },
      },
      {
        name: 'replace',
        description: 'Replaces text within a file.',
        parametersJsonSchema: { type: 'object', properties: { file_path: { type: 'string' }, old_string: { type: 'string' }, new_string: { type: 'string' }, expected_replacements: { type: 'number', minimum: 1 } }, required: ['file_path', 'old_string', 'new_string'] },
      },
    ],
  },
];

function geminiCliRequest() {
  return {
    contents: [
      { role: 'user', parts: [{ text: 'This is the Gemini CLI. We are setting up the context for our chat.\nToday\'s date is Thursday.\nMy operating system is: linux' }] },
      { role: 'model', parts: [{ text: 'Got it. Thanks for the context!' }] },
      { role: 'user', parts: [{ text: 'list the repo' }] },
      { role: 'model', parts: [{ functionCall: { id: 'list_directory-1761234567890-abc', name: 'list_directory', args: { path: '/repo' } } }] },
      { role: 'user', parts: [{ functionResponse: { id: 'list_directory-1761234567890-abc', name: 'list_directory', response: { output: 'Directory listing for /repo:\nREADME.md\nsrc' } } }] },
      { role: 'model', parts: [{ text: 'The repo has README.md and src.' }] },
      { role: 'user', parts: [{ text: 'summarise README.md' }] },
    ],
    systemInstruction: { role: 'user', parts: [{ text: `You are an interactive CLI agent specializing in software engineering tasks.\n${pad('# Core Mandates\n- Conventions: rigorously adhere to existing project conventions.', 60)}` }] },
    tools: GEMINI_CLI_TOOLS,
    generationConfig: { temperature: 1, topP: 0.95, topK: 64, thinkingConfig: { includeThoughts: true, thinkingBudget: 8192 } },
  };
}

/** The "auto" model's router call: JSON mode to a flash-lite model. */
function routerRequest() {
  return {
    contents: [{ role: 'user', parts: [{ text: 'User request: summarise README.md\nChoose the model for this request.' }] }],
    systemInstruction: { role: 'user', parts: [{ text: 'You are a router that picks the right model for a request.' }] },
    generationConfig: {
      temperature: 0,
      topP: 1,
      maxOutputTokens: 1024,
      thinkingConfig: { thinkingBudget: 512 },
      responseMimeType: 'application/json',
      responseJsonSchema: {
        type: 'object',
        properties: { reasoning: { type: 'string', description: 'Why this model' }, model_choice: { type: 'string', enum: ['flash', 'pro'] } },
        required: ['reasoning', 'model_choice'],
      },
    },
  };
}

const GEMINI_CLI_HEADERS = {
  'x-goog-api-key': 'AIza-client',
  'user-agent': 'GeminiCLI/0.61.0/gemini-2.5-pro (linux; x64) google-genai-sdk/1.30.0 gl-node/v20.19.0',
  'x-goog-api-client': 'google-genai-sdk/1.30.0 gl-node/v20.19.0',
};

function geminiText(chunks: any[]): { text: string; finish?: string } {
  let text = '';
  let finish: string | undefined;
  for (const c of chunks) {
    for (const p of c?.candidates?.[0]?.content?.parts ?? []) if (p.text && !p.thought) text += p.text;
    finish = c?.candidates?.[0]?.finishReason ?? finish;
  }
  return { text, finish };
}

/** JSON-Schema upstreams get the upper-case Gemini types lower-cased. */
function checkShellSchema(t: Test, kind: UpstreamKind, body: any): void {
  if (kind === 'gemini') return;
  const tools: any[] = body.tools ?? [];
  const shell =
    kind === 'openai'
      ? tools.find((x) => x.function?.name === 'run_shell_command')?.function.parameters
      : kind === 'claude'
        ? tools.find((x) => x.name === 'run_shell_command')?.input_schema
        : tools.find((x) => x.name === 'run_shell_command')?.parameters;
  t.match(shell, { type: 'object', properties: { command: { type: 'string' }, directory: { type: 'string' } } }, 'OBJECT/STRING lower-cased');
}

for (const kind of KINDS) {
  t.test(`Gemini CLI (API key) → ${kind}: streamGenerateContent?alt=sse and the JSON-mode router call`, async (t) => {
    const gw = gateways[kind];
    const { result: r, requests } = await seen(kind, () => post(`${gw.url}/v1beta/models/${GEMINI_MODEL}:streamGenerateContent?alt=sse`, geminiCliRequest(), GEMINI_CLI_HEADERS));
    t.equal(r.status, 200, `accepted: ${r.status === 200 ? '' : r.text.slice(0, 300)}`);
    t.match(r.contentType, /^text\/event-stream/);
    const chunks = parseSse(r.text).map((e) => e.data);
    t.notOk(chunks.some((c) => c?.error), 'no error chunk');
    const { text, finish } = geminiText(chunks);
    t.equal(text, 'echo: summarise README.md');
    t.equal(finish, 'STOP', 'the stream ran to its finish');
    t.ok(chunks.at(-1)?.usageMetadata?.totalTokenCount > 0, 'usage on the last chunk');
    const up = upstreamOk(t, kind, requests, GEMINI_MODEL);
    if (kind === 'gemini') t.equal(new URL(up.url, 'http://x').pathname, `/v1beta/models/${GEMINI_MODEL}:streamGenerateContent`, 'the catalogue model, passed through');
    checkShellSchema(t, kind, up.body);

    const router = await seen(kind, () => post(`${gw.url}/v1beta/models/${GEMINI_ROUTER_MODEL}:generateContent`, routerRequest(), GEMINI_CLI_HEADERS));
    t.equal(router.result.status, 200, `router call accepted: ${router.result.status === 200 ? '' : router.result.text.slice(0, 300)}`);
    const answer = JSON.parse(router.result.text);
    t.equal(answer.candidates?.[0]?.finishReason, 'STOP');
    t.match(geminiText([answer]).text, /^echo: User request/);
    const rup = upstreamOk(t, kind, router.requests, GEMINI_ROUTER_MODEL).body;
    switch (kind) {
      case 'gemini':
        t.equal(rup.generationConfig.responseMimeType, 'application/json');
        t.same(rup.generationConfig.responseJsonSchema, routerRequest().generationConfig.responseJsonSchema, 'the schema passed through');
        break;
      case 'openai':
        t.match(rup.response_format, { type: 'json_schema', json_schema: { schema: { type: 'object', required: ['reasoning', 'model_choice'] } } }, 'JSON mode as response_format');
        break;
      case 'codex':
        t.match(rup.text, { format: { type: 'json_schema', schema: { type: 'object' } } }, 'JSON mode as text.format');
        break;
      case 'claude':
        // Claude has no JSON mode: the request must still be accepted and answered.
        t.equal(rup.model, 'echo');
        break;
    }
  });

  t.test(`Gemini CLI (Code Assist) → ${kind}: set-up calls, then streamGenerateContent answered as {response}`, async (t) => {
    const gw = gateways[kind];
    const H = { authorization: 'Bearer ya29.mock-oauth-token', 'user-agent': 'GeminiCLI/0.61.0/gemini-2.5-pro (linux; x64)' };
    const metadata = { ideType: 'IDE_UNSPECIFIED', platform: 'PLATFORM_UNSPECIFIED', pluginType: 'GEMINI' };
    const load = await post(`${gw.url}/v1internal:loadCodeAssist`, { metadata }, H);
    t.equal(load.status, 200);
    const loaded = JSON.parse(load.text);
    t.ok(loaded.currentTier?.id, 'a current tier');
    const project: string = loaded.cloudaicompanionProject;
    t.ok(project, 'a project');
    const onboard = await post(`${gw.url}/v1internal:onboardUser`, { tierId: loaded.currentTier.id, cloudaicompanionProject: project, metadata }, H);
    t.equal(onboard.status, 200);
    t.equal(JSON.parse(onboard.text).done, true);
    const quota = await post(`${gw.url}/v1internal:retrieveUserQuota`, { project }, H);
    t.equal(quota.status, 200);
    t.ok(Array.isArray(JSON.parse(quota.text).buckets));
    const exps = await post(`${gw.url}/v1internal:listExperiments`, { project, metadata }, H);
    t.equal(exps.status, 200);

    const body = { model: GEMINI_MODEL, project, user_prompt_id: '5c1e0f3a2b4d6########1', request: { ...geminiCliRequest(), session_id: '5c1e0f3a-2b4d-4e6f-8a9b-0c1d2e3f4a5b' } };
    const { result: r, requests } = await seen(kind, () => post(`${gw.url}/v1internal:streamGenerateContent?alt=sse`, body, H));
    t.equal(r.status, 200, `accepted: ${r.status === 200 ? '' : r.text.slice(0, 300)}`);
    t.match(r.contentType, /^text\/event-stream/);
    const envelopes = parseSse(r.text).map((e) => e.data);
    t.ok(envelopes.length > 0 && envelopes.every((e) => e && typeof e === 'object' && 'response' in e), 'every event is {response: …}');
    const { text, finish } = geminiText(envelopes.map((e) => e.response));
    t.equal(text, 'echo: summarise README.md');
    t.equal(finish, 'STOP', 'the stream ran to its finish');
    const up = upstreamOk(t, kind, requests, GEMINI_MODEL);
    t.notOk(JSON.stringify(up.body).includes('session_id'), 'the Code Assist envelope fields stay at the gateway');
    checkShellSchema(t, kind, up.body);
  });
}
