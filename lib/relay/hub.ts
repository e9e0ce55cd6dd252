// GET /v1/ws: AI Studio apps connect here and each open socket becomes one
// live "aistudio" credential (serving the AI Studio model list) until it
// closes. Whoever holds a socket reads the prompts routed to it and answers in
// the model's place, so the upgrade asks for a client key whenever clients
// need one (relayNeedsKey), given the way the reference accepts it:
// Authorization: Bearer, x-api-key, x-goog-api-key, ?key= or ?auth_token=
// (browsers cannot set headers on a WebSocket). Origin and per-address caps:
// see admission.ts; frame size and idle time come from the relay-* keys.
import { randomBytes } from 'node:crypto';
import type { HttpRequest, HttpResponse, us_socket_context_t, WebSocket, WebSocketBehavior } from 'uWebSockets.js';
import type { AccessResult } from '../access/client-keys.js';
import { relayNeedsKey, relayOpenedDespiteKeys, type Config } from '../config/types.js';
import { log } from '../logging/logger.js';
import { AISTUDIO_BASE } from '../providers/aistudio/executor.js';
import { AISTUDIO_MODELS } from '../routing/catalogue.js';
import type { Credential } from '../routing/credentials.js';
import type { GatewayContext } from '../runtime.js';
import type { WsRoute } from '../server/app.js';
import type { Exchange } from '../server/exchange.js';
import { uws } from '../server/uws.js';
import { AddressCounts, capRefusal, clientOfUpgrade, originRefusal, RefusalLog, writeRefusal, type Refusal } from './admission.js';
import { HIGH_WATER, RelaySession, type RelaySocket } from './session.js';
import { registerSession, unregisterSession } from './transport.js';

export const RELAY_PATH = '/v1/ws';
const SOURCE = 'aistudio';
/**
 * A backstop only: the session hands frames (requests, pongs) to the socket
 * while its buffer is at most HIGH_WATER, and uWS drops a send only when the
 * buffer is already over this before it, so one large request frame still
 * goes out whole and the buffer stays near HIGH_WATER plus one frame.
 */
const MAX_BACKPRESSURE = 2 * HIGH_WATER;

interface SocketData {
  id: string;
  remote: string;
  key?: string;
  origin?: string;
  session?: RelaySession;
}

interface Connection {
  ws: WebSocket<SocketData>;
  session: RelaySession;
  credential: Credential;
  key?: string;
  origin?: string;
}

/** uWS settings fixed when the route is registered; a reload that changes them only warns. */
interface StartLimits {
  maxFrame: number;
  idleSeconds: number;
}

const textDecoder = new TextDecoder();

export function relayCredential(id: string, remote: string): Credential {
  return {
    id,
    provider: 'aistudio',
    label: remote ? `${id} (${remote})` : id,
    baseUrl: AISTUDIO_BASE,
    apiKey: '',
    proxyUrl: '',
    headers: {},
    models: new Map(AISTUDIO_MODELS.map((m) => [m.id, m.id])),
    disabled: false,
    // The app runs whatever Gemini models the browser session can reach.
    acceptsUnknownModels: true,
  };
}

export class RelayHub {
  private readonly connections = new Map<string, Connection>();
  private readonly perAddress = new AddressCounts();
  private readonly refusals = new RefusalLog();
  private readonly limits: StartLimits;
  /** The previous config's values, so a reload warns about a restart once, not on every later reload. */
  private seen: StartLimits;
  private closing = false;

  constructor(private readonly gw: GatewayContext) {
    const cfg = gw.runtime().config;
    this.limits = { maxFrame: cfg.relayMaxFrameSize, idleSeconds: cfg.relayIdleTimeoutSeconds };
    this.seen = this.limits;
    warnIfOpen(cfg);
  }

  get size(): number {
    return this.connections.size;
  }

