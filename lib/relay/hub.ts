// GET /v1/ws: AI Studio apps connect here and each open socket becomes one
// live "aistudio" credential (serving the AI Studio model list) until it
// closes. `ws-auth: true` asks for a client key at the upgrade, given the way
// the reference accepts it: Authorization: Bearer, x-api-key, x-goog-api-key,
// ?key= or ?auth_token= (browsers cannot set headers on a WebSocket).
import { randomBytes } from 'node:crypto';
import type { HttpRequest, HttpResponse, us_socket_context_t, WebSocket, WebSocketBehavior } from 'uWebSockets.js';
import { relayNeedsKey, type Config } from '../config/types.js';
import { log } from '../logging/logger.js';
import { AISTUDIO_BASE } from '../providers/aistudio/executor.js';
import { AISTUDIO_MODELS } from '../routing/catalogue.js';
import type { Credential } from '../routing/credentials.js';
import type { GatewayContext } from '../runtime.js';
import type { WsRoute } from '../server/app.js';
import type { Exchange } from '../server/exchange.js';
import { uws } from '../server/uws.js';
import { RelaySession, type RelaySocket } from './session.js';
import { registerSession, unregisterSession } from './transport.js';

export const RELAY_PATH = '/v1/ws';
const SOURCE = 'aistudio';
/** Largest frame the app may send (a whole non-stream answer with images). */
const MAX_FRAME = 64 * 1024 * 1024;

interface SocketData {
  id: string;
  remote: string;
  key?: string;
  session?: RelaySession;
}

interface Connection {
  ws: WebSocket<SocketData>;
  session: RelaySession;
  credential: Credential;
  key?: string;
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
  private closing = false;

  constructor(private readonly gw: GatewayContext) {}

  get size(): number {
    return this.connections.size;
  }

  route(): WsRoute {
    const behavior: WebSocketBehavior<SocketData> = {
      compression: uws.DISABLED,
      maxPayloadLength: MAX_FRAME,
      // Request frames are gated at the session's high-water mark; this only bounds what a single frame may add.
      maxBackpressure: 256 * 1024 * 1024,
      closeOnBackpressureLimit: 0,
      idleTimeout: 120,
      sendPingsAutomatically: true,
      upgrade: (res, req, context) => this.upgrade(res, req, context),
      open: (ws) => this.open(ws),
      message: (ws, message) => ws.getUserData().session?.onMessage(message),
      drain: (ws) => ws.getUserData().session?.onDrain(),
      close: (ws, code) => this.closed(ws, code),
    };
    return { path: RELAY_PATH, behavior, plain: upgradeRequired };
  }

  /** A config reload: turning ws-auth on (or dropping a key) closes sockets that no longer qualify. */
  configChanged(cfg: Config): void {
    if (!relayNeedsKey(cfg)) return;
    const keys = new Set(cfg.apiKeys.filter(Boolean));
    for (const c of [...this.connections.values()]) {
      if (!c.key || !keys.has(c.key)) {
        log.info({ relay: c.credential.label }, 'AI Studio relay closed: ws-auth now requires a valid client key');
        c.ws.end(1008, 'authentication required');
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
    const remote = textDecoder.decode(res.getRemoteAddressAsText());
    if (this.closing) return refuse(res, '503 Service Unavailable', 'gateway shutting down', 'server_error');
    const rt = this.gw.runtime();
    // A valid key is remembered even when not required, so turning ws-auth on later keeps this app.
    const access = rt.keys.check({ headers, queryKey: query.get('key') || query.get('auth_token') || undefined });
    const key = access.ok ? access.key : undefined;
    if (relayNeedsKey(rt.config)) {
      if (!rt.keys.required) {
        log.warn('AI Studio relay connection refused: ws-auth is on but no api-keys are configured');
        return refuse(res, '401 Unauthorized', 'ws-auth is on but the gateway has no api-keys configured');
      }
      if (!access.ok) return refuse(res, '401 Unauthorized', access.message);
    }
    const id = `aistudio-${randomBytes(8).toString('hex')}`;
    const protocol = (headers['sec-websocket-protocol'] ?? '').split(',')[0]!.trim();
    res.upgrade<SocketData>({ id, remote, key }, headers['sec-websocket-key'] ?? '', protocol, headers['sec-websocket-extensions'] ?? '', context);
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
    this.connections.set(data.id, { ws, session, credential, key: data.key });
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

function refuse(res: HttpResponse, status: string, message: string, type = 'authentication_error'): void {
  res.cork(() => {
    res.writeStatus(status).writeHeader('content-type', 'application/json').end(JSON.stringify({ error: { message, type } }));
  });
}
