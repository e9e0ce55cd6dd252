// Usage statistics in PostgreSQL, shared by every gateway on the database.
// The request path never waits on it: a request is counted in memory (the
// pending batch); once a second the batch is written in one transaction and
// the cluster's totals are read back. GET /usage shows those totals plus
// what this instance has not yet written, so a request shows at once and is
// never counted twice. When the database is unreachable counting goes on in
// memory (one warning per outage), and the batch is written when it is back.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { log } from '../logging/logger.js';
import { dedupKey } from './export.js';
import { UsageTables } from './pg-usage-sql.js';
import { Buckets, counted, detailOf, type CountedRequest } from './stats.js';
import { UsageUnavailable, type PersistState, type UsageStore } from './store.js';
import { composeSnapshot, Counts, DetailRings, pairKey } from './tally.js';
import type { MergeResult, UsageEvent, UsageSnapshot } from './types.js';

export interface PostgresUsageOptions {
  dsn: string;
  schema: string;
  now?: () => number;
  /** Write and re-read period (ms); default 1000. */
  intervalMs?: number;
}

/** Details a batch keeps while the database is away; counters go on past it. */
const MAX_PENDING_DETAILS = 50_000;
/** Details read per refresh. */
const PAGE = 10_000;
/** Refreshes a detail id stays re-checked: a transaction that took its id
 *  earlier may commit later than one with a higher id. */
const LAG = 5;
/** Refreshes between prunes of old details. */
const PRUNE_EVERY = 60;
/** How long close() waits for the last write, and for the connections to end. */
const CLOSE_WAIT_MS = 5000;

function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p.then(() => {}), new Promise<void>((r) => (timer = setTimeout(r, ms)))]).finally(() => clearTimeout(timer));
}

class Batch {
  readonly id = randomUUID();
  readonly counts = new Counts();
  readonly rows: CountedRequest[] = [];
  requests = 0;
  /** Committed; dropped once a refresh has read it back. */
  written = false;

  add(c: CountedRequest): void {
    this.counts.add(c.api, c.model, c.day, c.hour, c.detail.failed, c.detail.tokens.total_tokens);
    this.requests++;
    if (this.rows.length < MAX_PENDING_DETAILS) this.rows.push(c);
  }
}

/** An error's text without the DSN's password, whatever the driver put in it. */
export function safeMessage(err: unknown, dsn: string): string {
  let text = err instanceof Error ? err.message : String(err);
  const secrets: string[] = [];
  try {
    secrets.push(decodeURIComponent(new URL(dsn).password));
  } catch {
    // A key=value DSN ("host=… password=…").
    const m = /(?:^|\s)password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/.exec(dsn);
    if (m) secrets.push(m[1]!.replace(/^'|'$/g, ''));
  }
  for (const pw of secrets) if (pw) text = text.split(pw).join('***');
  return text.split(dsn).join('<dsn>');
}

