// Large request bodies are parsed and translated in a worker thread so one
// 10 MB image-laden request does not stall every other client's stream.
// Below the threshold the hop costs more than it saves (the bench's offload rows).
import { Piscina } from 'piscina';
import type { IRRequest } from '../../pipelines/ir.js';
import type { PeekResult, PrepareResult, PrepareTask } from '../../workers/translate.js';
import { log } from '../logging/logger.js';

/** Bodies larger than this (bytes) go to the worker; CLIPROXY_OFFLOAD_THRESHOLD overrides it (tests, tuning). */
export const OFFLOAD_THRESHOLD = Number(process.env['CLIPROXY_OFFLOAD_THRESHOLD'] ?? 1024 * 1024);

let pool: Piscina | undefined;

function workerFile(): string {
  // From source (tsx) the worker is a .ts file; once built, .js beside it.
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  return new URL(`../../workers/translate.${ext}`, import.meta.url).href;
}

function getPool(): Piscina {
  if (!pool) {
    pool = new Piscina({ filename: workerFile(), minThreads: 0, maxThreads: 2, idleTimeout: 30_000 });
    // A worker that cannot start must not take the gateway down: the task
    // fails, and the caller does the work on the main thread instead.
    pool.on('error', (err: unknown) => log.error({ err }, 'translation worker failed'));
  }
  return pool;
}

export async function closeOffload(): Promise<void> {
  const p = pool;
  pool = undefined;
  await p?.destroy();
}

/** A body the worker may take: its own ArrayBuffer, whole (transferable). */
function ownBuffer(raw: Buffer): Uint8Array {
  if (raw.byteOffset === 0 && raw.byteLength === raw.buffer.byteLength) return new Uint8Array(raw.buffer);
  return new Uint8Array(raw); // copies a pooled slice (only small bodies are pooled)
}

export class OffloadedBody {
  private raw: Uint8Array;
  constructor(raw: Buffer) {
    this.raw = ownBuffer(raw);
  }

  get length(): number {
    return this.raw.byteLength;
  }

  async peek(): Promise<PeekResult> {
    const r = (await getPool().run({ op: 'peek', raw: this.raw }, { transferList: [this.raw.buffer as ArrayBuffer] })) as PeekResult;
    this.raw = r.raw;
    return r;
  }

  /** Parse, translate or re-model, patch for the credential and serialise, in the worker. */
  async prepare(o: Omit<PrepareTask, 'op' | 'raw'>): Promise<PrepareResult & { req?: IRRequest }> {
    const r = (await getPool().run({ op: 'prepare', raw: this.raw, ...o }, { transferList: [this.raw.buffer as ArrayBuffer] })) as PrepareResult;
    this.raw = r.raw;
    return r;
  }

  /** The bytes as a Buffer (for same-format sends that need no rewrite). */
  buffer(): Buffer {
    return Buffer.from(this.raw.buffer, this.raw.byteOffset, this.raw.byteLength);
  }
}
