// The Responses API over WebSocket (GET /v1/responses with Upgrade), as Codex
// CLI uses it when its websocket transport is on, and as Open Responses
// describes it: the client sends `{"type":"response.create", …request}` text
// frames; the server answers each with the same event objects a POST stream
// carries, one per text frame, ending with response.completed (or .failed /
// .incomplete / error). Several turns share one socket, one at a time.
//
// Each turn runs the ordinary POST /v1/responses handler on a synthetic
// exchange (ws-exchange.ts), so routing, retries, translation and accounting
// are the HTTP path's. The socket remembers its last turn so a follow-up may
// name it by `previous_response_id` and send only the new items (Codex's
// incremental mode): the gateway stores nothing upstream, so it rebuilds the
// full input — last input, last output, new items — itself.
//
// Failures are frames, never a closed socket: a frame that is not a request
// gets a WebSocket error event ({type:"error", status, error:{code, message}});
// an upstream refusal the same with its HTTP status; a stream that breaks
// ends with its error event as over SSE. The socket stays usable.
import { randomBytes } from 'node:crypto';
import type { HttpRequest, HttpResponse, us_socket_context_t, WebSocket, WebSocketBehavior } from 'uWebSockets.js';
import { SSEParser } from '../../pipelines/sse.js';
import { log } from '../logging/logger.js';
import type { GatewayContext } from '../runtime.js';
import type { Exchange } from '../server/exchange.js';
import { uws } from '../server/uws.js';
import { prewarmFrames, TurnState, type Turn, wsError } from './responses-ws-turn.js';
import { syntheticExchange, type SyntheticExchange } from './ws-exchange.js';
import { AddressCounts } from '../relay/admission.js';
import { clientAddress } from '../access/client-address.js';

interface SocketData {
  id: string;
  remote: string;
  headers: Record<string, string>;
  query: string;
  session?: Session;
}

/** Sent frames may queue up to this much before the turn's upstream read pauses. */
const HIGH_WATER = 256 * 1024;
/** Requests queued behind a running turn; more is a misbehaving client. */
const MAX_QUEUED = 16;
/** Bytes of queued requests per socket: a client may not park more than one body's worth. */
const MAX_QUEUED_BYTES = 16 * 1024 * 1024;
/** Responses sockets one client address may hold open (each can run a turn). */
export const MAX_RESPONSES_SOCKETS_PER_ADDRESS = 32;
/** Open sockets per address, across gateways in this process (addresses leave at zero). */
const openPerAddress = new AddressCounts();
const textDecoder = new TextDecoder();
/** Open sockets per gateway: its shutdown waits for their turns, then closes them with 1001. */
const socketsOf = new WeakMap<GatewayContext, Set<WebSocket<SocketData>>>();

/** Turns running on a gateway's sockets (the shutdown drain waits for them). */
export function runningResponsesTurns(gw: GatewayContext): number {
  let n = 0;
  for (const ws of socketsOf.get(gw) ?? []) if (ws.getUserData().session?.running) n++;
  return n;
}

/** Shutdown: turns still running end with their error event, then every socket closes with 1001 (going away). */
export async function closeResponsesSockets(gw: GatewayContext, message: string): Promise<void> {
  const sockets = socketsOf.get(gw);
  if (!sockets?.size) return;
  for (const ws of sockets) ws.getUserData().session?.interrupt(message);
  // The error events go out with the stream writer's next flush.
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  for (const ws of [...sockets]) ws.end(1001, 'gateway shutting down');
}

