// Run the real command line entry point (lib/cli.ts through tsx) as a child
// process, the way a user starts it, and watch what it prints.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../lib/cli.ts');

export interface CliRun {
  output: Promise<{ code: number | null; stdout: string; stderr: string }>;
  stdout(): string;
  /** Resolves with the first match in stdout; rejects if the process exits first. */
  waitFor(re: RegExp): Promise<RegExpExecArray>;
  stop(): void;
}

export function runCli(args: string[], cwd: string, env: Record<string, string> = {}, killAfterMs = 40_000): CliRun {
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), cli, ...args], {
    cwd,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters: Array<() => void> = [];
  child.stdout.on('data', (d) => {
    stdout += d;
    waiters.forEach((w) => w());
  });
  child.stderr.on('data', (d) => (stderr += d));
  const output = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs); // never outlive the test
  child.on('close', () => clearTimeout(timer));
  return {
    output,
    stdout: () => stdout,
    waitFor(re) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = re.exec(stdout);
          if (m) resolve(m);
        };
        waiters.push(check);
        check();
        output.then(() => reject(new Error(`process exited before ${re}:\n${stdout}\n${stderr}`)));
      });
    },
    stop: () => child.kill('SIGTERM'),
  };
}
