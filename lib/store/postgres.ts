// PostgreSQL store, table for table what CLIProxyAPI uses: config_store(id,
// content text) with the row id='config', and auth_store(id, content jsonb)
// keyed by the token file's path relative to auth-dir; writes are upserts.
// Beyond the reference: a statement trigger on both tables NOTIFYs a channel
// named after the schema, and every instance LISTENs on it, so a change made
// by any instance (or by anything else that writes these tables) reaches the
// others at once instead of at their next restart.
import { createHash } from 'node:crypto';
import pg from 'pg';
import { log } from '../logging/logger.js';
import { AUTH_PREFIX, CONFIG_KEY, StoreError, reason, type StateStore } from './types.js';

const CONFIG_TABLE = 'config_store';
const AUTH_TABLE = 'auth_store';
const CONFIG_ID = 'config';

export interface PostgresStoreOptions {
  dsn: string;
  /** '' = the connection's search_path (public). Created when missing. */
  schema: string;
  /** Reconnect wait bounds for the LISTEN connection (ms). */
  retryMinMs?: number;
  retryMaxMs?: number;
}

const quote = (id: string) => `"${id.replace(/"/g, '""')}"`;

/** The DSN's password, wherever it is written (URL userinfo, ?password=, password=…). */
export function dsnSecrets(dsn: string): string[] {
  const out: string[] = [];
  try {
    const u = new URL(dsn);
    if (u.password) out.push(decodeURIComponent(u.password), u.password);
    const p = u.searchParams.get('password');
    if (p) out.push(p);
  } catch {
    /* key=value form */
  }
  for (const m of dsn.matchAll(/password\s*=\s*('(?:[^'\\]|\\.)*'|[^\s&]+)/gi)) out.push(m[1]!.replace(/^'|'$/g, ''));
  return out.filter((s) => s.length > 0);
}

/** The DSN with its password replaced by ****. */
export function maskDsn(dsn: string): string {
  try {
    const u = new URL(dsn);
    if (u.password) u.password = '****';
    if (u.searchParams.has('password')) u.searchParams.set('password', '****');
    return u.toString().replace(/%2A%2A%2A%2A/g, '****');
  } catch {
    return dsn.replace(/(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]+)/gi, '$1****');
  }
}

export class PostgresStore implements StateStore {
  readonly kind = 'postgres';
  readonly target: string;
  private readonly pool: pg.Pool;
  private readonly secrets: string[];
  private readonly configTable: string;
  private readonly authTable: string;
  private readonly channel: string;
  private listener?: pg.Client;
  private closed = false;
  private retryTimer?: NodeJS.Timeout;

  constructor(private readonly opts: PostgresStoreOptions) {
    this.secrets = dsnSecrets(opts.dsn);
    this.target = `${maskDsn(opts.dsn)}${opts.schema ? ` (schema ${opts.schema})` : ''}`;
    const qualify = (t: string) => (opts.schema ? `${quote(opts.schema)}.${quote(t)}` : quote(t));
    this.configTable = qualify(CONFIG_TABLE);
    this.authTable = qualify(AUTH_TABLE);
    // Channel names are identifiers (≤ 63 bytes): a digest keeps any schema name usable.
    this.channel = `cliproxy_store_${createHash('sha256').update(opts.schema || 'public').digest('hex').slice(0, 24)}`;
    this.pool = new pg.Pool({ ...this.clientConfig(), max: 3, idleTimeoutMillis: 30_000 });
    // An idle pooled connection that drops emits here; without a listener it would crash the process.
    this.pool.on('error', (err) => log.warn(`postgres store: idle connection lost: ${this.why(err)}`));
  }

  private clientConfig(): pg.ClientConfig {
    return { connectionString: this.opts.dsn, connectionTimeoutMillis: 5000, query_timeout: 15_000, keepAlive: true, application_name: 'cliproxy-ts' };
  }

  private why(err: unknown): string {
    return reason(err, this.secrets);
  }

  private fail(what: string, err: unknown): StoreError {
    return new StoreError(`postgres store ${this.target}: ${what}: ${this.why(err)}`);
  }

