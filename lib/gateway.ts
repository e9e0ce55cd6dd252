// Build, start and stop a gateway. This is also the library entry point for
// embedding the gateway in another Node program.
import { ConfigError, defaultConfig, loadConfigFile } from './config/load.js';
import type { Config } from './config/types.js';
import { watchConfig, type ConfigWatcher } from './config/watch.js';
import { log, setDebug } from './logging/logger.js';
import { RequestLog } from './logging/request-log.js';
import { Management, type ManagementOptions } from './management/service.js';
import { authFileState, loginStarter } from './auth/management.js';
import { startAuthStore } from './auth/store.js';
import { closeDispatchers } from './providers/upstream.js';
import { closeOffload } from './routing/offload.js';
import { RelayHub } from './relay/hub.js';
import { browserGate } from './api/browser-gate.js';
import { clientAddress } from './access/client-address.js';
import { notFound, routes } from './routes.js';
import type { Credential } from './routing/credentials.js';
import { createRoutingServices } from './routing/services.js';
import { buildRuntime, type GatewayContext, type Runtime } from './runtime.js';
import { closeListen, createApp, listen } from './server/app.js';
import { uwsBuild, uwsNative, uwsProblem, type us_listen_socket } from './server/uws.js';
import { reportDroppedFrames } from './logging/dropped-frames.js';
import { Readiness } from './health/readiness.js';
import { startCluster } from './cluster/index.js';
import { answerShuttingDown, drainGate, healthRoutes } from './health/routes.js';
import { Drain } from './server/drain.js';
import { closeResponsesSockets, runningResponsesTurns } from './api/responses-ws.js';

export interface GatewayOptions {
  /** A config object (already validated), or … */
  config?: Config;
  /** … a YAML file to load and watch. */
  configPath?: string;
  /** Watch configPath for edits (default true when configPath is given). */
  watch?: boolean;
  /** Override the configured port (0 = any free port). */
  port?: number;
  host?: string;
  /** Management API overrides (tests: clock, environment, log directory, failing writes). */
  management?: Partial<Omit<ManagementOptions, 'config' | 'apply' | 'gatewayUrl'>>;
  /** Clock for cooldowns and token refresh (tests). */
  now?: () => number;
  /** How often token files are checked for a due refresh (ms; 0 = never on a timer). Default 5 s. */
  authRefreshCheckMs?: number;
  /** Readiness checks (store, Redis) registered by parts started before the gateway; one is made when absent. */
  readiness?: Readiness;
  /** Token files live here whatever the config says (a store's mirror folder, as CLIProxyAPI does). */
  authDir?: string;
}

export interface Gateway {
  /** The context routes and plug-ins (token store, relay) work with. */
  readonly context: GatewayContext;
  /** Management API, usage statistics, metrics, logs; lib/auth registers its login flows here. */
  readonly management: Management;
  readonly port: number;
  readonly host: string;
  readonly url: string;
  /** What GET /readyz reports; parts the instance depends on add checks here. */
  readonly readiness: Readiness;
  runtime(): Runtime;
  /** Swap in a new config (as a file edit would). */
  reload(config: Config): void;
  /**
   * Graceful stop: close the listen socket, answer new requests on open
   * connections with 503, let in-flight requests and streams finish for up to
   * `timeoutMs` (default shutdown-timeout-seconds), end the rest with an error
   * in each client's format, then close(). Returns how many were ended early.
   * A second call with a shorter timeout ends the drain sooner.
   */
  shutdown(timeoutMs?: number): Promise<{ interrupted: number }>;
  /** Stop at once (open requests are cut). */
  close(): Promise<void>;
}

let warnedShim = false;
let openGateways = 0;

