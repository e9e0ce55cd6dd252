// Shared by the store tests: a management client for a store-backed gateway,
// polling, and a loopback TCP proxy whose outage a test controls.
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Gateway } from '../../lib/gateway.js';
import { log } from '../../lib/logging/logger.js';

export const KEY = 'store-mgmt-key';

/** A config a store is seeded with: management on with KEY, debug off. */
export const SEED_YAML = `# seeded from a local file\nremote-management:\n  secret-key: "${KEY}"\ndebug: false\n`;

export const tmp = (prefix: string) => mkdtempSync(path.join(tmpdir(), prefix));

export async function api(gw: Gateway | string, method: string, p: string, body?: unknown): Promise<{ status: number; json: any; text: string }> {
  const base = typeof gw === 'string' ? gw : gw.url;
  const res = await fetch(`${base}/v0/management${p}`, {
    method,
    headers: { authorization: `Bearer ${KEY}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

/** Poll until `check` passes; false after `ms` (generous: the machine is shared). */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 15_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      if (await check()) return true;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

export const claudeToken = (email: string, token: string) => ({
  type: 'claude',
  email,
  access_token: token,
  expired: new Date(Date.now() + 86_400_000).toISOString(),
});

/** A TCP proxy on 127.0.0.1 in front of `target`; down() cuts every connection and stops listening, up() listens again on the same port. */
export class TcpProxy {
  port = 0;
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  constructor(private readonly target: { host: string; port: number }) {}

  async up(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    for (const sock of this.sockets) sock.destroy();
    this.sockets.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

// Quiet test output: the gateway resets the level on start unless LOG_LEVEL is set.
process.env.LOG_LEVEL ??= 'error';
log.level = process.env.LOG_LEVEL;
