import t from 'tap';
import { readFileSync } from 'node:fs';
import { codec } from '../../pipelines/formats/openai-chat/index.js';
import { TranslationError, type IRRequest } from '../../pipelines/ir.js';

const load = (name: string) => JSON.parse(readFileSync(new URL(`../fixtures/openai-chat/${name}`, import.meta.url), 'utf8'));

for (const name of ['request-basic.json', 'request-tools.json', 'request-multimodal.json', 'request-reasoning.json']) {
  t.test(`round trip is lossless: ${name}`, async (t) => {
    const body = load(name);
    const req = codec.decodeRequest(structuredClone(body));
    t.same(codec.encodeRequest(req), body, 'encode(decode(x)) == x');
    // The IR itself is a fixed point too.
    t.same(codec.decodeRequest(codec.encodeRequest(req)), req, 'decode(encode(ir)) == ir');
  });
}

t.test('decode: system, developer and mid-conversation system messages', async (t) => {
  const req = codec.decodeRequest(load('request-tools.json'));
  t.same(req.system, [{ type: 'text', text: 'You are a weather bot. Use the tools provided.' }]);
  const roles = req.messages.map((m) => m.role);
  t.same(roles, ['user', 'assistant', 'user', 'assistant', 'system', 'user']);
  t.same(req.messages[4]!.content, [{ type: 'text', text: 'From now on answer in French.' }]);
  const basic = codec.decodeRequest(load('request-basic.json'));
  t.same(basic.system, [{ type: 'text', text: 'You are a helpful assistant.' }], 'developer → IR system');
  t.equal(basic.maxTokens, 512);
  t.same(basic.stop, ['\n\n\n', 'END']);
  t.equal(basic.seed, 42);
  t.equal(basic.candidateCount, 1);
  t.equal(basic.presencePenalty, 0.1);
  t.equal(basic.frequencyPenalty, 0.2);
  t.equal(basic.user, 'user-1234');
});

t.test('decode: tool calls and tool results', async (t) => {
  const req = codec.decodeRequest(load('request-tools.json'));
  t.same(req.messages[1]!.content, [
    { type: 'tool-call', id: 'call_abc123', name: 'get_current_weather', arguments: '{"location": "Paris, France", "unit": "celsius"}' },
    { type: 'tool-call', id: 'call_def456', name: 'get_current_weather', arguments: '{"location": "Tokyo, Japan", "unit": "celsius"}' },
  ]);
  t.same(req.messages[2], {
    role: 'user',
    content: [
      { type: 'tool-result', callId: 'call_abc123', name: 'get_current_weather', content: [{ type: 'text', text: '{"temperature": 14, "conditions": "cloudy"}' }] },
      { type: 'tool-result', callId: 'call_def456', name: 'get_current_weather', content: [{ type: 'text', text: '{"temperature": 22, "conditions": "sunny"}' }] },
    ],
  }, 'consecutive tool messages become one user message, names filled from history');
  t.same(req.tools, [
    {
      type: 'function',
      name: 'get_current_weather',
      description: 'Get the current weather in a given location',
      parameters: load('request-tools.json').tools[0].function.parameters,
      strict: true,
    },
  ]);
  t.same(req.toolChoice, { type: 'auto' });
  t.equal(req.parallelToolCalls, true);
  t.equal(req.stream, true);
  t.equal(req.includeUsage, true);
});

t.test('decode: multimodal parts', async (t) => {
  const req = codec.decodeRequest(load('request-multimodal.json'));
  const parts = req.messages[0]!.content;
  t.same(parts[1], { type: 'image', url: load('request-multimodal.json').messages[0].content[1].image_url.url, detail: 'high' });
  t.match(parts[2], { type: 'image', mediaType: 'image/jpeg', data: /^\/9j\/4AAQ/ });
  t.notOk('url' in parts[2]!, 'data URLs become inline data');
  t.same(parts[3], { type: 'audio', format: 'wav', mediaType: 'audio/wav', data: 'UklGRiQAAABXQVZFZm10IBAAAAABAAEARKwAAIhYAQACABAAZGF0YQAAAAA=' });
  t.match(parts[4], { type: 'file', mediaType: 'application/pdf', filename: 'draconomicon.pdf', data: /^JVBERi0/ });
  t.same(parts[5], { type: 'file', fileId: 'file-6F2ksmvXxt4VdoqmHRw6kL' });
});

