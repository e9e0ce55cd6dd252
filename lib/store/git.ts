// Git store, laid out as CLIProxyAPI lays it out: config/config.yaml and
// auths/<name> in one branch of a remote reached over HTTP(S) with basic
// auth (GITSTORE_GIT_USERNAME / GITSTORE_GIT_TOKEN). An empty remote is
// initialised (auths/.gitkeep, config/.gitkeep); every change is one commit,
// pushed at once. Changes by other instances are seen by listing the
// remote's refs every ~500 ms (one small request) and fetching when the
// branch moved.
//
// Work happens on objects, not a checkout: a bare repository inside the
// mirror folder (.store.git) holds what was fetched; a change builds a new
// tree and commit on the remote's tip and pushes it, rebuilding on the new
// tip when another instance pushed first.
import fs from 'node:fs';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import type { GitStoreEnv } from './env.js';
import { AUTH_PREFIX, CONFIG_KEY, StoreError, reason, type StateStore } from './types.js';

export interface GitStoreOptions extends Omit<GitStoreEnv, 'kind' | 'localPath'> {
  /** The bare repository the store works in. */
  dir: string;
  pollMs?: number;
  timeoutMs?: number;
}

type TreeEntry = { mode: string; path: string; oid: string; type: 'blob' | 'tree' | 'commit' };

const AUTHOR = { name: 'cliproxy-ts', email: 'cliproxy-ts@localhost' };

/** The URL with any password or token in it masked. */
export function maskGitUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '****';
    return u.toString().replace(/%2A%2A%2A%2A/g, '****');
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//****@');
  }
}

export class GitStore implements StateStore {
  readonly kind = 'git';
  readonly target: string;
  private branch = '';
  private readonly secrets: string[];
  /** The remote tip we have fetched, and what it holds. */
  private tip?: string;
  private files = new Map<string, string>();
  private poller?: NodeJS.Timeout;
  private closed = false;
  private refused = false;

  constructor(private readonly opts: GitStoreOptions) {
    const inUrl = (() => {
      try {
        return decodeURIComponent(new URL(opts.url).password);
      } catch {
        return '';
      }
    })();
    this.secrets = [opts.token, inUrl].filter(Boolean);
    this.target = `${maskGitUrl(opts.url)}${opts.branch ? ` branch ${opts.branch}` : ''}`;
  }

  private get auth() {
    const { username, token } = this.opts;
    return {
      onAuth: () => (username || token ? { username: username || 'git', password: token } : {}),
      // Wrong credentials: give up at once rather than ask again.
      onAuthFailure: () => {
        this.refused = true;
        return { cancel: true };
      },
    };
  }

  private fail(what: string, err: unknown): StoreError {
    const code = (err as { code?: string }).code;
    const refused = this.refused || (code === 'HttpError' && /401|403/.test(String((err as Error).message)));
    this.refused = false;
    const why = refused ? 'the remote refused the credentials (HTTP 401/403): check GITSTORE_GIT_USERNAME and GITSTORE_GIT_TOKEN' : reason(err, this.secrets);
    return new StoreError(`git store ${this.target}: ${what}: ${why}`);
  }

  private timed<T>(p: Promise<T>): Promise<T> {
    const ms = this.opts.timeoutMs ?? 20_000;
    let timer: NodeJS.Timeout;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }

  /** The remote's branch tip (undefined: the branch does not exist yet) and its default branch. */
  private async remoteTip(): Promise<{ tip?: string; head?: string }> {
    const info = await this.timed(git.getRemoteInfo({ http, url: this.opts.url, ...this.auth }));
    const heads = ((info.refs as { heads?: Record<string, string> } | undefined)?.heads ?? {}) as Record<string, string>;
    const head = info.HEAD?.replace(/^refs\/heads\//, '');
    const branch = this.branch || this.opts.branch || head || 'main';
    return { tip: heads[branch], head };
  }

  async open(): Promise<void> {
    if (!this.opts.url) throw new StoreError('git store: GITSTORE_GIT_URL is required');
    try {
      fs.mkdirSync(this.opts.dir, { recursive: true, mode: 0o700 });
      if (!fs.existsSync(`${this.opts.dir}/HEAD`)) await git.init({ fs, gitdir: this.opts.dir, bare: true, defaultBranch: 'main' });
      // The URL may have changed since the last run; fetch needs a remote with a refspec.
      await git.addRemote({ fs, gitdir: this.opts.dir, remote: 'origin', url: this.opts.url, force: true });
    } catch (err) {
      throw this.fail('cannot prepare the local repository', err);
    }
    let remote;
    try {
      remote = await this.remoteTip();
    } catch (err) {
      throw this.fail('cannot reach the remote', err);
    }
    this.branch = this.opts.branch || remote.head || 'main';
    if (remote.tip) {
      await this.fetchTip(remote.tip).catch((err: unknown) => {
        throw this.fail('fetch failed', err);
      });
      return;
    }
    // An empty remote (or a new branch): the reference's first commit.
    try {
      await this.commit('Initialize git token store', (files) => {
        files.set('auths/.gitkeep', '');
        files.set('config/.gitkeep', '');
      });
    } catch (err) {
      throw err instanceof StoreError ? err : this.fail('cannot initialise the empty remote', err);
    }
  }

  private async fetchTip(expected?: string): Promise<void> {
    if (expected && expected === this.tip) return;
    const res = await this.timed(
      git.fetch({ fs, http, gitdir: this.opts.dir, remote: 'origin', url: this.opts.url, ref: this.branch, remoteRef: this.branch, singleBranch: true, tags: false, ...this.auth }),
    );
    const tip = res.fetchHead ?? expected;
    if (!tip || tip === this.tip) return;
    this.files = await this.readFiles(tip);
    this.tip = tip;
  }

  /** Every blob under the commit, by path. */
  private async readFiles(commit: string): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const walk = async (oid: string, prefix: string, depth: number): Promise<void> => {
      if (depth > 8) return;
      const { tree } = await git.readTree({ fs, gitdir: this.opts.dir, oid });
      for (const e of tree) {
        const p = prefix + e.path;
        if (e.type === 'tree') await walk(e.oid, `${p}/`, depth + 1);
        else if (e.type === 'blob') out.set(p, Buffer.from((await git.readBlob({ fs, gitdir: this.opts.dir, oid: e.oid })).blob).toString('utf8'));
      }
    };
    await walk(commit, '', 0);
    return out;
  }

