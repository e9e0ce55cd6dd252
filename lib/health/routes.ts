// GET /healthz and /readyz for orchestrators and load balancers, and the gate
// that refuses new requests while the gateway drains for shutdown.
// - /healthz: the process runs and its event loop answers (200 always).
// - /readyz: this instance should get traffic: config loaded (the gateway
//   does not start without one), listening, not draining, and every check in
//   Readiness (store, Redis, …) passing; else 503 with the reasons.
// Both run before any client-key check and are never request-logged (only
// upstream calls are). They read flags and run synchronous checks, so a probe
// costs microseconds.
import { formatForPath } from '../api/browser-gate.js';
import { sendError } from '../api/errors.js';
import type { Gate, Route } from '../server/app.js';
import type { Exchange } from '../server/exchange.js';
import type { Readiness } from './readiness.js';

export const HEALTH_PATH = '/healthz';
export const READY_PATH = '/readyz';

export interface HealthState {
  readiness: Readiness;
  /** The listen socket is open. */
  listening(): boolean;
  /** A shutdown has begun. */
  draining(): boolean;
}

const HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' };
const OK = JSON.stringify({ status: 'ok' });
const READY = JSON.stringify({ status: 'ready' });

/** Why this instance should not get traffic now (empty: ready). */
export function notReadyReasons(state: HealthState): string[] {
  const reasons: string[] = [];
  if (state.draining()) reasons.push('draining: the gateway is shutting down');
  else if (!state.listening()) reasons.push('listening: the gateway is not listening');
  for (const p of state.readiness.problems()) reasons.push(p);
  return reasons;
}

export function healthRoutes(state: HealthState): Route[] {
  const healthz = (ex: Exchange) => ex.send(200, OK, HEADERS);
  const readyz = (ex: Exchange) => {
    const reasons = notReadyReasons(state);
    if (reasons.length === 0) ex.send(200, READY, HEADERS);
    else ex.send(503, JSON.stringify({ status: 'unavailable', reasons }), HEADERS);
  };
  return [
    { method: 'get', path: HEALTH_PATH, handler: healthz },
    { method: 'head', path: HEALTH_PATH, handler: healthz },
    { method: 'get', path: READY_PATH, handler: readyz },
    { method: 'head', path: READY_PATH, handler: readyz },
  ];
}

export const SHUTTING_DOWN = 'the gateway is shutting down: retry the request (another instance will take it)';

/** An answer to a request the gateway will not serve because it shuts down, in its client's format. */
export function answerShuttingDown(ex: Exchange, message = SHUTTING_DOWN): void {
  sendError(ex, formatForPath(ex.url), 503, message, 'service_unavailable');
}

/** Before every route: while draining, new requests on open connections get
 *  503 in their client's format; the health routes still answer. */
export function drainGate(draining: () => boolean, next?: Gate): Gate {
  return (ex) => {
    if (draining() && ex.url !== HEALTH_PATH && ex.url !== READY_PATH) {
      answerShuttingDown(ex);
      return true;
    }
    return next?.(ex) ?? false;
  };
}