  route(): WsRoute {
    const behavior: WebSocketBehavior<SocketData> = {
      compression: uws.DISABLED,
      // uWS closes the socket on a bigger frame before buffering it; message() applies a lowered limit after a reload.
      maxPayloadLength: this.limits.maxFrame,
      maxBackpressure: MAX_BACKPRESSURE,
      closeOnBackpressureLimit: 0,
      // An app that stops answering pings (dead browser tab, half-open TCP) is closed and stops being picked.
      idleTimeout: this.limits.idleSeconds,
      sendPingsAutomatically: true,
      upgrade: (res, req, context) => this.upgrade(res, req, context),
      open: (ws) => this.open(ws),
      message: (ws, message) => this.message(ws, message),
      drain: (ws) => ws.getUserData().session?.onDrain(),
      close: (ws, code) => this.closed(ws, code),
    };
    return { path: RELAY_PATH, behavior, plain: upgradeRequired };
  }

  /** A config reload: sockets that would now be refused at the upgrade (key, origin) are closed. */
  configChanged(cfg: Config): void {
    warnIfOpen(cfg);
    this.warnIfRestartNeeded(cfg);
    const keys = relayNeedsKey(cfg) ? new Set(cfg.apiKeys.filter(Boolean)) : undefined;
    const limited = keys ? modelLimitedKeys(cfg) : undefined;
    for (const c of [...this.connections.values()]) {
      if (keys && (!c.key || !keys.has(c.key))) {
        log.info({ relay: c.credential.label }, 'AI Studio relay closed: the relay now requires a valid client key');
        c.ws.end(1008, 'authentication required');
      } else if (c.key && limited?.has(c.key)) {
        log.info({ relay: c.credential.label }, 'AI Studio relay closed: its key is now limited to some models');
        c.ws.end(1008, 'key limited to some models');
      } else if (originRefusal(c.origin, cfg)) {
        log.info({ relay: c.credential.label, origin: c.origin }, 'AI Studio relay closed: its origin is no longer in allowed-origins');
        c.ws.end(1008, 'origin not allowed');
      }
    }
  }

  close(): void {
    this.closing = true;
    for (const c of [...this.connections.values()]) c.ws.end(1001, 'gateway shutting down');
  }

  private upgrade(res: HttpResponse, req: HttpRequest, context: us_socket_context_t): void {
    const headers: Record<string, string> = {};
    req.forEach((k, v) => {
      headers[k] = v;
    });
    const query = new URLSearchParams(req.getQuery() ?? '');
    const remote = clientOfUpgrade(textDecoder.decode(res.getRemoteAddressAsText()), headers, this.gw.runtime().config);
    if (this.closing) return writeRefusal(res, { status: '503 Service Unavailable', message: 'gateway shutting down', type: 'server_error' });
    const rt = this.gw.runtime();
    // A valid key is remembered even when not required, so requiring keys later keeps this app.
    const access = rt.keys.check({ headers, queryKey: query.get('key') || query.get('auth_token') || undefined });
    const origin = headers['origin'];
    const refusal =
      originRefusal(origin, rt.config) ?? keyRefusal(rt.config, rt.keys.required, access) ?? capRefusal(this.perAddress.get(remote), rt.config);
    if (refusal) {
      this.refusals.note({ remote, origin, status: refusal.status }, `AI Studio relay connection refused: ${refusal.message}`);
      return writeRefusal(res, refusal);
    }
    const data: SocketData = { id: `aistudio-${randomBytes(8).toString('hex')}`, remote, key: access.ok ? access.key : undefined, origin };
    const protocol = (headers['sec-websocket-protocol'] ?? '').split(',')[0]!.trim();
    res.upgrade<SocketData>(data, headers['sec-websocket-key'] ?? '', protocol, headers['sec-websocket-extensions'] ?? '', context);
  }

  private message(ws: WebSocket<SocketData>, message: ArrayBuffer): void {
    const max = this.gw.runtime().config.relayMaxFrameSize;
    if (message.byteLength > max) {
      // Closed, not dropped: an app sending frames over the limit is broken or hostile, and its next one would be too.
      const data = ws.getUserData();
      log.warn({ relay: data.session?.label ?? data.id, bytes: message.byteLength, max }, 'AI Studio relay closed: frame over relay-max-frame-size');
      ws.end(1009, 'frame too large');
      return;
    }
    ws.getUserData().session?.onMessage(message);
  }

