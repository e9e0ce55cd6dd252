// Child processes for the benchmark: free ports, start/stop, wait, peak RSS,
// CPU time. Children are spawned as process.execPath itself (no shell, no npm
// wrapper), so child.pid is the node process whose /proc entries we read.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import net from 'node:net';

const children: ChildProcess[] = [];

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export function start(cwd: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  return child;
}

export function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export function stopAll(): void {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
}

export async function waitForPort(port: number, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.end();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listening on ${port} after ${timeoutMs} ms`);
}

function statusKb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

/** The process's lifetime peak RSS (VmHWM), or since the last resetPeakRss. */
export function peakRssMb(pid: number): number {
  return statusKb(pid, 'VmHWM') / 1024;
}

export function rssMb(pid: number): number {
  return statusKb(pid, 'VmRSS') / 1024;
}

/** Resets VmHWM to the current RSS (Linux: "5" > /proc/<pid>/clear_refs); false if not allowed. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * Peak RSS over a phase: resets VmHWM at the start (where the kernel allows it),
 * samples VmRSS every intervalMs in between, and at stop() returns the larger
 * of the sampled maximum and VmHWM (VmHWM is exact but lifetime-wide when the
 * reset failed; the samples can miss a short spike, or be late when this
 * process is busy driving the load).
 */
export function sampleRss(pid: number, intervalMs = 100): { stop(): { startMb: number; peakMb: number; sampledPeakMb: number; hwmMb: number; hwmReset: boolean } } {
  const startMb = rssMb(pid);
  const hwmReset = resetPeakRss(pid);
  let sampled = startMb;
  const timer = setInterval(() => {
    const v = rssMb(pid);
    if (v > sampled) sampled = v;
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      const v = rssMb(pid);
      if (v > sampled) sampled = v;
      const hwmMb = peakRssMb(pid);
      return { startMb, peakMb: hwmReset && hwmMb > sampled ? hwmMb : sampled, sampledPeakMb: sampled, hwmMb, hwmReset };
    },
  };
}

let ticksPerSecond: number | undefined;

/** Clock ticks per second for /proc/<pid>/stat times (getconf CLK_TCK, asked once; normally 100). */
export function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    const v = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    ticksPerSecond = Number.isFinite(v) && v > 0 ? v : 100;
  }
  return ticksPerSecond;
}

/** utime + stime of a process (all its threads), in clock ticks: fields 14 and 15 of /proc/<pid>/stat. */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Field 2 (comm) is parenthesised and may hold spaces: count from the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // rest[0] is field 3
  return Number(rest[14 - 3]) + Number(rest[15 - 3]);
}

/** Throws unless pid is a node process (this very binary) running `script`: no npm / sh wrapper in between. */
export function assertNodeProcess(pid: number, script: string): void {
  const exe = realpathSync(`/proc/${pid}/exe`);
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  if (exe !== realpathSync(process.execPath) || !argv.some((a) => a.endsWith(script))) {
    throw new Error(`pid ${pid} is ${exe} ${argv.join(' ')}, not node running ${script}`);
  }
}
