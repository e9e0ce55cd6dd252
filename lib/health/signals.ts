// SIGTERM/SIGINT for the command line gateway: the first signal drains
// (Gateway.shutdown: no new connections, 503 for new requests, in-flight work
// finishes up to shutdown-timeout-seconds) and exits 0; a second signal exits
// at once with 128 + the signal's number (130 for SIGINT, 143 for SIGTERM),
// as a shell reports a process killed by it.
import type { Logger } from 'pino';

export interface Stoppable {
  shutdown(): Promise<{ interrupted: number }>;
}

const CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

export function exitOnSignals(gw: Stoppable, log: Logger, timeoutSeconds: () => number, exit: (code: number) => void = (c) => process.exit(c)): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting now, open requests are cut');
      exit(CODES[signal] ?? 1);
      return;
    }
    stopping = true;
    log.info({ signal, timeoutSeconds: timeoutSeconds() }, 'shutting down: no new connections; open requests may finish (a second signal exits at once)');
    gw.shutdown().then(
      ({ interrupted }) => {
        if (interrupted > 0) log.warn({ interrupted }, 'shutdown timeout passed: ended the requests still open with an error');
        log.info('stopped');
        exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
