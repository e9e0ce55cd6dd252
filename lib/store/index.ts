// Durable stores for config.yaml and token files, chosen by the environment
// as CLIProxyAPI chooses them (Postgres, then object storage, then Git).
//
// Command line (what a deployment does; nothing else changes):
//   PGSTORE_DSN=postgres://user:pass@host:5432/db PGSTORE_SCHEMA=cliproxy \
//   PGSTORE_LOCAL_PATH=/var/lib/cliproxy  cliproxy-ts [-config seed.yaml] [-port N]
// The gateway then runs from the mirror folder <PGSTORE_LOCAL_PATH or cwd>/pgstore:
// config/config.yaml (its config file, whatever -config says; -config only
// seeds an empty store) and auths/ (its auth-dir, whatever the config says).
// Object storage: OBJECTSTORE_ENDPOINT/BUCKET/ACCESS_KEY/SECRET_KEY/LOCAL_PATH
// (mirror …/objectstore); Git: GITSTORE_GIT_URL/USERNAME/TOKEN/BRANCH/LOCAL_PATH
// (mirror …/gitstore). A store that cannot be opened: exit code 1 and
// "store error: <kind> store <masked target>: <reason>" on stderr. Several
// instances on one store see each other's changes within about a second.
//
// In-process (tests, embedding):
//   const gw = await startGatewayWithStore(storeFromEnv(env)!, { port: 0, host: '127.0.0.1', cwd, seedConfig });
//   gw.store.status(); await gw.close();   // closes the gateway, then the store
import path from 'node:path';
import { startGateway, type Gateway, type GatewayOptions } from '../gateway.js';
import { registerStoreStatus } from '../management/handlers/store.js';
import type { StoreEnv } from './env.js';
import { Mirror, type MirrorOptions } from './mirror.js';
import { PostgresStore } from './postgres.js';
import { StoreError, type StateStore } from './types.js';

export { storeFromEnv, type StoreEnv } from './env.js';
export { Mirror, type StoreStatus } from './mirror.js';
export { StoreError } from './types.js';

/** The mirror folder, as CLIProxyAPI names it: <local path or cwd>/pgstore | objectstore | gitstore. */
export function mirrorRoot(env: StoreEnv, cwd = process.cwd()): string {
  const base = env.localPath ? path.resolve(cwd, env.localPath) : cwd;
  return path.join(base, env.kind === 'postgres' ? 'pgstore' : env.kind === 'object' ? 'objectstore' : 'gitstore');
}

/** The store itself; `root` is the mirror folder (the Git store keeps its repository inside it). */
export async function createStore(env: StoreEnv, root: string): Promise<StateStore> {
  switch (env.kind) {
    case 'postgres':
      return new PostgresStore({ dsn: env.dsn, schema: env.schema });
    case 'object': {
      const { ObjectStore } = await import('./object.js');
      return new ObjectStore(env);
    }
    case 'git': {
      const { GitStore } = await import('./git.js');
      return new GitStore({ ...env, dir: path.join(root, '.store.git') });
    }
  }
}

export interface OpenStoreOptions extends Partial<Omit<MirrorOptions, 'root'>> {
  /** Base for a relative or missing *_LOCAL_PATH (default: process.cwd()). */
  cwd?: string;
}

/** Open the store and bring its content into the mirror folder. Throws StoreError (message names the store, no secrets). */
export async function openStore(env: StoreEnv, opts: OpenStoreOptions = {}): Promise<Mirror> {
  const root = mirrorRoot(env, opts.cwd);
  let store: StateStore;
  try {
    store = await createStore(env, root);
  } catch (err) {
    throw err instanceof StoreError ? err : new StoreError(`${env.kind} store: ${(err as Error).message}`);
  }
  const mirror = new Mirror(store, { ...opts, root });
  try {
    await mirror.start();
  } catch (err) {
    await store.close().catch(() => {});
    throw err instanceof StoreError ? err : new StoreError(`${store.kind} store ${store.target}: ${(err as Error).message}`);
  }
  return mirror;
}

/** Report the store's state on a gateway: GET /v0/management/store and /metrics. */
export function attachStore(gw: Gateway, mirror: Mirror): () => void {
  const detach = registerStoreStatus(gw.management, mirror);
  gw.management.metrics.gauge('cliproxy_store_up', 'Durable store in step with this instance (1) or serving from its local mirror (0)', () =>
    mirror.problem() === undefined ? 1 : 0,
  );
  gw.management.metrics.gauge('cliproxy_store_pending_writes', 'Local changes waiting to be written to the durable store', () => mirror.status().pending_writes);
  // /readyz follows the store, as it follows Redis: an instance that cannot
  // reach it serves from its mirror, but a balancer should prefer one that can.
  // Load balancers that would rather keep every instance in during a shared
  // store outage probe /healthz instead.
  const unready = gw.readiness.add({ name: 'store', problem: () => mirror.problem() });
  return () => {
    unready();
    detach();
  };
}

export interface StoreGateway extends Gateway {
  readonly store: Mirror;
}

/** Open the store, then start a gateway on its mirror (config file and auth-dir). close() closes both. */
export async function startGatewayWithStore(env: StoreEnv, opts: Omit<GatewayOptions, 'config' | 'configPath' | 'authDir'> & OpenStoreOptions = {}): Promise<StoreGateway> {
  const { cwd, seedConfig, resyncMs, retryMinMs, retryMaxMs, ...gwOpts } = opts;
  const mirror = await openStore(env, { cwd, seedConfig, resyncMs, retryMinMs, retryMaxMs });
  let gw: Gateway;
  try {
    gw = await startGateway({ ...gwOpts, configPath: mirror.configPath, authDir: mirror.authDir });
  } catch (err) {
    await mirror.close();
    throw err;
  }
  const detach = attachStore(gw, mirror);
  const close = gw.close.bind(gw);
  return Object.assign(gw, {
    store: mirror,
    async close() {
      detach();
      await close();
      await mirror.close();
    },
  });
}
