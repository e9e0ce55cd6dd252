// Cross-format golden tests of the translation hub: every inbound format's
// realistic request fixture is encoded for every upstream, and every
// upstream's realistic answers (stream and non-stream) are translated back to
// every inbound format. Assertions are semantic facts read by independent
// parsers (wire-check.ts), not snapshots: the prompt, the conversation, tools,
// tool call/result pairing, images, limits and reasoning controls on the way
// up; text, reasoning, tool calls, usage, finish and a proper ending on the
// way down, also for upstream streams cut short.
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import {
  compose,
  decodeStreamBody,
  getCodec,
  StreamTranslator,
  translateEvents,
  translateResponse,
  budgetToEffort,
  clampBudget,
  effortToBudget,
  type Framing,
} from '../../pipelines/index.js';
import type { FormatName, IREffort, IRRequest } from '../../pipelines/ir.js';
import { geminiToolNameMap } from '../../pipelines/formats/gemini/index.js';
import { toolNameRestorer } from '../../pipelines/formats/codex/index.js';
import { toolNameRestorer as safeNameRestorer } from '../../pipelines/tool-names.js';
import {
  CARRIES,
  CLAUDE_ID,
  canonicalJson,
  checkStream,
  isObj,
  readBody,
  requestFacts,
  type ClientAnswer,
  type Json,
  type Piece,
  type RequestFacts,
} from './wire-check.js';

type Inbound = 'openai-chat' | 'openai-responses' | 'claude' | 'gemini' | 'gemini-cli';
type Upstream = 'openai-chat' | 'claude' | 'gemini' | 'gemini-cli' | 'codex';

const INBOUND: Inbound[] = ['openai-chat', 'openai-responses', 'claude', 'gemini', 'gemini-cli'];
const UPSTREAM: Upstream[] = ['openai-chat', 'claude', 'gemini', 'gemini-cli', 'codex'];

/** The model each upstream is asked for (the router puts the upstream's model in the IR). */
const UPSTREAM_MODEL: Record<Upstream, string> = {
  'openai-chat': 'gpt-4.1',
  claude: 'claude-sonnet-4-5',
  gemini: 'gemini-2.5-flash',
  'gemini-cli': 'gemini-2.5-pro',
  codex: 'gpt-5-codex',
};

const REQUEST_FIXTURES: Record<Inbound, string[]> = {
  'openai-chat': ['openai-chat/request-tools.json', 'openai-chat/request-basic.json', 'openai-chat/request-multimodal.json', 'openai-chat/request-reasoning.json'],
  'openai-responses': ['openai-responses/codex-cli-request.json', 'openai-responses/sdk-request.json'],
  claude: ['claude/claude-code-request.json'],
  gemini: ['gemini/request-tools.json'],
  'gemini-cli': ['gemini-cli/request.json'],
};

const fixtureText = (name: string): string => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');
const fixtureJson = (name: string): Json => JSON.parse(fixtureText(name)) as Json;

/** A fixture body with the upstream's model (Gemini bodies carry it as the URL would). */
function withModel(body: Json, model: string): Json {
  return { ...structuredClone(body), model };
}

function upstreamNameBack(u: Upstream, req: IRRequest): (n: string) => string {
  if (u === 'gemini' || u === 'gemini-cli') {
    const m = geminiToolNameMap(req);
    return (n) => m.get(n) ?? n;
  }
  if (u === 'codex') return toolNameRestorer(req);
  return safeNameRestorer(req) ?? ((n) => n);
}

// ───────────────────────────── the request side ─────────────────────────────

function piecesInOrder(inbound: Piece[], upstream: Piece[], upSystem: string[]): string[] {
  const problems: string[] = [];
  let at = 0;
  for (const p of inbound) {
    // Claude drops trailing whitespace of a final assistant turn (a prefill); nothing else trims.
    const want = p.text.trimEnd();
    if (!want) continue;
    let k = at;
    while (k < upstream.length && !((p.role === 'system' || upstream[k]!.role === p.role) && upstream[k]!.text.includes(want))) k++;
    if (k < upstream.length) {
      at = k;
      continue;
    }
    // A system message before any turn is system prompt to formats that have one.
    if (p.role === 'system' && upSystem.some((s) => s.includes(want))) continue;
    problems.push(`${p.role} text ${JSON.stringify(want.slice(0, 60))} is missing or out of order`);
  }
  return problems;
}

const CLAUDE_EFFORT: Record<string, IREffort> = { low: 'low', medium: 'medium', high: 'high', max: 'xhigh' };

/** The reasoning the client asked for, read from its own body. */
function askedReasoning(i: Inbound, f: RequestFacts): { effort?: IREffort; budget?: number } {
  if (i === 'claude') {
    const effort = f.effort ? CLAUDE_EFFORT[f.effort] : undefined;
    if (f.thinkingType === 'enabled') return { budget: f.budget!, ...(effort ? { effort } : {}) };
    if (f.thinkingType === 'disabled') return { budget: 0 };
    if (f.thinkingType === 'adaptive') return { effort: effort ?? 'auto' };
    return effort ? { effort } : {};
  }
  if (i === 'gemini' || i === 'gemini-cli') return f.budget !== undefined ? { budget: f.budget } : f.effort ? { effort: f.effort as IREffort } : {};
  return f.effort ? { effort: f.effort as IREffort } : {};
}

