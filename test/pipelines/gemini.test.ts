// Gemini codec, request side: decoding what Gemini clients send, encoding IR
// from other formats for Gemini upstreams, tool ids and tool-result pairing.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_SAFETY_SETTINGS,
  SKIP_SIGNATURE,
  codec,
  countTokensEstimate,
  decodeCountTokensRequest,
  encodeCountTokensRequest,
  encodeCountTokensResponse,
  geminiToolNameMap,
} from '../../pipelines/formats/gemini/index.js';
import { TranslationError } from '../../pipelines/ir.js';
import type { IRMessage, IRRequest, IRToolCallPart, IRToolResultPart } from '../../pipelines/ir.js';

type J = Record<string, any>;
const FIX = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'gemini');
const fixtureJson = (name: string): J => JSON.parse(readFileSync(join(FIX, name), 'utf8')) as J;

const ir = (over: Partial<IRRequest>): IRRequest => ({ model: 'gemini-2.5-flash', system: [], messages: [], stream: true, extras: {}, ...over });
const user = (text: string): IRMessage => ({ role: 'user', content: [{ type: 'text', text }] });

t.test('decodes a full generateContent request', async (t) => {
  const req = codec.decodeRequest({ ...fixtureJson('request-tools.json'), model: 'models/gemini-2.5-flash' });
  t.equal(req.model, 'gemini-2.5-flash', 'models/ prefix stripped');
  t.same(req.system, [{ type: 'text', text: 'You are a concise travel assistant. Use the tools when you need live data.' }]);
  t.equal(req.messages.length, 5);
  t.match(req.messages[0]!.content[1], { type: 'image', mediaType: 'image/jpeg', data: /^\/9j\// });

  const model = req.messages[1]!;
  t.equal(model.role, 'assistant');
  t.same(model.content[0], {
    type: 'text',
    text: 'The photo shows the Eiffel Tower, so the city is Paris.',
    extras: { gemini: { thoughtSignature: 'CiQBcsjafDQ1nlGkYpHFn3cyhJQ9o2Gk2wAaBDe3rW0hdWmqXuY=' } },
  }, 'a text part keeps its signature, out of sight of other formats');
  const calls = model.content.filter((p): p is IRToolCallPart => p.type === 'tool-call');
  t.equal(calls.length, 2);
  t.not(calls[0]!.id, calls[1]!.id, 'generated ids are unique');
  t.equal(calls[0]!.signature, 'CiwBcsjafHaM1QnTzPBtS8bKVR7VGmC6m+3EXE+FQAGBLcBRvHLl');
  t.same(JSON.parse(calls[0]!.arguments), { location: 'Paris, FR', unit: 'celsius' });

  const results = req.messages[2]!.content as IRToolResultPart[];
  t.same(results.map((r) => r.callId), calls.map((c) => c.id), 'results paired with their calls');
  t.same(results.map((r) => r.name), ['get_current_weather', 'get_local_time']);
  t.equal((results[1]!.content[0] as J).text, '14:32', '{output: string} becomes plain text');

  const tools = req.tools as J[];
  t.same(tools.map((x) => x.name), ['get_current_weather', 'get_forecast', 'get_local_time', 'google_search']);
  t.equal(tools[0]!.parameters.type, 'object', 'upper-case OBJECT lowered for the IR');
  t.same(tools[1]!.parameters.properties.note.type, ['string', 'null'], 'nullable becomes a JSON Schema type union');
  t.equal(tools[1]!.parameters.properties.include.maxItems, 4, 'int64-as-string limits become numbers');
  t.same(req.toolChoice, { type: 'auto' });
  t.match(req, { maxTokens: 2048, temperature: 0.4, topP: 0.95, topK: 40, stop: ['<END>'], seed: 7, candidateCount: 1 });
  t.same(req.reasoning, { budgetTokens: 1024, includeThoughts: true });
  t.same(req.extras.gemini!.generationConfig, { responseModalities: ['TEXT'] });
  t.same((req.extras.gemini!.rest as J).cachedContent, 'cachedContents/abc123');
});

t.test('decode → encode keeps a Gemini request intact', async (t) => {
  const original = fixtureJson('request-tools.json');
  const out = codec.encodeRequest(codec.decodeRequest({ ...original, model: 'gemini-2.5-flash' }));
  t.notOk('model' in out, 'model belongs in the URL');
  // The only rewrites: JSON-Schema spelling of the SDK's upper-case types and
  // int64 strings (Gemini accepts both).
  const expected = structuredClone(original);
  const decls = expected.tools[0].functionDeclarations;
  decls[0].parameters = {
    type: 'object',
    properties: { location: { type: 'string', description: 'City and country, e.g. Paris, FR' }, unit: { type: 'string', format: 'enum', enum: ['celsius', 'fahrenheit'] } },
    required: ['location'],
  };
  decls[1].parameters = {
    type: 'object',
    properties: {
      location: { type: 'string' },
      days: { type: 'integer', minimum: 1, maximum: 7 },
      include: { type: 'array', items: { type: 'string' }, maxItems: 4 },
      note: { type: 'string', nullable: true },
    },
    required: ['location', 'days'],
  };
  t.same(out, expected);
});

t.test('request validation', async (t) => {
  t.throws(() => codec.decodeRequest('hi'), TranslationError);
  t.throws(() => codec.decodeRequest({ contents: {} }), TranslationError);
  t.throws(() => codec.decodeRequest({ contents: [{ role: 'user', parts: 'x' }] }), TranslationError);
  t.throws(() => codec.decodeRequest({ contents: [], generationConfig: { temperature: 'hot' } }), TranslationError);
  const r = codec.decodeRequest({ contents: [{ parts: [{ text: 'a' }] }, { parts: [{ text: 'b' }] }, { role: 'function', parts: [{ text: 'c' }] }] });
  t.same(r.messages.map((m) => m.role), ['user', 'assistant', 'user'], 'missing roles alternate, function → user');
  const snake = codec.decodeRequest({
    system_instruction: { parts: [{ text: 'sys' }] },
    contents: [{ role: 'user', parts: [{ inline_data: { mime_type: 'audio/wav', data: 'UklG' } }] }],
    generation_config: { max_output_tokens: 10, thinking_config: { thinking_budget: 0, include_thoughts: false } },
  });
  t.equal(snake.system[0]!.text, 'sys');
  t.match(snake.messages[0]!.content[0], { type: 'audio', format: 'wav', mediaType: 'audio/wav', data: 'UklG' });
  t.equal(snake.maxTokens, 10);
  t.same(snake.reasoning, { budgetTokens: 0, includeThoughts: false });
  const keepSnake = codec.encodeRequest(codec.decodeRequest({ contents: [], safety_settings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }] }));
  t.notOk('safetySettings' in keepSnake, 'no second spelling of a field the client set');
});

