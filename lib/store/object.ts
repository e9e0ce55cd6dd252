// S3-compatible object storage store, laid out as CLIProxyAPI lays it out:
// config/config.yaml and auths/<name> in one bucket (created when missing),
// path-style addressing. There is no change feed in S3, so the bucket is
// listed every ~500 ms and a changed set of ETags is the signal; a snapshot
// downloads only the objects whose ETag changed.
import { Client } from 'minio';
import type { ObjectStoreEnv } from './env.js';
import { AUTH_PREFIX, CONFIG_KEY, StoreError, reason, type StateStore } from './types.js';

export interface ObjectStoreOptions extends Omit<ObjectStoreEnv, 'kind' | 'localPath'> {
  region?: string;
  /** How often the bucket is listed for changes (ms). Default 500. */
  pollMs?: number;
  /** Give up on one request after this long (ms). Default 15 s. */
  timeoutMs?: number;
}

interface Endpoint {
  host: string;
  port?: number;
  useSSL: boolean;
}

/** http(s)://host[:port] (no scheme = https, as the reference reads it). */
export function parseEndpoint(raw: string): Endpoint {
  const text = raw.trim().replace(/\/+$/, '');
  const withScheme = text.includes('://') ? text : `https://${text}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    throw new StoreError(`object store: OBJECTSTORE_ENDPOINT ${JSON.stringify(raw)} is not a URL (expected http(s)://host[:port])`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new StoreError(`object store: OBJECTSTORE_ENDPOINT scheme ${u.protocol.replace(':', '')} is not supported (only http and https)`);
  if (!u.hostname) throw new StoreError(`object store: OBJECTSTORE_ENDPOINT ${JSON.stringify(raw)} has no host`);
  if (u.pathname !== '/' && u.pathname !== '') throw new StoreError(`object store: OBJECTSTORE_ENDPOINT must not have a path (${u.pathname}); the bucket goes in OBJECTSTORE_BUCKET`);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: u.port ? Number(u.port) : undefined, useSSL: u.protocol === 'https:' };
}

class TornRead extends Error {}

const wanted = (key: string) => key === CONFIG_KEY || (key.startsWith(AUTH_PREFIX) && key.length > AUTH_PREFIX.length && !key.endsWith('/'));

