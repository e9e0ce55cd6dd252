import t from 'tap';
import { readFileSync } from 'node:fs';
import { codec as responses } from '../../pipelines/formats/openai-responses/index.js';
import { codec, DEFAULT_INSTRUCTIONS, setCodexInstructions, shortNameMap } from '../../pipelines/formats/codex/index.js';
import type { IREvent, IRRequest } from '../../pipelines/ir.js';

const read = (path: string): string => readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8');
const json = (path: string): Record<string, any> => JSON.parse(read(path));

/** What Claude Code (or any non-Responses client) looks like once decoded. */
function foreignRequest(over: Partial<IRRequest> = {}): IRRequest {
  return {
    model: 'gpt-5-codex',
    system: [{ type: 'text', text: 'You are Claude Code.' }],
    messages: [
      { role: 'system', content: [{ type: 'text', text: 'Mid-conversation reminder.' }] },
      { role: 'user', content: [{ type: 'text', text: 'Fix it.' }] },
      {
        role: 'assistant',
        content: [
          { type: 'reasoning', text: 'thinking…', signature: 'EqQBCkYIBxgCKkA' },
          { type: 'tool-call', id: 'toolu_01', name: 'Read', arguments: '{"file_path":"/a.js"}' },
        ],
      },
      { role: 'user', content: [{ type: 'tool-result', callId: 'toolu_01', name: 'Read', content: [{ type: 'text', text: 'code' }] }] },
    ],
    tools: [{ type: 'function', name: 'Read', description: 'Read a file', parameters: { type: 'object', properties: { file_path: { type: 'string' } } } }],
    maxTokens: 32000,
    temperature: 1,
    stream: false,
    extras: {},
    ...over,
  };
}

t.test('Codex CLI request → Codex backend body', async (t) => {
  const client = json('openai-responses/codex-cli-request.json');
  const body = codec.encodeRequest(responses.decodeRequest(client));
  t.equal(body.model, 'gpt-5.1-codex');
  t.equal(body.stream, true);
  t.equal(body.store, false);
  t.same(body.include, ['reasoning.encrypted_content']);
  t.equal(body.instructions, client.instructions, 'custom instructions go through unchanged');
  t.equal(body.parallel_tool_calls, true);
  t.equal(body.prompt_cache_key, client.prompt_cache_key);
  t.same(body.client_metadata, client.client_metadata);
  t.same(body.reasoning, { effort: 'medium', summary: 'auto' });
  t.same(body.text, { verbosity: 'medium' });
  // Tools keep their order and kinds: namespace, custom, local_shell all stay.
  t.same(body.tools, client.tools);
  // Input is the client's, but for what the backend refuses.
  const input = body.input as Array<Record<string, any>>;
  t.equal(input.length, client.input.length);
  t.equal(input[0]!.role, 'developer');
  t.same(input.slice(1), client.input.slice(1));
});

t.test('fields the backend rejects are removed; model suffixes pick the effort', async (t) => {
  const ir = responses.decodeRequest({
    model: 'gpt-5-high', input: 'hi', instructions: 'x', max_output_tokens: 10, temperature: 0.5, top_p: 0.9,
    truncation: 'auto', user: 'u', metadata: { a: 1 }, previous_response_id: 'resp_1', service_tier: 'flex',
    context_management: { compaction: true }, prompt_cache_retention: '24h', parallel_tool_calls: false,
    reasoning: { effort: 'low' }, stream: false, store: true, include: ['message.output_text.logprobs'],
  });
  const body = codec.encodeRequest(ir);
  for (const k of ['max_output_tokens', 'temperature', 'top_p', 'truncation', 'user', 'metadata', 'previous_response_id', 'service_tier', 'context_management', 'prompt_cache_retention', 'parallel_tool_calls']) {
    t.notOk(k in body, `${k} removed`);
  }
  t.equal(body.model, 'gpt-5');
  t.same(body.reasoning, { effort: 'high', summary: 'auto' });
  t.same(body.input, [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] }]);
  t.equal(body.stream, true);
  t.equal(body.store, false);
  t.same(body.include, ['reasoning.encrypted_content']);

  const low = codec.encodeRequest(responses.decodeRequest({ model: 'gpt-5-codex-low', input: 'hi', service_tier: 'priority' }));
  t.equal(low.model, 'gpt-5-codex');
  t.equal((low.reasoning as any).effort, 'low');
  t.equal(low.service_tier, 'priority');
  t.equal(low.instructions, DEFAULT_INSTRUCTIONS, 'no instructions: a neutral default (the backend requires non-empty ones)');
  t.equal(codec.encodeRequest(responses.decodeRequest({ model: 'gpt-5-codex-mini', input: 'x' })).model, 'gpt-5-codex-mini');
});

t.test('a foreign request: system prompt as instructions, defaults, foreign reasoning dropped', async (t) => {
  const body = codec.encodeRequest(foreignRequest());
  t.equal(body.instructions, 'You are Claude Code.');
  t.same(body.reasoning, { effort: 'low', summary: 'auto' });
  t.equal(body.parallel_tool_calls, true);
  t.same(body.tools, [{ type: 'function', name: 'Read', description: 'Read a file', parameters: { type: 'object', properties: { file_path: { type: 'string' } } }, strict: false }]);
  t.same(body.input, [
    { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'Mid-conversation reminder.' }] },
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Fix it.' }] },
    { type: 'function_call', call_id: 'toolu_01', name: 'Read', arguments: '{"file_path":"/a.js"}' },
    { type: 'function_call_output', call_id: 'toolu_01', output: 'code' },
  ]);
  t.notOk('max_output_tokens' in body);
  t.notOk('temperature' in body);

  const thinking = codec.encodeRequest(foreignRequest({ reasoning: { budgetTokens: 24576, includeThoughts: true } }));
  t.same(thinking.reasoning, { effort: 'high', summary: 'auto' });
  const noTools = codec.encodeRequest(foreignRequest({ tools: [], parallelToolCalls: true }));
  t.notOk('parallel_tool_calls' in noTools);
  t.notOk('tools' in noTools);
});

