// Shared bits for the account tests: a temp auth-dir config pointing a
// provider at mock OAuth/API servers, and a scripted "browser".
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../lib/config/load.js';
import type { Config } from '../../lib/config/types.js';
import { waitFor } from '../helpers/wait.js';
import { endpointsYaml, type MockOAuth } from '../mocks/oauth-server.js';

export type Prov = 'gemini-cli' | 'claude' | 'codex' | 'qwen' | 'iflow';

export function tempDir(prefix = 'auth-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export function accountsYaml(authDir: string, entries: Array<[Prov, MockOAuth, string]>, extra = ''): string {
  return [`auth-dir: "${authDir}"`, 'oauth-endpoints:', ...entries.map(([p, m, api]) => endpointsYaml(p, m, api)), extra].join('\n');
}

export function accountsConfig(authDir: string, entries: Array<[Prov, MockOAuth, string]>, extra = ''): Config {
  return parseConfig(accountsYaml(authDir, entries, extra), 'test.yaml').config;
}

/** Play the person's browser: open the authorize URL, follow the provider's redirect to the local callback. */
export async function playBrowser(url: string): Promise<{ status: number; text: string; callback: string }> {
  const r1 = await fetch(url, { redirect: 'manual' });
  const callback = r1.headers.get('location');
  if (r1.status !== 302 || !callback) throw new Error(`authorize answered ${r1.status}: ${await r1.text()}`);
  const r2 = await fetch(callback);
  return { status: r2.status, text: await r2.text(), callback };
}

/** Poll until `check` passes (watchers are asynchronous); bounded to 20 s on a loaded machine. */
export function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<boolean> {
  return waitFor(check, { timeoutMs, everyMs: 50 });
}

/** Log in through the real flow against `mock` and return the saved token file's path. */
export async function loginFile(prov: Prov, mock: MockOAuth, dir: string, apiUrl: string, extra: { projectId?: string; alias?: string } = {}): Promise<string> {
  const { startLogin } = await import('../../lib/auth/login.js');
  const login = await startLogin(prov, { config: accountsConfig(dir, [[prov, mock, apiUrl]]), ...extra });
  if (login.userCode) await fetch(login.url);
  else await playBrowser(login.url);
  return (await login.wait).path;
}
