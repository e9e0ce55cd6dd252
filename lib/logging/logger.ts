// One process-wide pino logger. Level follows the `debug` config key live.
import { pino, type Logger } from 'pino';

export interface LogSink {
  write(line: string): unknown;
}

// Lines go to stdout, or to the file sink while logging-to-file is on.
const stdout = pino.destination(1);
let fileSink: LogSink | undefined;
const sink: LogSink = { write: (line) => (fileSink ?? stdout).write(line) };

export const log: Logger = pino(
  {
    level: process.env.LOG_LEVEL ?? 'info',
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  },
  sink,
);

/** Send log lines to `s` (undefined: back to stdout). Returns the previous sink. */
export function setLogSink(s: LogSink | undefined): LogSink | undefined {
  const prev = fileSink;
  fileSink = s;
  return prev;
}

export function setDebug(debug: boolean): void {
  if (process.env.LOG_LEVEL) return; // an explicit env level wins over config
  log.level = debug ? 'debug' : 'info';
}

/** Mask a secret for logs, labels and error messages. At most its last 4
 *  characters show, and only on secrets of 16 or more, so a short key never
 *  loses a meaningful share of its entropy to a log reader. */
export function mask(secret: string): string {
  if (!secret) return '';
  if (secret.length < 16) return '****';
  return `****${secret.slice(-4)}`;
}
