import t from 'tap';
import { TranslationError } from '../pipelines/ir.js';
t.test('ir loads', async (t) => {
  const e = new TranslationError('x');
  t.equal(e.status, 400);
});
