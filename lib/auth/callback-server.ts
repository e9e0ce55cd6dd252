// The local web server an authorization-code login redirects back to. It
// listens on loopback, answers exactly one callback (checking `state`), then
// closes; a person's browser gets a short page saying what happened.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LoginError } from './errors.js';

export interface CallbackResult {
  code: string;
  state: string;
}

export interface CallbackServer {
  port: number;
  /** http://localhost:<port><path>, what the provider redirects to. */
  redirectUri: string;
  /** Settles with the code, or a LoginError (denied, state mismatch). */
  result: Promise<CallbackResult>;
  close(): Promise<void>;
}

export interface CallbackOptions {
  port: number;
  path: string;
  expectedState: string;
  /** Some providers (Claude) append `#state` to the code: split it off and check it too. */
  splitStateFromCode?: boolean;
}

const page = (title: string, text: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head>` +
  `<body style="font-family:sans-serif;margin:3em"><h1>${title}</h1><p>${text}</p></body></html>`;

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export async function startCallbackServer(o: CallbackOptions): Promise<CallbackServer> {
  let settle!: { ok: (r: CallbackResult) => void; fail: (e: Error) => void };
  let done = false;
  const result = new Promise<CallbackResult>((ok, fail) => (settle = { ok, fail }));
  result.catch(() => {}); // a rejection nobody awaited yet must not crash the process

  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' || u.pathname !== o.path) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    if (done) {
      res.writeHead(410, { 'content-type': 'text/html; charset=utf-8' }).end(page('Login already finished', 'You can close this window.'));
      return;
    }
    const answer = (status: number, title: string, text: string, outcome: () => void) => {
      done = true;
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', connection: 'close' });
      res.end(page(title, text));
      outcome();
    };
    let code = u.searchParams.get('code') ?? '';
    let state = u.searchParams.get('state') ?? '';
    if (o.splitStateFromCode && code.includes('#')) {
      const [c, s] = code.split('#', 2) as [string, string];
      code = c;
      state ||= s;
    }
    // Any local process (or a web page) can reach this port: a callback that
    // does not carry this login's state is not the provider's, so it neither
    // ends nor cancels the login (RFC 6749 returns state with errors too).
    if (state !== o.expectedState) {
      res.writeHead(400, { 'content-type': 'text/html; charset=utf-8', connection: 'close' });
      res.end(page('Authentication failed', 'state mismatch: this callback does not belong to the login in progress; it was ignored'));
      return;
    }
    const error = u.searchParams.get('error');
    if (error) {
      const desc = u.searchParams.get('error_description');
      const msg = `authorization denied by the provider: ${error}${desc ? ` (${desc})` : ''}`;
      return answer(400, 'Authentication failed', esc(msg), () => settle.fail(new LoginError('denied', msg)));
    }
    if (!code) {
      const msg = 'the callback carried no authorization code';
      return answer(400, 'Authentication failed', msg, () => settle.fail(new LoginError('denied', msg)));
    }
    answer(200, 'Authentication successful', 'You can close this window and return to the terminal.', () => settle.ok({ code, state }));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new LoginError('port-in-use', `callback port ${o.port} is in use (another login running?); free it or set oauth-endpoints.<provider>.callback-port`)
          : err,
      );
    });
    server.listen(o.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      // Let the answer page flush before cutting what is left.
      setTimeout(() => server.closeAllConnections(), 200).unref();
    }));
  // One callback is all a login needs: close as soon as it settled.
  result.then(close, close);
  return { port, redirectUri: `http://localhost:${port}${o.path}`, result, close };
}