export class ObjectStore implements StateStore {
  readonly kind = 'object';
  readonly target: string;
  private client?: Client;
  private readonly secrets: string[];
  private readonly cache = new Map<string, { etag: string; content: string }>();
  private poller?: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly opts: ObjectStoreOptions) {
    this.secrets = [opts.secretKey, opts.accessKey];
    this.target = `${opts.endpoint.trim()} bucket ${opts.bucket || '(none)'}`;
  }

  private fail(what: string, err: unknown): StoreError {
    return new StoreError(`object store ${this.target}: ${what}: ${reason(err, this.secrets)}`);
  }

  private timed<T>(p: Promise<T>): Promise<T> {
    const ms = this.opts.timeoutMs ?? 15_000;
    let timer: NodeJS.Timeout;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }

  private get c(): Client {
    if (!this.client) throw new StoreError(`object store ${this.target}: not open`);
    return this.client;
  }

  async open(): Promise<void> {
    const missing = (
      [
        ['OBJECTSTORE_BUCKET', this.opts.bucket],
        ['OBJECTSTORE_ACCESS_KEY', this.opts.accessKey],
        ['OBJECTSTORE_SECRET_KEY', this.opts.secretKey],
      ] as const
    )
      .filter(([, v]) => !v)
      .map(([n]) => n);
    if (missing.length > 0) throw new StoreError(`object store ${this.target}: ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} required`);
    const ep = parseEndpoint(this.opts.endpoint);
    try {
      this.client = new Client({
        endPoint: ep.host,
        ...(ep.port ? { port: ep.port } : {}),
        useSSL: ep.useSSL,
        accessKey: this.opts.accessKey,
        secretKey: this.opts.secretKey,
        region: this.opts.region ?? 'us-east-1',
        pathStyle: true,
      });
    } catch (err) {
      throw this.fail('bad settings', err);
    }
    let exists: boolean;
    try {
      exists = await this.timed(this.c.bucketExists(this.opts.bucket));
    } catch (err) {
      throw this.fail('cannot reach the bucket', err);
    }
    if (!exists) {
      try {
        await this.timed(this.c.makeBucket(this.opts.bucket, this.opts.region ?? 'us-east-1'));
      } catch (err) {
        // Another instance starting at the same moment may have made it.
        const code = (err as { code?: string }).code;
        if (code !== 'BucketAlreadyOwnedByYou' && code !== 'BucketAlreadyExists') throw this.fail('cannot create the bucket', err);
      }
    }
  }

  /** Every wanted key with its ETag and size. */
  private async list(): Promise<Map<string, { etag: string; size: number }>> {
    const out = new Map<string, { etag: string; size: number }>();
    let token = '';
    for (let page = 0; page < 1000; page++) {
      const res = await this.timed(this.c.listObjectsV2Query(this.opts.bucket, '', token, '', 1000, ''));
      for (const o of res.objects) if (o.name && wanted(o.name)) out.set(o.name, { etag: o.etag ?? '', size: o.size ?? -1 });
      if (!res.isTruncated || !res.nextContinuationToken) break;
      token = res.nextContinuationToken;
    }
    return out;
  }

  /** The object's text; a read shorter or longer than the listed size (an object being replaced) is tried again. */
  private async download(key: string, size: number): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const stream = await this.timed(this.c.getObject(this.opts.bucket, key));
      const parts: Buffer[] = [];
      for await (const chunk of stream) parts.push(chunk as Buffer);
      const body = Buffer.concat(parts);
      if (size < 0 || body.length === size) return body.toString('utf8');
      if (attempt >= 2) throw new TornRead(`${key} changed while being read`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async snapshot(): Promise<Map<string, string>> {
    // An object replaced while we read it (servers without atomic replace) reads short: list again.
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.snapshotOnce();
      } catch (err) {
        if (!(err instanceof TornRead) || attempt >= 4) throw this.fail('read failed', err);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  private async snapshotOnce(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const listed = await this.list();
    for (const key of this.cache.keys()) if (!listed.has(key)) this.cache.delete(key);
    for (const [key, { etag, size }] of listed) {
      let hit = this.cache.get(key);
      if (!hit || hit.etag !== etag) {
        hit = { etag, content: await this.download(key, size) };
        this.cache.set(key, hit);
      }
      out.set(key, key === CONFIG_KEY ? hit.content.replace(/\r\n?/g, '\n') : hit.content);
    }
    return out;
  }

  async put(key: string, content: string): Promise<void> {
    const body = Buffer.from(content, 'utf8');
    try {
      await this.timed(this.c.putObject(this.opts.bucket, key, body, body.length, { 'Content-Type': key === CONFIG_KEY ? 'application/x-yaml' : 'application/json' }));
    } catch (err) {
      throw this.fail(`write of ${key} failed`, err);
    }
  }

  async remove(key: string): Promise<void> {
    try {
      await this.timed(this.c.removeObject(this.opts.bucket, key));
    } catch (err) {
      throw this.fail(`delete of ${key} failed`, err);
    }
  }

  watch(onChange: () => void, onHealth: (problem: string | undefined) => void): void {
    let last: string | undefined;
    let failing = false;
    const tick = async () => {
      this.poller = undefined;
      if (this.closed) return;
      try {
        const listed = await this.list();
        const sig = [...listed].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, e]) => `${k}\0${e.etag}\0${e.size}`).join('\n');
        if (failing) {
          // Whatever changed while the bucket could not be listed: pull it now.
          failing = false;
          onHealth(undefined);
          onChange();
        } else if (sig !== last) onChange(); // the first listing too: a change since the initial copy
        last = sig;
      } catch (err) {
        if (!failing && !this.closed) onHealth(`cannot list the bucket: ${reason(err, this.secrets)}`);
        failing = true;
      }
      if (!this.closed) {
        this.poller = setTimeout(() => void tick(), this.opts.pollMs ?? 500);
        this.poller.unref();
      }
    };
    void tick();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.poller) clearTimeout(this.poller);
  }
}
