// logging-to-file: the process log goes to logs/main.log as readable lines
// ("[2025-01-02 15:04:05] [info] message {fields}"), rotated by size into
// main.log.1 … main.log.N (classical logrotate naming, as the reference's
// lumberjack). GET/DELETE /v0/management/logs read and clear these files.
import path from 'node:path';
import { chmodSync, mkdirSync, readdirSync } from 'node:fs';
import { createStream, type RotatingFileStream } from 'rotating-file-stream';
import { log, setLogSink, type LogSink } from './logger.js';

export const MAIN_LOG = 'main.log';

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** Local time as "YYYY-MM-DD HH:MM:SS" (what GET /logs parses back). */
export function localStamp(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** One pino JSON line → one text line. */
export function formatLogLine(json: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const { time, level, msg, ...rest } = rec;
  const when = typeof time === 'string' || typeof time === 'number' ? new Date(time) : new Date();
  const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
  return `[${localStamp(when)}] [${String(level ?? 'info')}] ${String(msg ?? '')}${extra}\n`;
}

export interface FileLogOptions {
  /** Rotate when main.log reaches this size (rotating-file-stream syntax). Default 10M. */
  size?: string;
  /** Rotated files kept. Default 5. */
  keep?: number;
}

export class FileLogging {
  private stream?: RotatingFileStream;
  private sink?: LogSink;

  constructor(
    readonly dir: string,
    private readonly opts: FileLogOptions = {},
  ) {}

  get enabled(): boolean {
    return this.stream !== undefined;
  }

  /** Turn file logging on or off (idempotent). */
  set(on: boolean): void {
    if (on === this.enabled) return;
    if (on) this.open();
    else this.close();
  }

  private open(): void {
    try {
      // Logs carry prompts' metadata and masked keys: owner-only, also when the folder already existed.
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      chmodSync(this.dir, 0o700);
      for (const f of readdirSync(this.dir)) if (f.startsWith(MAIN_LOG)) chmodSync(path.join(this.dir, f), 0o600);
      // Classical rotation calls the generator with the rotation index (null: the live file).
      const name = (index: number | Date | null) => (typeof index === 'number' && index > 0 ? `${MAIN_LOG}.${index}` : MAIN_LOG);
      const stream = createStream(name as (time: number | Date) => string, {
        path: this.dir,
        size: (this.opts.size ?? '10M') as '10M',
        rotate: this.opts.keep ?? 5,
        mode: 0o600,
      });
      stream.on('error', (err) => {
        setLogSink(undefined);
        log.error({ err }, 'log file failed, logging to stdout');
      });
      this.stream = stream;
      this.sink = { write: (line) => stream.write(formatLogLine(line)) };
      setLogSink(this.sink);
    } catch (err) {
      log.error({ err, dir: this.dir }, 'cannot log to file, logging to stdout');
    }
  }

  /** Wait until what was written so far reached the file (tests, shutdown). */
  flush(): Promise<void> {
    const s = this.stream;
    if (!s) return Promise.resolve();
    return new Promise((resolve) => s.write('', () => resolve()));
  }

  close(): Promise<void> {
    const s = this.stream;
    if (!s) return Promise.resolve();
    this.stream = undefined;
    // Only restore stdout if the process log still points at us (another gateway may have taken over).
    const current = setLogSink(undefined);
    if (current !== this.sink) setLogSink(current);
    this.sink = undefined;
    return new Promise((resolve) => s.end(() => resolve()));
  }
}