function checkRequest(t: Test, i: Inbound, u: Upstream, raw: Json, req: IRRequest, up: Json): void {
  const inF = requestFacts(i, raw);
  const upF = requestFacts(u, up);
  const back = upstreamNameBack(u, req);

  t.doesNotThrow(() => JSON.parse(JSON.stringify(up)), 'the upstream body serialises');
  t.same(upF.pairing, [], `every tool call has exactly one result after it, by ${u}'s pairing rules`);

  // System prompt and conversation.
  for (const s of inF.system) t.ok(upF.system.some((x) => x.includes(s)), `system text ${JSON.stringify(s.slice(0, 40))} is in the upstream's system prompt`);
  t.same(piecesInOrder(inF.pieces, upF.pieces, upF.system), [], 'every user/assistant/system text arrives, in order');

  // Tools.
  for (const tool of inF.tools) {
    const got = upF.tools.find((x) => back(x.name) === tool.name);
    if (!got) {
      t.fail(`tool ${tool.name} is missing upstream`);
      continue;
    }
    t.same(tool.props.filter((p) => !got.props.includes(p)), [], `tool ${tool.name} keeps its parameter names`);
  }

  // Tool calls in history and their results.
  t.equal(upF.calls.length, inF.calls.length, 'every tool call of the history is sent');
  inF.calls.forEach((c, k) => {
    const uc = upF.calls[k];
    if (!uc) return;
    t.equal(back(uc.name), c.name, `call ${k} keeps its name`);
    t.equal(canonicalJson(uc.args), canonicalJson(c.args), `call ${k} keeps its arguments`);
    if (u === 'openai-chat' || u === 'codex') {
      if (c.id) t.equal(uc.id, c.id, `call ${k} keeps its id`);
      else t.ok(uc.id, `call ${k} gets an id`);
    } else if (u === 'claude') {
      if (c.id) t.match(uc.id, new RegExp(`^${c.id.replace(/[^a-zA-Z0-9_-]/g, '_')}(_\\d+)?$`), `call ${k} keeps its id (Claude-safe)`);
      t.match(uc.id ?? '', CLAUDE_ID, `call ${k} id is a valid Claude id`);
    } else if (c.id && (i === 'gemini' || i === 'gemini-cli')) {
      t.equal(uc.id, c.id, `call ${k} keeps the id the Gemini client sent`);
    }
  });
  for (const r of inF.results) {
    if (r.answers === undefined) continue;
    const ur = upF.results.filter((x) => x.answers === r.answers);
    t.equal(ur.length, 1, `the result of call ${r.answers} is sent once, paired with its call`);
    if (ur[0]) t.equal(ur[0].text, r.text, `the result of call ${r.answers} keeps its content`);
  }

  // Images.
  for (const img of inF.images) t.ok(upF.images.includes(img), `image ${img.slice(0, 40)}… arrives`);

  // Limits and sampling.
  if (u === 'codex') {
    for (const k of ['max_output_tokens', 'temperature', 'top_p']) t.notOk(k in up, `codex: ${k} is left out (the backend rejects it)`);
  } else {
    if (inF.maxTokens !== undefined) t.equal(upF.maxTokens, inF.maxTokens, 'max tokens carried');
    else if (u === 'claude') t.ok((upF.maxTokens ?? 0) > 0, 'claude: max_tokens is always set');
    if (inF.temperature !== undefined) {
      if (u === 'claude' && i !== 'claude') {
        const thinking = upF.thinkingType === 'enabled' || upF.thinkingType === 'adaptive';
        const want = Math.min(inF.temperature, 1);
        if (thinking && want !== 1) t.equal(upF.temperature, undefined, 'claude: temperature other than 1 is dropped when thinking is on');
        else t.equal(upF.temperature, want, 'claude: temperature carried (at most 1)');
      } else t.equal(upF.temperature, inF.temperature, 'temperature carried');
    }
    if (inF.stop !== undefined) {
      // Claude rejects whitespace-only stop sequences.
      const want = u === 'claude' ? inF.stop.filter((s) => s.trim() !== '') : inF.stop;
      t.same(upF.stop ?? [], want, 'stop sequences carried');
    }
  }

  // Reasoning controls: effort ↔ budget, clamped to the model.
  const asked = askedReasoning(i, inF);
  const budget = asked.budget ?? (asked.effort ? effortToBudget(asked.effort) : undefined);
  const effort = asked.effort ?? (asked.budget !== undefined ? budgetToEffort(asked.budget) : undefined);
  const model = UPSTREAM_MODEL[u];
  switch (u) {
    case 'openai-chat': {
      const want = asked.effort && asked.effort !== 'auto' ? asked.effort : asked.budget !== undefined && asked.budget > 0 ? budgetToEffort(asked.budget) : undefined;
      t.equal(upF.effort, want, 'reasoning_effort mapped');
      break;
    }
    case 'codex': {
      const want = effort && effort !== 'auto' ? effort : i === 'openai-responses' ? undefined : 'low';
      t.equal(upF.effort, want, 'reasoning.effort mapped (low when a foreign client says nothing)');
      break;
    }
    case 'gemini':
    case 'gemini-cli':
      if (budget === undefined) t.equal(upF.budget, undefined, 'no thinking budget when none was asked');
      else t.equal(upF.budget, clampBudget(model, budget), `thinking budget ${budget} mapped and clamped for ${model}`);
      break;
    case 'claude': {
      if (i === 'claude') {
        t.equal(upF.thinkingType, inF.thinkingType, 'claude → claude: thinking passes as sent');
        break;
      }
      if (budget === undefined) {
        t.equal(upF.thinkingType, undefined, 'no thinking when none was asked');
        break;
      }
      if (budget === 0 || asked.effort === 'none') {
        t.equal(upF.thinkingType, 'disabled', 'thinking off maps to disabled');
        break;
      }
      const max = upF.maxTokens ?? 0;
      let want = clampBudget(model, budget);
      if (want >= max) want = Math.floor((max * 3) / 4);
      if (upF.thinkingType === 'enabled') {
        t.equal(upF.budget, want, `thinking budget ${budget} mapped and clamped to [1024, max_tokens)`);
        t.ok(upF.budget! >= 1024 && upF.budget! < max, 'budget within Claude limits');
      } else {
        // Claude refuses thinking with a forced tool choice, and a tool loop
        // whose last assistant turn has no signed thinking block.
        const tc = isObj(up.tool_choice) ? up.tool_choice.type : undefined;
        const msgs = Array.isArray(up.messages) ? (up.messages as Json[]) : [];
        const prev = msgs[msgs.length - 2];
        const loop = Array.isArray(prev?.content) && (prev.content as Json[]).some((b) => b.type === 'tool_use') && (prev.content as Json[])[0]?.type !== 'thinking';
        t.ok(tc === 'any' || tc === 'tool' || loop || want < 1024, `thinking left out only where Claude refuses it (tool_choice ${String(tc)}, tool loop ${loop})`);
      }
      break;
    }
  }
}

