// The upstream send the gateway is built with: interceptors wrap it outermost
// first, a request's own transport (the AI Studio relay) is still what
// answers, and the request log records each call of a logged request.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { RequestLog } from '../../lib/logging/request-log.js';
import type { UpstreamRequest, UpstreamSink } from '../../lib/providers/upstream.js';
import { composeSend } from '../../lib/routing/services.js';
import type { RequestContext, UpstreamInterceptor } from '../../lib/routing/types.js';
import type { Exchange, ExchangeTap } from '../../lib/server/exchange.js';

/** A transport that answers 200 "hi" at once, recording the requests it saw. */
function fakeTransport(seen: UpstreamRequest[]): NonNullable<UpstreamRequest['transport']> {
  return (req, sink) => {
    seen.push(req);
    sink.onStart(200, { 'content-type': 'text/plain' });
    sink.onData(Buffer.from('hi'));
    sink.onEnd();
    return { abort() {}, pause() {}, resume() {} };
  };
}

function collect(): UpstreamSink & { events: string[] } {
  const events: string[] = [];
  return { events, onStart: (s) => events.push(`start ${s}`), onData: (c) => events.push(`data ${c}`), onEnd: () => events.push('end'), onError: (e) => events.push(`error ${e.message}`) };
}

function fakeExchange(): Exchange & { tapped?: ExchangeTap } {
  const ex = {
    method: 'POST',
    url: '/v1/chat/completions',
    query: '',
    headers: { authorization: 'Bearer secret-client-key' },
    client: { address: '127.0.0.1', local: true, forwarded: false },
    tapped: undefined as ExchangeTap | undefined,
    tap(o: ExchangeTap) {
      ex.tapped = o;
    },
    onAbort: () => () => {},
  };
  return ex as unknown as Exchange & { tapped?: ExchangeTap };
}

const context = (ex: Exchange): RequestContext => ({ ex, body: Buffer.from('{"model":"m"}'), inbound: 'openai-chat', model: 'm', stream: false, action: 'generate', targets: [], prepare: () => Promise.reject(new Error('unused')) });

t.test('interceptors wrap outermost first; the request transport answers', async (t) => {
  const order: string[] = [];
  const tag = (name: string): UpstreamInterceptor => (next) => (ctx, req, sink) => {
    order.push(name);
    return next(ctx, req, sink);
  };
  const seen: UpstreamRequest[] = [];
  const send = composeSend([tag('outer'), tag('inner')]);
  const sink = collect();
  send(context(fakeExchange()), { url: 'relay://x', headers: {}, proxyUrl: '', transport: fakeTransport(seen) }, sink);
  t.same(order, ['outer', 'inner']);
  t.equal(seen.length, 1, 'the relay transport was used');
  t.same(sink.events, ['start 200', 'data hi', 'end']);
});

t.test('the request log: off → no entry; on → one entry per request, every call recorded', async (t) => {
  let on = false;
  const log = new RequestLog(mkdtempSync(path.join(tmpdir(), 'reqlog-')), () => ({ requestLog: on, requestLogMaxFiles: 10, requestLogMaxSize: 1 << 20 }));
  const seen: UpstreamRequest[] = [];
  const send = composeSend([log.intercept]);
  const req: UpstreamRequest = { url: 'https://up.example/v1/chat?key=upstream-secret', headers: { authorization: 'Bearer upstream-secret' }, body: '{"model":"up"}', proxyUrl: '', transport: fakeTransport(seen) };

  const quiet = context(fakeExchange());
  send(quiet, req, collect());
  t.equal(quiet.log, undefined, 'request-log off: nothing opened');

  on = true;
  const ex = fakeExchange();
  const ctx = context(ex);
  const sink = collect();
  send(ctx, req, sink);
  const entry = ctx.log;
  t.ok(entry, 'opened at the first upstream call');
  t.ok(ex.tapped, 'and watching the response');
  send(ctx, req, collect());
  t.equal(ctx.log, entry, 'the second call goes to the same entry');
  t.same(sink.events, ['start 200', 'data hi', 'end'], 'the caller still hears the answer');
  const text = (entry as unknown as { render(): string }).render();
  t.equal(text.match(/=== API REQUEST ===/g)?.length, 2, 'both calls are in the log');
  t.match(text, /=== REQUEST BODY ===\n\{"model":"m"\}/);
  t.notMatch(text, /upstream-secret|secret-client-key/, 'secrets masked');
  t.equal(seen.length, 3);
});
