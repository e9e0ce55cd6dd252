// Claude codec, request side: decoding client bodies, encoding upstream bodies.
import t from 'tap';
import { codec, countTokensEstimate, DEFAULT_MAX_TOKENS } from '../../pipelines/formats/claude/index.js';
import { TranslationError } from '../../pipelines/ir.js';
import type { IRMessage, IRRequest } from '../../pipelines/ir.js';
import { fixtureJson } from './claude-helpers.js';

type J = Record<string, any>;

function foreign(over: Partial<IRRequest>): IRRequest {
  return { model: 'claude-sonnet-4-5', system: [], messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream: false, extras: {}, ...over };
}

t.test('decodes a Claude Code request into the IR', async (t) => {
  const body = fixtureJson('claude-code-request.json');
  const req = codec.decodeRequest(body);
  t.equal(req.model, 'claude-opus-4-8');
  t.equal(req.stream, true);
  t.equal(req.maxTokens, 32000);
  t.equal(req.system.length, 2);
  t.same(req.system[1]!.cacheControl, { type: 'ephemeral', ttl: '1h' });
  t.same(
    req.messages.map((m) => m.role),
    ['user', 'assistant', 'user', 'system', 'assistant', 'user', 'assistant', 'user'],
  );
  const [m0, m1, , sys, m4, m5, m6, m7] = req.messages as IRMessage[];
  t.match(m0!.content[2], { type: 'image', mediaType: 'image/png' });
  t.match(m1!.content[0], { type: 'reasoning', signature: /^EqQB/ });
  t.match(m1!.content[2], { type: 'tool-call', id: 'toolu_01A09q90qw90lq917835lq9', name: 'Read', arguments: '{"file_path":"/home/dev/project/test/parse.test.ts"}' });
  t.same(sys!.content, [{ type: 'text', text: 'Plan mode is now active. Do not edit files until the user approves a plan.' }]);
  t.equal(m4!.content.filter((p) => p.type === 'tool-call').length, 2, 'two parallel tool calls');
  t.match(m5!.content[0], { type: 'tool-result', callId: 'toolu_01B8x7LmQ2w3e4r5t6y7u8i9', name: 'Bash', isError: true });
  t.match(m5!.content[1], { type: 'tool-result', name: 'Read', cacheControl: { type: 'ephemeral' }, content: [{ type: 'text' }] });
  t.match(m6!.content[0], { type: 'reasoning', text: '', redactedData: /^EmwK/ });
  t.match(m7!.content[0], { type: 'file', mediaType: 'application/pdf', filename: 'spec.pdf' });
  t.match(m7!.content[1], { type: 'file', mediaType: 'text/plain', filename: 'NOTES.md' });
  t.equal(Buffer.from((m7!.content[1] as J).data, 'base64').toString(), 'Numbers must be parsed with Number(), never parseInt.');
  t.match(m7!.content[2], { type: 'file', url: 'https://example.com/parser-design.pdf' });
  t.match(m7!.content[3], { type: 'image', url: 'https://example.com/diagram.png' });

  t.equal(req.tools!.length, 4);
  t.match(req.tools![0], { type: 'function', name: 'Bash', parameters: { required: ['command'] } });
  t.match(req.tools![2], { type: 'function', cacheControl: { type: 'ephemeral' } });
  t.match(req.tools![3], { type: 'builtin', name: 'web_search', config: { type: 'web_search_20250305', max_uses: 5 } });
  t.same(req.toolChoice, { type: 'auto' });
  t.same(req.reasoning, { effort: 'high', includeThoughts: true });
  t.equal(req.user, (body.metadata as J).user_id);
  t.same(req.extras.claude!.context_management, (body as J).context_management);
  t.same(req.extras.claude!.output_config, { effort: 'high' });
});

t.test('Claude → IR → Claude round trip keeps everything but the system-role message', async (t) => {
  const body = fixtureJson('claude-code-request.json') as J;
  const out = codec.encodeRequest(codec.decodeRequest(body)) as J;

  // The one intended change: the mid-conversation system message becomes a
  // note in the user turn it sits next to (the API rejects role "system").
  const expected = structuredClone(body);
  const [sys] = expected.messages.splice(3, 1);
  expected.messages[2].content.push({ type: 'text', text: `<system-reminder>\n${sys.content}\n</system-reminder>` });
  t.strictSame(out, expected);
});