  async open(): Promise<void> {
    const client = await this.pool.connect().catch((err: unknown) => {
      throw this.fail('cannot connect', err);
    });
    try {
      // Several instances may start together: one at a time creates the schema, tables and trigger.
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`cliproxy-store:${this.opts.schema}`]);
      if (this.opts.schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quote(this.opts.schema)}`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${this.configTable} (
        id TEXT PRIMARY KEY, content TEXT NOT NULL,
        created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW())`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${this.authTable} (
        id TEXT PRIMARY KEY, content JSONB NOT NULL,
        created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(), updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW())`);
      const fn = this.opts.schema ? `${quote(this.opts.schema)}.cliproxy_store_notify` : 'cliproxy_store_notify';
      await client.query(`CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_notify('${this.channel}', TG_TABLE_NAME); RETURN NULL; END $$`);
      for (const table of [this.configTable, this.authTable]) {
        await client.query(`DROP TRIGGER IF EXISTS cliproxy_store_notify ON ${table}`);
        await client.query(`CREATE TRIGGER cliproxy_store_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`);
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw this.fail('cannot prepare the schema', err);
    } finally {
      client.release();
    }
  }

  async snapshot(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    try {
      const cfg = await this.pool.query<{ content: string }>(`SELECT content FROM ${this.configTable} WHERE id = $1`, [CONFIG_ID]);
      if (cfg.rows[0]) out.set(CONFIG_KEY, cfg.rows[0].content.replace(/\r\n?/g, '\n'));
      const auths = await this.pool.query<{ id: string; content: string }>(`SELECT id, content::text AS content FROM ${this.authTable}`);
      for (const r of auths.rows) out.set(AUTH_PREFIX + r.id, r.content);
    } catch (err) {
      throw this.fail('read failed', err);
    }
    return out;
  }

  async put(key: string, content: string): Promise<void> {
    try {
      if (key === CONFIG_KEY) {
        await this.pool.query(
          `INSERT INTO ${this.configTable} (id, content, created_at, updated_at) VALUES ($1, $2, NOW(), NOW())
           ON CONFLICT (id) DO UPDATE SET content = EXCLUDED.content, updated_at = NOW()`,
          [CONFIG_ID, content.replace(/\r\n?/g, '\n')],
        );
      } else {
        // As the reference: an empty token file is no record.
        if (content.trim() === '') return this.remove(key);
        await this.pool.query(
          `INSERT INTO ${this.authTable} (id, content, created_at, updated_at) VALUES ($1, $2::jsonb, NOW(), NOW())
           ON CONFLICT (id) DO UPDATE SET content = EXCLUDED.content, updated_at = NOW()`,
          [authId(key), content],
        );
      }
    } catch (err) {
      throw this.fail(`write of ${key} failed`, err);
    }
  }

  async remove(key: string): Promise<void> {
    try {
      if (key === CONFIG_KEY) await this.pool.query(`DELETE FROM ${this.configTable} WHERE id = $1`, [CONFIG_ID]);
      else await this.pool.query(`DELETE FROM ${this.authTable} WHERE id = $1`, [authId(key)]);
    } catch (err) {
      throw this.fail(`delete of ${key} failed`, err);
    }
  }

  watch(onChange: () => void, onHealth: (problem: string | undefined) => void): void {
    let wait = this.opts.retryMinMs ?? 200;
    const max = this.opts.retryMaxMs ?? 5000;
    const connect = async () => {
      this.retryTimer = undefined;
      if (this.closed) return;
      const client = new pg.Client(this.clientConfig());
      let down = false;
      const lost = (err?: unknown) => {
        if (down) return;
        down = true;
        if (this.listener === client) this.listener = undefined;
        client.removeAllListeners('notification');
        client.end().catch(() => {});
        if (this.closed) return;
        onHealth(`change feed (LISTEN) lost: ${err ? this.why(err) : 'connection closed'}`);
        this.retryTimer = setTimeout(() => void connect(), wait);
        wait = Math.min(max, wait * 2);
      };
      client.on('error', lost);
      client.on('end', () => lost());
      client.on('notification', (n) => {
        if (n.channel === this.channel) onChange();
      });
      try {
        await client.connect();
        await client.query(`LISTEN ${this.channel}`);
      } catch (err) {
        lost(err);
        return;
      }
      if (this.closed || down) return void client.end().catch(() => {});
      this.listener = client;
      wait = this.opts.retryMinMs ?? 200;
      onHealth(undefined);
      // Whatever changed while we were not listening.
      onChange();
    };
    void connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const l = this.listener;
    this.listener = undefined;
    await Promise.allSettled([l?.end(), this.pool.end()]);
  }
}

function authId(key: string): string {
  return key.slice(AUTH_PREFIX.length);
}
