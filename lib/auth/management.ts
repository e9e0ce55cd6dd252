// What the management API gets from the account side: logins it can start
// and follow (/v0/management/*-auth-url, /get-auth-status), and the live
// state of token-file credentials (/auth-files).
import type { Config } from '../config/types.js';
import type { AuthFileRecord, AuthFileState, LoginStart, LoginStarter, LoginStatus, LoginProvider as ApiProvider } from '../management/types.js';
import { log } from '../logging/logger.js';
import { startLogin, type LoginHandle } from './login.js';
import type { AuthStore } from './store.js';
import type { LoginProvider } from './types.js';

const PROVIDER: Record<ApiProvider, LoginProvider> = { anthropic: 'claude', codex: 'codex', 'gemini-cli': 'gemini-cli', qwen: 'qwen', iflow: 'iflow' };
/** Finished logins stay answerable this long, and at most this many are kept. */
const KEEP_MS = 30 * 60_000;
const MAX_KEPT = 100;

interface Tracked {
  handle: LoginHandle;
  status: LoginStatus;
  finishedAt?: number;
}

export function loginStarter(config: () => Config, now: () => number = Date.now): LoginStarter {
  const logins = new Map<string, Tracked>();
  const prune = () => {
    const t = now();
    for (const [state, l] of logins) if (l.finishedAt !== undefined && t - l.finishedAt > KEEP_MS) logins.delete(state);
    while (logins.size > MAX_KEPT) logins.delete(logins.keys().next().value!);
  };
  return {
    async start(api, opts): Promise<LoginStart> {
      const provider = PROVIDER[api];
      prune();
      // One login per provider at a time: a new one replaces a pending one (and frees its callback port).
      for (const l of logins.values()) {
        if (l.handle.provider === provider && l.status.status === 'wait') {
          l.handle.cancel();
          l.status = { status: 'error', error: 'replaced by a newer login' };
          l.finishedAt = now();
        }
      }
      const handle = await startLogin(provider, { config: config(), projectId: opts.projectId, now });
      const tracked: Tracked = { handle, status: { status: 'wait' } };
      logins.set(handle.state, tracked);
      handle.wait.then(
        (saved) => {
          tracked.status = { status: 'ok' };
          tracked.finishedAt = now();
          log.info({ provider, file: saved.fileName }, 'login through the management API saved a token file');
        },
        (err: Error) => {
          if (tracked.status.status === 'wait') tracked.status = { status: 'error', error: err.message };
          tracked.finishedAt = now();
        },
      );
      return { url: handle.url, state: handle.state };
    },
    status(state) {
      prune();
      return logins.get(state)?.status;
    },
    cancelAll() {
      for (const l of logins.values()) {
        if (l.status.status !== 'wait') continue;
        l.handle.cancel();
        l.status = { status: 'error', error: 'the gateway closed' };
        l.finishedAt = now();
      }
    },
  };
}

export function authFileState(store: AuthStore): AuthFileState {
  return {
    list(): AuthFileRecord[] {
      return store.list().map((f) => ({
        id: f.id,
        name: f.name,
        provider: f.provider,
        label: f.label,
        email: f.email,
        status: f.status,
        statusMessage: f.status_message,
        disabled: f.disabled,
        unavailable: f.unavailable,
        runtimeOnly: false,
        path: f.path,
        createdAt: f.created_at,
        updatedAt: f.updated_at,
        lastRefresh: f.last_refresh,
        accountType: f.account_type,
        account: f.account,
      }));
    },
    changed: (name) => store.fileChanged(name),
  };
}
