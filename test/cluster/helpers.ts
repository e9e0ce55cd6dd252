// Shared bits of the cluster tests: a Redis namespace per test, a loopback TCP
// proxy that can be cut and restored (Redis "going away" without touching the
// real server), and a bounded poll.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Redis } from 'ioredis';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix no other test uses. */
export function uniquePrefix(tag: string): string {
  return `cliproxy-test:${tag}:${process.pid}:${randomBytes(4).toString('hex')}:`;
}

/** Delete every key under `prefix`. */
export async function dropPrefix(prefix: string): Promise<void> {
  const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 200);
      cursor = next;
      if (keys.length > 0) await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

/** Poll until `check` passes; false after ~`ms`. */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 15_000, every = 25): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, every));
  }
}

export interface CuttableProxy {
  url: string;
  port: number;
  /** Drop every connection and refuse new ones. */
  cut(): Promise<void>;
  /** Accept connections again (same port). */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** A TCP proxy on loopback in front of Redis. */
export async function cuttableProxy(target = new URL(REDIS_URL)): Promise<CuttableProxy> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = net.createServer((client) => {
        const up = net.connect(Number(target.port || 6379), target.hostname);
        sockets.add(client).add(up);
        const end = () => {
          client.destroy();
          up.destroy();
          sockets.delete(client);
          sockets.delete(up);
        };
        client.on('error', end).on('close', end);
        up.on('error', end).on('close', end);
        client.pipe(up).pipe(client);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as net.AddressInfo).port;
        server = s;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const so of sockets) so.destroy();
      sockets.clear();
      if (!server) return resolve();
      server.close(() => resolve());
      server = undefined;
    });
  await listen();
  return { url: `redis://127.0.0.1:${port}`, port, cut: stop, restore: listen, close: stop };
}

export interface GatewayProcess {
  url: string;
  pid: number;
  output: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>;
  kill(signal?: NodeJS.Signals): void;
}

/** The CLI (lib/cli.ts through tsx) as a deployment runs it; resolves once it listens. Killed after `killAfterMs` whatever happens. */
export async function startCliGateway(args: string[], cwd: string, env: Record<string, string>, killAfterMs = 230_000): Promise<GatewayProcess> {
  const { spawn } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const cli = fileURLToPath(new URL('../../lib/cli.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), cli, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  const output = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout });
    }),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const check = () => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (m) {
        child.stdout.off('data', check);
        resolve(m[1]!);
      }
    };
    child.stdout.on('data', check);
    void output.then(() => reject(new Error(`gateway exited before listening:\n${stdout}\n${stderr}`)));
  });
  return { url, pid: child.pid!, output, kill: (signal = 'SIGTERM') => void child.kill(signal) };
}
