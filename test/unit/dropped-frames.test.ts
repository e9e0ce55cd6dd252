// Decoders skip upstream frames that are not JSON; each skip is reported, and
// the gateway's reporter warns once per format per interval with a count.
import t from 'tap';
import { getCodec } from '../../pipelines/index.js';
import { onDroppedFrame } from '../../pipelines/dropped-frames.js';
import { reportDroppedFrames } from '../../lib/logging/dropped-frames.js';
import { log } from '../../lib/logging/logger.js';

t.test('every JSON stream decoder reports the frames it skips', async (t) => {
  const seen: string[] = [];
  onDroppedFrame((format) => seen.push(format));
  t.teardown(() => onDroppedFrame(undefined));
  for (const f of ['openai-chat', 'claude', 'gemini', 'openai-responses'] as const) {
    const dec = getCodec(f).createStreamDecoder();
    t.same(dec.push({ data: 'proxy banner, not JSON' }), [], `${f}: nothing decoded`);
  }
  t.same(seen, ['openai-chat', 'claude', 'gemini', 'openai-responses']);
});

t.test('the reporter warns once per format per 10 s, then counts', async (t) => {
  let now = 0;
  const warnings: unknown[] = [];
  const original = log.warn.bind(log);
  (log as { warn: unknown }).warn = (obj: unknown) => void warnings.push(obj);
  t.teardown(() => {
    (log as { warn: unknown }).warn = original;
    onDroppedFrame(undefined);
  });
  reportDroppedFrames(() => now);
  const dec = getCodec('openai-chat').createStreamDecoder();
  for (let i = 0; i < 5; i++) dec.push({ data: `junk ${i}` });
  t.equal(warnings.length, 1);
  now = 10_001;
  dec.push({ data: 'x'.repeat(500) });
  t.equal(warnings.length, 2);
  t.match(warnings[1], { format: 'openai-chat', alsoSkippedSinceLastWarning: 4 });
  t.ok(((warnings[1] as { sample: string }).sample).length <= 121, 'the sample is short');
});
