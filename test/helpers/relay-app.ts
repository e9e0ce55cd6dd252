// A simulated AI Studio app for tests: connects to the gateway's /v1/ws with
// the `ws` client and answers http_request frames through a handler:
//   geminiEcho        produces Gemini answers itself ("echo: <last user text>",
//                     SSE in 3 chunks when streamed, {totalTokens} for countTokens)
//   forwardTo(url)    executes the request against an HTTP server (the Gemini
//                     mock), as the browser would against Google, and relays the
//                     answer back (stream frames for streamGenerateContent)
//   silent            never answers
import WebSocket from 'ws';
import { waitFor } from './wait.js';

export interface HttpRequestFrame {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string[]>;
  body: string;
}

export type Handler = (req: HttpRequestFrame, app: SimulatedApp) => void | Promise<void>;

export interface ConnectOptions {
  handler?: Handler;
  /** Query string for the upgrade (e.g. "key=K"). */
  query?: string;
  headers?: Record<string, string>;
  /** false: never answer the gateway's pings (a dead app whose TCP connection is still up). */
  autoPong?: boolean;
}

export class SimulatedApp {
  /** Every http_request frame received, in order. */
  readonly requests: HttpRequestFrame[] = [];
  /** Every other frame received (pong, …). */
  readonly others: Array<{ id: string; type: string; payload?: unknown }> = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(
    readonly ws: WebSocket,
    public handler: Handler,
  ) {
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString());
      if (msg.type !== 'http_request') {
        this.others.push(msg);
        return;
      }
      const req: HttpRequestFrame = { id: msg.id, ...msg.payload };
      this.requests.push(req);
      Promise.resolve(this.handler(req, this)).catch((err) => this.error(req.id, String(err)));
    });
  }

  /** Connects and resolves once the gateway accepted the socket; rejects with the HTTP status when refused. */
  static connect(gatewayUrl: string, opts: ConnectOptions = {}): Promise<SimulatedApp> {
    const url = `${gatewayUrl.replace(/^http/, 'ws')}/v1/ws${opts.query ? `?${opts.query}` : ''}`;
    const ws = new WebSocket(url, { headers: opts.headers, autoPong: opts.autoPong ?? true });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new SimulatedApp(ws, opts.handler ?? geminiEcho)));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode, body })));
      });
      ws.once('error', reject);
    });
  }

  /** The refused upgrade's status and body; undefined when the app got in (it is closed again). */
  static async refusal(gatewayUrl: string, opts: ConnectOptions = {}): Promise<{ status?: number; body: string } | undefined> {
    return SimulatedApp.connect(gatewayUrl, opts).then(
      async (app) => {
        await app.close();
        return undefined;
      },
      (err: { status?: number; body?: string }) => ({ status: err.status, body: err.body ?? '' }),
    );
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }
  /** Resolves once the frame was written to the socket. */
  sendAndWait(frame: unknown): Promise<void> {
    return new Promise((resolve, reject) => this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame), (err) => (err ? reject(err) : resolve())));
  }
  respond(id: string, status: number, body: string, headers: Record<string, string[]> = { 'Content-Type': ['application/json'] }): void {
    this.send({ id, type: 'http_response', payload: { status, headers, body } });
  }
  start(id: string, status = 200, headers: Record<string, string[]> = { 'Content-Type': ['text/event-stream'] }): void {
    this.send({ id, type: 'stream_start', payload: { status, headers } });
  }
  chunk(id: string, data: string): void {
    this.send({ id, type: 'stream_chunk', payload: { data } });
  }
  end(id: string): void {
    this.send({ id, type: 'stream_end' });
  }
  error(id: string, message: string, status?: number): void {
    this.send({ id, type: 'error', payload: { error: message, ...(status ? { status } : {}) } });
  }
  close(): Promise<unknown> {
    this.ws.close();
    return this.closed;
  }
  /** Drop the TCP connection without a close frame. */
  kill(): Promise<unknown> {
    this.ws.terminate();
    return this.closed;
  }
}

/** The model and method of a relayed Gemini URL. */
export function parseGeminiUrl(url: string): { model: string; method: string; sse: boolean } {
  const u = new URL(url);
  const m = /\/models\/([^/:]+):(\w+)$/.exec(u.pathname);
  return { model: decodeURIComponent(m?.[1] ?? ''), method: m?.[2] ?? '', sse: u.searchParams.get('alt') === 'sse' };
}

