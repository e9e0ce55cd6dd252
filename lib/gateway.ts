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
import { notFound, routes } from './routes.js';
import type { Credential } from './routing/credentials.js';
import { createRoutingServices } from './routing/services.js';
import { buildRuntime, type GatewayContext, type Runtime } from './runtime.js';
import { closeListen, createApp, listen } from './server/app.js';
import { uwsBuild, uwsNative, uwsProblem, type us_listen_socket } from './server/uws.js';
import { reportDroppedFrames } from './logging/dropped-frames.js';
import { Readiness } from './health/readiness.js';

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
  const auth = await startAuthStore(gw, config, { now: opts.now, refreshCheckMs: opts.authRefreshCheckMs });
  management.registerLogins(loginStarter(() => current.config, opts.now));
  management.registerAuthFiles(authFileState(auth));

  const host = opts.host ?? config.host;
  const relay = new RelayHub(gw);
  const app = createApp(routes(gw, management), notFound, [relay.route()], browserGate(gw, host));
  const { socket, port } = await listen(app, host, opts.port ?? config.port).catch(async (err: unknown) => {
    await auth.close();
    throw err;
  });
  boundPort = port;
  let listenSocket: us_listen_socket | undefined = socket;
  openGateways++;

  const reload = (next: Config) => {
    current = buildRuntime(next, external());
    void auth.reload(next);
    setDebug(next.debug);
    management.configChanged(next);
    relay.configChanged(next);
    if (next.port !== config.port || next.host !== config.host) {
      log.warn('port/host changes take effect after a restart');
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
  return {
    context: gw,
    management,
    port,
    host,
    url: `http://${shownHost === '0.0.0.0' ? '127.0.0.1' : shownHost}:${port}`,
    readiness,
    runtime: () => current,
    reload,
    async close() {
      await watcher?.close();
      await management.close();
      await auth.close();
      if (listenSocket) closeListen(listenSocket);
      listenSocket = undefined;
      relay.close();
      // Also end idle keep-alive connections (uWS ≥ 20.4x), so a closed gateway holds nothing open.
      (app as { close?: () => void }).close?.();
      // Upstream pools are process-wide: drop them with the last gateway.
      if (--openGateways === 0) await Promise.all([closeDispatchers(), closeOffload()]);
    },
  };
}

export { ConfigError };