export function responsesWebSocket(gw: GatewayContext, handler: (ex: Exchange) => void): WebSocketBehavior<SocketData> {
  const sockets = new Set<WebSocket<SocketData>>();
  socketsOf.set(gw, sockets);
  return {
    compression: uws.DISABLED,
    maxPayloadLength: gw.runtime().config.maxBodySize,
    maxBackpressure: 64 * 1024 * 1024,
    closeOnBackpressureLimit: 0,
    idleTimeout: 120,
    sendPingsAutomatically: true,
    upgrade: (res, req, context) => upgrade(gw, res, req, context),
    open(ws) {
      const data = ws.getUserData();
      openPerAddress.add(data.remote);
      data.session = new Session(ws, handler);
      sockets.add(ws);
    },
    message(ws, message) {
      ws.getUserData().session?.receive(textDecoder.decode(message));
    },
    drain(ws) {
      ws.getUserData().session?.drained();
    },
    close(ws) {
      sockets.delete(ws);
      const data = ws.getUserData();
      if (data.session) openPerAddress.remove(data.remote);
      data.session?.close();
      data.session = undefined;
    },
  };
}

function upgrade(gw: GatewayContext, res: HttpResponse, req: HttpRequest, context: us_socket_context_t): void {
  const headers: Record<string, string> = {};
  req.forEach((k, v) => {
    headers[k] = v;
  });
  const query = req.getQuery() ?? '';
  const rt = gw.runtime();
  // A browser always sends Origin on a WebSocket: only pages the operator listed may use the gateway.
  const origin = headers['origin'];
  if (origin !== undefined && !rt.config.allowedOrigins.includes(origin)) {
    return refuse(res, '403 Forbidden', 'permission_error', `Origin "${origin.slice(0, 100)}" is not allowed: add it to allowed-origins to let that web page use the gateway`);
  }
  const access = rt.keys.check({ headers, queryKey: new URLSearchParams(query).get('key') ?? undefined });
  if (!access.ok) return refuse(res, '401 Unauthorized', 'authentication_error', access.message);
  // Behind a trusted load balancer, the cap counts each forwarded client, not the balancer.
  const remote = clientAddress(textDecoder.decode(res.getRemoteAddressAsText()), headers, rt.config.trustedProxies).address;
  const open = openPerAddress.get(remote);
  if (open >= MAX_RESPONSES_SOCKETS_PER_ADDRESS) {
    return refuse(res, '429 Too Many Requests', 'rate_limit_error', `this address already holds ${open} Responses WebSocket connections`);
  }
  const data: SocketData = { id: randomBytes(6).toString('hex'), remote, headers, query };
  const protocol = (headers['sec-websocket-protocol'] ?? '').split(',')[0]!.trim();
  res.upgrade<SocketData>(data, headers['sec-websocket-key'] ?? '', protocol, headers['sec-websocket-extensions'] ?? '', context);
}

function refuse(res: HttpResponse, status: string, type: string, message: string): void {
  res.cork(() => {
    res.writeStatus(status).writeHeader('content-type', 'application/json').end(JSON.stringify({ error: { message, type, param: null, code: type } }));
  });
}

/** One socket: its turns, one after another, and what the last one answered. */
class Session {
  private readonly queue: string[] = [];
  private queuedBytes = 0;
  private busy = false;
  private closed = false;
  private current?: SyntheticExchange;
  private readonly state = new TurnState();

  constructor(
    private readonly ws: WebSocket<SocketData>,
    private readonly handler: (ex: Exchange) => void,
  ) {}

  receive(text: string): void {
    if (this.closed) return;
    if (this.queue.length >= MAX_QUEUED || this.queuedBytes + text.length > MAX_QUEUED_BYTES) {
      this.send(JSON.stringify(wsError(429, 'too_many_requests', `more than ${MAX_QUEUED} requests or ${MAX_QUEUED_BYTES} bytes are waiting on this socket`)));
      return;
    }
    this.queue.push(text);
    this.queuedBytes += text.length;
    this.next();
  }

  drained(): void {
    this.current?.writable();
  }

  get running(): boolean {
    return this.busy;
  }

  /** End the running turn with its error event (gateway shutdown). */
  interrupt(message: string): void {
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.current?.ex.interrupt?.(message);
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.current?.abort();
  }

