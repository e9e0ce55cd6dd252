// The cluster link on /metrics: whether Redis is reachable, and how many
// shared-state messages went out, came in, or were dropped while it was away.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { RedisLink } from './redis-link.js';
import type { RefreshLock } from './refresh-lock.js';
import type { SharedCooldowns } from './shared-cooldowns.js';

export function registerClusterMetrics(registry: Registry, link: RedisLink, cooldowns: SharedCooldowns, lock: RefreshLock): void {
  const registers = [registry];
  new Gauge({
    name: 'cliproxy_redis_up',
    help: 'Whether the shared-state Redis is reachable (1) or not (0)',
    registers,
    collect() {
      this.set(link.up ? 1 : 0);
    },
  });
  new Counter({
    name: 'cliproxy_cluster_messages_total',
    help: 'Shared-state messages published, received, applied from other instances, or dropped while Redis was away',
    labelNames: ['event'],
    registers,
    collect() {
      this.reset();
      this.inc({ event: 'published' }, link.counts.published);
      this.inc({ event: 'received' }, link.counts.received);
      this.inc({ event: 'applied' }, cooldowns.applied);
      this.inc({ event: 'dropped' }, link.counts.dropped);
    },
  });
  new Counter({
    name: 'cliproxy_token_refreshes_total',
    help: 'Token refreshes by how they ran: under the cluster lock here, left to another instance, or without the lock (Redis away)',
    labelNames: ['how'],
    registers,
    collect() {
      this.reset();
      this.inc({ how: 'locked' }, lock.counts.refreshed);
      this.inc({ how: 'adopted' }, lock.counts.adopted);
      this.inc({ how: 'unlocked' }, lock.counts.unlocked);
    },
  });
}
