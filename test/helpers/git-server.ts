// A real Git smart-HTTP remote for tests: git http-backend (CGI) behind a
// small node:http server on 127.0.0.1 with HTTP basic auth, serving one bare
// repository in a temp folder (pushes allowed). stop() cuts open connections
// (an outage); start() brings it back on the same port.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const BACKEND = '/usr/lib/git-core/git-http-backend';

export class GitServer {
  port = 0;
  readonly root = mkdtempSync(path.join(tmpdir(), 'git-remote-'));
  readonly repo = 'store.git';
  private server?: http.Server;
  private readonly children = new Set<ChildProcess>();

  constructor(
    readonly username = 'git-user',
    readonly password = 'git-token-secret-123',
  ) {
    const bare = path.join(this.root, this.repo);
    const init = spawnSync('git', ['init', '--bare', '--quiet', '--initial-branch=main', bare]);
    if (init.status !== 0) throw new Error(`git init failed: ${init.stderr}`);
    spawnSync('git', ['-C', bare, 'config', 'http.receivepack', 'true']);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/${this.repo}`;
  }

  async start(): Promise<void> {
    const expected = `Basic ${Buffer.from(`${this.username}:${this.password}`).toString('base64')}`;
    const server = http.createServer((req, res) => {
      if (req.headers.authorization !== expected) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' });
        return void res.end('authentication required');
      }
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const child = spawn(BACKEND, [], {
        env: {
          PATH: process.env.PATH,
          GIT_PROJECT_ROOT: this.root,
          GIT_HTTP_EXPORT_ALL: '1',
          PATH_INFO: decodeURIComponent(url.pathname),
          REQUEST_METHOD: req.method ?? 'GET',
          QUERY_STRING: url.search.slice(1),
          CONTENT_TYPE: req.headers['content-type'] ?? '',
          ...(req.headers['content-length'] ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
          ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
          ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
          REMOTE_USER: this.username,
          REMOTE_ADDR: '127.0.0.1',
        },
        stdio: ['pipe', 'pipe', 'ignore'],
      });
      this.children.add(child);
      child.on('close', () => this.children.delete(child));
      req.pipe(child.stdin!);
      child.stdin!.on('error', () => {});
      // CGI answer: header lines, a blank line, the body.
      let head = Buffer.alloc(0);
      let headersDone = false;
      child.stdout!.on('data', (chunk: Buffer) => {
        if (headersDone) return void res.write(chunk);
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        headersDone = true;
        let status = 200;
        for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
          const i = line.indexOf(':');
          if (i < 0) continue;
          const name = line.slice(0, i).trim();
          const value = line.slice(i + 1).trim();
          if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
          else res.setHeader(name, value);
        }
        res.writeHead(status);
        res.write(head.subarray(end + 4));
      });
      child.stdout!.on('end', () => {
        if (!headersDone) res.writeHead(502);
        res.end();
      });
      res.on('close', () => child.kill());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    for (const c of this.children) c.kill();
    const closed = new Promise<void>((resolve) => s.close(() => resolve()));
    s.closeAllConnections();
    await closed;
  }

  /** What a branch holds, read with the git CLI: file → content (undefined when the branch does not exist). */
  files(branch = 'main'): Map<string, string> | undefined {
    const bare = path.join(this.root, this.repo);
    const ls = spawnSync('git', ['-C', bare, 'ls-tree', '-r', '--name-only', branch], { encoding: 'utf8' });
    if (ls.status !== 0) return undefined;
    const out = new Map<string, string>();
    for (const f of ls.stdout.split('\n').filter(Boolean)) {
      out.set(f, spawnSync('git', ['-C', bare, 'show', `${branch}:${f}`], { encoding: 'utf8' }).stdout);
    }
    return out;
  }
}
