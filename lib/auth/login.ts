// Start a login and save its token file: shared by the CLI flags and the
// management API (/v0/management/*-auth-url + /get-auth-status).
import type { Config } from '../config/types.js';
import { log } from '../logging/logger.js';
import { LoginError } from './errors.js';
import { writeTokenFile } from './files.js';
import { authProvider, endpointsFor } from './providers.js';
import type { LoginProvider } from './types.js';

export interface StartLoginOptions {
  config: Config;
  /** Gemini CLI: project id(s), comma-separated. */
  projectId?: string;
  /** Qwen: email or alias naming the account. */
  alias?: string;
  /** Default 5 minutes. */
  timeoutMs?: number;
  /** Progress lines (default: debug log). */
  note?: (line: string) => void;
  now?: () => number;
}

export interface SavedLogin {
  provider: LoginProvider;
  path: string;
  fileName: string;
  email?: string;
}

export interface LoginHandle {
  provider: LoginProvider;
  url: string;
  state: string;
  /** Device flows: the code to confirm on the page. */
  userCode?: string;
  deadline: number;
  /** Settles once the token file is written (or the login failed). */
  wait: Promise<SavedLogin>;
  cancel(): void;
}

export const LOGIN_TIMEOUT_MS = 5 * 60_000;

export async function startLogin(provider: LoginProvider, opts: StartLoginOptions): Promise<LoginHandle> {
  const mod = authProvider(provider);
  const now = opts.now ?? Date.now;
  const aborter = new AbortController();
  const started = await mod.start({
    endpoints: endpointsFor(opts.config, provider),
    proxyUrl: opts.config.proxyUrl,
    projectId: opts.projectId,
    alias: opts.alias,
    note: opts.note ?? ((line) => log.debug({ provider }, line)),
    now,
    signal: aborter.signal,
    timeoutMs: opts.timeoutMs ?? LOGIN_TIMEOUT_MS,
  });
  const wait = started.done.then(({ fileName, data }) => {
    const path = writeTokenFile(opts.config.authDir, fileName, data);
    return { provider, path, fileName: path.split(/[/\\]/).pop()!, email: mod.identity(data).email };
  });
  wait.catch(() => {});
  return {
    provider,
    url: started.url,
    state: started.state,
    userCode: started.userCode,
    deadline: started.deadline,
    wait,
    cancel() {
      aborter.abort();
      started.abort();
    },
  };
}

export { LoginError };
