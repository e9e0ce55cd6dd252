// Piscina task: the CPU-heavy half of a large request (parse, decode to the
// IR, encode for the upstream, the executor's body patch, serialise) off the
// main thread. Buffers travel by transfer, not copy, both ways. A thin
// wrapper over pipelines/ and the executors' pure patches — the one module of
// lib/ it imports (lib/providers/patches.ts) imports nothing else of lib/ at
// runtime, so the worker never loads the gateway.
import { Piscina } from 'piscina';
import { getCodec } from '../pipelines/index.js';
import { jsonTooDeep, MAX_JSON_DEPTH } from '../pipelines/json-depth.js';
import { pipedClientBody } from '../pipelines/piped-body.js';
import type { FormatName, IRRequest } from '../pipelines/ir.js';
import { applyPatch, sameFormatBody, type PatchSpec } from '../lib/providers/patches.js';

export interface PeekTask {
  op: 'peek';
  raw: Uint8Array;
}

export interface PrepareTask {
  op: 'prepare';
  raw: Uint8Array;
  inbound: FormatName;
  upstream: FormatName;
  upstreamModel: string;
  upstreamStream: boolean;
  /** Top-level fields to set before decoding (e.g. the model from a Gemini URL). */
  assign?: Record<string, unknown>;
  /** Same format: only the model field and the executor's patch change. */
  passthrough: boolean;
  /** Same format, Gemini: the model is in the URL, the body has none to replace. */
  modelInUrl?: boolean;
  /** The executor's patch for this credential (plain data: kind + context). */
  patch?: PatchSpec;
}

export interface PeekResult {
  raw: Uint8Array;
  /** Top-level scalar fields of the body (model, stream, …), or an error. */
  fields?: Record<string, unknown>;
  error?: string;
  notObject?: boolean;
}

export interface PrepareResult {
  raw: Uint8Array;
  body?: Uint8Array;
  /** Same format: nothing changed, send the client's bytes (`raw`). */
  unchanged?: boolean;
  /** Headers the executor's patch derived from the body. */
  patchHeaders?: Record<string, string>;
  /** The IR with large inline data dropped: what the answer's translation needs. */
  req?: IRRequest;
  error?: { status: number; message: string };
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

function movable<T extends object>(value: T, buffers: ArrayBufferLike[]): T {
  // Piscina transfers what a moved value lists under its transferable symbol.
  return Piscina.move({ [Piscina.transferableSymbol]: buffers, [Piscina.valueSymbol]: value } as never) as unknown as T;
}

function parse(raw: Uint8Array): unknown {
  if (jsonTooDeep(raw)) throw new SyntaxError(`nests deeper than ${MAX_JSON_DEPTH} levels`);
  return raw.length === 0 ? {} : JSON.parse(decoder.decode(raw));
}

function scalars(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k in obj) {
    const v = obj[k];
    if (v === null || typeof v !== 'object') out[k] = v;
  }
  return out;
}

const BIG = 4096;

/** Drop big inline payloads: the answer's translation never reads them. */
function slim(req: IRRequest): IRRequest {
  const messages = req.messages.map((m) => ({
    ...m,
    content: m.content.map((p) => ('data' in p && typeof p.data === 'string' && p.data.length > BIG ? { ...p, data: '' } : p)),
  }));
  return { ...req, messages } as IRRequest;
}

export default function run(task: PeekTask | PrepareTask): PeekResult | PrepareResult {
  const raw = task.raw;
  if (task.op === 'peek') {
    try {
      const body = parse(raw);
      if (body === null || typeof body !== 'object' || Array.isArray(body)) return movable({ raw, notObject: true }, [raw.buffer]);
      return movable({ raw, fields: scalars(body as Record<string, unknown>) }, [raw.buffer]);
    } catch (err) {
      return movable({ raw, error: (err as Error).message }, [raw.buffer]);
    }
  }
  try {
    const parsed = parse(raw) as Record<string, unknown>;
    if (task.passthrough) {
      // As lib/routing/passthrough.ts pipedBody (and the Claude surface's fold) does for small
      // bodies: what the upstream would refuse goes first (assign is for decoding only).
      const fixed = pipedClientBody(task.inbound, raw, parsed);
      const r = sameFormatBody(fixed ?? parsed, task.modelInUrl ? undefined : task.upstreamModel, task.patch, fixed !== undefined);
      if (!r.body) return movable({ raw, unchanged: true, patchHeaders: r.headers }, [raw.buffer]);
      const out = encoder.encode(JSON.stringify(r.body));
      return movable({ raw, body: out, patchHeaders: r.headers }, [raw.buffer, out.buffer]);
    }
    // As lib/routing/translate.ts encodeFor does for small bodies.
    const req = getCodec(task.inbound).decodeRequest({ ...parsed, ...task.assign });
    const encoded = getCodec(task.upstream).encodeRequest({ ...req, model: task.upstreamModel, stream: task.upstreamStream });
    const patched = applyPatch(encoded, task.patch);
    const out = encoder.encode(JSON.stringify(encoded));
    return movable({ raw, body: out, req: slim(req), patchHeaders: patched?.headers }, [raw.buffer, out.buffer]);
  } catch (err) {
    const status = (err as { status?: number }).status ?? 400;
    return movable({ raw, error: { status, message: (err as Error).message } }, [raw.buffer]);
  }
}
