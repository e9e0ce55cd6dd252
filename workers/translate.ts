// Piscina task: the CPU-heavy half of a large request (parse, decode to the
// IR, encode for the upstream) off the main thread. Buffers travel by
// transfer, not copy, both ways. A thin wrapper over pipelines/.
import { Piscina } from 'piscina';
import { getCodec } from '../pipelines/index.js';
import { jsonTooDeep, MAX_JSON_DEPTH } from '../pipelines/json-depth.js';
import type { FormatName, IRRequest } from '../pipelines/ir.js';

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
  /** Same format: only replace the model field. */
  passthrough: boolean;
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
    const body = { ...(parse(raw) as Record<string, unknown>), ...task.assign };
    if (task.passthrough) {
      const out = encoder.encode(JSON.stringify({ ...body, model: task.upstreamModel }));
      return movable({ raw, body: out }, [raw.buffer, out.buffer]);
    }
    const req = getCodec(task.inbound).decodeRequest(body);
    const out = encoder.encode(JSON.stringify(getCodec(task.upstream).encodeRequest({ ...req, model: task.upstreamModel, stream: task.upstreamStream })));
    return movable({ raw, body: out, req: slim(req) }, [raw.buffer, out.buffer]);
  } catch (err) {
    const status = (err as { status?: number }).status ?? 400;
    return movable({ raw, error: { status, message: (err as Error).message } }, [raw.buffer]);
  }
}
