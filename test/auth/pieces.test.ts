// The shared login pieces on their own: PKCE, the device poller (on an
// injected clock), the progress display, the callback server, token files.
import { readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import t from 'tap';
import { startCallbackServer } from '../../lib/auth/callback-server.js';
import { pollDevice, type PollOutcome } from '../../lib/auth/device.js';
import { LoginError, summarizeBody } from '../../lib/auth/errors.js';
import { safeFileName, writeTokenFile } from '../../lib/auth/files.js';
import { createPkce, randomState } from '../../lib/auth/pkce.js';
import { showProgress } from '../../lib/auth/progress.js';
import { waitFor } from '../helpers/wait.js';
import { tempDir } from './helpers.js';

t.test('PKCE: S256 of the verifier, 43–128 characters; states are random', async (t) => {
  const p = createPkce();
  t.equal(p.verifier.length, 128);
  t.match(p.verifier, /^[A-Za-z0-9_-]+$/);
  t.equal(p.challenge, createHash('sha256').update(p.verifier).digest('base64url'));
  t.equal(createPkce(32).verifier.length, 43);
  t.not(randomState(), randomState());
});

function fakeClock() {
  let now = 1_000_000;
  const slept: number[] = [];
  return { now: () => now, sleep: async (ms: number) => void (slept.push(ms), (now += ms)), slept, advance: (ms: number) => (now += ms) };
}

t.test('device poller: waits the interval, slows down ×1.5, stops at the deadline, bounded', async (t) => {
  const c = fakeClock();
  const outcomes: Array<PollOutcome<string>> = [{ kind: 'pending' }, { kind: 'slow-down' }, { kind: 'error', message: 'blip' }, { kind: 'token', value: 'tok' }];
  const got = await pollDevice({ poll: async () => outcomes.shift()!, intervalMs: 1000, deadline: c.now() + 60_000, now: c.now, sleep: c.sleep });
  t.equal(got, 'tok');
  t.same(c.slept, [1000, 1000, 1500, 1500]);

  const c2 = fakeClock();
  let polls = 0;
  const e = await pollDevice({ poll: async () => (polls++, { kind: 'pending' as const }), intervalMs: 5000, deadline: c2.now() + 12_000, now: c2.now, sleep: c2.sleep }).catch((x: unknown) => x);
  t.type(e, LoginError);
  t.equal((e as LoginError).reason, 'expired');
  t.equal(polls, 2, 'two polls fit before the 12 s deadline');

  const c3 = fakeClock();
  const thrown = await pollDevice({ poll: async () => { throw new Error('ECONNREFUSED'); }, intervalMs: 1000, deadline: c3.now() + 3000, now: c3.now, sleep: c3.sleep }).catch((x: unknown) => x);
  t.match((thrown as Error).message, /last error: ECONNREFUSED/, 'network errors keep polling until expiry, then say why');

  const c4 = fakeClock();
  const denied = await pollDevice({ poll: async () => ({ kind: 'denied' as const, message: 'no' }), intervalMs: 10, deadline: c4.now() + 1000, now: c4.now, sleep: c4.sleep }).catch((x: unknown) => x);
  t.equal((denied as LoginError).reason, 'denied');
  const ac = new AbortController();
  ac.abort();
  const cancelled = await pollDevice({ poll: async () => ({ kind: 'pending' as const }), intervalMs: 10, deadline: Date.now() + 1000, signal: ac.signal }).catch((x: unknown) => x);
  t.equal((cancelled as LoginError).reason, 'cancelled');
});

t.test('progress: a spinner with a countdown on a terminal, plain lines otherwise', async (t) => {
  const plain = new PassThrough();
  let text = '';
  plain.on('data', (d) => (text += d));
  const p = showProgress({ out: plain, label: 'Waiting for X', deadline: 90_000, now: () => 0, reminderMs: 10 });
  t.ok(await waitFor(() => text.includes('still waiting')), 'a reminder line');
  p.stop('done');
  t.match(text, /^Waiting for X \(times out in 90s\)\n(still waiting… 1:30 left\n)+done\n$/);
  t.notMatch(text, /\r|\x1b/, 'no terminal control codes in plain mode');

  const tty = Object.assign(new PassThrough(), { isTTY: true });
  let screen = '';
  tty.on('data', (d) => (screen += d));
  const q = showProgress({ out: tty, label: 'Waiting for Y', deadline: 65_000, now: () => 0 });
  t.ok(await waitFor(() => (screen.match(/\r\x1b\[2K/g) ?? []).length >= 3), 'three frames drawn');
  q.stop();
  t.match(screen, /\r\x1b\[2K⠋ Waiting for Y \(1:05 left, Ctrl-C to cancel\)/);
  t.ok((screen.match(/\r\x1b\[2K/g) ?? []).length >= 3, 'redrawn in place');
  t.ok(screen.endsWith('\r\x1b[2K'), 'the spinner line is cleared at the end');
});

t.test('callback server: wrong path 404, one answer only, error pages, closes', async (t) => {
  const s = await startCallbackServer({ port: 0, path: '/cb', expectedState: 'st' });
  t.match(s.redirectUri, /^http:\/\/localhost:\d+\/cb$/);
  t.equal((await fetch(`http://127.0.0.1:${s.port}/other`)).status, 404);
  const ok = await fetch(`http://127.0.0.1:${s.port}/cb?code=abc&state=st`);
  t.equal(ok.status, 200);
  t.same(await s.result, { code: 'abc', state: 'st' });
  await s.close();
  await t.rejects(fetch(`http://127.0.0.1:${s.port}/cb?code=abc&state=st`), 'closed after the answer');

  const m = await startCallbackServer({ port: 0, path: '/cb', expectedState: 'st' });
  const noCode = await fetch(`http://127.0.0.1:${m.port}/cb?state=st`);
  t.equal(noCode.status, 400);
  await t.rejects(m.result, /no authorization code/);

  const x = await startCallbackServer({ port: 0, path: '/cb', expectedState: 'st' });
  const html = await (await fetch(`http://127.0.0.1:${x.port}/cb?error=%3Cscript%3E&state=st`)).text();
  t.notMatch(html, /<script>/, 'provider text is escaped in the page');
  await t.rejects(x.result, LoginError);
});

t.test('token files: atomic 0600 writes, safe names; error summaries drop secrets', async (t) => {
  const dir = path.join(tempDir(), 'nested', 'auth');
  const file = writeTokenFile(dir, '../evil/name', { type: 'x', access_token: 'a' });
  t.equal(path.dirname(file), dir, 'no path traversal');
  t.equal(path.basename(file), '_evil_name.json');
  t.equal(statSync(file).mode & 0o777, 0o600);
  t.equal(statSync(dir).mode & 0o777, 0o700);
  t.same(JSON.parse(readFileSync(file, 'utf8')), { type: 'x', access_token: 'a' });
  t.equal(safeFileName('a@b.c'), 'a@b.c.json');
  t.equal(safeFileName('x.JSON'), 'x.JSON');
  t.same(summarizeBody('{"error":"invalid_grant","error_description":"Bad refresh token"}'), { summary: 'invalid_grant: Bad refresh token', code: 'invalid_grant' });
  t.notMatch(summarizeBody('token ya29.a0AfH6SMBxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx expired').summary, /a0AfH6SMB/);
});
