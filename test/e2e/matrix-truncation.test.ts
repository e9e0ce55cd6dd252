// Truncation is not success: every client format × every upstream kind, with
// an upstream stream that ends before its end marker (cut-stream: a clean
// HTTP end without [DONE]/finish_reason, message_stop, finishReason or
// response.completed) and one whose connection drops (break-stream). Each
// official SDK must see an error in its own format, the text before the cut,
// and never a normal stop. Piped pairs (OpenAI → openai-compat, Claude →
// Claude, Gemini → Gemini) take the same way out as translated ones.
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import t from 'tap';
import { alias, KINDS, startMatrix } from '../helpers/matrix.js';

const m = await startMatrix();
t.teardown(() => m.close());
const openai = new OpenAI({ baseURL: `${m.gw.url}/v1`, apiKey: 'client-key', maxRetries: 0 });
const anthropic = new Anthropic({ baseURL: m.gw.url, apiKey: 'client-key', maxRetries: 0 });
const genai = new GoogleGenAI({ apiKey: 'client-key', httpOptions: { baseUrl: m.gw.url, retryOptions: { attempts: 1 } } });

const TEXT = 'part one, part two';
const WHY = { cut: /upstream stream ended before completion/, break: /upstream/ } as const;
const CASES = ['cut', 'break'] as const;

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

for (const kind of KINDS) {
  for (const how of CASES) {
    const model = alias(kind, how);

    t.test(`${kind} ${how}: OpenAI chat stream → APIError, no finish_reason`, async (t) => {
      let text = '';
      const finishes: string[] = [];
      const err = await (async () => {
        const stream = await openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }], stream: true });
        for await (const c of stream) {
          text += c.choices[0]?.delta.content ?? '';
          if (c.choices[0]?.finish_reason) finishes.push(c.choices[0].finish_reason);
        }
      })().then(
        () => undefined,
        (e: unknown) => e,
      );
      t.type(err, OpenAI.APIError, 'the SDK throws an APIError');
      t.match(message(err), WHY[how]);
      t.equal(text, TEXT, 'the text before the cut arrived');
      t.same(finishes, [], 'no finish_reason pretends the answer ended');
      // The SDK's strict helper fails too, rather than resolving a cut answer.
      const helper = await openai.chat.completions.stream({ model, messages: [{ role: 'user', content: 'x' }] }).finalChatCompletion().catch((e: unknown) => e);
      t.type(helper, Error, 'finalChatCompletion() rejects');
    });

    t.test(`${kind} ${how}: OpenAI completions stream → APIError`, async (t) => {
      let text = '';
      const err = await (async () => {
        const stream = await openai.completions.create({ model, prompt: 'x', stream: true });
        for await (const c of stream) {
          text += c.choices[0]?.text ?? '';
          t.notOk(c.choices[0]?.finish_reason, 'no finish_reason');
        }
      })().catch((e: unknown) => e);
      t.type(err, OpenAI.APIError);
      t.match(message(err), WHY[how]);
      t.equal(text, TEXT);
    });

    t.test(`${kind} ${how}: Responses stream → response.failed, never response.completed`, async (t) => {
      const types: string[] = [];
      let text = '';
      let failure = '';
      const err = await (async () => {
        const stream = await openai.responses.create({ model, input: 'x', stream: true });
        for await (const ev of stream) {
          types.push(ev.type);
          if (ev.type === 'response.output_text.delta') text += ev.delta;
          if (ev.type === 'response.failed') failure = ev.response.error?.message ?? '';
        }
      })().catch((e: unknown) => e);
      t.notOk(types.includes('response.completed') || types.includes('response.incomplete'), 'no completion event');
      t.ok(types.includes('response.failed') || err instanceof OpenAI.APIError, `an error in the Responses shape (${types.at(-1)})`);
      t.match(failure || message(err), WHY[how]);
      t.equal(text, TEXT);
      // The SDK's helper resolves a response.failed as the failed response it is.
      const helper = await openai.responses.stream({ model, input: 'x' }).finalResponse().catch((e: unknown) => e);
      if (helper instanceof Error) t.match(helper.message, WHY[how], 'finalResponse() rejects');
      else t.match(helper, { status: 'failed', error: { message: WHY[how] } }, 'finalResponse() is a failed response');
    });

    t.test(`${kind} ${how}: Anthropic stream → APIError, no message_stop`, async (t) => {
      const events: string[] = [];
      let text = '';
      const stream = anthropic.messages.stream({ model, max_tokens: 256, messages: [{ role: 'user', content: 'x' }] });
      stream.on('streamEvent', (e) => events.push(e.type));
      stream.on('text', (d) => (text += d));
      const err = await stream.finalMessage().catch((e: unknown) => e);
      t.type(err, Anthropic.APIError, 'finalMessage() rejects with an APIError');
      t.match(message(err), WHY[how]);
      t.equal(text, TEXT);
      t.notOk(events.includes('message_stop'), 'no message_stop');
      t.notOk(events.includes('message_delta'), 'no stop reason');
    });

    t.test(`${kind} ${how}: Gemini SSE stream → ApiError, no finishReason`, async (t) => {
      let text = '';
      const finishes: unknown[] = [];
      const err = await (async () => {
        for await (const c of await genai.models.generateContentStream({ model, contents: 'x' })) {
          text += c.text ?? '';
          if (c.candidates?.[0]?.finishReason) finishes.push(c.candidates[0].finishReason);
        }
      })().catch((e: unknown) => e);
      t.type(err, Error, 'the SDK throws');
      t.match(message(err), WHY[how]);
      t.equal(text, TEXT);
      t.same(finishes, [], 'no finishReason pretends the answer ended');
    });

    t.test(`${kind} ${how}: Gemini JSON-array stream → a closed array ending in an error element`, async (t) => {
      const res = await fetch(`${m.gw.url}/v1beta/models/${model}:streamGenerateContent`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-goog-api-key': 'client-key' },
        body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'x' }] }] }),
      });
      t.equal(res.status, 200);
      const body = await res.text();
      let arr: any[] = [];
      t.doesNotThrow(() => (arr = JSON.parse(body)), 'the array is valid JSON');
      const last = arr.at(-1);
      t.match(last, { error: { code: Number, message: WHY[how], status: String } }, 'the last element is a Gemini error');
      t.notOk(arr.some((c) => c?.candidates?.[0]?.finishReason), 'no finishReason');
      t.equal(arr.map((c) => (c?.candidates?.[0]?.content?.parts ?? []).map((p: any) => p.text ?? '').join('')).join(''), TEXT);
    });
  }
}

t.test('honest streams are untouched: every client sees a normal stop', async (t) => {
  for (const kind of KINDS) {
    const model = alias(kind, 'echo');
    const chat = await openai.chat.completions.stream({ model, messages: [{ role: 'user', content: 'fine' }] }).finalChatCompletion();
    t.equal(chat.choices[0]!.finish_reason, 'stop', `${kind}: chat`);
    const msg = await anthropic.messages.stream({ model, max_tokens: 64, messages: [{ role: 'user', content: 'fine' }] }).finalMessage();
    t.equal(msg.stop_reason, 'end_turn', `${kind}: claude`);
    const resp = await openai.responses.stream({ model, input: 'fine' }).finalResponse();
    t.equal(resp.status, 'completed', `${kind}: responses`);
    let finish: unknown;
    for await (const c of await genai.models.generateContentStream({ model, contents: 'fine' })) finish = c.candidates?.[0]?.finishReason ?? finish;
    t.equal(finish, 'STOP', `${kind}: gemini`);
  }
});