export function lastUserText(body: any): string {
  const contents: any[] = Array.isArray(body?.contents) ? body.contents : [];
  for (let i = contents.length - 1; i >= 0; i--) {
    const c = contents[i];
    if ((c.role ?? 'user') !== 'user') continue;
    const t = (c.parts ?? []).map((p: any) => (typeof p.text === 'string' && !p.thought ? p.text : '')).join('');
    if (t) return t;
  }
  return '';
}

export const ECHO_USAGE = { promptTokenCount: 7, candidatesTokenCount: 5, totalTokenCount: 12 };

/** A Gemini GenerateContentResponse chunk. */
export function geminiChunk(text: string, last: boolean, model = 'gemini-2.5-flash'): Record<string, unknown> {
  return {
    candidates: [{ content: { role: 'model', parts: [{ text }] }, index: 0, ...(last ? { finishReason: 'STOP' } : {}) }],
    ...(last ? { usageMetadata: ECHO_USAGE } : {}),
    modelVersion: model,
    responseId: 'relay-test',
  };
}

/** Answers every request itself, as a Gemini backend would. */
export const geminiEcho: Handler = (req, app) => {
  const { model, method, sse } = parseGeminiUrl(req.url);
  const body = JSON.parse(req.body || '{}');
  if (method === 'countTokens') {
    const words = JSON.stringify(body.contents ?? body.generateContentRequest?.contents ?? []).split(/\s+/).length;
    return app.respond(req.id, 200, JSON.stringify({ totalTokens: words }));
  }
  const text = `echo: ${lastUserText(body)}`;
  if (method !== 'streamGenerateContent') return app.respond(req.id, 200, JSON.stringify(geminiChunk(text, true, model)));
  const pieces = [text.slice(0, 6), text.slice(6, 10), text.slice(10)];
  app.start(req.id);
  pieces.forEach((p, i) => {
    const c = geminiChunk(p, i === pieces.length - 1, model);
    app.chunk(req.id, sse ? `data: ${JSON.stringify(c)}\r\n\r\n` : `${i === 0 ? '[' : ','}${JSON.stringify(c)}${i === pieces.length - 1 ? ']' : ''}`);
  });
  app.end(req.id);
};

export const silent: Handler = () => {};

/** Executes each request against `origin` (replacing Google's), relaying the answer; `models` renames the URL's model. */
export function forwardTo(origin: string, models: Record<string, string> = {}): Handler {
  return async (req, app) => {
    const u = new URL(req.url);
    u.pathname = u.pathname.replace(/\/models\/([^/:]+):/, (_, m: string) => `/models/${models[decodeURIComponent(m)] ?? m}:`);
    const headers: Record<string, string> = { 'x-goog-api-key': 'browser-session' };
    for (const [k, v] of Object.entries(req.headers)) headers[k] = v.join(', ');
    const res = await fetch(`${origin}${u.pathname}${u.search}`, { method: req.method, headers, body: req.body });
    const resHeaders: Record<string, string[]> = {};
    res.headers.forEach((v, k) => (resHeaders[k] = [v]));
    if (!u.pathname.endsWith(':streamGenerateContent') || res.status >= 400) {
      return app.respond(req.id, res.status, await res.text(), resHeaders);
    }
    app.start(req.id, res.status, resHeaders);
    const decoder = new TextDecoder();
    for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
      const text = decoder.decode(part, { stream: true });
      if (text) app.chunk(req.id, text);
    }
    app.end(req.id);
  };
}

/** Polls until `cond` holds (every 10 ms, for `tries` polls' worth of time but at
 *  least 10 s: a slow answer on a loaded machine is not a failure); throws naming `what` otherwise. */
export async function until(what: string, cond: () => boolean | Promise<boolean>, tries = 200): Promise<void> {
  if (!(await waitFor(cond, { timeoutMs: Math.max(tries * 10, 10_000), everyMs: 10 }))) throw new Error(`timed out waiting for ${what}`);
}

/** Model ids /v1/models lists. */
export async function listedModels(gatewayUrl: string, key?: string): Promise<string[]> {
  const res = await fetch(`${gatewayUrl}/v1/models`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  const body = (await res.json()) as { data: Array<{ id: string }> };
  return body.data.map((m) => m.id);
}
