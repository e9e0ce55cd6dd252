// Waiting in tests: on a condition, polled with a bound — never a fixed sleep
// that is too short on a loaded machine and wasted time on an idle one.

export interface WaitOptions {
  /** Give up after this long (default 10 s: generous, the machine is shared). */
  timeoutMs?: number;
  /** Poll interval (default 10 ms). */
  everyMs?: number;
}

/** Resolves true as soon as `cond` holds, false if it still does not after `timeoutMs`. */
export async function waitFor(cond: () => boolean | Promise<boolean>, { timeoutMs = 10_000, everyMs = 10 }: WaitOptions = {}): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * A quiet window, for the one kind of assertion a condition cannot express:
 * that something does NOT happen (no file written, no timeout fired) while
 * the gateway had the chance. Callers say why they need it.
 */
export function quietFor(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