t.test('decode: reasoning history, effort, response format', async (t) => {
  const req = codec.decodeRequest(load('request-reasoning.json'));
  t.same(req.messages[1]!.content, [
    { type: 'reasoning', text: 'Compare the decimals: 0.11 < 0.80, so 9.8 is greater.' },
    { type: 'text', text: '9.8 is greater than 9.11.' },
  ]);
  t.same(req.reasoning, { effort: 'high' });
  t.match(req.responseFormat, { type: 'json_schema', name: 'answer', strict: true, schema: { type: 'object' } });
  t.same(req.toolChoice, { type: 'tool', name: 'count_letters' });
  t.same(req.stop, ['###']);
});

t.test('decode: legacy functions and function_call', async (t) => {
  const req = codec.decodeRequest({
    model: 'gpt-3.5-turbo-0613',
    messages: [
      { role: 'user', content: 'weather in Boston?' },
      { role: 'assistant', content: null, function_call: { name: 'get_weather', arguments: '{"city":"Boston"}' } },
      { role: 'function', name: 'get_weather', content: '{"temp":72}' },
    ],
    functions: [{ name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } }],
    function_call: { name: 'get_weather' },
  });
  const call = req.messages[1]!.content[0]!;
  t.match(call, { type: 'tool-call', name: 'get_weather', arguments: '{"city":"Boston"}' });
  const result = req.messages[2]!.content[0]!;
  t.match(result, { type: 'tool-result', name: 'get_weather', content: [{ type: 'text', text: '{"temp":72}' }] });
  t.equal(result.type === 'tool-result' && call.type === 'tool-call' && result.callId, call.type === 'tool-call' && call.id, 'result is paired with the call');
  t.same(req.tools?.map((x) => x.type === 'function' && x.name), ['get_weather']);
  t.same(req.toolChoice, { type: 'tool', name: 'get_weather' });
  // Encoded as modern tools.
  const out = codec.encodeRequest(req) as { messages: Array<Record<string, unknown>>; tools: unknown[]; tool_choice: unknown };
  t.equal(out.messages[2]!.role, 'tool');
  t.equal(out.messages[2]!.tool_call_id, (out.messages[1]!.tool_calls as Array<{ id: string }>)[0]!.id);
  t.same(out.tool_choice, { type: 'function', function: { name: 'get_weather' } });
});

t.test('decode: bad input is a 400 TranslationError', async (t) => {
  const bad: unknown[] = [
    null,
    'a string',
    [],
    { model: 'x' },
    { model: 'x', messages: 'hi' },
    { model: 'x', messages: [null] },
    { model: 'x', messages: [{ role: 'wizard', content: 'hi' }] },
    { model: 'x', messages: [{ role: 'user', content: 42 }] },
    { model: 'x', messages: [{ role: 'user', content: 'hi' }], temperature: 'hot' },
    { model: 'x', messages: [{ role: 'tool', content: 'no id' }] },
    { model: 7, messages: [] },
    { model: 'x', messages: [], tools: [{ type: 'function', function: {} }] },
    { model: 'x', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: {} }] }] },
  ];
  for (const body of bad) {
    t.throws(() => codec.decodeRequest(body), TranslationError, JSON.stringify(body));
    try {
      codec.decodeRequest(body);
    } catch (e) {
      t.equal((e as TranslationError).status, 400);
    }
  }
});

