// Who may open /v1/ws. Each socket becomes a credential that reads the
// prompts relayed through it, so the upgrade is the only door that matters:
// - Origin: a browser always sends one on a WebSocket, and a page the operator
//   happens to open (or a DNS-rebinding page) must not become a credential;
//   only origins listed in `allowed-origins` get in (the AI Studio app's page).
// - per-address cap: one host cannot crowd out every other app's slot or
//   grow the hub without bound; behind a load balancer listed in
//   trusted-proxies the address is the client it forwards, so the cap counts
//   each client and not the balancer;
// - keys are checked by the hub (relayNeedsKey).
import type { HttpResponse } from 'uWebSockets.js';
import type { Config } from '../config/types.js';
import { log } from '../logging/logger.js';
import { clientAddress } from '../access/client-address.js';

export interface Refusal {
  status: string;
  message: string;
  type: string;
}

/** A browser page's upgrade, unless the operator listed its origin. */
export function originRefusal(origin: string | undefined, cfg: Pick<Config, 'allowedOrigins'>): Refusal | undefined {
  if (origin === undefined || cfg.allowedOrigins.includes(origin)) return undefined;
  return {
    status: '403 Forbidden',
    message: `Origin "${origin.slice(0, 100)}" may not connect to the AI Studio relay: add it to allowed-origins if that page is your AI Studio app`,
    type: 'permission_error',
  };
}

/** The address an upgrade counts against: the socket peer, or the client a trusted proxy forwards. */
export function clientOfUpgrade(peer: string, headers: Record<string, string>, cfg: Pick<Config, 'trustedProxies'>): string {
  return clientAddress(peer, headers, cfg.trustedProxies).address;
}

export function capRefusal(open: number, cfg: Pick<Config, 'relayMaxConnectionsPerIp'>): Refusal | undefined {
  if (open < cfg.relayMaxConnectionsPerIp) return undefined;
  return {
    status: '429 Too Many Requests',
    message: `this address already holds ${open} AI Studio relay connections (relay-max-connections-per-ip: ${cfg.relayMaxConnectionsPerIp})`,
    type: 'rate_limit_error',
  };
}

export function writeRefusal(res: HttpResponse, r: Refusal): void {
  res.cork(() => {
    res.writeStatus(r.status).writeHeader('content-type', 'application/json').end(JSON.stringify({ error: { message: r.message, type: r.type } }));
  });
}

/** Open sockets per remote address; an address leaves the map at zero so the map cannot grow with old clients. */
export class AddressCounts {
  private readonly counts = new Map<string, number>();

  get(address: string): number {
    return this.counts.get(address) ?? 0;
  }

  add(address: string): void {
    this.counts.set(address, this.get(address) + 1);
  }

  remove(address: string): void {
    const n = this.get(address) - 1;
    if (n > 0) this.counts.set(address, n);
    else this.counts.delete(address);
  }
}

/** Refused upgrades are logged (operators need the origin to allow), but a flood of them at most every 10 s. */
export class RefusalLog {
  private lastAt = 0;
  private suppressed = 0;

  note(fields: Record<string, unknown>, msg: string): void {
    const now = Date.now();
    if (now - this.lastAt < 10_000) {
      this.suppressed++;
      return;
    }
    this.lastAt = now;
    log.warn({ ...fields, ...(this.suppressed ? { suppressed: this.suppressed } : {}) }, msg);
    this.suppressed = 0;
  }
}
