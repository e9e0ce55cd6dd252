// What a management handler works with, and how handlers are registered.
// Its own module so the handlers and the router that calls them do not
// import each other.
import type { Exchange } from '../../server/exchange.js';
import type { Management } from '../service.js';

/** What a handler works with. */
export interface Ctx {
  m: Management;
  ex: Exchange;
  /** The raw request body. */
  body(): Promise<Buffer>;
  /** The body as JSON, or undefined when it is not JSON. */
  json(): Promise<unknown>;
  query(name: string): string | undefined;
  reply(status: number, body: unknown): void;
  /** 200 {"status":"ok"} */
  ok(extra?: Record<string, unknown>): void;
}

export type Handler = (c: Ctx) => Promise<void> | void;
export type Register = (method: 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE', path: string, handler: Handler) => void;
