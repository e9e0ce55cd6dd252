// The pipelines entry point: the codec registry, and everything lib/ and
// workers/ use from the translation layer.
import type { FormatCodec } from './codec.js';
import type { FormatName, IRRequest } from './ir.js';
import { createTranslateStream, translateResponse, type Framing, type TranslatedResponse } from './transform.js';
import type { Transform } from 'node:stream';
// Each format folder: one import here and one entry in CODECS below.
// (Static imports rather than a top-level-await loop: TLA breaks any consumer
// that loads this module through require, tsx's CJS path included.)
import { codec as openaiChat } from './formats/openai-chat/index.js';
import { codec as claude } from './formats/claude/index.js';
import { codec as gemini } from './formats/gemini/index.js';
import { codec as geminiCli } from './formats/gemini-cli/index.js';
import { codec as openaiResponses } from './formats/openai-responses/index.js';
import { codec as codex } from './formats/codex/index.js';
import { codec as openaiCompletions } from './formats/openai-completions/index.js';

const CODECS: readonly FormatCodec[] = [openaiChat, claude, gemini, geminiCli, openaiResponses, codex, openaiCompletions];

const registry = new Map<FormatName, FormatCodec>();
for (const c of CODECS) registry.set(c.name, c);

export function getCodec(name: FormatName): FormatCodec {
  const c = registry.get(name);
  if (!c) throw new Error(`no codec for format '${name}'`);
  return c;
}

export function hasCodec(name: FormatName): boolean {
  return registry.has(name);
}

export function codecNames(): FormatName[] {
  return [...registry.keys()];
}

export interface Composed {
  inbound: FormatCodec;
  upstream: FormatCodec;
  /** Client body → IR and the upstream body built from it. */
  request(body: unknown): { req: IRRequest; body: Record<string, unknown> };
  /** Upstream non-stream body → the client's body (or its error shape). */
  response(upstreamBody: unknown, req: IRRequest): TranslatedResponse;
  /** Upstream stream bytes → client stream text. */
  stream(req: IRRequest, framing: Framing, opts?: { sse?: boolean; strings?: boolean }): Transform;
  /** Upstream error body → the client's error status and body. */
  error(status: number, upstreamBody: string): { status: number; body: unknown };
}

/** The translation between one inbound and one upstream format. */
export function compose(inboundName: FormatName, upstreamName: FormatName): Composed {
  const inbound = getCodec(inboundName);
  const upstream = getCodec(upstreamName);
  return {
    inbound,
    upstream,
    request(body) {
      const req = inbound.decodeRequest(body);
      return { req, body: upstream.encodeRequest(req) };
    },
    response: (upstreamBody, req) => translateResponse(upstream, inbound, upstreamBody, req),
    stream: (req, framing, opts) => createTranslateStream({ upstream, inbound, req, framing, ...opts }),
    error: (status, upstreamBody) => inbound.encodeError(upstream.decodeError(status, upstreamBody)),
  };
}

export * from './ir.js';
export type * from './codec.js';
export * from './reasoning.js';
export * from './sse.js';
export * from './fold.js';
export * from './transform.js';