t.test('round trip of the plain shapes: string system, string content, no stream field', async (t) => {
  const body = {
    model: 'claude-haiku-4-5',
    max_tokens: 4096,
    system: 'Be terse.',
    messages: [
      { role: 'user', content: 'What is 2+2?' },
      { role: 'assistant', content: '4' },
      { role: 'user', content: [{ type: 'text', text: 'And 3+3?' }] },
    ],
    temperature: 0.2,
    top_k: 40,
    stop_sequences: ['\n\nHuman:'],
    thinking: { type: 'enabled', budget_tokens: 2048 },
    tools: [{ name: 'calc', description: 'calculator', input_schema: { type: 'object', properties: { expr: { type: 'string' } } } }],
    tool_choice: { type: 'auto', disable_parallel_tool_use: false },
    service_tier: 'auto',
  };
  const req = codec.decodeRequest(body);
  t.same(req.reasoning, { budgetTokens: 2048, includeThoughts: true });
  t.equal(req.parallelToolCalls, true);
  t.strictSame(codec.encodeRequest(req), body);

  const disabled = { model: 'claude-haiku-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'x' }], thinking: { type: 'disabled' }, stream: false };
  t.strictSame(codec.encodeRequest(codec.decodeRequest(disabled)), disabled);
});

t.test('decodeRequest rejects malformed bodies with a 400 TranslationError', async (t) => {
  const bad: unknown[] = [
    null,
    'text',
    [],
    { model: 'm' },
    { model: 'm', messages: {} },
    { model: 'm', messages: [{ role: 'tool', content: 'x' }] },
    { model: 'm', messages: [{ role: 'user', content: 5 }] },
    { model: 'm', messages: [{ role: 'user', content: [{ text: 'no type' }] }] },
    { model: 'm', messages: [], max_tokens: '100' },
    { model: 'm', messages: [], tools: {} },
    { model: 'm', messages: [], tool_choice: { type: 'sometimes' } },
    { model: 'm', messages: [], system: [{ type: 'image' }] },
  ];
  for (const b of bad) {
    t.throws(() => codec.decodeRequest(b), TranslationError, JSON.stringify(b));
    try {
      codec.decodeRequest(b);
    } catch (e) {
      t.equal((e as TranslationError).status, 400);
    }
  }
});

t.test('encoding foreign IR: defaults, reasoning, sampling fix-ups, no Claude-only leaks', async (t) => {
  const out = codec.encodeRequest(foreign({ reasoning: { effort: 'high' }, temperature: 0.7, topP: 0.9, topK: 5, user: 'u1' })) as J;
  t.equal(out.max_tokens, DEFAULT_MAX_TOKENS, 'max_tokens is required by Claude');
  t.same(out.thinking, { type: 'enabled', budget_tokens: 24576 });
  t.notOk('temperature' in out, 'thinking rejects temperature != 1');
  t.notOk('top_p' in out);
  t.notOk('top_k' in out);
  t.same(out.metadata, { user_id: 'u1' });
  t.equal(out.stream, false);
  t.notOk('context_management' in out);
  t.notOk('output_config' in out);

  const plain = codec.encodeRequest(foreign({ temperature: 1.6, topP: 0.5, extras: { 'openai-chat': { fields: { logprobs: true } } } })) as J;
  t.equal(plain.temperature, 1, 'clamped to Claude range');
  t.notOk('top_p' in plain, 'newer Claude models reject temperature with top_p');
  t.notOk('logprobs' in plain, "another format's extras never reach Claude");

  const old = codec.encodeRequest(foreign({ model: 'claude-3-5-haiku-20241022' })) as J;
  t.equal(old.max_tokens, 8192, 'older models get their own cap as default');

  const none = codec.encodeRequest(foreign({ reasoning: { effort: 'none' } })) as J;
  t.same(none.thinking, { type: 'disabled' });
});

t.test('thinking budget stays ≥ 1024 and below max_tokens', async (t) => {
  const small = codec.encodeRequest(foreign({ maxTokens: 4000, reasoning: { budgetTokens: 8192 } })) as J;
  t.equal(small.max_tokens, 4000);
  t.ok(small.thinking.budget_tokens < 4000 && small.thinking.budget_tokens >= 1024, String(small.thinking.budget_tokens));
  const low = codec.encodeRequest(foreign({ maxTokens: 8000, reasoning: { budgetTokens: 100 } })) as J;
  t.equal(low.thinking.budget_tokens, 1024);
  const dynamic = codec.encodeRequest(foreign({ reasoning: { budgetTokens: -1 } })) as J;
  t.ok(dynamic.thinking.budget_tokens < dynamic.max_tokens);
  const tiny = codec.encodeRequest(foreign({ maxTokens: 1000, reasoning: { effort: 'medium' } })) as J;
  t.notOk('thinking' in tiny, 'no room to think in 1000 tokens');
  const forced = codec.encodeRequest(
    foreign({ reasoning: { effort: 'low' }, tools: [{ type: 'function', name: 'f', parameters: {} }], toolChoice: { type: 'required' } }),
  ) as J;
  t.notOk('thinking' in forced, 'Claude rejects thinking with forced tool use');
  t.same(forced.tool_choice, { type: 'any' });
  t.same(forced.tools, [{ name: 'f', input_schema: { type: 'object' } }]);
});

t.test('thinking is left out when a foreign tool loop has no signed thinking to send back', async (t) => {
  const messages: IRMessage[] = [
    { role: 'user', content: [{ type: 'text', text: 'weather?' }] },
    { role: 'assistant', content: [{ type: 'reasoning', text: 'thought from another provider' }, { type: 'tool-call', id: 'call_1', name: 'w', arguments: '{}' }] },
    { role: 'user', content: [{ type: 'tool-result', callId: 'call_1', content: [{ type: 'text', text: 'sunny' }] }] },
  ];
  const out = codec.encodeRequest(foreign({ messages, reasoning: { effort: 'medium' } })) as J;
  t.notOk('thinking' in out);
  t.same(out.messages[1].content, [{ type: 'tool_use', id: 'call_1', name: 'w', input: {} }], 'unsigned thinking dropped');
});

t.test('messages: system folding, merging, empty blocks, tool id repair and pairing', async (t) => {
  const messages: IRMessage[] = [
    { role: 'system', content: [{ type: 'text', text: 'Leading system message.' }] },
    { role: 'user', content: [{ type: 'text', text: '' }, { type: 'text', text: 'first' }] },
    { role: 'user', content: [{ type: 'text', text: 'second' }] },
    {
      role: 'assistant',
      content: [
        { type: 'text', text: 'calling' },
        { type: 'tool-call', id: 'call.abc/1', name: 'lookup', arguments: '{"q":"x"}' },
        { type: 'tool-call', id: '', name: 'search', arguments: 'not json' },
        { type: 'tool-call', id: 'call_gone', name: 'lookup', arguments: '{}' },
      ],
    },
    { role: 'system', content: [{ type: 'text', text: 'Mid-conversation note.' }] },
    {
      role: 'user',
      content: [
        { type: 'text', text: 'results follow' },
        { type: 'tool-result', callId: '', name: 'search', content: [{ type: 'text', text: 'found' }] },
        { type: 'tool-result', callId: 'call.abc/1', content: [{ type: 'text', text: 'value' }] },
        { type: 'tool-result', callId: 'call_unknown', content: [{ type: 'text', text: 'stray' }] },
      ],
    },
    { role: 'assistant', content: [{ type: 'tool-call', id: 'call.abc/1', name: 'lookup', arguments: '{}' }] },
    { role: 'user', content: [{ type: 'tool-result', callId: 'call.abc/1', content: [] }] },
    { role: 'assistant', content: [{ type: 'text', text: 'Prefill  ' }] },
  ];
  const out = codec.encodeRequest(foreign({ system: [{ type: 'text', text: 'Top.' }], messages })) as J;
  t.same(out.system, [{ type: 'text', text: 'Top.' }, { type: 'text', text: 'Leading system message.' }]);
  t.same(out.messages.map((m: J) => m.role), ['user', 'assistant', 'user', 'assistant', 'user', 'assistant']);
  t.same(out.messages[0].content, [{ type: 'text', text: 'first' }, { type: 'text', text: 'second' }], 'merged, empty dropped');

  const calls = out.messages[1].content.filter((b: J) => b.type === 'tool_use');
  t.equal(calls[0].id, 'call_abc_1', 'sanitized to [a-zA-Z0-9_-]');
  t.match(calls[1].id, /^toolu_[A-Za-z0-9]+$/, 'generated for an id-less call');
  t.same(calls[1].input, {}, 'invalid JSON arguments become {}');

  const results = out.messages[2].content;
  t.same(
    results.map((b: J) => b.type),
    ['tool_result', 'tool_result', 'tool_result', 'text', 'text', 'text'],
    'tool results first, then the system note, the text and the stray result',
  );
  t.same(results[0], { type: 'tool_result', tool_use_id: calls[1].id, content: 'found' }, 'id-less result paired by name');
  t.same(results[1], { type: 'tool_result', tool_use_id: 'call_abc_1', content: 'value' });
  t.match(results[2], { tool_use_id: 'call_gone', is_error: true }, 'unanswered call gets an error result');
  t.equal(results[3].text, '<system-reminder>\nMid-conversation note.\n</system-reminder>');
  t.match(results[5].text, /^\[tool result for call_unknown\]\nstray/);

  t.equal(out.messages[3].content[0].id, 'call_abc_1_2', 'a reused id is made unique');
  t.same(out.messages[4].content, [{ type: 'tool_result', tool_use_id: 'call_abc_1_2' }], 'its result follows it');
  t.same(out.messages[5].content, [{ type: 'text', text: 'Prefill' }], 'final assistant text loses trailing whitespace');

  const again = codec.encodeRequest(foreign({ system: [{ type: 'text', text: 'Top.' }], messages })) as J;
  t.equal(again.messages[1].content[2].id, calls[1].id, 'generated ids are stable across encodes');
});

t.test('content parts from other formats', async (t) => {
  const messages: IRMessage[] = [
    {
      role: 'user',
      content: [
        { type: 'image', url: 'data:image/jpeg;base64,/9j/4AAQ' },
        { type: 'image', url: 'https://x.test/a.png' },
        { type: 'file', mediaType: 'application/pdf', data: 'JVBERi0=', filename: 'a.pdf' },
        { type: 'file', mediaType: 'text/markdown', data: Buffer.from('# hi').toString('base64') },
        { type: 'file', fileId: 'file_011' },
        { type: 'file', mediaType: 'application/vnd.ms-excel', data: 'AAAA', filename: 'x.xls' },
        { type: 'audio', format: 'wav', data: 'UklGR' },
      ],
    },
    { role: 'assistant', content: [{ type: 'image', url: 'https://x.test/no.png' }, { type: 'text', text: 'ok' }] },
  ];
  const out = codec.encodeRequest(foreign({ messages })) as J;
  const c = out.messages[0].content;
  t.same(c[0], { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/4AAQ' } });
  t.same(c[1], { type: 'image', source: { type: 'url', url: 'https://x.test/a.png' } });
  t.same(c[2], { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' }, title: 'a.pdf' });
  t.same(c[3], { type: 'document', source: { type: 'text', media_type: 'text/plain', data: '# hi' } });
  t.same(c[4], { type: 'document', source: { type: 'file', file_id: 'file_011' } });
  t.match(c[5], { type: 'text', text: /x\.xls.*unsupported/ });
  t.match(c[6], { type: 'text', text: /audio/ });
  t.same(out.messages[1].content, [{ type: 'text', text: 'ok' }], 'assistant turns hold no images');
});

t.test('tools and tool_choice from other formats', async (t) => {
  const out = codec.encodeRequest(
    foreign({
      tools: [
        { type: 'function', name: 'get', description: 'd', parameters: { type: 'object', properties: { a: { type: 'string' } } }, strict: true },
        { type: 'function', name: 'get', parameters: {} },
        { type: 'builtin', name: 'web_search', config: { search_context_size: 'low', filters: { allowed_domains: ['a.test'] } } },
        { type: 'builtin', name: 'code_interpreter' },
      ],
      toolChoice: { type: 'tool', name: 'get' },
      parallelToolCalls: false,
    }),
  ) as J;
  t.same(out.tools, [
    { name: 'get', description: 'd', input_schema: { type: 'object', properties: { a: { type: 'string' } } } },
    { type: 'web_search_20250305', name: 'web_search', allowed_domains: ['a.test'] },
  ]);
  t.same(out.tool_choice, { type: 'tool', name: 'get', disable_parallel_tool_use: true });

  const noTools = codec.encodeRequest(foreign({ toolChoice: { type: 'auto' } })) as J;
  t.notOk('tool_choice' in noTools, 'no tool_choice without tools');
  const noneChoice = codec.encodeRequest(foreign({ tools: [{ type: 'function', name: 'f', parameters: {} }], toolChoice: { type: 'none' } })) as J;
  t.same(noneChoice.tool_choice, { type: 'none' });
});

t.test('JSON mode is emulated with a system instruction; native Claude format is kept', async (t) => {
  const schema = { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] };
  const out = codec.encodeRequest(foreign({ system: [{ type: 'text', text: 'sys' }], responseFormat: { type: 'json_schema', name: 'num', schema } })) as J;
  t.equal(out.system.length, 2);
  t.match(out.system[1].text, /JSON Schema/);
  t.match(out.system[1].text, JSON.stringify(schema));
  t.notOk('response_format' in out);
  const obj = codec.encodeRequest(foreign({ responseFormat: { type: 'json_object' } })) as J;
  t.match(obj.system[0].text, /JSON object/);

  const claudeNative = {
    model: 'claude-sonnet-4-5',
    max_tokens: 100,
    messages: [{ role: 'user', content: 'n?' }],
    output_format: { type: 'json_schema', schema },
    stream: false,
  };
  const req = codec.decodeRequest(claudeNative);
  t.same(req.responseFormat, { type: 'json_schema', schema }, 'decoded for other upstreams');
  t.strictSame(codec.encodeRequest(req), claudeNative, 'no emulation when the client used the native field');
});

t.test('countTokensEstimate is deterministic and grows with content', async (t) => {
  const req = codec.decodeRequest(fixtureJson('claude-code-request.json'));
  const n = countTokensEstimate(req);
  t.equal(countTokensEstimate(req), n);
  t.ok(n > 1000, String(n));
  const small = countTokensEstimate(foreign({}));
  t.ok(small >= 1 && small < 20, String(small));
  const withTools = countTokensEstimate(foreign({ tools: req.tools }));
  t.ok(withTools > small + 50);
});
