// A real S3-compatible server for tests: s3rver on 127.0.0.1, data in a temp
// folder, started in-process. stop() cuts open connections too (an outage),
// start() brings it back on the same port with the same data.
import { mkdtempSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';

// s3rver ships no types: the little of it used here.
interface S3rver {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
  httpServer?: Server;
}
const S3rver = createRequire(import.meta.url)('s3rver') as new (opts: { port: number; address: string; silent: boolean; directory: string }) => S3rver;

/** s3rver's built-in account. */
export const S3_ACCESS_KEY = 'S3RVER';
export const S3_SECRET_KEY = 'S3RVER';

export class S3Server {
  port = 0;
  readonly directory = mkdtempSync(path.join(tmpdir(), 's3rver-'));
  private server?: S3rver;

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const server = new S3rver({ port: this.port, address: '127.0.0.1', silent: true, directory: this.directory });
    this.port = (await server.run()).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    const closed = s.close();
    s.httpServer?.closeAllConnections();
    await closed;
  }
}