t.test('JSON mode: responseJsonSchema (Gemini CLI "auto" router) and responseSchema', async (t) => {
  const schema = { type: 'object', properties: { reasoning: { type: 'string' }, model_choice: { type: 'string', enum: ['flash', 'pro'] } }, required: ['reasoning', 'model_choice'] };
  const body = { contents: [{ role: 'user', parts: [{ text: 'route me' }] }], generationConfig: { responseMimeType: 'application/json', responseJsonSchema: schema } };
  const req = codec.decodeRequest({ ...body, model: 'gemini-2.5-flash-lite' });
  t.same(req.responseFormat, { type: 'json_schema', schema });
  const out = codec.encodeRequest(req);
  t.same(out.generationConfig, { responseMimeType: 'application/json', responseJsonSchema: schema });

  const sdk = codec.decodeRequest({ contents: [], generationConfig: { responseMimeType: 'application/json', responseSchema: { type: 'ARRAY', items: { type: 'STRING' } } } });
  t.same(sdk.responseFormat, { type: 'json_schema', schema: { type: 'array', items: { type: 'string' } } });
  t.same((codec.encodeRequest(sdk).generationConfig as J).responseSchema, { type: 'array', items: { type: 'string' } });

  const foreign = codec.encodeRequest(ir({ messages: [user('x')], responseFormat: { type: 'json_object' } }));
  t.same((foreign.generationConfig as J).responseMimeType, 'application/json');
  const enumMode = codec.decodeRequest({ contents: [], generationConfig: { responseMimeType: 'text/x.enum', responseSchema: { type: 'STRING', enum: ['a'] } } });
  t.notOk(enumMode.responseFormat, 'text/x.enum has no IR form');
  t.same(codec.encodeRequest(enumMode).generationConfig, { responseMimeType: 'text/x.enum', responseSchema: { type: 'STRING', enum: ['a'] } });
});

