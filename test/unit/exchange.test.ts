// The exchange's state: reading → dispatching → streaming → done, a whole
// answer straight to done, and aborted from anything but done; writes after
// the end or the abort go nowhere.
import t from 'tap';
import { Exchange } from '../../lib/server/exchange.js';
import type { HttpRequest, HttpResponse } from '../../lib/server/uws.js';

function fakes() {
  const out: string[] = [];
  let aborted: (() => void) | undefined;
  const res = {
    onAborted(fn: () => void) {
      aborted = fn;
    },
    cork(fn: () => void) {
      fn();
    },
    writeStatus: (s: string) => out.push(`status ${s}`),
    writeHeader: (k: string, v: string) => out.push(`${k}: ${v}`),
    write: (b: Buffer | string) => (out.push(`write ${b}`), true),
    end: (b: Buffer | string) => out.push(`end ${b}`),
    close: () => aborted?.(),
    onWritable: () => {},
  };
  const req = { getMethod: () => 'post', getUrl: () => '/v1/x', getQuery: () => '', forEach: (fn: (k: string, v: string) => void) => fn('host', 'h') };
  const ex = new Exchange(res as unknown as HttpResponse, req as unknown as HttpRequest);
  return { ex, out, clientGone: () => aborted?.() };
}

const tick = () => new Promise((r) => setImmediate(r));

t.test('a streamed answer: reading → dispatching → streaming → done', async (t) => {
  const { ex, out } = fakes();
  t.equal(ex.state, 'reading');
  ex.beginDispatch();
  t.equal(ex.state, 'dispatching');
  t.notOk(ex.committed);
  const w = ex.stream(200, { 'content-type': 'text/event-stream' });
  t.equal(ex.state, 'streaming');
  t.ok(ex.committed, 'committed from the moment the stream starts');
  w.write('a');
  w.write('b');
  await tick();
  t.same(out, ['status 200 OK', 'content-type: text/event-stream', 'write ab'], 'one write per tick');
  w.end('c');
  await tick();
  t.equal(ex.state, 'done');
  t.ok(ex.finished);
  w.write('late');
  await tick();
  t.equal(out.at(-1), 'end c', 'nothing after the end');
});

t.test('a whole answer goes straight to done; a second one is dropped', async (t) => {
  const { ex, out } = fakes();
  ex.json(200, { ok: true });
  t.equal(ex.state, 'done');
  ex.json(500, { no: true });
  t.same(out.filter((l) => l.startsWith('status')), ['status 200 OK']);
});

t.test('the client goes away: aborted, handlers run once, writes dropped', async (t) => {
  const { ex, out, clientGone } = fakes();
  let heard = 0;
  ex.onAbort(() => heard++);
  const w = ex.stream(200, {});
  clientGone();
  t.equal(ex.state, 'aborted');
  t.ok(ex.aborted);
  t.equal(heard, 1);
  w.write('x');
  await tick();
  t.same(out, [], 'nothing written');
  let late = 0;
  ex.onAbort(() => late++);
  t.equal(late, 1, 'a handler added afterwards runs at once');
});

t.test('close() cuts a stream: aborted; nothing changes a done exchange', async (t) => {
  const { ex } = fakes();
  ex.stream(200, {});
  ex.close();
  t.equal(ex.state, 'aborted');
  const done = fakes();
  done.ex.json(200, {});
  done.clientGone();
  done.ex.close();
  t.equal(done.ex.state, 'done');
});