t.test('requests: every inbound fixture encoded for every upstream', async (t) => {
  for (const i of INBOUND) {
    for (const file of REQUEST_FIXTURES[i]) {
      for (const u of UPSTREAM) {
        await t.test(`${file} → ${u}`, async (t) => {
          const raw = withModel(fixtureJson(file), UPSTREAM_MODEL[u]);
          const { req, body } = compose(i, u).request(raw);
          checkRequest(t, i, u, raw, req, body);
        });
      }
    }
  }
});

t.test('requests: reasoning controls are mapped and clamped', async (t) => {
  const chat = (effort: string): Json => ({ model: 'm', messages: [{ role: 'user', content: 'hi' }], reasoning_effort: effort });
  const claude = (thinking: Json, max = 64000): Json => ({ model: 'm', max_tokens: max, messages: [{ role: 'user', content: 'hi' }], thinking });
  const gemini = (budget: number): Json => ({ model: 'm', contents: [{ role: 'user', parts: [{ text: 'hi' }] }], generationConfig: { thinkingConfig: { thinkingBudget: budget } } });
  const responses = (effort: string): Json => ({ model: 'm', input: 'hi', reasoning: { effort } });
  const cases: Array<[Inbound, Json, Upstream, string, (up: Json) => unknown, unknown]> = [
    ['openai-chat', chat('xhigh'), 'gemini', 'gemini-2.5-flash', (b) => thinking(b)?.thinkingBudget, 24576],
    ['openai-chat', chat('minimal'), 'claude', 'claude-sonnet-4-5', (b) => (b.thinking as Json | undefined)?.budget_tokens, 1024],
    ['openai-chat', chat('none'), 'claude', 'claude-sonnet-4-5', (b) => (b.thinking as Json | undefined)?.type, 'disabled'],
    ['openai-chat', chat('high'), 'gemini-cli', 'gemini-2.5-flash-lite', (b) => thinking((b.request as Json))?.thinkingBudget, 24576],
    ['claude', claude({ type: 'enabled', budget_tokens: 50000 }), 'gemini', 'gemini-2.5-flash', (b) => thinking(b)?.thinkingBudget, 24576],
    ['claude', claude({ type: 'enabled', budget_tokens: 50000 }), 'gemini', 'gemini-2.5-pro', (b) => thinking(b)?.thinkingBudget, 32768],
    ['claude', claude({ type: 'enabled', budget_tokens: 3000 }), 'openai-chat', 'gpt-5', (b) => b.reasoning_effort, 'medium'],
    ['claude', claude({ type: 'enabled', budget_tokens: 3000 }), 'codex', 'gpt-5-codex', (b) => (b.reasoning as Json).effort, 'medium'],
    ['claude', claude({ type: 'disabled' }), 'gemini', 'gemini-2.5-pro', (b) => thinking(b)?.thinkingBudget, 128],
    ['claude', claude({ type: 'disabled' }), 'gemini', 'gemini-2.5-flash', (b) => thinking(b)?.thinkingBudget, 0],
    ['gemini', gemini(100), 'claude', 'claude-sonnet-4-5', (b) => (b.thinking as Json | undefined)?.budget_tokens, 1024],
    ['gemini', gemini(-1), 'claude', 'claude-sonnet-4-5', (b) => (b.thinking as Json | undefined)?.budget_tokens, 24000],
    ['gemini', gemini(200000), 'gemini', 'gemini-2.5-flash', (b) => thinking(b)?.thinkingBudget, 24576],
    ['gemini', gemini(20000), 'openai-chat', 'o3', (b) => b.reasoning_effort, 'high'],
    ['gemini', gemini(0), 'codex', 'gpt-5-codex', (b) => (b.reasoning as Json).effort, 'none'],
    ['openai-responses', responses('low'), 'gemini', 'gemini-2.5-pro', (b) => thinking(b)?.thinkingBudget, 1024],
    ['openai-responses', responses('none'), 'gemini', 'gemini-2.5-pro', (b) => thinking(b)?.thinkingBudget, 128],
    ['openai-responses', responses('xhigh'), 'claude', 'claude-sonnet-4-5', (b) => (b.thinking as Json | undefined)?.budget_tokens, 24000],
  ];
  for (const [i, body, u, model, read, want] of cases) {
    const { body: up } = compose(i, u).request({ ...body, model });
    t.same(read(up), want, `${i} ${JSON.stringify((body.reasoning_effort ?? body.thinking ?? body.generationConfig ?? body.reasoning))} → ${u} ${model}`);
  }
});