// An OpenAI- or Claude-shaped conversation: ids on every call, no signatures,
// results in their own messages and out of order.
function foreignConversation(): IRRequest {
  return ir({
    model: 'gemini-2.5-pro',
    system: [{ type: 'text', text: 'Be brief.' }],
    messages: [
      user('Weather in Paris and Tokyo?'),
      { role: 'assistant', content: [{ type: 'text', text: 'Checking.' }] },
      {
        role: 'assistant',
        content: [
          { type: 'tool-call', id: 'call_A', name: 'mcp__weather/get-current', arguments: '{"city":"Paris"}' },
          { type: 'tool-call', id: 'call_B', name: 'mcp__weather/get-current', arguments: '{"city":"Tokyo"}' },
        ],
      },
      { role: 'user', content: [{ type: 'tool-result', callId: 'call_B', content: [{ type: 'text', text: 'Tokyo: 25C' }] }] },
      { role: 'user', content: [{ type: 'tool-result', callId: 'call_A', content: [{ type: 'text', text: '{"temp":18}' }] }] },
      { role: 'system', content: [{ type: 'text', text: 'Reminder: answer in one line.' }] },
    ],
    tools: [{ type: 'function', name: 'mcp__weather/get-current', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false, $schema: 'http://json-schema.org/draft-07/schema#' } }],
    toolChoice: { type: 'tool', name: 'mcp__weather/get-current' },
    reasoning: { effort: 'none' },
    maxTokens: 500,
  });
}

t.test('encodes IR from other formats for a Gemini upstream', async (t) => {
  const req = foreignConversation();
  const out = codec.encodeRequest(req) as J;
  t.notOk('model' in out);
  t.same(out.systemInstruction, { role: 'user', parts: [{ text: 'Be brief.' }] });
  t.same(out.contents.map((c: J) => c.role), ['user', 'model', 'user'], 'same-role turns merged, strict alternation');
  const model = out.contents[1].parts;
  t.same(model[0], { text: 'Checking.' });
  const name = 'mcp__weather_get-current';
  t.same(model[1], { functionCall: { name, args: { city: 'Paris' } }, thoughtSignature: SKIP_SIGNATURE }, 'first call of a turn gets the bypass signature');
  t.same(model[2], { functionCall: { name, args: { city: 'Tokyo' } } }, 'later parallel calls stay unsigned');
  const answer = out.contents[2].parts;
  t.same(answer[0], { functionResponse: { name, response: { temp: 18 } } }, 'results re-ordered to call order; JSON object results pass as objects');
  t.same(answer[1], { functionResponse: { name, response: { result: 'Tokyo: 25C' } } }, 'text results wrapped');
  t.same(answer[2], { text: 'Reminder: answer in one line.' }, 'mid-conversation system prompt as user text, after the responses');
  t.same(out.tools, [{ functionDeclarations: [{ name, description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }] }]);
  t.same(out.toolConfig, { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [name] } });
  t.same(out.generationConfig, { maxOutputTokens: 500, thinkingConfig: { thinkingBudget: 128, includeThoughts: false } }, 'effort none clamped to 2.5-pro minimum');
  t.same(out.safetySettings, DEFAULT_SAFETY_SETTINGS);
  const map = geminiToolNameMap(req);
  t.equal(map.get(name), 'mcp__weather/get-current', 'decoders can map the sanitized name back');
});

