// `stop` reads the same in both OpenAI codecs: a string or an array of up to
// four strings, the same normalisation and the same 400 message otherwise.
import t from 'tap';
import { codec as chat } from '../../pipelines/formats/openai-chat/index.js';
import { codec as completions } from '../../pipelines/formats/openai-completions/index.js';
import type { IRRequest } from '../../pipelines/ir.js';

const codecs = {
  'openai-chat': (stop: unknown) => chat.decodeRequest({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stop }),
  'openai-completions': (stop: unknown) => completions.decodeRequest({ model: 'm', prompt: 'hi', stop }),
} as const;

const MESSAGE = "'stop' must be a string or an array of up to 4 strings";

function refusal(fn: () => unknown): { status?: number; message?: string } | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return { status: (err as { status?: number }).status, message: (err as Error).message };
  }
}

for (const [name, decode] of Object.entries(codecs)) {
  t.test(`${name}: accepted stop values and their normal form`, async (t) => {
    const stopString = (req: IRRequest) => (req.extras[name as keyof typeof codecs] as { stopString?: boolean } | undefined)?.stopString === true;
    const one = decode('END');
    t.same(one.stop, ['END'], 'a string is one sequence');
    t.ok(stopString(one), 'and is remembered as a string for a same-format encode');
    const four = decode(['a', 'b', 'c', '\n']);
    t.same(four.stop, ['a', 'b', 'c', '\n'], 'four sequences');
    t.notOk(stopString(four));
    t.equal(decode(null).stop, undefined, 'null is no stop');
    t.equal(decode(undefined).stop, undefined, 'absent is no stop');
    t.equal(decode([]).stop, undefined, 'an empty array is no stop');
  });

  t.test(`${name}: refused stop values get the one 400 message`, async (t) => {
    for (const bad of [5, true, { s: 'x' }, ['a', 1], ['a', null], ['a', 'b', 'c', 'd', 'e']]) {
      t.same(refusal(() => decode(bad)), { status: 400, message: MESSAGE }, JSON.stringify(bad));
    }
  });
}

t.test('a same-format round trip keeps the string or array shape', async (t) => {
  t.equal(chat.encodeRequest(codecs['openai-chat']('END')).stop, 'END');
  t.same(chat.encodeRequest(codecs['openai-chat'](['END'])).stop, ['END']);
  t.equal(completions.encodeRequest(codecs['openai-completions']('END')).stop, 'END');
  t.same(completions.encodeRequest(codecs['openai-completions'](['END'])).stop, ['END']);
});
