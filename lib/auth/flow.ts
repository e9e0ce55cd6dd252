// The authorization-code-with-PKCE login most providers use: a local
// callback server, the provider's authorize URL, then a code exchange.
import { startCallbackServer } from './callback-server.js';
import { LoginError } from './errors.js';
import type { TokenFile } from './files.js';
import { createPkce, randomState, type Pkce } from './pkce.js';
import type { FlowContext, FlowStart } from './types.js';

export interface AuthCodeSpec {
  ctx: FlowContext;
  callbackPath: string;
  /** Claude appends `#state` to the code. */
  splitStateFromCode?: boolean;
  authorizeUrl(p: { redirectUri: string; state: string; pkce: Pkce }): string;
  exchange(p: { code: string; state: string; redirectUri: string; pkce: Pkce }): Promise<{ fileName: string; data: TokenFile }>;
}

export async function authCodeFlow(spec: AuthCodeSpec): Promise<FlowStart> {
  const { ctx } = spec;
  const state = randomState();
  const pkce = createPkce();
  const server = await startCallbackServer({
    port: ctx.endpoints.callbackPort,
    path: spec.callbackPath,
    expectedState: state,
    splitStateFromCode: spec.splitStateFromCode,
  });
  const deadline = ctx.now() + ctx.timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  let cancel!: (e: Error) => void;
  const stopped = new Promise<never>((_, reject) => (cancel = reject));
  stopped.catch(() => {});
  timer = setTimeout(
    () => cancel(new LoginError('timeout', `no answer from the browser within ${Math.round(ctx.timeoutMs / 1000)}s; the login timed out`)),
    ctx.timeoutMs,
  );
  const onAbort = () => cancel(new LoginError('cancelled', 'login cancelled'));
  ctx.signal.addEventListener('abort', onAbort, { once: true });

  const done = (async () => {
    try {
      const { code, state: got } = await Promise.race([server.result, stopped]);
      ctx.note('Authorization received; exchanging the code for tokens…');
      return await spec.exchange({ code, state: got, redirectUri: server.redirectUri, pkce });
    } finally {
      clearTimeout(timer);
      timer = undefined;
      ctx.signal.removeEventListener('abort', onAbort);
      await server.close();
    }
  })();
  done.catch(() => {});
  return {
    url: spec.authorizeUrl({ redirectUri: server.redirectUri, state, pkce }),
    state,
    deadline,
    done,
    abort: () => cancel(new LoginError('cancelled', 'login cancelled')),
  };
}