export class PostgresUsage implements UsageStore {
  private readonly pool: pg.Pool;
  private readonly tables: UsageTables;
  private readonly now: () => number;
  private readonly buckets = new Buckets();
  private pending = new Batch();
  private inflight?: Batch;
  private cluster = new Counts();
  private clusterDetails = new DetailRings();
  private detailsFrom = 0;
  private recentIds = new Set<number>();
  private maxSeen = 0;
  private marks: number[] = [];
  private refreshes = 0;
  private tablesReady = false;
  private problem?: string;
  private timer?: NodeJS.Timeout;
  private running: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly opts: PostgresUsageOptions) {
    this.now = opts.now ?? Date.now;
    this.tables = new UsageTables(opts.schema);
    this.pool = new pg.Pool({ connectionString: opts.dsn, max: 2, connectionTimeoutMillis: 5000, query_timeout: 15_000, idleTimeoutMillis: 30_000 });
    // An idle connection that breaks must not take the process down; the next tick notices.
    this.pool.on('error', () => {});
  }

  /** Read the cluster's totals before serving (bounded: a database that does
   *  not answer does not hold the gateway's start; it is retried each second). */
  async start(): Promise<void> {
    await within(this.enqueue(), 3000);
    this.schedule();
  }

  record(e: UsageEvent): void {
    const [api, model] = this.buckets.name(e.api, e.model);
    const now = this.now();
    this.pending.add(counted(api, model, detailOf(e, now), now));
  }

  snapshot(): UsageSnapshot {
    const local = new DetailRings();
    const counts = [this.cluster];
    for (const b of [this.inflight, this.pending]) {
      if (!b) continue;
      counts.push(b.counts);
      for (const r of b.rows) local.push(r.api, r.model, r.detail);
    }
    return composeSnapshot(counts, [this.clusterDetails, local]);
  }

  async import(requests: CountedRequest[]): Promise<MergeResult> {
    // What this instance counted goes first, so imports dedupe against it too.
    await this.enqueue();
    if (this.problem) throw new UsageUnavailable(this.problem);
    const client = await this.pool.connect().catch((err: unknown) => {
      throw new UsageUnavailable(safeMessage(err, this.opts.dsn));
    });
    const result: MergeResult = { added: 0, skipped: 0 };
    try {
      await client.query('BEGIN');
      // One import at a time across the cluster, so two cannot both add the same request.
      await client.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`cliproxy-usage-import:${this.opts.schema}`]);
      const named = requests.map((r) => {
        const [api, model] = this.buckets.name(r.api, r.model, false);
        return { ...r, api, model };
      });
      const keys = named.map(dedupKey);
      const existing = new Set<string>();
      for (let i = 0; i < keys.length; i += PAGE) {
        const r = await client.query(`SELECT DISTINCT dedup FROM ${this.tables.details} WHERE dedup = ANY($1::text[])`, [keys.slice(i, i + PAGE)]);
        for (const row of r.rows as Array<{ dedup: string }>) existing.add(row.dedup);
      }
      const counts = new Counts();
      const rows: CountedRequest[] = [];
      named.forEach((r, i) => {
        const k = keys[i]!;
        if (existing.has(k)) return void result.skipped++;
        existing.add(k);
        counts.add(r.api, r.model, r.day, r.hour, r.detail.failed, r.detail.tokens.total_tokens);
        rows.push(r);
        result.added++;
      });
      await this.tables.add(client, counts, rows, dedupKey);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      client.release(true);
      throw new UsageUnavailable(safeMessage(err, this.opts.dsn));
    }
    client.release();
    await this.enqueue();
    return result;
  }

  flush(): Promise<void> {
    return this.enqueue();
  }

  /** The last write, bounded: a database that does not answer does not hold the shutdown. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await within(this.enqueue(), CLOSE_WAIT_MS);
    const left = this.state().pending;
    if (left > 0) log.warn(`usage statistics: ${left} request(s) could not be written to PostgreSQL before shutdown (${this.problem ?? 'timed out'})`);
    await within(this.pool.end().catch(() => {}), CLOSE_WAIT_MS);
  }

  state(): PersistState {
    const pending = this.pending.requests + (this.inflight && !this.inflight.written ? this.inflight.requests : 0);
    return { kind: 'postgres', where: this.opts.schema || 'public', problem: this.problem, pending };
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      void this.enqueue().then(() => this.schedule());
    }, this.opts.intervalMs ?? 1000);
    this.timer.unref();
  }

  /** One tick at a time: write, then read back. */
  private enqueue(): Promise<void> {
    this.running = this.running.then(() => this.tick());
    return this.running;
  }

  private async tick(): Promise<void> {
    try {
      if (!this.tablesReady) {
        const c = await this.pool.connect();
        try {
          await this.tables.create(c);
        } catch (err) {
          c.release(true);
          throw err;
        }
        c.release();
        this.tablesReady = true;
      }
      await this.write();
      await this.refresh();
      if (++this.refreshes % PRUNE_EVERY === 0) await this.tables.prune(this.pool);
      if (this.problem) log.info('usage statistics: PostgreSQL reachable again; pending counts written');
      this.problem = undefined;
    } catch (err) {
      const msg = safeMessage(err, this.opts.dsn);
      if (!this.problem) log.warn(`usage statistics: PostgreSQL unavailable (${msg}); counting in memory and retrying every second`);
      this.problem = msg;
    }
  }

  private async write(): Promise<void> {
    if (!this.inflight && this.pending.requests > 0) {
      this.inflight = this.pending;
      this.pending = new Batch();
    }
    const b = this.inflight;
    if (!b || b.written) return;
    const c = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await c.query('BEGIN');
      await c.query(`INSERT INTO ${this.tables.batches} (id) VALUES ($1)`, [b.id]);
      await this.tables.add(c, b.counts, b.rows, dedupKey);
      await c.query('COMMIT');
      b.written = true;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      // The batch id is already there: an earlier COMMIT went through though its answer was lost.
      if ((err as { code?: string; constraint?: string }).code === '23505' && (err as { constraint?: string }).constraint === 'usage_batches_pkey') b.written = true;
      else broken = err as Error;
    } finally {
      c.release(broken); // a failed connection is dropped, not reused
    }
    if (broken) throw broken;
  }

  private async refresh(): Promise<void> {
    const rows = await this.tables.counters(this.pool);
    const next = new Counts();
    for (const r of rows.models) next.models.set(pairKey(r.api!, r.model!), { requests: Number(r.requests), failures: Number(r.failures), tokens: Number(r.tokens) });
    for (const r of rows.days) next.days.set(r.key!, { requests: Number(r.requests), failures: Number(r.failures), tokens: Number(r.tokens) });
    for (const r of rows.hours) next.hours.set(r.key!, { requests: Number(r.requests), failures: Number(r.failures), tokens: Number(r.tokens) });
    const details = await this.tables.detailsAfter(this.pool, this.detailsFrom, [...this.recentIds], PAGE);
    // Swapped together: the batch just written is now in the cluster counts.
    this.cluster = next;
    if (this.inflight?.written) this.inflight = undefined;
    for (const d of details) {
      const id = Number(d.id);
      this.recentIds.add(id);
      if (id > this.maxSeen) this.maxSeen = id;
      this.clusterDetails.push(d.api, d.model, d.detail);
    }
    this.marks.push(this.maxSeen);
    if (this.marks.length > LAG) {
      const from = this.marks.shift()!;
      if (from > this.detailsFrom) {
        this.detailsFrom = from;
        for (const id of this.recentIds) if (id <= from) this.recentIds.delete(id);
      }
    }
  }
}