t.test('thinking config per model', async (t) => {
  const enc = (model: string, reasoning: IRRequest['reasoning']) => (codec.encodeRequest(ir({ model, messages: [user('x')], reasoning })).generationConfig as J | undefined)?.thinkingConfig;
  t.same(enc('gemini-2.5-flash', { effort: 'high' }), { thinkingBudget: 24576, includeThoughts: true });
  t.same(enc('gemini-2.5-flash', { budgetTokens: 100000 }), { thinkingBudget: 24576, includeThoughts: true }, 'clamped');
  t.same(enc('gemini-2.5-pro', { budgetTokens: -1 }), { thinkingBudget: -1, includeThoughts: true });
  t.same(enc('gemini-2.5-flash-lite', { budgetTokens: 10 }), { thinkingBudget: 512, includeThoughts: true });
  t.equal(enc('gemini-2.5-flash-image-preview', { effort: 'high' }), undefined, 'image models get no thinkingConfig');
  t.equal(enc('gemini-2.0-flash', { effort: 'high' }), undefined, 'unknown thinking support: not sent for foreign clients');
  const native = codec.decodeRequest({ model: 'gemini-3-pro-preview', contents: [], generationConfig: { thinkingConfig: { thinkingLevel: 'low', includeThoughts: true } } });
  t.same(native.reasoning, { includeThoughts: true, effort: 'low' });
  t.same((codec.encodeRequest(native).generationConfig as J).thinkingConfig, { thinkingLevel: 'low', includeThoughts: true }, 'thinkingLevel is not mixed with a budget');
});

t.test('tool results find their calls', async (t) => {
  const call = (id: string, name: string): IRToolCallPart => ({ type: 'tool-call', id, name, arguments: '{}' });
  const result = (callId: string, text: string, name?: string): IRToolResultPart => ({ type: 'tool-result', callId, content: [{ type: 'text', text }], ...(name ? { name } : {}) });
  const out = codec.encodeRequest(
    ir({
      messages: [
        user('go'),
        { role: 'assistant', content: [call('x1', 'read'), call('x2', 'list'), call('x3', 'read')] },
        // A client that rewrote ids: pairing falls back to name, then order.
        { role: 'user', content: [result('zz1', 'listing', 'list'), result('zz2', 'file one'), result('zz3', 'file two')] },
        { role: 'assistant', content: [call('y1', 'grep'), call('y2', 'grep')] },
        // One result missing, one that answers nothing in the previous turn.
        { role: 'user', content: [result('y2', 'match'), result('nope', 'stray', 'ghost')] },
      ],
    }),
  ) as J;
  const rs = (i: number) => out.contents[i].parts.filter((p: J) => p.functionResponse).map((p: J) => [p.functionResponse.name, p.functionResponse.response]);
  t.same(rs(2), [['read', { result: 'file one' }], ['list', { result: 'listing' }], ['read', { result: 'file two' }]]);
  t.same(rs(4), [['grep', { error: 'No result was returned for this call.' }], ['grep', { result: 'match' }]], 'every call answered, in call order');
  t.same(out.contents[4].parts.at(-1), { text: '[Result of tool call ghost]\nstray' }, 'orphan result kept as text');
});

t.test('Gemini requests without ids: generated ids pair by name and order', async (t) => {
  const req = codec.decodeRequest({
    contents: [
      { role: 'user', parts: [{ text: 'q' }] },
      { role: 'model', parts: [{ functionCall: { name: 'a', args: {} } }, { functionCall: { name: 'b', args: {} } }, { functionCall: { name: 'a', args: { n: 2 } } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'b', response: { ok: 1 } } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'a', response: { ok: 2 } } }, { functionResponse: { name: 'a', response: { ok: 3 } } }] },
    ],
  });
  const calls = req.messages[1]!.content as IRToolCallPart[];
  const results = [...req.messages[2]!.content, ...req.messages[3]!.content] as IRToolResultPart[];
  t.same(results.map((r) => r.callId), [calls[1]!.id, calls[0]!.id, calls[2]!.id]);
  t.equal(new Set(calls.map((c) => c.id)).size, 3);
  const single = { contents: [{ role: 'model', parts: [{ functionCall: { name: 'a' } }] }] };
  const idOf = () => (codec.decodeRequest(structuredClone(single)).messages[0]!.content[0] as IRToolCallPart).id;
  t.equal(idOf(), idOf(), 'the same history gets the same ids on every request');
  // Native ids (Gemini CLI echoes them) are kept and sent back.
  const withIds = codec.decodeRequest({
    contents: [
      { role: 'model', parts: [{ functionCall: { id: 'fc_1', name: 'a', args: {} } }] },
      { role: 'user', parts: [{ functionResponse: { id: 'fc_1', name: 'a', response: { output: 'x' } } }] },
    ],
  });
  const enc = codec.encodeRequest(withIds) as J;
  t.equal(enc.contents[1].parts[0].functionCall.id, 'fc_1');
  t.same(enc.contents[2].parts[0].functionResponse, { name: 'a', response: { output: 'x' }, id: 'fc_1' });
  t.same(enc.contents[0], { role: 'user', parts: [{ text: '' }] }, 'a conversation never opens with the model');
});