function thinking(b: Json): Json | undefined {
  const g = b.generationConfig as Json | undefined;
  return g?.thinkingConfig as Json | undefined;
}

// ───────────────────────────── the answer side ─────────────────────────────

interface Expected {
  text: string;
  reasoning: string;
  calls: Array<{ id?: string; name: string; args: unknown }>;
  usage: { input: number; output: number; cached?: number; reasoning?: number };
  /** The upstream stopped to have tools run. */
  tools: boolean;
}

interface UpstreamAnswer {
  name: string;
  /** Stream text, or a non-stream JSON body. */
  stream?: { text: string; framing: Framing };
  body?: unknown;
  /** A body that is a whole buffered stream (Codex answers non-stream clients this way). */
  buffered?: { text: string; framing: Framing };
  expect: Expected;
}

const PATCH = '*** Begin Patch\n*** Update File: src/sum.js\n@@\n-  return a - b;\n+  return a + b;\n*** End Patch\n';

const E = {
  chatTools: {
    text: '',
    reasoning: '',
    calls: [
      { id: 'call_DdmO9pD3xa9XTPNJ32zg2hcA', name: 'get_weather', args: { location: 'Paris, France' } },
      { id: 'call_2nd', name: 'get_time', args: { tz: 'Europe/Paris' } },
    ],
    usage: { input: 71, output: 38, cached: 0, reasoning: 0 },
    tools: true,
  },
  chatReasoning: {
    text: 'There are three Rs — «r» ×3 🍓.',
    reasoning: 'Okay, strawberry → 3 × r. ✓',
    calls: [],
    usage: { input: 17, output: 120, cached: 0, reasoning: 100 },
    tools: false,
  },
  chatBodyTools: {
    text: '',
    reasoning: '',
    calls: [
      { id: 'call_abc123', name: 'get_current_weather', args: { location: 'Boston, MA' } },
      { id: 'call_def456', name: 'get_current_weather', args: { location: 'Tokyo' } },
    ],
    usage: { input: 82, output: 17, cached: 64, reasoning: 0 },
    tools: true,
  },
  chatBodyText: {
    text: 'There are three Rs in "strawberry".',
    reasoning: 's-t-r-a-w-b-e-r-r-y: r at positions 3, 8 and 9.',
    calls: [],
    usage: { input: 1117, output: 46, cached: 1024, reasoning: 30 },
    tools: false,
  },
  claudeStream: {
    text: "I'll run the failing test and search for every caller of `parse` at the same time.",
    reasoning:
      'The test expects a number but `parse` returns a string. I should check the callers before changing the return type, and look up the docs for Number() edge cases.',
    calls: [
      { id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'Bash', args: { command: 'npm test -- parse', description: 'Run the parser tests' } },
      { id: 'toolu_01WmbxHBbQs2ZLKJ1s5G3Ndd', name: 'Grep', args: { pattern: 'parse\\(', path: 'src', output_mode: 'content' } },
    ],
    // Claude's input_tokens leave cache reads and writes out; the IR (and OpenAI, Gemini) count them in.
    usage: { input: 2095 + 512 + 14336, output: 187, cached: 14336 },
    tools: true,
  },
  claudeBody: {
    text: "I'll check the current weather in Paris for you.",
    reasoning: 'The user wants the weather in Paris. I should call get_weather.',
    calls: [{ id: 'toolu_01A09q90qw90lq917835lq9', name: 'get_weather', args: { location: 'Paris, France', unit: 'celsius' } }],
    usage: { input: 472 + 1024, output: 89, cached: 1024 },
    tools: true,
  },
  geminiStream: {
    text: 'Let me check both cities for you.',
    reasoning:
      '**Planning the lookup**\n\nThe user wants weather and time for two cities, so I should call both tools. Calling them in parallel is fine.',
    calls: [
      { name: 'get_current_weather', args: { location: 'Paris, FR' } },
      { name: 'get_current_weather', args: { location: 'Tokyo, JP' } },
    ],
    // Gemini counts thoughts apart from candidates; output includes them in the IR.
    usage: { input: 151, output: 38 + 54, cached: 64, reasoning: 54 },
    tools: true,
  },
  geminiBodyText: {
    text: 'Tomorrow looks drier: mostly sunny with a high of 21 °C.',
    reasoning: '',
    calls: [],
    usage: { input: 212, output: 17 },
    tools: false,
  },
  geminiBodyCalls: {
    text: 'Checking the weather and the local time in Paris.',
    reasoning: '**Finding the tools**\n\nThe user wants the weather and the local time in Paris; both tools can run at once.',
    calls: [
      { name: 'get_current_weather', args: { location: 'Paris, FR', unit: 'celsius' } },
      { name: 'get_local_time', args: { timezone: 'Europe/Paris' } },
    ],
    usage: { input: 320, output: 41 + 48, cached: 256, reasoning: 48 },
    tools: true,
  },
  cliStream: {
    text: '`src` holds `index.ts` and `server.ts`; the package is called **app**.',
    reasoning: '**Inspecting the project**\n\nThe package is named app.',
    calls: [],
    usage: { input: 9123, output: 20 + 17, reasoning: 17 },
    tools: false,
  },
  cliBody: {
    text: "I'll read `package.json` to find the test command.",
    reasoning: '**Reading the manifest**\n\nI need package.json to see the test script.',
    calls: [{ name: 'read_file', args: { absolute_path: '/home/me/app/package.json' } }],
    usage: { input: 9123, output: 31 + 26, cached: 8192, reasoning: 26 },
    tools: true,
  },
  codexCustom: {
    text: '',
    reasoning: '',
    // A freeform (custom) tool's input travels as {"input": …} arguments to clients without custom tools.
    calls: [{ id: 'call_patch9', name: 'apply_patch', args: { input: PATCH } }],
    usage: { input: 5100, output: 410, cached: 4864, reasoning: 320 },
    tools: true,
  },
  codexTwoCalls: {
    text: "I'll look up the weather in Lyon and compute the average.",
    // Summary parts are sections of one thought: joined with a blank line.
    reasoning: "**Checking the weather**\n\nThe user wants weather for two cities.\n\n**Planning calls**\n\nI'll call get_weather, then the REPL.",
    calls: [
      { id: 'call_w1', name: 'get_weather', args: { city: 'Lyon' } },
      // A namespaced function is ns__name to formats without namespaces.
      { id: 'call_w2', name: 'mcp__node_repl__js', args: { code: '(21+17)/2' } },
    ],
    usage: { input: 1200, output: 230, cached: 1024, reasoning: 128 },
    tools: true,
  },
} satisfies Record<string, Expected>;

