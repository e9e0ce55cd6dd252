// Several gateway instances behind one load balancer share their live state
// through Redis (redis-url, or REDIS_URL): cooldowns and suspensions reach
// every instance by pub/sub, token refreshes take a lock. Each instance keeps
// the full state in memory and serves from it; Redis only carries changes.
// Without Redis nothing here runs and the gateway is a single instance.
import type { Registry } from 'prom-client';
import type { Config } from '../config/types.js';
import type { Readiness } from '../health/readiness.js';
import { log } from '../logging/logger.js';
import type { Cooldowns } from '../routing/cooldown.js';
import { redisUrlFromEnv } from '../store/env.js';
import { redisUrlProblem } from './config.js';
import { registerClusterMetrics } from './metrics.js';
import { RedisLink, redactRedisUrl } from './redis-link.js';
import { RefreshLock, type TokenRefreshLock } from './refresh-lock.js';
import { SharedCooldowns } from './shared-cooldowns.js';

export type { TokenRefreshLock };

export const DEFAULT_REDIS_PREFIX = 'cliproxy:';

export interface Cluster {
  readonly link: RedisLink;
  readonly cooldowns: SharedCooldowns;
  readonly refreshLock: RefreshLock;
  close(): Promise<void>;
}

export interface ClusterOptions {
  config: Pick<Config, 'redisUrl' | 'redisPrefix'>;
  cooldowns: Cooldowns;
  readiness?: Readiness;
  /** /metrics registry for the link's figures. */
  metrics?: Registry;
  env?: Record<string, string | undefined>;
  /** How long start-up waits for a first connection (ms). Default 2 s; then it goes on without. */
  connectWaitMs?: number;
}

/** The Redis URL in effect: the config key wins over REDIS_URL. */
export function clusterRedisUrl(config: Pick<Config, 'redisUrl'>, env?: Record<string, string | undefined>): string {
  return (config.redisUrl ?? '').trim() || redisUrlFromEnv(env);
}

/** Join the cluster when Redis is configured; undefined when it is not. */
export async function startCluster(opts: ClusterOptions): Promise<Cluster | undefined> {
  const url = clusterRedisUrl(opts.config, opts.env);
  if (!url) return undefined;
  // redis-url was checked with the config; REDIS_URL is checked here (never echoed: it may hold a password).
  const problem = redisUrlProblem(url);
  if (problem) throw new Error(`REDIS_URL: ${problem}`);
  const link = new RedisLink({ url, prefix: opts.config.redisPrefix || DEFAULT_REDIS_PREFIX });
  const removeCheck = opts.readiness?.add({ name: 'redis', problem: () => (link.up ? undefined : 'unreachable') });
  const cooldowns = new SharedCooldowns(link, opts.cooldowns);
  cooldowns.start();
  const refreshLock = new RefreshLock(link);
  if (opts.metrics) registerClusterMetrics(opts.metrics, link, cooldowns, refreshLock);
  await link.start(opts.connectWaitMs);
  // The first state load is awaited so a new instance does not start by hitting a cooling key.
  await cooldowns.synced();
  log.info({ redis: redactRedisUrl(url), prefix: link.prefix, state: link.state }, 'cluster: sharing live state through redis');
  return {
    link,
    cooldowns,
    refreshLock,
    async close() {
      refreshLock.close();
      removeCheck?.();
      cooldowns.stop();
      await link.close();
    },
  };
}
