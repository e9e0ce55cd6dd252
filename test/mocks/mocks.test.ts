// Exercises the Claude, Gemini and Codex mock upstreams directly — with plain
// fetch for the exact wire bytes, and with the official SDKs to prove the
// mocks speak a format those SDKs accept.
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import t from 'tap';
import { parseSse } from '../helpers/sse.js';
import { CLAUDE_MOCK_SIGNATURE, CLAUDE_TOOL_IDS, startMockClaude } from './claude-upstream.js';
import { CODEX_CALL_IDS, CODEX_MOCK_ENCRYPTED, startMockCodex } from './codex-upstream.js';
import { CODE_ASSIST_PROJECT, GEMINI_MOCK_SIGNATURE, startMockGemini } from './gemini-upstream.js';

const claude = await startMockClaude();
const gemini = await startMockGemini();
const codex = await startMockCodex();
t.teardown(async () => {
  await Promise.all([claude.close(), gemini.close(), codex.close()]);
});


async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; text: string; json: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

// ───────────────────────────── Claude ─────────────────────────────
const CH = { 'x-api-key': 'sk-ant-mock', 'anthropic-version': '2023-06-01' };
const claudeMsg = (model: string, extra: Record<string, unknown> = {}) => ({
  model,
  max_tokens: 64,
  messages: [{ role: 'user', content: 'hi there' }],
  ...extra,
});

t.test('claude: non-stream message object, echo from string and block content', async (t) => {
  const r = await post(`${claude.url}/v1/messages?beta=true`, claudeMsg('claude-mock'), CH);
  t.equal(r.status, 200);
  t.match(r.json, {
    id: /^msg_/,
    type: 'message',
    role: 'assistant',
    model: 'claude-mock',
    content: [{ type: 'text', text: 'echo: hi there' }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 11, output_tokens: 6, cache_read_input_tokens: 3, cache_creation_input_tokens: 0 },
  });
  t.ok(r.headers.get('request-id'));
  const blocks = await post(
    `${claude.url}/v1/messages`,
    claudeMsg('claude-mock', {
      messages: [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AA==' } }, { type: 'text', text: 'from blocks' }] },
      ],
    }),
    { authorization: 'Bearer oauth-token', 'anthropic-version': '2023-06-01' },
  );
  t.equal(blocks.json.content[0].text, 'echo: from blocks', 'Bearer auth accepted, text found among blocks');
  t.equal(claude.requests.at(-1)!.headers.authorization, 'Bearer oauth-token');
});

