// Device authorization polling (RFC 8628): ask the token endpoint every
// `interval` until the person approves, denies, or the code expires.
import { LoginError } from './errors.js';

export type PollOutcome<T> =
  | { kind: 'token'; value: T }
  | { kind: 'pending' }
  | { kind: 'slow-down' }
  | { kind: 'denied'; message: string }
  | { kind: 'expired' }
  | { kind: 'error'; message: string; fatal?: boolean };

export interface DevicePollOptions<T> {
  poll(): Promise<PollOutcome<T>>;
  intervalMs: number;
  /** Absolute deadline (ms since epoch on `now`'s clock). */
  deadline: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  signal?: AbortSignal;
}

const MAX_INTERVAL_MS = 10_000;
const MIN_INTERVAL_MS = 10;

const defaultSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

export async function pollDevice<T>(o: DevicePollOptions<T>): Promise<T> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => defaultSleep(ms, o.signal));
  let interval = Math.max(MIN_INTERVAL_MS, o.intervalMs);
  let lastError = '';
  // Bounded twice over: by the deadline, and by a hard cap on attempts.
  for (let attempt = 0; attempt < 100_000; attempt++) {
    if (o.signal?.aborted) throw new LoginError('cancelled', 'login cancelled');
    const left = o.deadline - now();
    if (left <= 0) break;
    await sleep(Math.min(interval, left));
    if (o.signal?.aborted) throw new LoginError('cancelled', 'login cancelled');
    if (now() >= o.deadline) break;
    let r: PollOutcome<T>;
    try {
      r = await o.poll();
    } catch (err) {
      lastError = (err as Error).message;
      continue; // a network blip: keep polling until the code expires
    }
    switch (r.kind) {
      case 'token':
        return r.value;
      case 'pending':
        break;
      case 'slow-down':
        interval = Math.min(MAX_INTERVAL_MS, Math.ceil(interval * 1.5));
        break;
      case 'denied':
        throw new LoginError('denied', r.message);
      case 'expired':
        throw new LoginError('expired', 'the device code expired before it was approved; start the login again');
      case 'error':
        if (r.fatal) throw new LoginError('exchange', r.message);
        lastError = r.message;
        break;
    }
  }
  throw new LoginError('expired', `the device code expired before it was approved${lastError ? ` (last error: ${lastError})` : ''}; start the login again`);
}