t.test('parts the IR has no type for survive a round trip', async (t) => {
  const parts = [
    { executableCode: { language: 'PYTHON', code: 'print(1+1)' } },
    { codeExecutionResult: { outcome: 'OUTCOME_OK', output: '2\n' } },
    { fileData: { mimeType: 'video/mp4', fileUri: 'https://generativelanguage.googleapis.com/v1beta/files/abc' }, videoMetadata: { startOffset: '10s' } },
    { text: 'done', thoughtSignature: 'sig==' },
    { text: '', thoughtSignature: 'tail==' },
  ];
  const req = codec.decodeRequest({ contents: [{ role: 'user', parts: [{ text: 'run it' }] }, { role: 'model', parts }] });
  const texts = req.messages[1]!.content.filter((p) => p.type === 'text').map((p) => (p as J).text);
  t.match(texts[0], /```python\nprint\(1\+1\)\n```/, 'other formats see the code as text');
  const out = codec.encodeRequest(req) as J;
  t.same(out.contents[1].parts, parts);
});

t.test('builtin tools and tool choice', async (t) => {
  const out = codec.encodeRequest(
    ir({
      messages: [user('x')],
      tools: [
        { type: 'builtin', name: 'web_search', config: { type: 'web_search_20250305', max_uses: 3 } },
        { type: 'builtin', name: 'code_execution' },
        { type: 'builtin', name: 'bash' },
        { type: 'function', name: 'noargs', parameters: { type: 'object', properties: {} } },
      ],
      toolChoice: { type: 'none' },
    }),
  ) as J;
  t.same(out.tools, [{ functionDeclarations: [{ name: 'noargs' }] }, { googleSearch: {} }, { codeExecution: {} }], 'no empty parameters; unknown builtins dropped');
  t.same(out.toolConfig, { functionCallingConfig: { mode: 'NONE' } });
  const native = codec.decodeRequest({ contents: [], tools: [{ googleSearchRetrieval: { dynamicRetrievalConfig: { mode: 'MODE_DYNAMIC' } } }, { url_context: {} }], toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['a', 'b'] } } });
  t.same(native.toolChoice, { type: 'required' });
  const back = codec.encodeRequest(native) as J;
  t.same(back.tools, [{ urlContext: {} }, { googleSearchRetrieval: { dynamicRetrievalConfig: { mode: 'MODE_DYNAMIC' } } }]);
  t.same(back.toolConfig, { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['a', 'b'] } });
});

t.test('countTokens bodies and estimate', async (t) => {
  const req = codec.decodeRequest({ contents: [{ role: 'user', parts: [{ text: 'a'.repeat(400) }] }] });
  const n = countTokensEstimate(req);
  t.equal(n, countTokensEstimate(req), 'deterministic');
  t.ok(n >= 100 && n < 130);
  const withImage = codec.decodeRequest({ contents: [{ role: 'user', parts: [{ text: 'a'.repeat(400) }, { inlineData: { mimeType: 'image/png', data: 'AAAA' } }] }] });
  t.equal(countTokensEstimate(withImage) - n, 258);
  t.same(encodeCountTokensRequest(req), { contents: [{ role: 'user', parts: [{ text: 'a'.repeat(400) }] }] });
  const wrapped = decodeCountTokensRequest({ generateContentRequest: { model: 'models/gemini-2.5-pro', contents: [{ role: 'user', parts: [{ text: 'hi' }] }] } });
  t.equal(wrapped.model, 'gemini-2.5-pro');
  t.same(encodeCountTokensResponse(7), { totalTokens: 7, promptTokensDetails: [{ modality: 'TEXT', tokenCount: 7 }] });
});