  private next(): void {
    if (this.busy || this.closed) return;
    const text = this.queue.shift();
    if (text === undefined) return;
    this.queuedBytes -= text.length;
    this.busy = true;
    this.turn(text)
      .catch((err: unknown) => {
        log.error({ err }, 'responses websocket turn failed');
        this.send(JSON.stringify(wsError(500, 'server_error', 'internal gateway error')));
      })
      .finally(() => {
        this.busy = false;
        this.current = undefined;
        this.next();
      });
  }

  private async turn(text: string): Promise<void> {
    const t = this.state.request(text);
    if ('error' in t) {
      if (t.error) this.send(JSON.stringify(t.error));
      return;
    }
    if (t.prewarm) {
      const frames = prewarmFrames(t);
      if ('error' in frames) return void this.send(JSON.stringify(frames.error));
      for (const f of frames.frames) this.send(f);
      this.state.completed(t, frames.id, []);
      return;
    }
    await this.run(t);
  }

  /** One turn through the POST handler; resolves when its answer has gone out. */
  private run(t: Turn): Promise<void> {
    const data = this.ws.getUserData();
    const body = Buffer.from(JSON.stringify(t.body));
    const headers: Record<string, string> = {};
    for (const k of Object.keys(data.headers)) if (!k.startsWith('sec-websocket') && k !== 'upgrade' && k !== 'connection') headers[k] = data.headers[k]!;
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(body.length);
    return new Promise((resolve) => {
      let status = 0;
      let sse = false;
      const parser = new SSEParser();
      const errorBody: Buffer[] = [];
      let done: { id: string; output: unknown[] } | undefined;
      const frames = (list: Array<{ event?: string; data: string }>): boolean => {
        for (const f of list) {
          if (!f.data || f.data === '[DONE]') continue;
          if (f.event === 'response.completed' || f.data.startsWith('{"type":"response.completed"')) done = completedOf(f.data) ?? done;
          this.send(f.data);
        }
        return this.closed || this.ws.getBufferedAmount() < HIGH_WATER;
      };
      this.current = syntheticExchange(
        { method: 'POST', url: '/v1/responses', query: data.query, headers, body, remote: data.remote },
        {
          head(s, h) {
            status = s;
            sse = s < 300 && (h['content-type'] ?? '').startsWith('text/event-stream');
          },
          data: (chunk) => {
            if (sse) return frames(parser.push(chunk));
            errorBody.push(chunk);
            return true;
          },
          end: () => {
            if (sse) frames(parser.end());
            else if (status) this.send(JSON.stringify(answerAsFrame(status, Buffer.concat(errorBody).toString('utf8'))));
            if (done) this.state.completed(t, done.id, done.output);
            resolve();
          },
        },
      );
      this.handler(this.current.ex);
    });
  }

  private send(frame: string): void {
    if (this.closed) return;
    this.ws.cork(() => {
      this.ws.send(frame, false, false);
    });
  }
}

function completedOf(data: string): { id: string; output: unknown[] } | undefined {
  try {
    const ev = JSON.parse(data) as { type?: string; response?: { id?: unknown; output?: unknown } };
    const r = ev.response;
    if (ev.type !== 'response.completed' || !r || typeof r.id !== 'string') return undefined;
    return { id: r.id, output: Array.isArray(r.output) ? r.output : [] };
  } catch {
    return undefined;
  }
}

/** A non-stream answer (an error before streaming began) as a WebSocket error frame. */
function answerAsFrame(status: number, text: string): unknown {
  let error: Record<string, unknown> = {};
  try {
    const v = JSON.parse(text) as { error?: unknown };
    if (v && typeof v.error === 'object' && v.error !== null) error = v.error as Record<string, unknown>;
  } catch {
    // not JSON: the text is the message
  }
  const message = typeof error.message === 'string' ? error.message : text.slice(0, 2000) || `status ${status}`;
  const code = typeof error.code === 'string' ? error.code : typeof error.type === 'string' ? error.type : 'upstream_error';
  return { type: 'error', status: status >= 400 ? status : 502, error: { ...error, type: typeof error.type === 'string' ? error.type : 'server_error', code, message } };
}