function sseToJsonArray(sse: string): string {
  const chunks = sse.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6));
  return '[' + chunks.join(',\r\n') + ']';
}

function lastResponseObject(sse: string): Json {
  const lines = sse.split('\n').filter((l) => l.startsWith('data: '));
  return (JSON.parse(lines[lines.length - 1]!.slice(6)) as Json).response as Json;
}

const ANSWERS: Record<Upstream, UpstreamAnswer[]> = {
  'openai-chat': [
    { name: 'stream-tools.sse', stream: { text: fixtureText('openai-chat/stream-tools.sse'), framing: 'sse' }, expect: E.chatTools },
    { name: 'stream-reasoning.sse', stream: { text: fixtureText('openai-chat/stream-reasoning.sse'), framing: 'sse' }, expect: E.chatReasoning },
    { name: 'response-tools.json', body: fixtureJson('openai-chat/response-tools.json'), expect: E.chatBodyTools },
    { name: 'response-text.json', body: fixtureJson('openai-chat/response-text.json'), expect: E.chatBodyText },
  ],
  claude: [
    { name: 'stream-thinking-tools.sse', stream: { text: fixtureText('claude/stream-thinking-tools.sse'), framing: 'sse' }, expect: E.claudeStream },
    { name: 'response-message.json', body: fixtureJson('claude/response-message.json'), expect: E.claudeBody },
  ],
  gemini: [
    { name: 'stream-thoughts.sse', stream: { text: fixtureText('gemini/stream-thoughts.sse'), framing: 'sse' }, expect: E.geminiStream },
    { name: 'stream-thoughts as a JSON array', stream: { text: sseToJsonArray(fixtureText('gemini/stream-thoughts.sse')), framing: 'json-array' }, expect: E.geminiStream },
    { name: 'response-text.json', body: fixtureJson('gemini/response-text.json'), expect: E.geminiBodyText },
    { name: 'response-function-call.json', body: fixtureJson('gemini/response-function-call.json'), expect: E.geminiBodyCalls },
  ],
  'gemini-cli': [
    { name: 'stream.sse', stream: { text: fixtureText('gemini-cli/stream.sse'), framing: 'sse' }, expect: E.cliStream },
    { name: 'response.json', body: fixtureJson('gemini-cli/response.json'), expect: E.cliBody },
  ],
  codex: [
    { name: 'stream-custom-tool.sse', stream: { text: fixtureText('codex/stream-custom-tool.sse'), framing: 'sse' }, expect: E.codexCustom },
    { name: 'stream-reasoning-text-two-calls.sse', stream: { text: fixtureText('openai-responses/stream-reasoning-text-two-calls.sse'), framing: 'sse' }, expect: E.codexTwoCalls },
    { name: 'stream-custom-tool.sse buffered', buffered: { text: fixtureText('codex/stream-custom-tool.sse'), framing: 'sse' }, expect: E.codexCustom },
    { name: 'stream-reasoning-text-two-calls.sse buffered', buffered: { text: fixtureText('openai-responses/stream-reasoning-text-two-calls.sse'), framing: 'sse' }, expect: E.codexTwoCalls },
    { name: 'the final response object', body: lastResponseObject(fixtureText('openai-responses/stream-reasoning-text-two-calls.sse')), expect: E.codexTwoCalls },
  ],
};