t.test('signatures survive a trip through a client without signature fields', async (t) => {
  // What a Claude client sends back after a Gemini 3 answer: the call's
  // signature came to it as an empty thinking block, the tool_use has none.
  const history: IRMessage[] = [
    user('list files'),
    {
      role: 'assistant',
      content: [
        { type: 'reasoning', text: '', signature: 'SIG_CALL' },
        { type: 'tool-call', id: 'call_r_0', name: 'ls', arguments: '{}' },
        { type: 'tool-call', id: 'call_r_1', name: 'ls', arguments: '{"all":true}' },
      ],
    },
    { role: 'user', content: [{ type: 'tool-result', callId: 'call_r_0', content: [{ type: 'text', text: 'a' }] }, { type: 'tool-result', callId: 'call_r_1', content: [{ type: 'text', text: 'b' }] }] },
  ];
  const out = codec.encodeRequest(ir({ model: 'gemini-3-pro-preview', messages: history })) as J;
  t.same(out.contents[1].parts, [
    { functionCall: { name: 'ls', args: {} }, thoughtSignature: 'SIG_CALL' },
    { functionCall: { name: 'ls', args: { all: true } } },
  ], 'the real signature, not the bypass, and no stray empty part');
  const twoSigs = codec.encodeRequest(ir({ messages: [user('x'), { role: 'assistant', content: [{ type: 'reasoning', text: '', signature: 'A' }, { type: 'tool-call', id: 'c', name: 'f', arguments: '{}', signature: 'B' }] }] })) as J;
  t.same(twoSigs.contents[1].parts, [{ text: '', thoughtSignature: 'A' }, { functionCall: { name: 'f', args: {} }, thoughtSignature: 'B' }]);
});

t.test('media parts from other formats', async (t) => {
  const out = codec.encodeRequest(ir({ messages: [{ role: 'user', content: [
    { type: 'image', url: 'https://example.com/cat.PNG?x=1' },
    { type: 'image', url: 'data:image/webp;base64,AAAA' },
    { type: 'file', url: 'gs://bucket/doc.pdf' },
    { type: 'file', mediaType: 'application/pdf', data: 'JVBER', filename: 'a.pdf' },
    { type: 'audio', format: 'mp3', data: 'SUQz' },
  ] }] })) as J;
  t.same(out.contents[0].parts, [
    { fileData: { mimeType: 'image/png', fileUri: 'https://example.com/cat.PNG?x=1' } },
    { inlineData: { mimeType: 'image/webp', data: 'AAAA' } },
    { fileData: { mimeType: 'application/pdf', fileUri: 'gs://bucket/doc.pdf' } },
    { inlineData: { mimeType: 'application/pdf', data: 'JVBER' } },
    { inlineData: { mimeType: 'audio/mp3', data: 'SUQz' } },
  ]);
  const withImageResult = codec.encodeRequest(ir({ messages: [
    user('shot'),
    { role: 'assistant', content: [{ type: 'tool-call', id: 't1', name: 'screenshot', arguments: '{}' }] },
    { role: 'user', content: [{ type: 'tool-result', callId: 't1', content: [{ type: 'text', text: 'ok' }, { type: 'image', mediaType: 'image/png', data: 'iVBOR' }] }] },
  ] })) as J;
  t.same(withImageResult.contents[2].parts, [
    { functionResponse: { name: 'screenshot', response: { result: 'ok' } } },
    { inlineData: { mimeType: 'image/png', data: 'iVBOR' } },
  ], 'images in tool results follow the responses');
});
