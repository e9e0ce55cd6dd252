// foldSystemMessages: Claude Code's role:"system" messages made acceptable to
// the Messages API on the piped Claude → Claude path.
import t from 'tap';
import { foldSystemMessages } from '../../pipelines/formats/claude/index.js';

t.test('no system messages: nothing to do', async (t) => {
  t.equal(foldSystemMessages({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }), undefined);
  t.equal(foldSystemMessages({ model: 'm' }), undefined);
});

t.test('leading system messages join the top-level system', async (t) => {
  const out = foldSystemMessages({ system: 'Base.', messages: [{ role: 'system', content: 'Extra.' }, { role: 'user', content: 'hi' }] })!;
  t.same(out.system, [{ type: 'text', text: 'Base.' }, { type: 'text', text: 'Extra.' }]);
  t.same(out.messages, [{ role: 'user', content: 'hi' }]);
  const blocks = foldSystemMessages({ system: [{ type: 'text', text: 'A', cache_control: { type: 'ephemeral' } }], messages: [{ role: 'system', content: [{ type: 'text', text: 'B' }] }, { role: 'user', content: 'x' }] })!;
  t.same(blocks.system, [{ type: 'text', text: 'A', cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'B' }]);
});

t.test('mid-conversation system messages become a note in the neighbouring user turn', async (t) => {
  const out = foldSystemMessages({
    model: 'm',
    max_tokens: 10,
    messages: [
      { role: 'user', content: 'q' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'Read', input: {} }] },
      { role: 'system', content: 'Plan mode is off.' },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'ok' }, { type: 'text', text: 'go on', cache_control: { type: 'ephemeral' } }] },
    ],
  })!;
  t.same(out.messages, [
    { role: 'user', content: 'q' },
    { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'Read', input: {} }] },
    {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'toolu_1', content: 'ok' },
        { type: 'text', text: '<system-reminder>\nPlan mode is off.\n</system-reminder>' },
        { type: 'text', text: 'go on', cache_control: { type: 'ephemeral' } },
      ],
    },
  ]);
  t.equal(out.max_tokens, 10, 'other fields kept');
  const after = foldSystemMessages({ messages: [{ role: 'user', content: 'a' }, { role: 'system', content: 'b' }] })!;
  t.same(after.messages, [{ role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: '<system-reminder>\nb\n</system-reminder>' }] }]);
});
