// The AI Studio relay protocol: JSON text frames `{id, type, payload}` over the
// /v1/ws WebSocket. The gateway sends `http_request`; the app answers with
// `http_response`, or `stream_start` / `stream_chunk`… / `stream_end`, or
// `error`; `ping` gets `pong`. Field shapes follow the reference (header
// values as string lists, bodies and chunks as text).

export const MESSAGE_TYPES = ['http_request', 'http_response', 'stream_start', 'stream_chunk', 'stream_end', 'error', 'ping', 'pong'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export interface RelayMessage {
  id: string;
  type: MessageType;
  payload: Record<string, unknown>;
}

export type ParsedFrame = { ok: true; msg: RelayMessage } | { ok: false; reason: string };

const KNOWN = new Set<string>(MESSAGE_TYPES);
const textDecoder = new TextDecoder('utf-8', { fatal: true });

/** Read one frame; anything that is not a well-formed message says why (never echoing its content). */
export function parseFrame(data: ArrayBuffer | Uint8Array | string): ParsedFrame {
  let text: string;
  try {
    text = typeof data === 'string' ? data : textDecoder.decode(data);
  } catch {
    return { ok: false, reason: 'not UTF-8 text' };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, reason: 'not a JSON object' };
  const o = value as Record<string, unknown>;
  const type = o['type'];
  if (typeof type !== 'string') return { ok: false, reason: 'no "type"' };
  if (!KNOWN.has(type)) return { ok: false, reason: `unknown type "${type.slice(0, 40)}"` };
  const rawId = o['id'];
  const id = typeof rawId === 'string' ? rawId : typeof rawId === 'number' && Number.isFinite(rawId) ? String(rawId) : rawId == null ? '' : undefined;
  if (id === undefined) return { ok: false, reason: '"id" is not a string' };
  if (id === '' && type !== 'ping' && type !== 'pong') return { ok: false, reason: `"${type}" without an id` };
  const payload = o['payload'];
  if (payload != null && (typeof payload !== 'object' || Array.isArray(payload))) return { ok: false, reason: '"payload" is not an object' };
  return { ok: true, msg: { id, type: type as MessageType, payload: (payload ?? {}) as Record<string, unknown> } };
}

export interface RelayHttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

/** The http_request frame for one upstream call. */
export function encodeHttpRequest(id: string, req: RelayHttpRequest): string {
  const headers: Record<string, string[]> = {};
  for (const k in req.headers) headers[k] = [req.headers[k]!];
  const body = req.body === undefined ? '' : typeof req.body === 'string' ? req.body : req.body.toString('utf8');
  return JSON.stringify({
    id,
    type: 'http_request',
    payload: { method: req.method, url: req.url, headers, body, sent_at: new Date().toISOString() },
  });
}

export function encodePong(id: string): string {
  return JSON.stringify({ id, type: 'pong' });
}

// The body reaches the gateway as decoded text: length and transfer framing no longer apply.
const DROP_HEADERS = new Set(['content-length', 'transfer-encoding', 'content-encoding', 'connection', 'keep-alive']);

export interface ResponseHead {
  status: number;
  headers: Record<string, string | string[]>;
}

/** Status and headers of an http_response or stream_start payload. */
export function responseHead(payload: Record<string, unknown>): ResponseHead {
  const s = payload['status'];
  // Absent means OK (as the reference reads it); present but not an HTTP status is a broken answer.
  const status = s === undefined || s === null ? 200 : typeof s === 'number' && Number.isInteger(s) && s >= 100 && s <= 599 ? s : 502;
  const headers: Record<string, string | string[]> = {};
  const h = payload['headers'];
  if (h && typeof h === 'object' && !Array.isArray(h)) {
    for (const [key, v] of Object.entries(h as Record<string, unknown>)) {
      const k = key.toLowerCase();
      if (DROP_HEADERS.has(k)) continue;
      if (typeof v === 'string') headers[k] = v;
      else if (Array.isArray(v)) {
        const list = v.filter((x): x is string => typeof x === 'string');
        if (list.length === 1) headers[k] = list[0]!;
        else if (list.length > 1) headers[k] = list;
      }
    }
  }
  return { status, headers };
}

export function responseBody(payload: Record<string, unknown>): Buffer {
  const b = payload['body'];
  return typeof b === 'string' && b.length > 0 ? Buffer.from(b, 'utf8') : EMPTY;
}

export function chunkData(payload: Record<string, unknown>): Buffer {
  const d = payload['data'];
  return typeof d === 'string' && d.length > 0 ? Buffer.from(d, 'utf8') : EMPTY;
}

export interface RelayError {
  message: string;
  /** The HTTP status the app reports, when it has one. */
  status?: number;
}

export function errorInfo(payload: Record<string, unknown>): RelayError {
  const m = payload['error'] ?? payload['message'];
  const message = typeof m === 'string' && m ? m.slice(0, 2000) : 'AI Studio relay reported an error';
  const s = payload['status'];
  const status = typeof s === 'number' && Number.isInteger(s) && s >= 400 && s <= 599 ? s : undefined;
  return { message, status };
}

const GRPC_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL', 502: 'UNAVAILABLE', 503: 'UNAVAILABLE', 504: 'DEADLINE_EXCEEDED',
};

/** An `error` frame with a status, as the Gemini error body an HTTP upstream would have sent. */
export function geminiErrorBody(err: RelayError & { status: number }): Buffer {
  return Buffer.from(JSON.stringify({ error: { code: err.status, message: err.message, status: GRPC_STATUS[err.status] ?? (err.status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION') } }));
}

/**
 * A whole (non-SSE) Gemini answer given to a request that asked for an SSE
 * stream: reframe it as SSE events so the stream pipeline reads it like any other.
 */
export function asSse(body: Buffer): Buffer {
  const text = body.toString('utf8').trim();
  if (text === '' || text.startsWith('data:') || text.startsWith('event:') || text.startsWith(':')) return body;
  // An app's body is untrusted: one nested too deep to re-serialise must not escape the socket callback.
  try {
    const value: unknown = JSON.parse(text);
    const items = Array.isArray(value) ? value : [value];
    return Buffer.from(items.map((v) => `data: ${JSON.stringify(v)}\r\n\r\n`).join(''));
  } catch {
    return body;
  }
}

const EMPTY = Buffer.alloc(0);