t.test('encode: an IR from another format (Claude-like history)', async (t) => {
  const req: IRRequest = {
    model: 'qwen3-coder-plus',
    system: [{ type: 'text', text: 'Be brief.', cacheControl: { type: 'ephemeral' } }, { type: 'text', text: 'Use tools.' }],
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'Look at this.' }, { type: 'image', mediaType: 'image/png', data: 'iVBORw0KGgo=' }] },
      {
        role: 'assistant',
        content: [
          { type: 'reasoning', text: 'The user wants', signature: 'sig' },
          { type: 'reasoning', text: '', redactedData: 'opaque' },
          { type: 'text', text: 'Let me check.' },
          { type: 'tool-call', id: 'toolu_01', name: 'screenshot', arguments: '' },
          { type: 'tool-call', id: 'toolu_02', name: 'read_file', arguments: '{"path":"a.txt"}' },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool-result', callId: 'toolu_01', content: [{ type: 'text', text: 'captured' }, { type: 'image', mediaType: 'image/png', data: 'AAAA' }] },
          { type: 'tool-result', callId: 'toolu_02', content: [], isError: true },
          { type: 'text', text: 'What do you see?' },
        ],
      },
    ],
    tools: [
      { type: 'function', name: 'screenshot', parameters: { type: 'object', properties: {} } },
      { type: 'builtin', name: 'web_search', config: { max_uses: 3 } },
    ],
    toolChoice: { type: 'required' },
    maxTokens: 4096,
    topK: 40,
    reasoning: { budgetTokens: 8000 },
    metadata: { user_id: 'u1' },
    stream: true,
    extras: {},
  };
  const out = codec.encodeRequest(req);
  t.same(out, {
    model: 'qwen3-coder-plus',
    messages: [
      { role: 'system', content: [{ type: 'text', text: 'Be brief.' }, { type: 'text', text: 'Use tools.' }] },
      { role: 'user', content: [{ type: 'text', text: 'Look at this.' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] },
      {
        role: 'assistant',
        content: 'Let me check.',
        reasoning_content: 'The user wants',
        tool_calls: [
          { id: 'toolu_01', type: 'function', function: { name: 'screenshot', arguments: '{}' } },
          { id: 'toolu_02', type: 'function', function: { name: 'read_file', arguments: '{"path":"a.txt"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'toolu_01', content: 'captured' },
      { role: 'tool', tool_call_id: 'toolu_02', content: '' },
      { role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }, { type: 'text', text: 'What do you see?' }] },
    ],
    tools: [{ type: 'function', function: { name: 'screenshot', parameters: { type: 'object', properties: {} } } }],
    tool_choice: 'required',
    max_tokens: 4096,
    reasoning_effort: 'medium',
    stream: true,
    stream_options: { include_usage: true },
  }, 'hosted tools, top_k, metadata and cache_control stay home; tool results split out in order');
});

t.test('encode: max tokens key and effort edge cases', async (t) => {
  const base: IRRequest = { model: 'o3-mini', system: [], messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }] }], stream: false, extras: {}, maxTokens: 100 };
  t.equal((codec.encodeRequest(base) as Record<string, unknown>).max_completion_tokens, 100, 'o-series get max_completion_tokens');
  t.equal((codec.encodeRequest({ ...base, model: 'deepseek-chat' }) as Record<string, unknown>).max_tokens, 100);
  t.notOk('reasoning_effort' in codec.encodeRequest({ ...base, reasoning: { effort: 'auto' } }));
  t.notOk('reasoning_effort' in codec.encodeRequest({ ...base, reasoning: { budgetTokens: -1 } }));
  t.equal((codec.encodeRequest({ ...base, reasoning: { budgetTokens: 30000 } }) as Record<string, unknown>).reasoning_effort, 'high');
  t.equal((codec.encodeRequest({ ...base, reasoning: { effort: 'minimal' } }) as Record<string, unknown>).reasoning_effort, 'minimal');
  const noTools = codec.encodeRequest({ ...base, toolChoice: { type: 'auto' }, parallelToolCalls: false }) as Record<string, unknown>;
  t.notOk('tool_choice' in noTools, 'no tool_choice without tools');
  t.notOk('parallel_tool_calls' in noTools);
});

t.test('unknown top-level and message fields survive a same-format round trip', async (t) => {
  const body = {
    model: 'gpt-4o',
    messages: [
      { role: 'system', content: [{ type: 'text', text: 'sys' }], name: 'setup' },
      { role: 'user', content: 'hi', name: 'bob' },
      { role: 'assistant', content: 'hey', audio: { id: 'audio_1' } },
      { role: 'user', content: [{ type: 'text', text: 'again', cache_control: { type: 'ephemeral' } }] },
    ],
    modalities: ['text', 'audio'],
    audio: { voice: 'alloy', format: 'wav' },
    prediction: { type: 'content', content: 'x' },
    web_search_options: {},
    tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'auto', tools: [] } },
    response_format: { type: 'grammar', grammar: 'x' },
    stream: true,
    stream_options: { include_usage: true, include_obfuscation: false },
    enable_thinking: true,
    metadata: { tag: 'a' },
    top_k: 20,
  };
  t.same(codec.encodeRequest(codec.decodeRequest(structuredClone(body))), body);
});