t.test('claude: auth, version and validation errors use the Anthropic error shape', async (t) => {
  const noKey = await post(`${claude.url}/v1/messages`, claudeMsg('m'), { 'anthropic-version': '2023-06-01' });
  t.equal(noKey.status, 401);
  t.match(noKey.json, { type: 'error', error: { type: 'authentication_error', message: String } });
  const noVersion = await post(`${claude.url}/v1/messages`, claudeMsg('m'), { 'x-api-key': 'k' });
  t.equal(noVersion.status, 400);
  t.match(noVersion.json.error, { type: 'invalid_request_error', message: /anthropic-version/ });
  const cases: Array<[string, unknown, RegExp]> = [
    ['max_tokens missing', { model: 'm', messages: [{ role: 'user', content: 'x' }] }, /max_tokens: Field required/],
    ['messages not a list', claudeMsg('m', { messages: 'hi' }), /messages/],
    ['system role inside messages', claudeMsg('m', { messages: [{ role: 'system', content: 's' }, { role: 'user', content: 'x' }] }), /Unexpected role "system"/],
    ['unknown field', claudeMsg('m', { stream_options: {} }), /stream_options: Extra inputs are not permitted/],
    ['empty text block', claudeMsg('m', { messages: [{ role: 'user', content: [{ type: 'text', text: '' }] }] }), /non-empty/],
    [
      'tool_result without tool_use',
      claudeMsg('m', { messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_x', content: 'r' }] }] }),
      /unexpected `tool_use_id`.*toolu_x/,
    ],
    [
      'tool_use without tool_result',
      claudeMsg('m', {
        messages: [
          { role: 'user', content: 'q' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_y', name: 'f', input: {} }] },
          { role: 'user', content: 'next' },
        ],
      }),
      /`tool_use` ids were found without `tool_result`.*toolu_y/,
    ],
    ['thinking budget ≥ max_tokens', claudeMsg('m', { max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 4000 } }), /max_tokens` must be greater/],
    ['bad tool name', claudeMsg('m', { tools: [{ name: 'a.b', input_schema: { type: 'object' } }] }), /tools\.0\.custom\.name/],
  ];
  for (const [name, body, re] of cases) {
    const r = await post(`${claude.url}/v1/messages`, body, CH);
    t.equal(r.status, 400, name);
    t.match(r.json, { type: 'error', error: { type: 'invalid_request_error', message: re } }, name);
  }
});

t.test('claude: fail-<status>, failNext and count_tokens', async (t) => {
  const r429 = await post(`${claude.url}/v1/messages`, claudeMsg('fail-429'), CH);
  t.equal(r429.status, 429);
  t.equal(r429.json.error.type, 'rate_limit_error');
  t.equal(r429.headers.get('retry-after'), '2');
  const r529 = await post(`${claude.url}/v1/messages`, claudeMsg('fail-529'), CH);
  t.equal(r529.json.error.type, 'overloaded_error');
  claude.failNext(503, 1, { 'x-test': '1' });
  const forced = await post(`${claude.url}/v1/messages`, claudeMsg('claude-mock'), CH);
  t.equal(forced.status, 503);
  t.equal(forced.headers.get('x-test'), '1');
  const count = await post(`${claude.url}/v1/messages/count_tokens`, { model: 'm', system: 'be brief', messages: [{ role: 'user', content: 'one two three' }] }, CH);
  t.same(count.json, { input_tokens: 5 });
});

t.test('claude: stream event names and order', async (t) => {
  const r = await post(`${claude.url}/v1/messages`, claudeMsg('claude-mock', { stream: true }), CH);
  t.match(r.headers.get('content-type'), /^text\/event-stream/);
  const evs = parseSse(r.text);
  t.same(
    evs.map((e) => e.event),
    ['message_start', 'content_block_start', 'ping', 'content_block_delta', 'content_block_delta', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop'],
  );
  for (const e of evs) t.equal(e.data.type, e.event, 'data.type mirrors the event name');
  t.match(evs[0]!.data.message, { content: [], stop_reason: null, usage: { input_tokens: 11, cache_read_input_tokens: 3 } });
  const text = evs.filter((e) => e.event === 'content_block_delta').map((e) => e.data.delta.text).join('');
  t.equal(text, 'echo: hi there');
  t.same(evs.at(-2)!.data, { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 6 } });
});

t.test('claude: thinking and tool-call streams', async (t) => {
  const th = parseSse((await post(`${claude.url}/v1/messages`, claudeMsg('thinking', { stream: true }), CH)).text);
  t.match(th[1]!.data.content_block, { type: 'thinking', thinking: '', signature: '' });
  const deltaTypes = th.filter((e) => e.event === 'content_block_delta').map((e) => `${e.data.index}:${e.data.delta.type}`);
  t.same(deltaTypes.slice(0, 3), ['0:thinking_delta', '0:thinking_delta', '0:signature_delta']);
  t.ok(deltaTypes.slice(3).every((d) => d === '1:text_delta'));
  t.equal(th.find((e) => e.data.delta?.type === 'signature_delta')!.data.delta.signature, CLAUDE_MOCK_SIGNATURE);

  const tc = parseSse((await post(`${claude.url}/v1/messages`, claudeMsg('tool-call', { stream: true }), CH)).text);
  const starts = tc.filter((e) => e.event === 'content_block_start').map((e) => e.data.content_block);
  t.match(starts, [
    { type: 'tool_use', id: CLAUDE_TOOL_IDS[0], name: 'get_weather', input: {} },
    { type: 'tool_use', id: CLAUDE_TOOL_IDS[1], name: 'get_time', input: {} },
  ]);
  for (const index of [0, 1]) {
    const frags = tc.filter((e) => e.data.index === index && e.data.delta?.type === 'input_json_delta').map((e) => e.data.delta.partial_json as string);
    t.ok(frags.filter(Boolean).length >= 2, 'arguments split in 2+ fragments');
    t.same(JSON.parse(frags.join('')), index === 0 ? { city: 'Paris' } : { tz: 'CET' });
  }
  t.equal(tc.find((e) => e.event === 'message_delta')!.data.delta.stop_reason, 'tool_use');
});

t.test('claude: tool-result-echo returns results paired with their tool_use ids', async (t) => {
  const r = await post(
    `${claude.url}/v1/messages`,
    claudeMsg('tool-result-echo', {
      messages: [
        { role: 'user', content: 'weather?' },
        {
          role: 'assistant',
          content: [
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
            { type: 'tool_use', id: 'toolu_2', name: 'get_time', input: {} },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' },
            { type: 'tool_result', tool_use_id: 'toolu_2', content: [{ type: 'text', text: '12:00' }] },
          ],
        },
      ],
    }),
    CH,
  );
  t.same(JSON.parse(r.json.content[0].text), [
    { tool_use_id: 'toolu_1', content: 'sunny' },
    { tool_use_id: 'toolu_2', content: [{ type: 'text', text: '12:00' }] },
  ]);
});

t.test('claude: hang-stream is abortable, break-stream drops the connection', async (t) => {
  const ac = new AbortController();
  const res = await fetch(`${claude.url}/v1/messages`, { method: 'POST', headers: CH, body: JSON.stringify(claudeMsg('hang-stream', { stream: true })), signal: ac.signal });
  const rec = claude.requests.at(-1)!;
  const reader = res.body!.getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  t.match(first, /event: message_start/);
  ac.abort();
  await rec.closed;
  t.equal(rec.closedEarly, true);
  await t.rejects(post(`${claude.url}/v1/messages`, claudeMsg('break-stream', { stream: true }), CH));
});

t.test('claude: @anthropic-ai/sdk accepts the stream and the message', async (t) => {
  const client = new Anthropic({ apiKey: 'sk-ant-mock', baseURL: claude.url, maxRetries: 0 });
  const final = await client.messages.stream({ model: 'claude-mock', max_tokens: 64, messages: [{ role: 'user', content: 'via sdk' }] }).finalMessage();
  t.match(final, { role: 'assistant', content: [{ type: 'text', text: 'echo: via sdk' }], stop_reason: 'end_turn', usage: { input_tokens: 11, output_tokens: 6 } });
  const thinking = await client.messages.stream({ model: 'thinking', max_tokens: 2048, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [{ role: 'user', content: 'q' }] }).finalMessage();
  t.match(thinking.content, [{ type: 'thinking', signature: CLAUDE_MOCK_SIGNATURE }, { type: 'text', text: 'echo: q' }]);
  const tools = await client.messages
    .stream({
      model: 'tool-call',
      max_tokens: 64,
      tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
      messages: [{ role: 'user', content: 'q' }],
    })
    .finalMessage();
  t.match(tools.content, [
    { type: 'tool_use', id: CLAUDE_TOOL_IDS[0], name: 'get_weather', input: { city: 'Paris' } },
    { type: 'tool_use', id: CLAUDE_TOOL_IDS[1], name: 'get_time', input: { tz: 'CET' } },
  ]);
  const created = await client.messages.create({ model: 'claude-mock', max_tokens: 64, messages: [{ role: 'user', content: 'plain' }] });
  t.match(created.content, [{ type: 'text', text: 'echo: plain' }]);
  const err = await client.messages.create({ model: 'claude-mock', max_tokens: 64, messages: [{ role: 'system' as any, content: 'x' }] }).catch((e) => e);
  t.ok(err instanceof Anthropic.BadRequestError);
  t.equal(err.error?.error?.type, 'invalid_request_error');
  t.equal((await client.messages.countTokens({ model: 'm', messages: [{ role: 'user', content: 'a b' }] })).input_tokens, 2);
});

// ───────────────────────────── Gemini ─────────────────────────────
const GH = { 'x-goog-api-key': 'AIza-mock' };
const gReq = (text = 'hi there', extra: Record<string, unknown> = {}) => ({ contents: [{ role: 'user', parts: [{ text }] }], ...extra });
const gUrl = (model: string, action: string, q = '') => `${gemini.url}/v1beta/models/${model}:${action}${q}`;

t.test('gemini: generateContent response shape, key via header or ?key=', async (t) => {
  const r = await post(gUrl('gemini-mock', 'generateContent'), gReq(), GH);
  t.equal(r.status, 200);
  t.match(r.json, {
    candidates: [{ content: { role: 'model', parts: [{ text: 'echo: hi there' }] }, finishReason: 'STOP', index: 0 }],
    usageMetadata: { promptTokenCount: 11, candidatesTokenCount: 6, cachedContentTokenCount: 3, thoughtsTokenCount: 2, totalTokenCount: 19 },
    modelVersion: 'gemini-mock',
    responseId: String,
  });
  const viaQuery = await post(gUrl('gemini-mock', 'generateContent', '?key=AIza-q'), gReq('q'));
  t.equal(viaQuery.json.candidates[0].content.parts[0].text, 'echo: q');
  const none = await post(gUrl('gemini-mock', 'generateContent'), gReq());
  t.equal(none.status, 403);
  t.match(none.json, { error: { code: 403, message: String, status: 'PERMISSION_DENIED' } });
  const bad = await post(gUrl('gemini-mock', 'generateContent', '?key=invalid-key'), gReq());
  t.match(bad.json, { error: { code: 400, status: 'INVALID_ARGUMENT', details: [{ reason: 'API_KEY_INVALID' }] } });
});

t.test('gemini: SSE stream (≥3 chunks, CRLF framing, finish + usage last) and JSON-array stream', async (t) => {
  const r = await post(gUrl('gemini-mock', 'streamGenerateContent', '?alt=sse'), gReq(), GH);
  t.match(r.headers.get('content-type'), /^text\/event-stream/);
  t.ok(r.text.endsWith('\r\n\r\n'));
  t.notOk(/[^\r]\n/.test(r.text.replace(/\r\n/g, '')), 'only CRLF line breaks');
  const evs = parseSse(r.text).map((e) => e.data);
  t.ok(evs.length >= 3);
  t.equal(evs.map((c) => c.candidates[0].content.parts[0].text).join(''), 'echo: hi there');
  t.ok(evs.slice(0, -1).every((c) => !c.candidates[0].finishReason && c.usageMetadata.candidatesTokenCount === undefined));
  t.match(evs.at(-1), { candidates: [{ finishReason: 'STOP' }], usageMetadata: { candidatesTokenCount: 6, totalTokenCount: 19 } });

  const arr = await post(gUrl('gemini-mock', 'streamGenerateContent'), gReq(), GH);
  t.match(arr.headers.get('content-type'), /^application\/json/);
  t.ok(arr.text.startsWith('[{') && arr.text.includes('},\r\n{') && arr.text.endsWith('}]'));
  t.equal((arr.json as any[]).map((c) => c.candidates[0].content.parts[0].text).join(''), 'echo: hi there');
});

t.test('gemini: thinking, tool-call, tool-result-echo, fail-429 RetryInfo, countTokens', async (t) => {
  const th = await post(gUrl('thinking', 'generateContent'), gReq('q'), GH);
  t.match(th.json.candidates[0].content.parts, [{ thought: true, thoughtSignature: GEMINI_MOCK_SIGNATURE, text: String }, { text: 'echo: q' }]);
  const tc = parseSse((await post(gUrl('tool-call', 'streamGenerateContent', '?alt=sse'), gReq('q'), GH)).text);
  t.same(tc.at(-1)!.data.candidates[0].content.parts, [
    { functionCall: { name: 'get_weather', args: { city: 'Paris' } } },
    { functionCall: { name: 'get_time', args: { tz: 'CET' } } },
  ]);
  const echo = await post(
    gUrl('tool-result-echo', 'generateContent'),
    {
      contents: [
        { role: 'user', parts: [{ text: 'q' }] },
        { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }] },
        { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { result: 'sunny' } } }] },
      ],
    },
    GH,
  );
  t.same(JSON.parse(echo.json.candidates[0].content.parts[0].text), [{ name: 'get_weather', response: { result: 'sunny' } }]);
  const r429 = await post(gUrl('fail-429', 'generateContent'), gReq(), GH);
  t.equal(r429.status, 429);
  t.match(r429.json.error, { code: 429, status: 'RESOURCE_EXHAUSTED' });
  t.ok(r429.json.error.details.some((d: any) => d['@type'] === 'type.googleapis.com/google.rpc.RetryInfo' && d.retryDelay === '2s'));
  gemini.failNext(500);
  t.match((await post(gUrl('gemini-mock', 'generateContent'), gReq(), GH)).json, { error: { code: 500, status: 'INTERNAL' } });
  const count = await post(gUrl('gemini-mock', 'countTokens'), gReq('one two three'), GH);
  t.same(count.json, { totalTokens: 3, promptTokensDetails: [{ modality: 'TEXT', tokenCount: 3 }] });
});

t.test('gemini: rejects what the real API rejects', async (t) => {
  const decl = (parameters: unknown) => ({ tools: [{ functionDeclarations: [{ name: 'f', parameters }] }] });
  const cases: Array<[string, unknown, RegExp]> = [
    ['unknown top-level field', gReq('x', { messages: [] }), /Unknown name "messages"/],
    ['unknown generationConfig field', gReq('x', { generationConfig: { max_tokens: 5 } }), /Unknown name "max_tokens" at 'generation_config'/],
    ['$schema', gReq('x', decl({ $schema: 'x', type: 'object' })), /Unknown name "\$schema"/],
    ['additionalProperties (nested)', gReq('x', decl({ type: 'object', properties: { a: { type: 'object', additionalProperties: false } } })), /Unknown name "additionalProperties" at 'tools\[0\]\.function_declarations\[0\]\.parameters\.properties\[0\]\.value'/],
    ['$ref', gReq('x', decl({ type: 'object', properties: { a: { $ref: '#/x' } } })), /Unknown name "\$ref"/],
    ['const', gReq('x', decl({ type: 'object', properties: { a: { const: 1 } } })), /Unknown name "const"/],
    ['type array', gReq('x', decl({ type: ['string', 'null'] })), /Invalid value/],
    ['bad role', { contents: [{ role: 'assistant', parts: [{ text: 'x' }] }] }, /valid role/],
    ['empty parts', { contents: [{ role: 'user', parts: [] }] }, /parts must not be empty/],
    [
      'functionResponse name mismatch',
      {
        contents: [
          { role: 'user', parts: [{ text: 'q' }] },
          { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: {} } }] },
          { role: 'user', parts: [{ functionResponse: { name: 'other', response: {} } }] },
        ],
      },
      /function response/,
    ],
    ['functionResponse without call', { contents: [{ role: 'user', parts: [{ functionResponse: { name: 'f', response: {} } }] }] }, /immediately after a function call turn/],
  ];
  for (const [name, body, re] of cases) {
    const r = await post(gUrl('gemini-mock', 'generateContent'), body, GH);
    t.equal(r.status, 400, name);
    t.match(r.json, { error: { code: 400, status: 'INVALID_ARGUMENT', message: re } }, name);
  }
  const clean = await post(
    gUrl('gemini-mock', 'generateContent'),
    gReq('x', { tools: [{ function_declarations: [{ name: 'f', parameters: { type: 'OBJECT', properties: { a: { type: 'STRING', enum: ['1'] } }, required: ['a'] } }] }] }),
    GH,
  );
  t.equal(clean.status, 200, 'a cleaned schema (snake_case keys accepted) passes');
});

t.test('gemini: Code Assist flavour (v1internal)', async (t) => {
  const BH = { authorization: 'Bearer ya29.mock' };
  const body = { model: 'gemini-mock', project: 'p1', user_prompt_id: 'u1', request: { ...gReq('ca'), session_id: 's1' } };
  t.equal((await post(`${gemini.url}/v1internal:generateContent`, body, GH)).status, 401, 'API key is not enough');
  const r = await post(`${gemini.url}/v1internal:generateContent`, body, BH);
  t.match(r.json, { response: { candidates: [{ content: { parts: [{ text: 'echo: ca' }] }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 11 } }, traceId: String });
  const s = parseSse((await post(`${gemini.url}/v1internal:streamGenerateContent?alt=sse`, body, BH)).text);
  t.ok(s.length >= 3 && s.every((e) => e.data.response?.candidates));
  t.equal(s.map((e) => e.data.response.candidates[0].content.parts[0].text).join(''), 'echo: ca');
  t.same((await post(`${gemini.url}/v1internal:countTokens`, { request: { model: 'models/gemini-mock', contents: gReq('a b').contents } }, BH)).json, { totalTokens: 2 });
  const bad = await post(`${gemini.url}/v1internal:generateContent`, { ...body, request: { ...body.request, foo: 1 } }, BH);
  t.equal(bad.status, 400);
  t.match(bad.json.error.message, `Unknown name "foo" at 'request'`);
  const load = await post(`${gemini.url}/v1internal:loadCodeAssist`, { metadata: { ideType: 'IDE_UNSPECIFIED', platform: 'PLATFORM_UNSPECIFIED', pluginType: 'GEMINI' } }, BH);
  t.match(load.json, { currentTier: { id: 'free-tier' }, allowedTiers: [{ id: 'free-tier', isDefault: true }], cloudaicompanionProject: CODE_ASSIST_PROJECT });
  const onboard = await post(`${gemini.url}/v1internal:onboardUser`, { tierId: 'free-tier', cloudaicompanionProject: CODE_ASSIST_PROJECT, metadata: {} }, BH);
  t.match(onboard.json, { done: true, response: { cloudaicompanionProject: { id: CODE_ASSIST_PROJECT } } });

  const fresh = await startMockGemini({ onboarded: false, project: 'proj-x' });
  t.teardown(() => fresh.close());
  const before = await post(`${fresh.url}/v1internal:loadCodeAssist`, { metadata: {} }, BH);
  t.notOk(before.json.currentTier);
  await post(`${fresh.url}/v1internal:onboardUser`, { tierId: 'free-tier', metadata: {} }, BH);
  t.equal((await post(`${fresh.url}/v1internal:loadCodeAssist`, { metadata: {} }, BH)).json.cloudaicompanionProject, 'proj-x');
});

t.test('gemini: @google/genai accepts the SSE stream, the response and countTokens', async (t) => {
  const ai = new GoogleGenAI({ apiKey: 'AIza-mock', httpOptions: { baseUrl: gemini.url, retryOptions: { attempts: 1 } } });
  let text = '';
  let last: any;
  for await (const chunk of await ai.models.generateContentStream({
    model: 'gemini-mock',
    contents: 'via sdk',
    config: {
      systemInstruction: 'be brief',
      temperature: 0.2,
      maxOutputTokens: 100,
      thinkingConfig: { thinkingBudget: 0 },
      tools: [{ functionDeclarations: [{ name: 'get_weather', parameters: { type: 'OBJECT' as any, properties: { city: { type: 'STRING' as any } } } }] }],
    },
  })) {
    text += chunk.text ?? '';
    last = chunk;
  }
  t.equal(text, 'echo: via sdk');
  t.equal(last.usageMetadata.totalTokenCount, 19);
  t.equal(last.candidates[0].finishReason, 'STOP');
  const seen = gemini.requests.at(-1)!;
  t.equal(seen.headers['x-goog-api-key'], 'AIza-mock');
  t.match(seen.url, /\/v1beta\/models\/gemini-mock:streamGenerateContent\?alt=sse/);

  const calls = await ai.models.generateContent({ model: 'tool-call', contents: 'q' });
  t.same(calls.functionCalls?.map((c) => [c.name, c.args]), [
    ['get_weather', { city: 'Paris' }],
    ['get_time', { tz: 'CET' }],
  ]);
  const thinking = await ai.models.generateContent({ model: 'thinking', contents: 'q' });
  t.equal(thinking.text, 'echo: q', 'thought parts are not part of .text');
  t.equal((await ai.models.countTokens({ model: 'gemini-mock', contents: 'a b c d' })).totalTokens, 4);
  const err = await ai.models.generateContent({ model: 'fail-400', contents: 'q' }).catch((e) => e);
  t.equal(err.status, 400);
});

// ───────────────────────────── Codex ─────────────────────────────
const XH = { authorization: 'Bearer codex-token', 'chatgpt-account-id': 'acct-1' };
const cReq = (model: string, extra: Record<string, unknown> = {}) => ({
  model,
  instructions: 'You are Codex.',
  input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi there' }] }],
  stream: true,
  store: false,
  ...extra,
});

t.test('codex: SSE event sequence with sequence numbers and final usage', async (t) => {
  const r = await post(`${codex.url}/responses`, cReq('gpt-mock'), XH);
  t.equal(r.status, 200);
  t.match(r.headers.get('content-type'), /^text\/event-stream/);
  t.ok(r.headers.get('x-codex-primary-used-percent'));
  const evs = parseSse(r.text);
  t.same(
    evs.map((e) => e.event),
    [
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ],
  );
  t.same(
    evs.map((e) => e.data.sequence_number),
    evs.map((_, i) => i),
  );
  for (const e of evs) t.equal(e.data.type, e.event);
  t.equal(evs.filter((e) => e.event === 'response.output_text.delta').map((e) => e.data.delta).join(''), 'echo: hi there');
  t.match(evs.at(-1)!.data.response, {
    id: /^resp_/,
    object: 'response',
    status: 'completed',
    model: 'gpt-mock',
    output: [{ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'echo: hi there' }] }],
    usage: { input_tokens: 11, input_tokens_details: { cached_tokens: 3 }, output_tokens: 6, output_tokens_details: { reasoning_tokens: 2 }, total_tokens: 17 },
  });
});

t.test('codex: backend constraints and errors', async (t) => {
  const cases: Array<[string, unknown, Record<string, string>, number, unknown]> = [
    ['no auth', cReq('m'), {}, 401, { error: { type: 'invalid_request_error' } }],
    ['stream false', cReq('m', { stream: false }), XH, 400, { detail: 'Stream must be set to true' }],
    ['store true', cReq('m', { store: true }), XH, 400, { detail: 'Store must be set to false' }],
    ['no instructions', cReq('m', { instructions: undefined }), XH, 400, { detail: 'Instructions are required' }],
    ['max_output_tokens', cReq('m', { max_output_tokens: 10 }), XH, 400, { detail: 'Unsupported parameter: max_output_tokens' }],
    ['temperature', cReq('m', { temperature: 0.5 }), XH, 400, { detail: 'Unsupported parameter: temperature' }],
    ['string input', cReq('m', { input: 'hi' }), XH, 400, { detail: 'Input must be a list' }],
    ['unknown param', cReq('m', { messages: [] }), XH, 400, { error: { message: "Unknown parameter: 'messages'.", code: 'unknown_parameter' } }],
    ['bad role', cReq('m', { input: [{ role: 'tool', content: 'x' }] }), XH, 400, { error: { param: 'input[0].role' } }],
    [
      'input_text in assistant message',
      cReq('m', { input: [{ type: 'message', role: 'assistant', content: [{ type: 'input_text', text: 'x' }] }] }),
      XH,
      400,
      { error: { message: /Supported values are: 'output_text' and 'refusal'/ } },
    ],
    [
      'orphan function_call_output',
      cReq('m', { input: [{ type: 'function_call_output', call_id: 'call_zz', output: 'x' }] }),
      XH,
      400,
      { error: { message: 'No tool call found for function call output with call_id call_zz.' } },
    ],
    [
      'function_call without output',
      cReq('m', { input: [{ type: 'function_call', call_id: 'call_q', name: 'f', arguments: '{}' }] }),
      XH,
      400,
      { error: { message: 'No tool output found for function call call_q.' } },
    ],
    ['reasoning item by id only', cReq('m', { input: [{ type: 'reasoning', id: 'rs_1', summary: [] }] }), XH, 404, { error: { message: /not persisted/ } }],
    ['fail-429', cReq('fail-429'), XH, 429, { error: { type: 'usage_limit_reached', resets_in_seconds: Number } }],
  ];
  for (const [name, body, headers, status, shape] of cases) {
    const r = await post(`${codex.url}/responses`, body, headers);
    t.equal(r.status, status, name);
    t.match(r.json, shape, name);
  }
});

t.test('codex: thinking, tool-call and tool-result-echo', async (t) => {
  const th = parseSse((await post(`${codex.url}/responses`, cReq('thinking', { include: ['reasoning.encrypted_content'], reasoning: { effort: 'low', summary: 'auto' } }), XH)).text);
  t.match(th[2]!.data, { type: 'response.output_item.added', output_index: 0, item: { type: 'reasoning', encrypted_content: CODEX_MOCK_ENCRYPTED } });
  t.ok(th.filter((e) => e.event === 'response.reasoning_summary_text.delta').length >= 2);
  t.match(th.at(-1)!.data.response.output, [{ type: 'reasoning', summary: [{ type: 'summary_text' }], encrypted_content: CODEX_MOCK_ENCRYPTED }, { type: 'message' }]);
  const noInclude = parseSse((await post(`${codex.url}/responses`, cReq('thinking'), XH)).text);
  t.notOk('encrypted_content' in noInclude.at(-1)!.data.response.output[0], 'encrypted_content only when included');

  const tc = parseSse((await post(`${codex.url}/responses`, cReq('tool-call'), XH)).text);
  const added = tc.filter((e) => e.event === 'response.output_item.added').map((e) => e.data.item);
  t.match(added, [
    { type: 'function_call', call_id: CODEX_CALL_IDS[0], name: 'get_weather', arguments: '' },
    { type: 'function_call', call_id: CODEX_CALL_IDS[1], name: 'get_time', arguments: '' },
  ]);
  for (const [i, args] of [[0, { city: 'Paris' }], [1, { tz: 'CET' }]] as const) {
    const deltas = tc.filter((e) => e.event === 'response.function_call_arguments.delta' && e.data.output_index === i).map((e) => e.data.delta);
    t.ok(deltas.length >= 2);
    t.same(JSON.parse(deltas.join('')), args);
    t.same(JSON.parse(tc.find((e) => e.event === 'response.function_call_arguments.done' && e.data.output_index === i)!.data.arguments), args);
  }

  const echo = parseSse(
    (
      await post(
        `${codex.url}/responses`,
        cReq('tool-result-echo', {
          input: [
            { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'q' }] },
            { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
            { type: 'function_call', call_id: 'call_2', name: 'get_time', arguments: '{}' },
            { type: 'function_call_output', call_id: 'call_1', output: 'sunny' },
            { type: 'function_call_output', call_id: 'call_2', output: '12:00' },
          ],
        }),
        XH,
      )
    ).text,
  );
  t.same(JSON.parse(echo.find((e) => e.event === 'response.output_text.done')!.data.text), [
    { call_id: 'call_1', output: 'sunny' },
    { call_id: 'call_2', output: '12:00' },
  ]);
});

t.test('codex: stream-error ends with response.failed; hang-stream is abortable', async (t) => {
  const se = parseSse((await post(`${codex.url}/responses`, cReq('stream-error'), XH)).text);
  t.match(se.at(-1)!.data, { type: 'response.failed', response: { status: 'failed', error: { code: 'server_error' } } });
  const ac = new AbortController();
  const res = await fetch(`${codex.url}/responses`, { method: 'POST', headers: XH, body: JSON.stringify(cReq('hang-stream')), signal: ac.signal });
  const rec = codex.requests.at(-1)!;
  await res.body!.getReader().read();
  ac.abort();
  await rec.closed;
  t.equal(rec.closedEarly, true);
});

t.test('openai /v1/responses: non-stream JSON mode', async (t) => {
  const r = await post(`${codex.openaiUrl}/responses`, { model: 'gpt-mock', input: 'plain', max_output_tokens: 50, temperature: 0.3 }, { authorization: 'Bearer sk-x' });
  t.equal(r.status, 200);
  t.match(r.json, { object: 'response', status: 'completed', store: true, output: [{ type: 'message', content: [{ type: 'output_text', text: 'echo: plain' }] }], usage: { total_tokens: 17 } });
  const r429 = await post(`${codex.openaiUrl}/responses`, { model: 'fail-429', input: 'x' }, { authorization: 'Bearer sk-x' });
  t.match(r429.json, { error: { code: 'rate_limit_exceeded' } });
});

t.test('codex: openai SDK responses.stream() accepts the stream (Codex backend and /v1)', async (t) => {
  const client = new OpenAI({ apiKey: 'codex-token', baseURL: codex.url, maxRetries: 0 });
  const stream = client.responses.stream({
    model: 'gpt-mock',
    instructions: 'You are Codex.',
    input: [{ role: 'user', content: [{ type: 'input_text', text: 'via sdk' }] }],
    store: false,
  });
  const deltas: string[] = [];
  stream.on('response.output_text.delta', (e) => deltas.push(e.delta));
  const final = await stream.finalResponse();
  t.equal(final.output_text, 'echo: via sdk');
  t.equal(deltas.join(''), 'echo: via sdk');
  t.equal(final.usage?.output_tokens_details.reasoning_tokens, 2);
  t.match(codex.requests.at(-1)!.url, /^\/backend-api\/codex\/responses$/);

  const tools = await client.responses
    .stream({
      model: 'tool-call',
      instructions: 'You are Codex.',
      input: [{ role: 'user', content: 'q' }],
      store: false,
      tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: {} }, strict: false }],
    })
    .finalResponse();
  t.match(
    tools.output.map((o: any) => [o.type, o.call_id, o.name, o.arguments]),
    [
      ['function_call', CODEX_CALL_IDS[0], 'get_weather', '{"city":"Paris"}'],
      ['function_call', CODEX_CALL_IDS[1], 'get_time', '{"tz":"CET"}'],
    ],
  );
  const thinking = await client.responses
    .stream({ model: 'thinking', instructions: 'x', input: [{ role: 'user', content: 'q' }], store: false, include: ['reasoning.encrypted_content'] })
    .finalResponse();
  t.match(thinking.output[0], { type: 'reasoning', encrypted_content: CODEX_MOCK_ENCRYPTED });

  const v1 = new OpenAI({ apiKey: 'sk-x', baseURL: codex.openaiUrl, maxRetries: 0 });
  t.equal((await v1.responses.stream({ model: 'gpt-mock', input: 'v1 stream' }).finalResponse()).output_text, 'echo: v1 stream');
  t.equal((await v1.responses.create({ model: 'gpt-mock', input: 'v1 plain' })).output_text, 'echo: v1 plain');
  const err = await client.responses.create({ model: 'gpt-mock', input: [], stream: false }).catch((e) => e);
  t.equal(err.status, 400);
});

t.test('all mocks: slow-<n> streams are complete and well-formed; break-stream drops the socket', async (t) => {
  const c = parseSse((await post(`${claude.url}/v1/messages`, claudeMsg('slow-3', { stream: true }), CH)).text);
  t.equal(c.filter((e) => e.event === 'content_block_delta').map((e) => e.data.delta.text).join(''), 'w0 w1 w2 ');
  t.equal(c.at(-1)!.event, 'message_stop');
  const g = parseSse((await post(gUrl('slow-3', 'streamGenerateContent', '?alt=sse'), gReq(), GH)).text);
  t.equal(g.map((e) => e.data.candidates[0].content.parts[0].text).join(''), 'w0 w1 w2 ');
  t.equal(g.at(-1)!.data.candidates[0].finishReason, 'STOP');
  const x = parseSse((await post(`${codex.url}/responses`, cReq('slow-3'), XH)).text);
  t.equal(x.at(-1)!.data.response.output[0].content[0].text, 'w0 w1 w2 ');
  t.same(x.map((e) => e.data.sequence_number), x.map((_, i) => i));
  await t.rejects(post(gUrl('break-stream', 'streamGenerateContent', '?alt=sse'), gReq(), GH));
  await t.rejects(post(`${codex.url}/responses`, cReq('break-stream'), XH));
});
