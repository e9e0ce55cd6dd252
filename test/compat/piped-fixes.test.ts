// The pure half of the piped-body fixes (pipelines/piped-body.ts and
// formats/gemini/passthrough.ts): which parts lose a foreign signature, which
// go, the Code Assist envelope, and the byte check that keeps untagged bodies
// from being walked at all.
import t from 'tap';
import { pipedGeminiBody, pipedGeminiCliBody } from '../../pipelines/formats/gemini/passthrough.js';
import { SKIP_SIGNATURE } from '../../pipelines/formats/gemini/request-encode.js';
import { hasGatewayTag, pipedClientBody, pipedFixMayApply } from '../../pipelines/piped-body.js';

const bytes = (o: unknown) => Buffer.from(JSON.stringify(o));

t.test('Gemini: foreign signatures leave, Gemini ones stay', async (t) => {
  const body = {
    contents: [
      { role: 'user', parts: [{ text: 'hi' }] },
      {
        role: 'model',
        parts: [
          { text: 'thinking…', thought: true, thoughtSignature: 'cliproxy-claude:abc' },
          { text: '', thoughtSignature: 'cliproxy-enc:zzz' },
          { text: 'answer', thought_signature: 'cliproxy-claude:def' },
          { functionCall: { name: 'f', args: {} }, thoughtSignature: 'cliproxy-claude:ghi' },
          { text: 'own', thoughtSignature: 'gemini-own' },
        ],
      },
      { role: 'model', parts: [{ text: '', thoughtSignature: 'cliproxy-claude:only' }] },
      { role: 'user', parts: [{ text: 'next' }] },
    ],
    generationConfig: { temperature: 0 },
  };
  const frozen = JSON.stringify(body);
  const out = pipedGeminiBody(body)!;
  t.same(out.contents, [
    { role: 'user', parts: [{ text: 'hi' }] },
    {
      role: 'model',
      parts: [{ text: 'thinking…', thought: true }, { text: 'answer' }, { functionCall: { name: 'f', args: {} }, thoughtSignature: SKIP_SIGNATURE }, { text: 'own', thoughtSignature: 'gemini-own' }],
    },
    { role: 'user', parts: [{ text: 'next' }] },
  ]);
  t.same(out.generationConfig, { temperature: 0 });
  t.equal(JSON.stringify(body), frozen, "the client's object is not modified (the next credential starts from it)");
  t.equal(pipedGeminiBody({ contents: [{ role: 'model', parts: [{ text: 'x', thoughtSignature: 'gemini-own' }] }] }), undefined, 'nothing foreign: no new body');
});

t.test('Code Assist envelope', async (t) => {
  const body = { model: 'gemini-2.5-pro', project: 'p', request: { contents: [{ role: 'model', parts: [{ text: 'a', thoughtSignature: 'cliproxy-claude:x' }] }] } };
  t.same(pipedGeminiCliBody(body), { model: 'gemini-2.5-pro', project: 'p', request: { contents: [{ role: 'model', parts: [{ text: 'a' }] }] } });
  t.same(pipedClientBody('gemini-cli', bytes(body), body), pipedGeminiCliBody(body));
});

t.test('the byte check comes first: no tag, no walk', async (t) => {
  const tagged = { contents: [{ role: 'model', parts: [{ text: 'a', thoughtSignature: 'cliproxy-claude:x' }] }] };
  t.ok(hasGatewayTag(bytes(tagged)));
  t.ok(hasGatewayTag(new Uint8Array(bytes(tagged))), 'a plain Uint8Array (the worker transfers those)');
  // The object says "tagged" but the bytes do not: the decision is the bytes', so the object is not looked at.
  t.equal(pipedClientBody('gemini', Buffer.from('{"contents":[]}'), tagged), undefined);
  t.equal(pipedFixMayApply('gemini', bytes({ contents: [{ role: 'user', parts: [{ text: 'plain' }] }] })), false);
  t.equal(pipedFixMayApply('openai-chat', bytes(tagged)), false, 'no piped fix for OpenAI formats');
  t.equal(pipedFixMayApply('claude', bytes({ messages: [{ role: 'user', content: 'x' }] })), false, 'Claude: neither a system message nor thinking');
  t.equal(pipedFixMayApply('claude', bytes({ messages: [{ role: 'system', content: 'x' }] })), true);
  t.equal(pipedFixMayApply('claude', bytes({ messages: [{ role: 'assistant', content: [{ type: 'thinking', thinking: 'x', signature: 's' }] }] })), true);
});

t.test('Claude: a foreign-signed thinking block leaves, a system message folds', async (t) => {
  const body = {
    model: 'm',
    messages: [
      { role: 'user', content: 'q' },
      { role: 'assistant', content: [{ type: 'thinking', thinking: 't', signature: 'cliproxy-gemini:s' }, { type: 'text', text: 'a' }] },
      { role: 'system', content: 'note' },
      { role: 'user', content: 'r' },
    ],
  };
  const out = pipedClientBody('claude', bytes(body), body)!;
  t.same(out.messages, [
    { role: 'user', content: 'q' },
    { role: 'assistant', content: [{ type: 'text', text: 'a' }] },
    { role: 'user', content: [{ type: 'text', text: (out.messages as any)[2].content[0].text }, { type: 'text', text: 'r' }] },
  ]);
  t.match((out.messages as any)[2].content[0].text, /note/);
});