  private warnIfRestartNeeded(cfg: Config): void {
    const next: StartLimits = { maxFrame: cfg.relayMaxFrameSize, idleSeconds: cfg.relayIdleTimeoutSeconds };
    if (next.maxFrame !== this.seen.maxFrame && next.maxFrame > this.limits.maxFrame) {
      log.warn({ now: this.limits.maxFrame, configured: next.maxFrame }, 'relay-max-frame-size: a larger limit takes effect after a restart (a smaller one applies now)');
    }
    if (next.idleSeconds !== this.seen.idleSeconds && next.idleSeconds !== this.limits.idleSeconds) {
      log.warn({ now: this.limits.idleSeconds, configured: next.idleSeconds }, 'relay-idle-timeout-seconds takes effect after a restart');
    }
    this.seen = next;
  }

  private open(ws: WebSocket<SocketData>): void {
    const data = ws.getUserData();
    if (this.closing) {
      ws.end(1001, 'gateway shutting down');
      return;
    }
    const socket: RelaySocket = {
      send(frame) {
        let status = 2;
        ws.cork(() => {
          status = ws.send(frame, false, false);
        });
        return status;
      },
      bufferedAmount: () => ws.getBufferedAmount(),
    };
    const credential = relayCredential(data.id, data.remote);
    const session = new RelaySession(data.id, credential.label, socket, {
      timeoutMs: () => this.gw.runtime().config.relayTimeoutSeconds * 1000,
    });
    data.session = session;
    this.perAddress.add(data.remote);
    this.connections.set(data.id, { ws, session, credential, key: data.key, origin: data.origin });
    registerSession(session);
    this.publish();
    log.info({ relay: credential.label, connections: this.connections.size }, 'AI Studio relay connected');
  }

  private closed(ws: WebSocket<SocketData>, code: number): void {
    const data = ws.getUserData();
    const session = data.session;
    if (!session) return;
    data.session = undefined;
    const inFlight = session.inFlight;
    // Unpublish first, so requests retried off this socket cannot pick it again.
    unregisterSession(session);
    this.connections.delete(data.id);
    this.perAddress.remove(data.remote);
    this.publish();
    session.close(`code ${code}`);
    log.info({ relay: session.label, code, failedRequests: inFlight, connections: this.connections.size }, 'AI Studio relay disconnected');
  }

  private publish(): void {
    this.gw.setCredentials(SOURCE, [...this.connections.values()].map((c) => c.credential));
  }
}

function upgradeRequired(ex: Exchange): void {
  ex.json(426, { error: { message: 'GET /v1/ws is the AI Studio relay WebSocket: connect with a WebSocket upgrade', type: 'invalid_request_error', code: 'upgrade_required' } }, { upgrade: 'websocket' });
}

function keyRefusal(cfg: Config, keysExist: boolean, access: AccessResult): Refusal | undefined {
  if (!relayNeedsKey(cfg)) return undefined;
  const status = '401 Unauthorized';
  const type = 'authentication_error';
  if (!keysExist) return { status, type, message: 'ws-auth is on but the gateway has no api-keys configured' };
  if (!access.ok) return { status, type, message: access.message };
  // A connected app reads the prompts of every client routed to it: a key held to some models must not get that.
  if (access.rules && access.rules.models.length > 0) return { status: '403 Forbidden', type: 'permission_error', message: MODEL_LIMITED };
  return undefined;
}

const MODEL_LIMITED = 'this API key is limited to some models; the AI Studio relay needs a key without a "models" list (a relay app reads the prompts routed to it)';

/** Keys whose api-keys entry lists models (they may not hold a relay socket). */
function modelLimitedKeys(cfg: Config): Set<string> {
  return new Set((cfg.apiKeySettings ?? []).filter((s) => s.models.length > 0).map((s) => s.key));
}

/** Said at start and on every reload while it holds: this setting hands prompts to whoever connects. */
function warnIfOpen(cfg: Config): void {
  if (!relayOpenedDespiteKeys(cfg)) return;
  log.warn(
    'SECURITY: ws-auth is false while api-keys is set, so the AI Studio relay (/v1/ws) takes no key: ANY host that can reach this port can become an aistudio credential, read other users\' prompts and answer in their place. Remove "ws-auth: false" unless only trusted apps can reach this port.',
  );
}
