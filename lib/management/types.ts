// What the management API needs from the account-login side (lib/auth):
// starting a login flow, reporting its progress, and the live state of the
// credentials loaded from token files. lib/auth registers implementations on
// the Management object; without them the login endpoints answer 503 and the
// auth-file list is built from the files alone.

export type LoginProvider = 'anthropic' | 'codex' | 'gemini-cli' | 'qwen' | 'iflow';

export interface LoginStartOptions {
  /** gemini-cli: the Google Cloud project to use (?project_id=). */
  projectId?: string;
  /** The request came from the control panel (?is_webui=true). */
  webui?: boolean;
  /** http://127.0.0.1:<port> of this gateway, for callbacks served by its own routes. */
  gatewayUrl: string;
}

export interface LoginStart {
  /** Where the operator signs in (or the device-code page). */
  url: string;
  /** Identifies this login for GET /get-auth-status. */
  state: string;
}

export type LoginStatus = { status: 'wait' } | { status: 'ok' } | { status: 'error'; error: string };

export interface LoginStarter {
  /** Start the same flow the CLI flag starts; resolves once the URL is known. */
  start(provider: LoginProvider, opts: LoginStartOptions): Promise<LoginStart>;
  /** undefined: no such login (unknown or long expired state). */
  status(state: string): LoginStatus | undefined;
  /** The gateway is closing: end pending logins and free their callback ports. */
  cancelAll?(): void;
}

/** One credential as the live auth state knows it (fields of GET /auth-files). */
export interface AuthFileRecord {
  id: string;
  /** The token file's name in auth-dir (runtime-only credentials: an id). */
  name: string;
  provider: string;
  label?: string;
  email?: string;
  status?: string;
  statusMessage?: string;
  disabled?: boolean;
  unavailable?: boolean;
  runtimeOnly?: boolean;
  path?: string;
  createdAt?: string;
  updatedAt?: string;
  lastRefresh?: string;
  accountType?: string;
  account?: string;
}

export interface AuthFileState {
  list(): AuthFileRecord[];
  /** A token file was written or removed through the API (the auth-dir watcher would notice too). */
  changed?(name: string, removed: boolean): void | Promise<void>;
}