export async function startGateway(opts: GatewayOptions = {}): Promise<Gateway> {
  reportDroppedFrames();
  if (uwsBuild !== 'native' && !warnedShim) {
    warnedShim = true;
    if (!uwsNative) {
      log.warn(
        `uWebSockets.js native binary did not load (${uwsProblem ?? 'unknown reason'}): serving through its slow JavaScript fallback. ` +
          'Reinstall dependencies on a supported platform (linux/darwin/win32 x64/arm64, Node 20) for full speed.',
      );
    } else {
      log.warn(
        `uWebSockets.js 20.56 did not load (${uwsProblem ?? 'unknown reason'}); using the 20.30 build, which drops requests whose header names contain "_" (Codex CLI sends session_id).`,
      );
    }
  }
  let config: Config;
  if (opts.config) config = opts.config;
  else if (opts.configPath) {
    const loaded = loadConfigFile(opts.configPath);
    for (const w of loaded.warnings) log.warn(w);
    config = loaded.config;
  } else config = defaultConfig();
  const pinAuthDir = (c: Config): Config => (opts.authDir ? { ...c, authDir: opts.authDir } : c);
  config = pinAuthDir(config);

  setDebug(config.debug);
  const readiness = opts.readiness ?? new Readiness();
  const sources = new Map<string, Credential[]>();
  const external = () => [...sources.values()].flat();
  let current = buildRuntime(config, external());
  let boundPort = 0;
  const management = new Management({
    configPath: opts.configPath,
    ...opts.management,
    config: () => current.config,
    apply: (next) => reload(next),
    gatewayUrl: () => `http://127.0.0.1:${boundPort}`,
  });
  // The request path, complete before anything uses it: every upstream call
  // goes through the request log; finished requests and open streams are
  // reported to the management side (usage statistics, metrics); account
  // faults go back to the credential's source. The auth store is that source,
  // and it is itself started on this context (a changed token file lifts the
  // credential's suspension), so it is named here and made just below: only
  // requests call it, and none arrives before the gateway listens.
  const requestLog = new RequestLog(management.logDir, () => current.config);
  const routing = createRoutingServices({
    now: opts.now,
    interceptors: [requestLog.intercept],
    observer: management,
    feedback: (cred, status) => {
      if (status === 401) auth.onUnauthorized(cred.id);
    },
  });
  const gw: GatewayContext = {
    runtime: () => current,
    routing,
    setCredentials(source, credentials) {
      sources.set(source, credentials);
      current = buildRuntime(current.config, external());
    },
  };

  // Token files in auth-dir: loaded, watched and refreshed in the background.
  // Several instances (lib/cluster): with redis-url or REDIS_URL, cooldowns and suspensions are
  // shared and a token refresh runs on one instance at a time. Undefined without Redis.
  const cluster = await startCluster({ config, cooldowns: routing.cooldowns, readiness, metrics: management.metrics.registry });
  const auth = await startAuthStore(gw, config, { now: opts.now, refreshCheckMs: opts.authRefreshCheckMs, refreshLock: cluster?.refreshLock });
  management.registerLogins(loginStarter(() => current.config, opts.now));
  management.registerAuthFiles(authFileState(auth));
  // Usage statistics kept over restarts (file) or shared (PostgreSQL): read before serving; written on close.
  await management.start();

  const host = opts.host ?? config.host;
  const relay = new RelayHub(gw);
  const drain = new Drain(() => runningResponsesTurns(gw));
  const health = healthRoutes({ readiness, listening: () => listenSocket !== undefined, draining: () => drain.draining });
  const gate = drainGate(() => drain.draining, browserGate(gw, host));
  // Behind a load balancer listed in trusted-proxies, the client is the one it forwards (lib/access/client-address.ts).
  const clientOf = (peer: string, headers: Record<string, string>) => clientAddress(peer, headers, current.config.trustedProxies);
  const app = createApp([...health, ...routes(gw, management)], notFound, [relay.route()], gate, drain.live, clientOf);
  const { socket, port } = await listen(app, host, opts.port ?? config.port).catch(async (err: unknown) => {
    await auth.close();
    await cluster?.close();
    await management.usage.close(); // usage statistics: stop its timers and connections
    throw err;
  });
  boundPort = port;
  let listenSocket: us_listen_socket | undefined = socket;
  openGateways++;

  const reload = (loaded: Config) => {
    const next = pinAuthDir(loaded);
    current = buildRuntime(next, external());
    void auth.reload(next);
    setDebug(next.debug);
    management.configChanged(next);
    relay.configChanged(next);
    if (next.port !== config.port || next.host !== config.host) {
      log.warn('port/host changes take effect after a restart');
    }
    if ((next.redisUrl ?? '') !== (config.redisUrl ?? '') || next.redisPrefix !== config.redisPrefix) {
      log.warn('redis-url/redis-prefix changes take effect after a restart');
    }
  };

  management.configChanged(config);

  let watcher: ConfigWatcher | undefined;
  if (opts.configPath && opts.watch !== false) {
    watcher = watchConfig(opts.configPath, (next) => {
      reload(next);
      log.info({ file: opts.configPath }, 'config reloaded');
    });
  }

  const shownHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    context: gw,
    management,
    port,
    host,
    url: `http://${shownHost === '0.0.0.0' ? '127.0.0.1' : shownHost}:${port}`,
    readiness,
    runtime: () => current,
    reload,
    shutdown,
    close,
  };

  async function shutdown(timeoutMs = current.config.shutdownTimeoutSeconds * 1000): Promise<{ interrupted: number }> {
    if (!drain.draining) {
      drain.begin();
      if (listenSocket) closeListen(listenSocket);
      listenSocket = undefined;
    }
    let interrupted = 0;
    if (!(await drain.idle(timeoutMs))) {
      const message = `the gateway shut down before this answer finished (shutdown-timeout-seconds: ${Math.round(timeoutMs / 1000)})`;
      interrupted = runningResponsesTurns(gw) + drain.interruptAll(message, (ex) => answerShuttingDown(ex, message));
      await closeResponsesSockets(gw, message);
      // The error events go out with the next flush; give them a moment before the sockets close.
      await drain.idle(1000);
    }
    await close();
    return { interrupted };
  }

  // Once: shutdown() ends in close(), and a caller may close again.
  function close(): Promise<void> {
    closing ??= closeNow();
    return closing;
  }

  async function closeNow(): Promise<void> {
    await watcher?.close();
    await management.close();
    await cluster?.close(); // first: a refresh waiting on another instance ends now, so auth.close() need not wait for it
    await auth.close();
    if (listenSocket) closeListen(listenSocket);
    listenSocket = undefined;
    await closeResponsesSockets(gw, 'the gateway shut down before this answer finished');
    relay.close();
    // Also end idle keep-alive connections (uWS ≥ 20.4x), so a closed gateway holds nothing open.
    (app as { close?: () => void }).close?.();
    // Upstream pools are process-wide: drop them with the last gateway.
    if (--openGateways === 0) await Promise.all([closeDispatchers(), closeOffload()]);
  }
}

export { ConfigError };
