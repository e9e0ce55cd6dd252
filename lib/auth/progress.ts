// What a person sees while a login waits for them: a spinner with a
// countdown on a terminal, plain lines when stdout is a pipe or a file.

export interface Progress {
  stop(finalLine?: string): void;
}

export interface ProgressOptions {
  out: NodeJS.WritableStream & { isTTY?: boolean };
  label: string;
  deadline: number;
  now?: () => number;
  /** Plain mode: one reminder line every this many ms (default 30 s). */
  reminderMs?: number;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

function left(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export function showProgress(o: ProgressOptions): Progress {
  const now = o.now ?? Date.now;
  let timer: NodeJS.Timeout;
  let stopped = false;
  if (o.out.isTTY) {
    let i = 0;
    const draw = () => o.out.write(`\r\x1b[2K${FRAMES[i++ % FRAMES.length]} ${o.label} (${left(o.deadline - now())} left, Ctrl-C to cancel)`);
    draw();
    timer = setInterval(draw, 100);
  } else {
    o.out.write(`${o.label} (times out in ${Math.ceil((o.deadline - now()) / 1000)}s)\n`);
    timer = setInterval(() => o.out.write(`still waiting… ${left(o.deadline - now())} left\n`), o.reminderMs ?? 30_000);
  }
  timer.unref();
  return {
    stop(finalLine) {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      if (o.out.isTTY) o.out.write('\r\x1b[2K');
      if (finalLine) o.out.write(`${finalLine}\n`);
    },
  };
}
