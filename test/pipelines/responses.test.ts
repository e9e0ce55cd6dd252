import t from 'tap';
import { readFileSync } from 'node:fs';
import { codec } from '../../pipelines/formats/openai-responses/index.js';
import { TranslationError } from '../../pipelines/ir.js';
import type { IREvent, IRRequest, IRResponse } from '../../pipelines/ir.js';

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../fixtures/openai-responses/${name}`, import.meta.url), 'utf8'));
const sseText = (name: string): string => readFileSync(new URL(`../fixtures/openai-responses/${name}`, import.meta.url), 'utf8');

t.test('decodes a Codex CLI request into the IR', async (t) => {
  const req = codec.decodeRequest(fixture('codex-cli-request.json'));
  t.equal(req.model, 'gpt-5.1-codex');
  t.equal(req.stream, true);
  t.equal(req.system.length, 1);
  t.match(req.system[0]!.text, /^You are Codex/);
  t.same(req.reasoning, { effort: 'medium', summary: 'auto' });
  t.equal(req.parallelToolCalls, true);
  t.same(req.toolChoice, { type: 'auto' });

  t.same(req.messages.map((m) => m.role), ['system', 'user', 'user', 'assistant', 'user', 'assistant', 'user', 'user']);
  const turn = req.messages[3]!.content;
  t.same(turn.map((p) => p.type), ['reasoning', 'tool-call', 'tool-call']);
  t.match(turn[0], { type: 'reasoning', text: '**Listing the repository**\n\nI\'ll look at the files first.', encrypted: 'gAAAAABpK3Rlc3QtZW5jcnlwdGVkLXJlYXNvbmluZy1zdGF0ZS0x' });
  t.match(turn[1], { type: 'tool-call', id: 'call_ls01', name: 'shell_command' });
  // A namespaced function is flattened to a name every upstream accepts.
  t.match(turn[2], { type: 'tool-call', id: 'call_js02', name: 'mcp__node_repl__js' });

  const results = req.messages[4]!.content;
  t.same(results.map((p) => p.type), ['tool-result', 'tool-result']);
  t.match(results[0], { callId: 'call_ls01', name: 'shell_command', content: [{ type: 'text', text: 'README.md\npackage.json\nsrc\ntest\n' }] });
  t.match(results[1], { callId: 'call_js02', name: 'mcp__node_repl__js' });

  // Assistant text, an encrypted-only reasoning item and a freeform call share one turn.
  const second = req.messages[5]!.content;
  t.same(second.map((p) => p.type), ['text', 'reasoning', 'tool-call']);
  t.match(second[2], { name: 'apply_patch', arguments: JSON.stringify({ input: '*** Begin Patch\n*** Update File: src/sum.js\n@@\n-  return a - b;\n+  return a + b;\n*** End Patch\n' }) });
  t.match(req.messages[6]!.content[0], { type: 'tool-result', callId: 'call_patch03', name: 'apply_patch' });
  t.match(req.messages[7]!.content[1], { type: 'image', mediaType: 'image/png' });

  t.same(req.tools?.map((x) => (x.type === 'function' ? x.name : `builtin:${x.name}`)), [
    'shell_command', 'apply_patch', 'mcp__node_repl__js', 'builtin:web_search',
  ]);
  const patch = req.tools?.find((x) => x.type === 'function' && x.name === 'apply_patch');
  t.match(patch, { parameters: { properties: { input: { type: 'string' } }, required: ['input'] } });
  const ex = req.extras['openai-responses'] as Record<string, unknown>;
  t.match(ex.rest, { store: false, include: ['reasoning.encrypted_content'], client_metadata: {}, prompt_cache_key: '019a4f3e-0b7c-7d21-9e55-3c1f2a9b8d10' });
});

t.test('decode → encode is lossless for the same format, also across a JSON (worker) hop', async (t) => {
  for (const name of ['codex-cli-request.json', 'sdk-request.json']) {
    const body = fixture(name);
    const ir = codec.decodeRequest(body);
    t.strictSame(codec.encodeRequest(ir), body, `${name} round trip`);
    const cloned = JSON.parse(JSON.stringify(ir)) as IRRequest;
    t.strictSame(codec.encodeRequest(cloned), body, `${name} after a JSON hop`);
  }
});

t.test('SDK-style request fields map onto the IR', async (t) => {
  const req = codec.decodeRequest(fixture('sdk-request.json'));
  t.equal(req.stream, false);
  t.equal(req.maxTokens, 512);
  t.equal(req.temperature, 0.2);
  t.equal(req.topP, 0.9);
  t.equal(req.user, 'user-77');
  t.same(req.metadata, { ticket: 'T-1042' });
  t.same(req.messages, [{ role: 'user', content: [{ type: 'text', text: "Extract the city and the temperature: 'It is 21 degrees in Lyon today.'" }] }]);
  t.match(req.responseFormat, { type: 'json_schema', name: 'weather', strict: true, schema: { required: ['city', 'celsius'] } });
  t.same(req.toolChoice, { type: 'tool', name: 'get_weather' });
  t.match(req.tools, [{ type: 'function', name: 'get_weather', strict: true }, { type: 'builtin', name: 'web_search', config: { search_context_size: 'low' } }]);
});

t.test('edits to the IR win over the remembered client shapes', async (t) => {
  const ir = codec.decodeRequest(fixture('sdk-request.json'));
  ir.toolChoice = { type: 'required' };
  ir.responseFormat = { type: 'json_object' };
  ir.tools = ir.tools!.filter((x) => x.type === 'function');
  const body = codec.encodeRequest(ir);
  t.equal(body.tool_choice, 'required');
  t.same(body.text, { format: { type: 'json_object' } });
  t.same((body.tools as Array<{ type: string }>).map((x) => x.type), ['function']);
});

t.test('a foreign IR (from another format) encodes to plain Responses items', async (t) => {
  const req: IRRequest = {
    model: 'gpt-5',
    system: [{ type: 'text', text: 'Be brief.' }, { type: 'text', text: 'Use tools.' }],
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'weather?' }, { type: 'file', data: 'JVBERi0=', mediaType: 'application/pdf', filename: 'a.pdf' }] },
      {
        role: 'assistant',
        content: [
          { type: 'reasoning', text: 'thinking', signature: 'claude-sig' },
          { type: 'text', text: 'Checking.' },
          { type: 'tool-call', id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Lyon"}' },
        ],
      },
      { role: 'user', content: [{ type: 'tool-result', callId: 'toolu_1', content: [{ type: 'text', text: '21C' }] }, { type: 'text', text: 'and Paris?' }] },
    ],
    tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: {} } }, { type: 'builtin', name: 'code_execution' }],
    toolChoice: { type: 'tool', name: 'get_weather' },
    maxTokens: 100,
    reasoning: { budgetTokens: 8192 },
    stream: true,
    extras: {},
  };
  const body = codec.encodeRequest(req);
  t.equal(body.instructions, 'Be brief.\n\nUse tools.');
  t.same(body.input, [
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'weather?' }, { type: 'input_file', file_data: 'data:application/pdf;base64,JVBERi0=', filename: 'a.pdf' }] },
    { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Checking.' }] },
    { type: 'function_call', call_id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Lyon"}' },
    { type: 'function_call_output', call_id: 'toolu_1', output: '21C' },
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'and Paris?' }] },
  ]);
  t.same(body.tools, [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: {} }, strict: false }]);
  t.same(body.tool_choice, { type: 'function', name: 'get_weather' });
  t.same(body.reasoning, { effort: 'medium' });
  t.equal(body.max_output_tokens, 100);
  t.equal(body.stream, true);
});

t.test('bad requests are TranslationErrors with status 400', async (t) => {
  const bad: unknown[] = [
    null, 'text', [], {}, { model: 3 }, { model: 'm', input: 5 }, { model: 'm', input: [1] },
    { model: 'm', input: [{ role: 'wizard', content: 'x' }] }, { model: 'm', temperature: 'hot' },
    { model: 'm', tools: {} }, { model: 'm', input: [{ type: 'function_call', name: 'f' }] },
  ];
  for (const body of bad) {
    let caught: unknown;
    try {
      codec.decodeRequest(body);
    } catch (e) {
      caught = e;
    }
    t.ok(caught instanceof TranslationError && caught.status === 400, JSON.stringify(body));
  }
});

const expectedEvents: IREvent[] = [
  { type: 'start', id: 'resp_68f0c1d2e3a4b5c6', model: 'gpt-5.1-codex', created: 1762600000 },
  { type: 'reasoning-delta', index: 0, text: '**Checking the weather**\n\nThe user wants weather for two cities.\n\n**Planning calls**\n\nI\'ll call get_weather, then the REPL.' },
  { type: 'reasoning-delta', index: 0, encrypted: 'gAAAAABpK3N0cmVhbWVkLXJlYXNvbmluZy1zdGF0ZQ==' },
  { type: 'block-end', index: 0 },
  { type: 'text-delta', index: 1, text: "I'll look up the weather in Lyon and compute the average." },
  { type: 'block-end', index: 1 },
  { type: 'tool-call-start', index: 2, id: 'call_w1', name: 'get_weather' },
  { type: 'tool-call-delta', index: 2, args: '{"city":"Lyon"}' },
  { type: 'block-end', index: 2 },
  { type: 'tool-call-start', index: 3, id: 'call_w2', name: 'mcp__node_repl__js' },
  { type: 'tool-call-delta', index: 3, args: '{"code":"(21+17)/2"}' },
  { type: 'block-end', index: 3 },
  {
    type: 'finish', reason: 'tool_calls', rawReason: 'completed',
    usage: { inputTokens: 1200, outputTokens: 230, cachedTokens: 1024, reasoningTokens: 128, totalTokens: 1430 },
  },
];

t.test('decodeResponse takes a response object, a completed event body, or the whole SSE text', async (t) => {
  const text = sseText('stream-reasoning-text-two-calls.sse');
  const completedLine = text.trim().split('\n').at(-1)!.slice('data: '.length);
  const completed = JSON.parse(completedLine) as { response: unknown };
  t.same(codec.decodeResponse(completed.response), expectedEvents);
  t.same(codec.decodeResponse(completed), expectedEvents);
  t.same(codec.decodeResponse(completedLine), expectedEvents);
  // The stream path splits text into deltas; joined per block it is the same answer.
  const fromStream = codec.decodeResponse(text);
  t.same(fold(fromStream), fold(expectedEvents));
  t.match(codec.decodeResponse({ nonsense: true }), [{ type: 'error' }]);
  t.match(codec.decodeResponse('<html>bad gateway</html>'), [{ type: 'error' }]);
  const incomplete = codec.decodeResponse({ object: 'response', id: 'resp_1', status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' }, output: [] });
  t.match(incomplete.at(-1), { type: 'finish', reason: 'length', rawReason: 'max_output_tokens' });
  const failed = codec.decodeResponse({ type: 'response.failed', response: { object: 'response', status: 'failed', error: { code: 'rate_limit_exceeded', message: 'slow down' }, output: [] } });
  t.match(failed.at(-1), { type: 'error', status: 429, message: 'slow down', code: 'rate_limit_exceeded' });
});

/** Joins consecutive deltas of one block, so chunking does not matter. */
function fold(events: IREvent[]): IREvent[] {
  const out: IREvent[] = [];
  for (const e of events) {
    const last = out.at(-1);
    if (last && e.type === last.type && 'index' in e && 'index' in last && e.index === last.index) {
      if (e.type === 'text-delta' && last.type === 'text-delta') { last.text += e.text; continue; }
      if (e.type === 'tool-call-delta' && last.type === 'tool-call-delta') { last.args += e.args; continue; }
      if (e.type === 'reasoning-delta' && last.type === 'reasoning-delta' && e.text && last.text && !e.encrypted && !last.encrypted) { last.text += e.text; continue; }
    }
    out.push({ ...e });
  }
  return out;
}

t.test('encodeResponse builds the Responses object, naming tools in the client\'s terms', async (t) => {
  const req = codec.decodeRequest(fixture('codex-cli-request.json'));
  const res: IRResponse = {
    id: 'msg_01ABC', model: 'claude-sonnet-4-5', created: 1762600001,
    content: [
      { type: 'reasoning', text: 'Plan', encrypted: 'enc-1' },
      { type: 'text', text: 'Patching now.' },
      { type: 'tool-call', id: 'call_1', name: 'mcp__node_repl__js', arguments: '{"code":"1"}' },
      { type: 'tool-call', id: 'call_2', name: 'apply_patch', arguments: '{"input":"*** Begin Patch\\n*** End Patch\\n"}' },
    ],
    finishReason: 'tool_calls',
    usage: { inputTokens: 50, outputTokens: 20, cachedTokens: 10, reasoningTokens: 5 },
  };
  const body = codec.encodeResponse(res, req) as Record<string, any>;
  t.equal(body.object, 'response');
  t.equal(body.id, 'resp_msg_01ABC');
  t.equal(body.status, 'completed');
  t.equal(body.model, 'gpt-5.1-codex');
  t.equal(body.incomplete_details, null);
  t.same(body.usage, { input_tokens: 50, input_tokens_details: { cached_tokens: 10 }, output_tokens: 20, output_tokens_details: { reasoning_tokens: 5 }, total_tokens: 70 });
  t.same(body.output.map((o: any) => o.type), ['reasoning', 'message', 'function_call', 'custom_tool_call']);
  t.match(body.output[0], { type: 'reasoning', summary: [{ type: 'summary_text', text: 'Plan' }], encrypted_content: 'enc-1' });
  t.match(body.output[1], { role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Patching now.', annotations: [] }] });
  t.match(body.output[2], { name: 'js', namespace: 'mcp__node_repl', call_id: 'call_1', arguments: '{"code":"1"}', status: 'completed' });
  t.match(body.output[3], { name: 'apply_patch', call_id: 'call_2', input: '*** Begin Patch\n*** End Patch\n' });
  t.notOk('arguments' in body.output[3]);

  const cut = codec.encodeResponse({ ...res, content: [{ type: 'text', text: 'partial' }], finishReason: 'length' }, req) as Record<string, any>;
  t.equal(cut.status, 'incomplete');
  t.same(cut.incomplete_details, { reason: 'max_output_tokens' });
});

t.test('errors: OpenAI shape out, any shape in, garbage never throws', async (t) => {
  t.same(codec.encodeError({ status: 429, message: 'Too many requests', code: 'rate_limit_exceeded' }), {
    status: 429, body: { error: { message: 'Too many requests', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' } },
  });
  t.same(codec.encodeError({ status: 400, message: 'bad', type: 'invalid_request_error' }).body, { error: { message: 'bad', type: 'invalid_request_error', param: null, code: null } });

  t.same(codec.decodeError(401, '{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}'),
    { status: 401, message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' });
  t.same(codec.decodeError(400, '{"detail":"Instructions are not valid"}'), { status: 400, message: 'Instructions are not valid' });
  t.same(codec.decodeError(502, 'upstream connect error'), { status: 502, message: 'upstream connect error' });
  t.same(codec.decodeError(503, ''), { status: 503, message: 'upstream error (status 503)' });
  for (const garbage of ['{', '\u0000\u00ff\ufffd', 'null', '[1,2]', '{"error":5}', '"str"', '{"detail":{"x":1}}']) {
    const e = codec.decodeError(500, garbage);
    t.equal(e.status, 500);
    t.type(e.message, 'string');
    t.ok(e.message.length > 0);
  }

  const text = codec.encodeStreamError({ status: 500, message: 'upstream died' });
  t.match(text, /^event: error\ndata: /);
  t.ok(text.endsWith('\n\n'));
  const data = JSON.parse(text.split('\n')[1]!.slice(6));
  t.match(data, { type: 'error', message: 'upstream died', code: 'server_error', error: { message: 'upstream died', type: 'server_error' } });
});