  async snapshot(): Promise<Map<string, string>> {
    try {
      const { tip } = await this.remoteTip();
      if (tip) await this.fetchTip(tip);
    } catch (err) {
      throw this.fail('read failed', err);
    }
    const out = new Map<string, string>();
    for (const [p, content] of this.files) {
      if (p === CONFIG_KEY) out.set(p, content.replace(/\r\n?/g, '\n'));
      else if (p.startsWith(AUTH_PREFIX) && !p.slice(p.lastIndexOf('/') + 1).startsWith('.')) out.set(p, content);
    }
    return out;
  }

  /** Build a tree from a flat path → content map. */
  private async writeFiles(files: Map<string, string>): Promise<string> {
    type Dir = Map<string, string | Dir>;
    const root: Dir = new Map();
    for (const [p, content] of files) {
      const parts = p.split('/');
      let d = root;
      for (const part of parts.slice(0, -1)) {
        let next = d.get(part);
        if (typeof next !== 'object') d.set(part, (next = new Map()));
        d = next;
      }
      d.set(parts[parts.length - 1]!, content);
    }
    const write = async (d: Dir): Promise<string> => {
      const tree: TreeEntry[] = [];
      for (const [name, v] of d) {
        if (typeof v === 'string') tree.push({ mode: '100644', path: name, type: 'blob', oid: await git.writeBlob({ fs, gitdir: this.opts.dir, blob: Buffer.from(v, 'utf8') }) });
        else tree.push({ mode: '040000', path: name, type: 'tree', oid: await write(v) });
      }
      return git.writeTree({ fs, gitdir: this.opts.dir, tree });
    };
    return write(root);
  }

  /** One commit on the remote tip, pushed; rebuilt on the new tip when someone pushed first. */
  private async commit(message: string, change: (files: Map<string, string>) => void): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const files = new Map(this.files);
      change(files);
      const same = files.size === this.files.size && [...files].every(([k, v]) => this.files.get(k) === v);
      if (same && this.tip) return;
      const tree = await this.writeFiles(files);
      const now = Math.floor(Date.now() / 1000);
      const who = { ...AUTHOR, timestamp: now, timezoneOffset: 0 };
      const oid = await git.writeCommit({ fs, gitdir: this.opts.dir, commit: { message: `${message}\n`, tree, parent: this.tip ? [this.tip] : [], author: who, committer: who } });
      await git.writeRef({ fs, gitdir: this.opts.dir, ref: `refs/heads/${this.branch}`, value: oid, force: true });
      try {
        const res = await this.timed(git.push({ fs, http, gitdir: this.opts.dir, url: this.opts.url, ref: this.branch, remoteRef: this.branch, ...this.auth }));
        if (!res.ok) throw new Error(res.error ?? 'push refused');
        this.tip = oid;
        this.files = files;
        return;
      } catch (err) {
        const code = (err as { code?: string }).code;
        const raced = code === 'PushRejectedError' || /fast-forward|fetch first|failed to update ref/i.test(String((err as Error).message));
        if (!raced || attempt >= 5) throw err;
        const { tip } = await this.remoteTip();
        if (tip) await this.fetchTip(tip);
      }
    }
  }

  async put(key: string, content: string): Promise<void> {
    try {
      await this.commit(key === CONFIG_KEY ? 'Update config' : `Update auth ${key.slice(AUTH_PREFIX.length)}`, (files) => void files.set(key, content));
    } catch (err) {
      throw this.fail(`write of ${key} failed`, err);
    }
  }

  async remove(key: string): Promise<void> {
    try {
      await this.commit(key === CONFIG_KEY ? 'Delete config' : `Delete auth ${key.slice(AUTH_PREFIX.length)}`, (files) => void files.delete(key));
    } catch (err) {
      throw this.fail(`delete of ${key} failed`, err);
    }
  }

  watch(onChange: () => void, onHealth: (problem: string | undefined) => void): void {
    let failing = false;
    let seen = this.tip;
    const tick = async () => {
      this.poller = undefined;
      if (this.closed) return;
      try {
        const { tip } = await this.remoteTip();
        if (failing) {
          failing = false;
          onHealth(undefined);
          onChange();
        } else if (tip !== seen) onChange();
        seen = tip;
      } catch (err) {
        if (!failing && !this.closed) onHealth(`cannot list the remote: ${reason(err, this.secrets)}`);
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