t.test('tool names over 64 characters are shortened, and restored on the way back', async (t) => {
  const long = 'mcp__plugin_marketplace_github__create_or_update_pull_request_review_comment';
  const long2 = 'a'.repeat(70);
  const req = foreignRequest({
    tools: [
      { type: 'function', name: long, parameters: { type: 'object' } },
      { type: 'function', name: long2, parameters: { type: 'object' } },
      { type: 'function', name: 'a'.repeat(64), parameters: { type: 'object' } },
    ],
    toolChoice: { type: 'tool', name: long },
    messages: [{ role: 'assistant', content: [{ type: 'tool-call', id: 'c1', name: long, arguments: '{}' }] }],
  });
  const body = codec.encodeRequest(req);
  const names = (body.tools as Array<{ name: string }>).map((x) => x.name);
  t.ok(names.every((n) => n.length <= 64));
  t.equal(names[0], 'mcp__create_or_update_pull_request_review_comment');
  t.not(names[1], names[2], 'no collision with an existing name');
  t.same(body.tool_choice, { type: 'function', name: names[0] });
  t.equal((body.input as any[])[0].name, names[0]);
  t.same([...shortNameMap(req).keys()].sort(), [long2, long].sort());

  const sse = [
    { type: 'response.created', response: { id: 'resp_x', model: 'gpt-5-codex' } },
    { type: 'response.output_item.added', output_index: 0, item: { type: 'function_call', call_id: 'c9', name: names[0], arguments: '' } },
    { type: 'response.output_item.done', output_index: 0, item: { type: 'function_call', call_id: 'c9', name: names[0], arguments: '{}' } },
    { type: 'response.completed', response: { id: 'resp_x', status: 'completed', output: [] } },
  ].map((e) => `data: ${JSON.stringify(e)}\n\n`).join('');
  const start = (evs: IREvent[]) => evs.find((e) => e.type === 'tool-call-start');
  t.match(start(codec.decodeResponse(sse, req)), { name: long });
  t.match(start(codec.decodeResponse(sse)), { name: names[0] }, 'without the request nothing can be restored');
  const dec = codec.createStreamDecoder(req);
  const out: IREvent[] = [];
  for (const block of sse.split('\n\n').filter(Boolean)) out.push(...dec.push({ data: block.slice(6) }));
  t.match(start(out), { name: long });
  t.match(start(codec.decodeResponse({ object: 'response', status: 'completed', output: [{ type: 'function_call', call_id: 'c', name: names[0], arguments: '{}' }] }, req)), { name: long });
});

t.test('official instructions: opt-in enforcement with a prompt the gateway loads', async (t) => {
  const official = 'You are Codex, based on GPT-5.';
  const ir = foreignRequest({ extras: { codex: { instructions: official } } });
  const body = codec.encodeRequest(ir);
  t.equal(body.instructions, official);
  t.same((body.input as any[])[0], { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'You are Claude Code.' }] });

  // Instructions that already start with the official prompt are left alone.
  const own = responses.decodeRequest({ model: 'gpt-5-codex', instructions: `${official}\n\nExtra rules.`, input: 'hi' });
  setCodexInstructions((model) => (model.includes('codex') ? official : undefined));
  t.teardown(() => setCodexInstructions(undefined));
  const kept = codec.encodeRequest(own);
  t.equal(kept.instructions, `${official}\n\nExtra rules.`);
  t.equal((kept.input as any[]).length, 1);
  const swapped = codec.encodeRequest(responses.decodeRequest({ model: 'gpt-5-codex-high', instructions: 'Mine.', input: 'hi' }));
  t.equal(swapped.instructions, official);
  t.equal((swapped.input as any[])[0].content[0].text, 'Mine.');
  const other = codec.encodeRequest(responses.decodeRequest({ model: 'gpt-5', instructions: 'Mine.', input: 'hi' }));
  t.equal(other.instructions, 'Mine.');
});

t.test('non-stream answers are folded from the stream the backend always sends', async (t) => {
  const text = read('codex/stream-custom-tool.sse');
  const fromText = codec.decodeResponse(text);
  const last = text.trim().split('\n').at(-1)!.slice(6);
  const fromCompleted = codec.decodeResponse(JSON.parse(last));
  const fromObject = codec.decodeResponse(JSON.parse(last).response);
  t.same(fromCompleted, fromObject);
  t.same(fromText.map((e) => e.type).filter((x, i, a) => x !== a[i - 1]), fromObject.map((e) => e.type));
  t.match(fromObject.at(-1), { type: 'finish', reason: 'tool_calls', usage: { inputTokens: 5100, outputTokens: 410, cachedTokens: 4864 } });

  // The stream ended before response.completed: the answer is an error, not a silent success.
  const truncated = text.slice(0, text.indexOf('event: response.completed'));
  t.match(codec.decodeResponse(truncated).at(-1), { type: 'error', status: 502, message: 'upstream stream ended before completion' });
});

t.test('codex errors decode to IR errors', async (t) => {
  t.match(codec.decodeError(429, read('codex/error-usage-limit.json')), { status: 429, type: 'usage_limit_reached', message: 'The usage limit has been reached' });
  t.same(codec.decodeError(400, read('codex/error-detail.json')), { status: 400, message: 'Unsupported parameter: max_output_tokens' });
  t.equal(codec.name, 'codex');
});