/** The request each inbound client made (its first fixture), as encoded for `u`. */
function clientRequest(i: Inbound, u: Upstream, stream: boolean): IRRequest {
  const raw = withModel(fixtureJson(REQUEST_FIXTURES[i][0]!), UPSTREAM_MODEL[u]);
  const { req } = compose(i, u).request(raw);
  return { ...req, stream, includeUsage: true };
}

interface Translated {
  text: string;
  checked: ReturnType<typeof checkStream>;
}

function translateStream(i: Inbound, u: Upstream, req: IRRequest, text: string, framing: Framing, sse: boolean, cut?: number, lost = false): Translated {
  const tr = new StreamTranslator({ upstream: getCodec(u), inbound: getCodec(i), req, framing, sse });
  const bytes = Buffer.from(text, 'utf8');
  const part = cut === undefined ? bytes : bytes.subarray(0, cut);
  // Fed in uneven pieces, as a socket would hand them over.
  let out = '';
  for (let at = 0, k = 0; at < part.length; k++) {
    const n = [7, 61, 300, 1][k % 4]!;
    out += tr.push(part.subarray(at, at + n));
    at += n;
  }
  // `lost`: the upstream connection failed there (the router calls error() instead of end()).
  out += lost ? tr.error(502, 'upstream connection failed mid-stream') : tr.end();
  return { text: out, checked: checkStream(i, out, { sse, strict: cut === undefined }) };
}

function finishKind(i: Inbound, a: ClientAnswer): string {
  switch (i) {
    case 'openai-chat':
      return a.finish === 'tool_calls' ? 'tool' : a.finish === 'stop' ? 'stop' : `other:${a.finish}`;
    case 'claude':
      return a.finish === 'tool_use' ? 'tool' : a.finish === 'end_turn' ? 'stop' : `other:${a.finish}`;
    case 'openai-responses':
      // Responses has no finish reason: a completed response that holds calls is the tool stop.
      return a.finish === 'completed' ? (a.calls.length ? 'tool' : 'stop') : `other:${a.finish}`;
    default:
      // Gemini says STOP either way; STOP with function calls is the tool stop.
      return a.finish === 'STOP' ? (a.calls.length ? 'tool' : 'stop') : `other:${a.finish}`;
  }
}

function checkAnswer(t: Test, i: Inbound, a: ClientAnswer, e: Expected, what: string): void {
  t.equal(a.ended, 'clean', `${what}: ends cleanly`);
  t.equal(a.text, e.text, `${what}: text`);
  t.equal(a.reasoning, e.reasoning, `${what}: reasoning text`);
  t.equal(a.calls.length, e.calls.length, `${what}: tool call count`);
  e.calls.forEach((c, k) => {
    const got = a.calls[k];
    if (!got) return;
    t.equal(got.name, c.name, `${what}: call ${k} name`);
    let args: unknown;
    try {
      args = JSON.parse(got.args);
    } catch {
      args = got.args;
    }
    t.same(args, c.args, `${what}: call ${k} arguments parse to the upstream's`);
    t.ok(got.id, `${what}: call ${k} has an id`);
    if (c.id) t.equal(got.id, c.id, `${what}: call ${k} keeps the upstream id`);
  });
  t.equal(finishKind(i, a), e.tools ? 'tool' : 'stop', `${what}: finish reason maps (${a.finish})`);
  const u = a.usage;
  if (!u) {
    t.fail(`${what}: no usage`);
    return;
  }
  t.equal(u.input, e.usage.input, `${what}: input tokens`);
  t.equal(u.output, e.usage.output, `${what}: output tokens`);
  if (CARRIES[i].cached && e.usage.cached !== undefined) t.equal(u.cached ?? 0, e.usage.cached, `${what}: cached tokens`);
  if (CARRIES[i].reasoningTokens && e.usage.reasoning !== undefined) t.equal(u.reasoning ?? 0, e.usage.reasoning, `${what}: reasoning tokens`);
}

t.test('answers: every upstream answer translated to every inbound format', async (t) => {
  for (const u of UPSTREAM) {
    for (const ans of ANSWERS[u]) {
      for (const i of INBOUND) {
        await t.test(`${u} ${ans.name} → ${i}`, async (t) => {
          if (ans.stream) {
            const req = clientRequest(i, u, true);
            for (const sse of i === 'gemini' || i === 'gemini-cli' ? [true, false] : [true]) {
              const what = sse ? 'stream' : 'JSON-array stream';
              const r = translateStream(i, u, req, ans.stream.text, ans.stream.framing, sse);
              t.same(r.checked.problems, [], `${what}: a valid ${i} stream`);
              checkAnswer(t, i, r.checked.answer, ans.expect, what);
              // Ids the gateway mints (Gemini sends none) are the same every time the answer is translated.
              const again = translateStream(i, u, req, ans.stream.text, ans.stream.framing, sse);
              t.same(again.checked.answer.calls.map((c) => c.id), r.checked.answer.calls.map((c) => c.id), `${what}: tool call ids are stable`);
            }
          }
          if (ans.body !== undefined || ans.buffered) {
            const req = clientRequest(i, u, false);
            const inbound = getCodec(i);
            const upstream = getCodec(u);
            const res = ans.buffered
              ? translateEvents(inbound, decodeStreamBody(upstream, ans.buffered.framing, ans.buffered.text, req), req)
              : translateResponse(upstream, inbound, ans.body, req);
            t.equal(res.status, 200, 'status 200');
            const r = readBody(i, res.body);
            t.same(r.problems, [], `a valid ${i} body`);
            checkAnswer(t, i, r.answer, ans.expect, 'body');
            const again = ans.buffered
              ? translateEvents(inbound, decodeStreamBody(upstream, ans.buffered.framing, ans.buffered.text, req), req)
              : translateResponse(upstream, inbound, ans.body, req);
            t.same(readBody(i, again.body).answer.calls.map((c) => c.id), r.answer.calls.map((c) => c.id), 'tool call ids are stable');
          }
        });
      }
    }
  }
});

