// Graceful shutdown of one app: the exchanges in flight, and waiting for them.
// The Exchange adds itself to `live` when it starts and leaves it when it is
// done or aborted (one Set add and delete per request); everything else here
// runs only once a shutdown has begun.
import type { Exchange } from './exchange.js';

/** How often the drain looks whether the last exchange finished (only while draining). */
const POLL_MS = 25;

export class Drain {
  /** Exchanges in flight: handed to createApp. */
  readonly live = new Set<Exchange>();
  private started = false;

  /** `others`: work in flight outside `live` (turns on Responses WebSockets). */
  constructor(private readonly others: () => number = () => 0) {}

  /** Requests, streams and socket turns still running. */
  get inFlight(): number {
    return this.live.size + this.others();
  }

  /** A shutdown has begun: new requests get 503 and /readyz says so. */
  get draining(): boolean {
    return this.started;
  }

  begin(): void {
    this.started = true;
  }

  /** Resolves true when nothing is in flight, false when `timeoutMs` passed first. */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const deadline = Date.now() + timeoutMs;
      const look = setInterval(() => {
        if (this.inFlight === 0) {
          clearInterval(look);
          resolve(true);
        } else if (Date.now() >= deadline) {
          clearInterval(look);
          resolve(false);
        }
      }, POLL_MS);
    });
  }

  /**
   * End what is still in flight: a stream with its own error event (the
   * streamer's interrupt), an unanswered request with `answer` (an error in
   * its client's format), anything else by closing its connection.
   * Returns how many exchanges were ended.
   */
  interruptAll(message: string, answer: (ex: Exchange) => void): number {
    const rest = [...this.live];
    for (const ex of rest) {
      if (ex.interrupt && ex.state === 'streaming') ex.interrupt(message);
      else if (!ex.committed) answer(ex);
      else ex.close();
    }
    return rest.length;
  }
}
