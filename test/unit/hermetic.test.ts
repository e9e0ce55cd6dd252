import { homedir } from 'node:os';
import t from 'tap';
t.test('tests run with a temporary HOME', async (t) => {
  t.match(homedir(), /cliproxy-home-/);
});