/** The frame after which an upstream's answer is complete: the first one
 *  carrying its end marker (truncation.ts). Chat: a finish_reason ([DONE]
 *  may still be missing); Claude: message_delta (only message_stop missing);
 *  Gemini: finishReason; Codex: response.completed. */
const END_MARKER: Record<Upstream, RegExp> = {
  'openai-chat': /"finish_reason":\s*"/,
  claude: /"type":\s*"message_delta"/,
  gemini: /"finishReason"/,
  'gemini-cli': /"finishReason"/,
  codex: /"type":\s*"response\.(?:completed|incomplete)"/,
};

/** Bytes of `text` an upstream must have sent for its answer to be whole:
 *  up to the end of the JSON of its end-marker frame. */
function completeAt(u: Upstream, text: string, framing: Framing): number {
  const at = text.search(END_MARKER[u]);
  if (at < 0) throw new Error(`no end marker in the ${u} fixture`);
  let end: number;
  if (framing === 'sse') end = text.indexOf('\n', at);
  else {
    end = text.indexOf(',\r\n', at);
    if (end < 0) end = text.lastIndexOf(']');
  }
  if (end < 0) end = text.length;
  if (text[end - 1] === '\r') end--;
  return Buffer.byteLength(text.slice(0, end), 'utf8');
}

t.test('answers: upstream streams cut short reach every client as an error, never as a stop', async (t) => {
  for (const u of UPSTREAM) {
    for (const ans of ANSWERS[u]) {
      if (!ans.stream) continue;
      const bytes = Buffer.byteLength(ans.stream.text, 'utf8');
      const text = ans.stream.text;
      const whole = completeAt(u, text, ans.stream.framing);
      // Mid-frame cuts, and cuts right at frame boundaries (before the last frame, after the first).
      const cuts = new Set<number>([0, 1, Math.floor(bytes * 0.1), Math.floor(bytes * 0.37), Math.floor(bytes * 0.5), Math.floor(bytes * 0.81), bytes - 3]);
      const lastFrame = Buffer.byteLength(text.slice(0, text.lastIndexOf('\n\n', text.length - 3) + 2), 'utf8');
      const firstFrame = Buffer.byteLength(text.slice(0, text.indexOf('\n\n') + 2), 'utf8');
      cuts.add(lastFrame);
      cuts.add(firstFrame);
      // Right before and right at the end of the end-marker frame.
      cuts.add(whole - 1);
      cuts.add(whole);
      for (const i of INBOUND) {
        await t.test(`${u} ${ans.name} → ${i}`, async (t) => {
          const req = clientRequest(i, u, true);
          for (const cut of [...cuts].sort((a, b) => a - b)) {
            for (const sse of i === 'gemini' || i === 'gemini-cli' ? [true, false] : [true]) {
              const r = translateStream(i, u, req, text, ans.stream!.framing, sse, cut);
              const label = `cut at ${cut}/${bytes}${sse ? '' : ' (JSON array)'}`;
              t.same(r.checked.problems, [], `${label}: a valid ${i} stream`);
              if (cut >= whole) t.equal(r.checked.answer.ended, 'clean', `${label}: after the end marker, a clean close`);
              else {
                t.equal(r.checked.answer.ended, 'error', `${label}: before the end marker, an error`);
                t.match(r.checked.answer.error, /upstream stream ended before completion/, `${label}: saying why`);
              }
              t.ok(ans.expect.text.startsWith(r.checked.answer.text), `${label}: the text so far is a prefix of the answer`);
              const lost = translateStream(i, u, req, text, ans.stream!.framing, sse, cut, true);
              t.same(lost.checked.problems, [], `${label}, connection lost: a valid ${i} stream`);
              // An answer whose end the client already saw stays a clean answer.
              const seen = r.checked.answer.ended === 'clean' && r.checked.answer.text === ans.expect.text && r.checked.answer.calls.length === ans.expect.calls.length;
              if (!seen || lost.checked.answer.ended !== 'clean') t.equal(lost.checked.answer.ended, 'error', `${label}, connection lost: ends with an error`);
            }
          }
        });
      }
    }
  }
});

// ───────────────────────────── tool names ─────────────────────────────

/** What each upstream accepts as a function name (OpenAI and Codex: a-z, A-Z,
 *  0-9, _ and -, at most 64; Gemini also . and :, starting with a letter or _). */
const NAME_OK: Record<Upstream, RegExp> = {
  'openai-chat': /^[a-zA-Z0-9_-]{1,64}$/,
  codex: /^[a-zA-Z0-9_-]{1,64}$/,
  claude: /^[a-zA-Z0-9_-]{1,128}$/,
  gemini: /^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$/,
  'gemini-cli': /^[a-zA-Z_][a-zA-Z0-9_.:-]{0,63}$/,
};

