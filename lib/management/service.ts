// The management side of one gateway: config write-back, access control,
// usage statistics, metrics, log files, and the hooks lib/auth plugs into.
import path from 'node:path';
import type { Config } from '../config/types.js';
import { ConfigStore, type WriteOps } from '../config/writeback.js';
import { FileLogging, type FileLogOptions } from '../logging/file.js';
import { log } from '../logging/logger.js';
import type { RequestObserver, RequestRecord } from '../routing/types.js';
import type { Exchange } from '../server/exchange.js';
import { GatewayMetrics } from '../usage/metrics.js';
import { routeOf } from '../usage/stats.js';
import { usageStore } from '../usage/choose.js';
import type { UsageStore } from '../usage/store.js';
import { hashSecret, isBcryptHash, ManagementAccess, type AccessRequest } from './access.js';
import type { AuthFileState, LoginStarter } from './types.js';

export interface ManagementOptions {
  /** The YAML file changes are written to (absent: in-memory changes only). */
  configPath?: string;
  /** The live config. */
  config(): Config;
  /** Make a config live: the same path a hand edit of the file takes. */
  apply(config: Config): void;
  /** This gateway's own base URL (login callbacks). */
  gatewayUrl(): string;
  now?: () => number;
  /** Defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Where main.log and request logs go (default: logs/ next to the config file). */
  logDir?: string;
  fileLog?: FileLogOptions;
  /** Tests: make the config write fail. */
  writeOps?: Partial<WriteOps>;
  /** Process metrics (CPU, memory, event loop) on /metrics; default true. */
  defaultMetrics?: boolean;
  /**
   * Tests: who the client is. Default: the exchange's client (the socket
   * address, or the client a trusted proxy forwarded; lib/access/client-address.ts).
   * Lets a test on 127.0.0.1 play a remote client.
   */
  peer?: (ex: Exchange) => { ip: string; local: boolean };
  /** Usage statistics file (default: usage-statistics.json in WRITABLE_PATH or next to the config file; null = memory only). Ignored when PGSTORE_DSN is set. */
  usageFile?: string | null;
  /** Usage statistics in this PostgreSQL database (default: PGSTORE_DSN / PGSTORE_SCHEMA from env). */
  usageDatabase?: { dsn: string; schema: string };
}

export class Management implements RequestObserver {
  readonly store: ConfigStore;
  readonly access: ManagementAccess;
  /** Usage statistics: memory, a local file, or PostgreSQL (lib/usage/choose.ts). */
  readonly usage: UsageStore;
  readonly metrics: GatewayMetrics;
  readonly logDir: string;
  readonly fileLog: FileLogging;
  /** MANAGEMENT_STATIC_PATH: a directory holding management.html, or the file itself. */
  readonly staticPath?: string;
  logins?: LoginStarter;
  authFiles?: AuthFileState;
  private hashing?: Promise<void>;

  constructor(private readonly opts: ManagementOptions) {
    const env = opts.env ?? process.env;
    this.store = new ConfigStore({ file: opts.configPath, initial: opts.config(), apply: opts.apply, ops: opts.writeOps });
    this.access = new ManagementAccess({ now: opts.now, envPassword: env['MANAGEMENT_PASSWORD'] });
    this.metrics = new GatewayMetrics({ defaultMetrics: opts.defaultMetrics });
    const writable = env['WRITABLE_PATH']?.trim();
    this.usage = usageStore({ env, now: opts.now, file: opts.usageFile, database: opts.usageDatabase, dir: writable || (opts.configPath ? path.dirname(opts.configPath) : undefined) });
    this.metrics.gauge('cliproxy_usage_pending_requests', 'Requests counted in usage statistics and not yet written to their file or database', () => this.usage.state().pending);
    this.metrics.gauge('cliproxy_usage_store_up', 'Usage statistics persistence: 1 while writes succeed (or memory only), 0 while the file or database write fails', () => (this.usage.state().problem ? 0 : 1));
    this.logDir = path.resolve(
      opts.logDir ?? (writable ? path.join(writable, 'logs') : opts.configPath ? path.join(path.dirname(opts.configPath), 'logs') : 'logs'),
    );
    this.fileLog = new FileLogging(this.logDir, opts.fileLog);
    this.staticPath = env['MANAGEMENT_STATIC_PATH']?.trim() || undefined;
  }

  config(): Config {
    return this.opts.config();
  }

  gatewayUrl(): string {
    return this.opts.gatewayUrl();
  }

  /** The client of `ex` as the access rules see it. */
  client(ex: Exchange): AccessRequest {
    // The client behind trusted proxies: each forwarded client has its own ban, and is remote unless on this host.
    const p = this.opts.peer?.(ex) ?? { ip: ex.client.address, local: ex.client.local };
    return { ip: p.ip, local: p.local, headers: ex.headers };
  }

  /** lib/auth: the login flows behind the *-auth-url endpoints. */
  registerLogins(starter: LoginStarter): void {
    this.logins = starter;
  }

  /** lib/auth: live state of token-file credentials for GET /auth-files. */
  registerAuthFiles(state: AuthFileState): void {
    this.authFiles = state;
  }

  /** Every finished inference request. */
  observe(rec: RequestRecord): void {
    const r = { ...rec, api: routeOf(rec.api) };
    // Piped (same-format) answers are parsed for usage only when statistics are on.
    const enabled = this.config().usageStatisticsEnabled;
    const usage = r.usage(enabled);
    this.metrics.observe(r, usage);
    if (!enabled) return;
    this.usage.record({ api: r.api, model: r.model, ok: r.ok, source: r.credentialLabel, usage, latencyMs: r.latencyMs });
  }

  /** A streamed answer started; the returned function ends it. */
  streamStarted(provider: string, model: string): () => void {
    return this.metrics.streamStarted(provider, model);
  }

  /** A config went live (start-up, hand edit, or API change). */
  configChanged(config: Config): void {
    this.fileLog.set(config.loggingToFile);
    const secret = config.remoteManagement.secretKey;
    if (secret && !isBcryptHash(secret) && !this.hashing) this.hashing = this.hashPlaintext(secret).finally(() => (this.hashing = undefined));
  }

  /** Resolves when a pending start-up hash write-back is done. */
  async settled(): Promise<void> {
    await this.hashing;
  }

  /** A plaintext secret-key is replaced by its bcrypt hash, in the file too. */
  private async hashPlaintext(plain: string): Promise<void> {
    const hash = await hashSecret(plain);
    const r = await this.store.edit((doc) => {
      if (String(doc.getIn(['remote-management', 'secret-key']) ?? '') !== plain) return { unchanged: true };
      doc.setIn(['remote-management', 'secret-key'], hash);
    });
    if (!r.ok) log.warn(`could not write the hashed management key back: ${String(r.body['error'])}; the key still works`);
    else log.info('management secret-key replaced by its bcrypt hash');
  }

  /** Read the kept usage statistics (file, database) before serving. */
  async start(): Promise<void> {
    await this.usage.start();
  }

  async close(): Promise<void> {
    this.logins?.cancelAll?.();
    // Statistics not yet written go to their file or database now.
    await this.usage.close().catch((err: unknown) => log.warn({ err }, 'usage statistics: final write failed'));
    await this.hashing?.catch(() => {});
    await this.fileLog.close();
  }
}
