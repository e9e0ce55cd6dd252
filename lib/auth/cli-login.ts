// The login flags of the command line: start the flow, show the URL (and
// open a browser unless --no-browser), wait with a progress display, and
// report where the token file went — or why the login failed.
import { createInterface } from 'node:readline/promises';
import type { Config } from '../config/types.js';
import { openBrowser } from './browser.js';
import { startLogin } from './login.js';
import { showProgress } from './progress.js';
import { authProvider } from './providers.js';
import type { LoginProvider } from './types.js';

export interface CliLoginOptions {
  config: Config;
  noBrowser: boolean;
  projectId?: string;
  out?: NodeJS.WriteStream;
  err?: NodeJS.WriteStream;
}

async function askAlias(out: NodeJS.WriteStream): Promise<string | undefined> {
  if (!process.stdin.isTTY || !out.isTTY) return undefined;
  const rl = createInterface({ input: process.stdin, output: out });
  try {
    return (await rl.question('Email address or alias for this Qwen account (Enter for an automatic one): ')).trim() || undefined;
  } finally {
    rl.close();
  }
}

/** The local callback port an authorize URL sends the browser back to (none for device flows). */
function callbackPort(url: string): string | undefined {
  try {
    const u = new URL(url);
    const back = u.searchParams.get('redirect_uri') ?? u.searchParams.get('redirect');
    return back ? new URL(back).port || undefined : undefined;
  } catch {
    return undefined;
  }
}

/** Returns the process exit code. */
export async function runCliLogin(provider: LoginProvider, o: CliLoginOptions): Promise<number> {
  const out = o.out ?? process.stdout;
  const err = o.err ?? process.stderr;
  const title = authProvider(provider).title;
  // On a terminal a note first clears the spinner's line.
  const note = (line: string) => out.write(`${out.isTTY ? '\r\x1b[2K' : ''}${line}\n`);
  let progress: ReturnType<typeof showProgress> | undefined;
  try {
    const alias = provider === 'qwen' ? await askAlias(out) : undefined;
    const login = await startLogin(provider, { config: o.config, projectId: o.projectId, alias, note });
    const onSignal = () => login.cancel();
    process.once('SIGINT', onSignal);
    let opened = false;
    if (!o.noBrowser) {
      note(`Opening a browser for ${title} authentication…`);
      opened = await openBrowser(login.url);
      if (!opened) note('No browser could be opened; open the URL below yourself.');
    }
    if (!opened) {
      const port = callbackPort(login.url);
      if (port) note(`If your browser runs on another machine, forward the callback port first: ssh -L ${port}:127.0.0.1:${port} <this host>`);
      note(`Visit the following URL to continue authentication:\n${login.url}`);
    }
    if (login.userCode) note(`Confirm this code on that page: ${login.userCode}`);
    progress = showProgress({ out, label: `Waiting for ${title} authentication`, deadline: login.deadline });
    try {
      const saved = await login.wait;
      progress.stop();
      note(`Authentication saved to ${saved.path}`);
      note(`${title} authentication successful${saved.email ? ` (${saved.email})` : ''}!`);
      return 0;
    } finally {
      progress.stop();
      process.removeListener('SIGINT', onSignal);
    }
  } catch (e) {
    progress?.stop();
    err.write(`${title} login failed: ${(e as Error).message}\n`);
    return 1;
  }
}
