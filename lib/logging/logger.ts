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

/** Mask a secret for logs and error messages: keep a short prefix and suffix. */
export function mask(secret: string): string {
  if (!secret) return '';
  if (secret.length <= 8) return '*'.repeat(secret.length);
  return `${secret.slice(0, 4)}…${secret.slice(-4)}`;
}
