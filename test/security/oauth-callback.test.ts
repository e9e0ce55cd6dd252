// Attack: any local process (or a web page) could cancel a pending OAuth login
// by calling its callback with ?error=... and no state, or end it with a
// forged state. Callbacks whose state does not match are now ignored: the
// login keeps waiting and the real callback still completes it.
import t from 'tap';
import { startCallbackServer } from '../../lib/auth/callback-server.js';

t.test('a stateless or forged error callback neither cancels nor ends the login', async (t) => {
  const s = await startCallbackServer({ port: 0, path: '/callback', expectedState: 'state-123' });
  t.teardown(() => s.close());
  let settled = false;
  s.result.then(
    () => (settled = true),
    () => (settled = true),
  );
  const base = `http://127.0.0.1:${s.port}/callback`;
  for (const q of ['?error=access_denied', '?error=access_denied&state=other', '?code=attacker-code', '?code=attacker-code&state=state-12']) {
    const r = await fetch(base + q);
    t.equal(r.status, 400, q);
    t.match(await r.text(), /ignored/, q);
  }
  await new Promise((r) => setImmediate(r));
  t.notOk(settled, 'the login is still waiting');
  const real = await fetch(`${base}?code=real-code&state=state-123`);
  t.equal(real.status, 200);
  t.same(await s.result, { code: 'real-code', state: 'state-123' });
});

t.test('the provider\'s own error (matching state) still ends the login', async (t) => {
  const s = await startCallbackServer({ port: 0, path: '/callback', expectedState: 'st' });
  t.teardown(() => s.close());
  const r = await fetch(`http://127.0.0.1:${s.port}/callback?error=access_denied&state=st`);
  t.equal(r.status, 400);
  await t.rejects(s.result, /access_denied/);
});
