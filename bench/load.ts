// A small closed-loop load generator on undici: N connections each sending
// requests back to back for a fixed time. Counts requests, SSE events and latency.
import { Pool } from 'undici';

export interface LoadResult {
  requests: number;
  errors: number;
  events: number;
  seconds: number;
  rps: number;
  eventsPerSec: number;
  p50: number;
  p99: number;
  /** The first failure, for diagnosis: a status code or an error message. */
  firstError?: string;
}

export interface LoadOptions {
  url: string; // origin + path
  body: string;
  headers?: Record<string, string>;
  connections: number;
  seconds: number;
  stream: boolean;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const u = new URL(o.url);
  // One connection per worker, opened on first use; a connect timeout long
  // enough for a burst of 1,000 connects on a loaded loopback.
  const pool = new Pool(u.origin, { connections: o.connections, pipelining: 1, keepAliveTimeout: 60_000, connectTimeout: 30_000 });
  const latencies: number[] = [];
  let requests = 0;
  let errors = 0;
  let firstError: string | undefined;
  let events = 0;
  const start = performance.now();
  const deadline = start + o.seconds * 1000;
  const headers = { 'content-type': 'application/json', ...o.headers };

  async function worker(): Promise<void> {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        const res = await pool.request({ path: u.pathname + u.search, method: 'POST', headers, body: o.body });
        if (res.statusCode !== 200) {
          errors++;
          firstError ??= `HTTP ${res.statusCode}`;
          await res.body.dump();
          continue;
        }
        if (o.stream) {
          // Count SSE events: each ends with a blank line, i.e. a \n whose
          // previous line was empty (\n\n or \r\n\r\n), possibly across chunks.
          let last1 = 0;
          let last2 = 0;
          for await (const chunk of res.body as AsyncIterable<Buffer>) {
            for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) {
              const b1 = i >= 1 ? chunk[i - 1] : last1;
              if (b1 === 10) events++;
              else if (b1 === 13 && (i >= 2 ? chunk[i - 2] : i === 1 ? last1 : last2) === 10) events++;
            }
            last2 = chunk.length >= 2 ? chunk[chunk.length - 2]! : last1;
            last1 = chunk[chunk.length - 1]!;
          }
        } else {
          await res.body.arrayBuffer();
        }
        requests++;
        latencies.push(performance.now() - t0);
      } catch (err) {
        errors++;
        firstError ??= `${(err as Error).name}: ${(err as Error).message}`;
      }
    }
  }
  await Promise.all(Array.from({ length: o.connections }, worker));
  const seconds = (performance.now() - start) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  return {
    requests,
    errors,
    events,
    seconds,
    rps: requests / seconds,
    eventsPerSec: events / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    ...(firstError ? { firstError } : {}),
  };
}
