// GET /logs reads logs/main.log and its rotations, oldest first, optionally
// only lines after a cursor (?after= or ?since=, Unix seconds, as the
// "latest-timestamp" of a previous answer). DELETE /logs clears them.
import { readdir, readFile, truncate, unlink } from 'node:fs/promises';
import path from 'node:path';
import { MAIN_LOG } from '../../logging/file.js';
import type { Ctx, Register } from './context.js';

/** Lines returned at most (the newest ones). */
export const MAX_LOG_LINES = 50_000;

const ROTATED = new RegExp(`^${MAIN_LOG.replace('.', '\\.')}\\.(\\d+)$`);

/** "[2025-01-02 15:04:05] …" → Unix seconds (local time), or 0. */
export function lineTimestamp(line: string): number {
  const m = /^\[?(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)/.exec(line);
  if (!m) return 0;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  const t = new Date(y!, mo! - 1, d!, h!, mi!, s!).getTime();
  return Number.isNaN(t) ? 0 : Math.floor(t / 1000);
}

async function logFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir);
  const rotated = names.flatMap((n) => {
    const m = ROTATED.exec(n);
    return m ? [{ n, i: Number(m[1]) }] : [];
  });
  rotated.sort((a, b) => b.i - a.i); // highest index is the oldest
  const files = rotated.map((r) => path.join(dir, r.n));
  if (names.includes(MAIN_LOG)) files.push(path.join(dir, MAIN_LOG));
  return files;
}

function cursor(c: Ctx): number {
  const raw = (c.query('after') ?? c.query('since') ?? '').trim();
  const n = Number(raw);
  return /^\d+$/.test(raw) && n > 0 ? n : 0;
}

async function getLogs(c: Ctx): Promise<void> {
  if (!c.m.config().loggingToFile) return c.reply(400, { error: 'logging to file disabled' });
  await c.m.fileLog.flush();
  const after = cursor(c);
  let files: string[];
  try {
    files = await logFiles(c.m.logDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return c.reply(200, { lines: [], 'line-count': 0, 'latest-timestamp': after });
    return c.reply(500, { error: `failed to list log files: ${(err as Error).message}` });
  }
  const lines: string[] = [];
  let total = 0;
  let latest = 0;
  let include = after === 0;
  for (const f of files) {
    let text: string;
    try {
      text = await readFile(f, 'utf8');
    } catch {
      continue; // rotated away while we read
    }
    for (const raw of text.split('\n')) {
      if (raw === '') continue;
      const line = raw.replace(/\r$/, '');
      total++;
      const ts = lineTimestamp(line);
      if (ts > latest) latest = ts;
      // Lines without a timestamp (continuations) follow the line before them.
      if (ts > 0) include = after === 0 || ts > after;
      if (include) lines.push(line);
    }
    if (lines.length > 2 * MAX_LOG_LINES) lines.splice(0, lines.length - MAX_LOG_LINES);
  }
  if (lines.length > MAX_LOG_LINES) lines.splice(0, lines.length - MAX_LOG_LINES);
  c.reply(200, { lines, 'line-count': total, 'latest-timestamp': Math.max(latest, after) });
}

async function deleteLogs(c: Ctx): Promise<void> {
  if (!c.m.config().loggingToFile) return c.reply(400, { error: 'logging to file disabled' });
  await c.m.fileLog.flush();
  let files: string[];
  try {
    files = await logFiles(c.m.logDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return c.reply(404, { error: 'log directory not found' });
    return c.reply(500, { error: `failed to list log directory: ${(err as Error).message}` });
  }
  let removed = 0;
  for (const f of files) {
    try {
      if (path.basename(f) === MAIN_LOG) {
        // The live file stays open in append mode: truncating it is enough.
        await truncate(f, 0);
      } else {
        await unlink(f);
        removed++;
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return c.reply(500, { error: `failed to clear ${path.basename(f)}: ${(err as Error).message}` });
    }
  }
  c.reply(200, { status: 'ok', success: true, message: 'Logs cleared successfully', removed });
}

export function registerLogs(add: Register): void {
  add('GET', '/logs', getLogs);
  add('DELETE', '/logs', deleteLogs);
}