const LONG_NAME = 'mcp__a_very_long_server_name_that_goes_on__and_on_and_on__tool_name_x';

const NAME_CASES: Array<{ i: Inbound; body: Json; names: string[] }> = [
  {
    // Names Gemini takes and OpenAI-style APIs do not.
    i: 'gemini',
    names: ['files.read', 'clock:now'],
    body: {
      contents: [
        { role: 'user', parts: [{ text: 'Read the notes, then tell me the time.' }] },
        { role: 'model', parts: [{ functionCall: { name: 'files.read', args: { path: 'NOTES.md' } } }] },
        { role: 'user', parts: [{ functionResponse: { name: 'files.read', response: { output: 'remember the milk' } } }] },
      ],
      tools: [{ functionDeclarations: [
        { name: 'files.read', parameters: { type: 'OBJECT', properties: { path: { type: 'STRING' } } } },
        { name: 'clock:now', parameters: { type: 'OBJECT', properties: { tz: { type: 'STRING' } } } },
      ] }],
    },
  },
  {
    // An MCP tool name over the 64 characters Gemini and Codex take.
    i: 'openai-chat',
    names: [LONG_NAME],
    body: {
      messages: [
        { role: 'user', content: 'Look it up.' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_l1', type: 'function', function: { name: LONG_NAME, arguments: '{"q":"milk"}' } }] },
        { role: 'tool', tool_call_id: 'call_l1', content: 'found' },
      ],
      tools: [{ type: 'function', function: { name: LONG_NAME, parameters: { type: 'object', properties: { q: { type: 'string' } } } } }],
    },
  },
];

/** A one-call upstream stream whose call names the tool `name` (as the upstream knows it). */
function callingStream(u: Upstream, name: string): string {
  if (u === 'gemini' || u === 'gemini-cli') {
    const chunk = { candidates: [{ content: { role: 'model', parts: [{ functionCall: { name, args: { q: 'x' } } }] }, finishReason: 'STOP', index: 0 }], modelVersion: 'gemini-2.5-flash', responseId: 'r1' };
    return `data: ${JSON.stringify(u === 'gemini-cli' ? { response: chunk } : chunk)}\n\n`;
  }
  if (u === 'codex') {
    const item = { id: 'fc_1', type: 'function_call', status: 'completed', arguments: '{"q":"x"}', call_id: 'call_n1', name };
    const ev = (type: string, o: Json, n: number) => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: n, ...o })}\n\n`;
    return (
      ev('response.created', { response: { id: 'resp_1', object: 'response', status: 'in_progress', model: 'gpt-5-codex', output: [] } }, 0) +
      ev('response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', arguments: '' } }, 1) +
      ev('response.output_item.done', { output_index: 0, item }, 2) +
      ev('response.completed', { response: { id: 'resp_1', object: 'response', status: 'completed', model: 'gpt-5-codex', output: [item], usage: { input_tokens: 1, output_tokens: 1 } } }, 3)
    );
  }
  if (u === 'claude') {
    const ev = (type: string, o: Json) => `event: ${type}\ndata: ${JSON.stringify({ type, ...o })}\n\n`;
    return (
      ev('message_start', { message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], usage: { input_tokens: 1, output_tokens: 1 } } }) +
      ev('content_block_start', { index: 0, content_block: { type: 'tool_use', id: 'toolu_1', name, input: {} } }) +
      ev('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: '{"q":"x"}' } }) +
      ev('content_block_stop', { index: 0 }) +
      ev('message_delta', { delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 2 } }) +
      ev('message_stop', {})
    );
  }
  const chunk = (delta: Json, finish: string | null) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4.1', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  return chunk({ role: 'assistant', tool_calls: [{ index: 0, id: 'call_n1', type: 'function', function: { name, arguments: '{"q":"x"}' } }] }, null) + chunk({}, 'tool_calls') + 'data: [DONE]\n\n';
}

t.test('tool names an upstream cannot take are sanitized for it and restored for the client', async (t) => {
  for (const c of NAME_CASES) {
    for (const u of UPSTREAM) {
      if (u === c.i) continue; // a client's own format: its names are its own business
      await t.test(`${c.i} names ${c.names.join(', ')} → ${u}`, async (t) => {
        const { req, body } = compose(c.i, u).request(withModel(c.body, UPSTREAM_MODEL[u]));
        const f = requestFacts(u, body);
        const back = upstreamNameBack(u, req);
        for (const name of c.names) {
          const tool = f.tools.find((x) => back(x.name) === name);
          if (!tool) {
            t.fail(`tool ${name} is missing upstream`);
            continue;
          }
          t.match(tool.name, NAME_OK[u], `tool ${name} goes up as ${tool.name}, a name ${u} takes`);
          for (const call of f.calls.filter((x) => back(x.name) === name)) t.equal(call.name, tool.name, 'the history call uses the same upstream name');
          // The answer calls the tool by its upstream name; the client sees its own.
          const tr = new StreamTranslator({ upstream: getCodec(u), inbound: getCodec(c.i), req: { ...req, stream: true }, framing: 'sse' });
          const out = tr.push(callingStream(u, tool.name)) + tr.end();
          const checked = checkStream(c.i, out);
          t.same(checked.problems, [], `a valid ${c.i} stream`);
          t.equal(checked.answer.calls[0]?.name, name, `the client sees its own name ${name}`);
        }
      });
    }
  }
});
