// The SQL of usage statistics in PostgreSQL. Counters are three small tables
// added to with upserts (`requests = requests + n`), so any number of
// gateways writing at once add up exactly; the newest request details live
// in one append-only table, pruned to MAX_DETAILS_PER_MODEL per model. Each
// written batch leaves its id in usage_batches in the same transaction: a
// batch whose COMMIT answer was lost is recognised on retry, not counted twice.
import type { PoolClient } from 'pg';
import pg from 'pg';
import { MAX_DETAILS_PER_MODEL, type Counts } from './tally.js';
import type { CountedRequest } from './stats.js';
import type { RequestDetail } from './types.js';
import { splitPair } from './tally.js';

export class UsageTables {
  readonly models: string;
  readonly days: string;
  readonly hours: string;
  readonly details: string;
  readonly batches: string;

  constructor(readonly schema: string) {
    const q = (t: string) => (schema ? `${pg.escapeIdentifier(schema)}.${t}` : t);
    this.models = q('usage_models');
    this.days = q('usage_days');
    this.hours = q('usage_hours');
    this.details = q('usage_details');
    this.batches = q('usage_batches');
  }

  /** Idempotent; run under an advisory lock so instances starting together do not race on CREATE. */
  async create(c: PoolClient): Promise<void> {
    await c.query('BEGIN');
    try {
      await c.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`cliproxy-usage-ddl:${this.schema}`]);
      if (this.schema) await c.query(`CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(this.schema)}`);
      const counter = 'requests bigint NOT NULL DEFAULT 0, failures bigint NOT NULL DEFAULT 0, tokens bigint NOT NULL DEFAULT 0';
      await c.query(`CREATE TABLE IF NOT EXISTS ${this.models} (api text NOT NULL, model text NOT NULL, ${counter}, PRIMARY KEY (api, model))`);
      await c.query(`CREATE TABLE IF NOT EXISTS ${this.days} (day text PRIMARY KEY, ${counter})`);
      await c.query(`CREATE TABLE IF NOT EXISTS ${this.hours} (hour text PRIMARY KEY, ${counter})`);
      await c.query(
        `CREATE TABLE IF NOT EXISTS ${this.details} (id bigserial PRIMARY KEY, api text NOT NULL, model text NOT NULL, detail jsonb NOT NULL, dedup text NOT NULL)`,
      );
      await c.query(`CREATE INDEX IF NOT EXISTS usage_details_dedup ON ${this.details} (dedup)`);
      await c.query(`CREATE INDEX IF NOT EXISTS usage_details_model ON ${this.details} (api, model, id)`);
      await c.query(`CREATE TABLE IF NOT EXISTS ${this.batches} (id text PRIMARY KEY, written_at timestamptz NOT NULL DEFAULT now())`);
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      throw err;
    }
  }

  /** Add counts and details inside the caller's transaction. Rows go in key
   *  order, so two writers lock them in the same order (no deadlock). */
  async add(c: PoolClient, counts: Counts, rows: readonly CountedRequest[], dedup: (r: CountedRequest) => string): Promise<void> {
    const sorted = <T>(m: Map<string, T>) => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const set = (t: string) => `requests = ${t}.requests + EXCLUDED.requests, failures = ${t}.failures + EXCLUDED.failures, tokens = ${t}.tokens + EXCLUDED.tokens`;
    const models = sorted(counts.models);
    if (models.length > 0) {
      const pairs = models.map(([k]) => splitPair(k));
      await c.query(
        `INSERT INTO ${this.models} AS t (api, model, requests, failures, tokens)
         SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[])
         ON CONFLICT (api, model) DO UPDATE SET ${set('t')}`,
        [pairs.map((p) => p[0]), pairs.map((p) => p[1]), ...columns(models.map(([, v]) => v))],
      );
    }
    for (const [table, col, map] of [
      [this.days, 'day', counts.days],
      [this.hours, 'hour', counts.hours],
    ] as const) {
      const list = sorted(map);
      if (list.length === 0) continue;
      await c.query(
        `INSERT INTO ${table} AS t (${col}, requests, failures, tokens)
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[])
         ON CONFLICT (${col}) DO UPDATE SET ${set('t')}`,
        [list.map(([k]) => k), ...columns(list.map(([, v]) => v))],
      );
    }
    if (rows.length > 0) {
      await c.query(`INSERT INTO ${this.details} (api, model, detail, dedup) SELECT * FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::text[])`, [
        rows.map((r) => r.api),
        rows.map((r) => r.model),
        rows.map((r) => JSON.stringify(r.detail)),
        rows.map(dedup),
      ]);
    }
  }

  /** The cluster's counters, in one round trip. */
  async counters(c: pg.Pool | PoolClient): Promise<{ models: CounterRow[]; days: CounterRow[]; hours: CounterRow[] }> {
    const cols = 'requests, failures, tokens';
    const res = (await c.query(
      `SELECT api, model, ${cols} FROM ${this.models}; SELECT day AS key, ${cols} FROM ${this.days}; SELECT hour AS key, ${cols} FROM ${this.hours}`,
    )) as unknown as pg.QueryResult[];
    return { models: res[0]!.rows as CounterRow[], days: res[1]!.rows as CounterRow[], hours: res[2]!.rows as CounterRow[] };
  }

  /** Details after `from`, except ids already read. */
  async detailsAfter(c: pg.Pool, from: number, skip: readonly number[], limit: number): Promise<Array<{ id: string; api: string; model: string; detail: RequestDetail }>> {
    const r = await c.query(`SELECT id, api, model, detail FROM ${this.details} WHERE id > $1 AND NOT (id = ANY($2::bigint[])) ORDER BY id LIMIT $3`, [from, skip, limit]);
    return r.rows as Array<{ id: string; api: string; model: string; detail: RequestDetail }>;
  }

  /** Keep the newest details per model, and a day of batch ids. */
  async prune(c: pg.Pool): Promise<void> {
    await c.query(
      `DELETE FROM ${this.details} d USING (
         SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY api, model ORDER BY id DESC) AS rn FROM ${this.details}) x WHERE rn > $1
       ) o WHERE d.id = o.id`,
      [MAX_DETAILS_PER_MODEL],
    );
    await c.query(`DELETE FROM ${this.batches} WHERE written_at < now() - interval '1 day'`);
  }
}

export interface CounterRow {
  api?: string;
  model?: string;
  key?: string;
  requests: string;
  failures: string;
  tokens: string;
}

function columns(list: Array<{ requests: number; failures: number; tokens: number }>): [number[], number[], number[]] {
  return [list.map((v) => v.requests), list.map((v) => v.failures), list.map((v) => v.tokens)];
}
