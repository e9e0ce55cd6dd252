// Where usage statistics live: in memory only, in a local file (one instance
// keeps its statistics over a restart), or in PostgreSQL (several instances
// add up, exactly, and the totals outlive them all). The request path only
// ever calls record(), which never waits on disk or network.
import type { CountedRequest } from './stats.js';
import type { MergeResult, UsageEvent, UsageSnapshot } from './types.js';
import { UsageStats } from './stats.js';
import { dedupKey } from './export.js';

export interface PersistState {
  kind: 'memory' | 'file' | 'postgres';
  /** The file, or the schema (never a DSN). */
  where?: string;
  /** The last write (or read) failed; counting goes on in memory. */
  problem?: string;
  /** Requests counted here and not yet written. */
  pending: number;
}

export interface UsageStore {
  record(e: UsageEvent): void;
  /** What GET /usage shows: with PostgreSQL on, the cluster's totals. */
  snapshot(): UsageSnapshot;
  /** Merge imported requests, skipping those already counted. */
  import(requests: CountedRequest[]): Promise<MergeResult>;
  /** Read what was kept (file, database) before the first request. */
  start(): Promise<void>;
  /** Write what is pending now. */
  flush(): Promise<void>;
  /** Write what is pending and stop timers and connections. */
  close(): Promise<void>;
  state(): PersistState;
}

export interface StoreTiming {
  now?: () => number;
}

/** Statistics that end with the process (no file, no database). */
export class MemoryUsage implements UsageStore {
  readonly stats: UsageStats;

  constructor(opts: StoreTiming = {}) {
    this.stats = new UsageStats(opts.now);
  }

  record(e: UsageEvent): void {
    this.stats.record(e);
  }

  snapshot(): UsageSnapshot {
    return this.stats.snapshot();
  }

  async import(requests: CountedRequest[]): Promise<MergeResult> {
    return this.stats.merge(requests, dedupKey);
  }

  async start(): Promise<void> {}
  async flush(): Promise<void> {}
  async close(): Promise<void> {}

  state(): PersistState {
    return { kind: 'memory', pending: 0 };
  }
}

/** The store could not take an import (the database is away): answered 503. */
export class UsageUnavailable extends Error {}
