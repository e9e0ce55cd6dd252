// The types the request path shares across its stages (api → routing →
// provider → pipeline → writer), in one leaf module: it imports types only,
// and nothing it imports leads back here, so any layer may use it.
import type { FormatName, IRUsage } from '../../pipelines/ir.js';
import type { ProviderExecutor, UpstreamAction } from '../providers/executor.js';
import type { UpstreamCall, UpstreamRequest, UpstreamSink } from '../providers/upstream.js';
import type { Exchange } from '../server/exchange.js';
import type { Cooldowns } from './cooldown.js';
import type { Credential } from './credentials.js';
import type { Target } from './registry.js';
import type { Selector } from './selector.js';

/** How an upstream answer becomes the client's answer (passthrough or translated). */
export interface ResponseShaper {
  /** Content type of the streamed answer. */
  streamContentType: string;
  /** Whether the client stream is SSE (keep-alive comments allowed). */
  sse: boolean;
  /** Upstream stream bytes → client bytes (may be empty). */
  chunk(data: Buffer): string | Buffer;
  /** Upstream ended cleanly: the client stream's closing bytes. */
  end(): string | Buffer;
  /** Upstream broke mid-stream: a final error event in the client's format. */
  streamError(message: string): string;
  /** After end(): the stream closed with an error event (the upstream stopped
   *  before its end marker, or sent an error) — a failure, not a success. */
  failed?(): boolean;
  /** Token usage the answer reported, once it is complete (undefined when
   *  unknown). With parse=false only what is known without parsing the answer. */
  usage?(parse?: boolean): IRUsage | undefined;
  /** A whole non-stream upstream body → client status and body. */
  whole(status: number, body: Buffer, contentType: string | undefined): { status: number; body: string | Buffer; contentType: string };
}

/** The upstream body for one target, and how its answer is shaped. */
export interface Prepared {
  body: string | Buffer;
  shaper: ResponseShaper;
  /** Ask the upstream for a stream (true for streaming clients and always-streaming upstreams). */
  upstreamStream: boolean;
  /** Gemini upstreams: SSE (alt=sse) or a JSON array stream. Default SSE. */
  upstreamSse?: boolean;
  /** Headers the executor's body patch derived (passed on to buildRequest). */
  patchHeaders?: Record<string, string>;
}

/** How one try of one credential ended. */
export type AttemptResult =
  | { kind: 'done'; status: number; streamFailed?: boolean }
  | { kind: 'aborted' }
  | { kind: 'http-error'; status: number; body: string; headers: Record<string, string | string[] | undefined> }
  | { kind: 'network-error'; message: string; /** The credential itself vanished (a relay socket closed). */ gone?: boolean };

/** A try that failed before anything reached the client: the policy decides what follows. */
export type AttemptFailure = Extract<AttemptResult, { kind: 'http-error' | 'network-error' }>;

/** Sees one request's upstream calls (the request log): returns the sink to hand the transport. */
export interface UpstreamLog {
  record(req: UpstreamRequest, sink: UpstreamSink): UpstreamSink;
}

/** One client request on its way through the gateway. The api stage makes it
 *  from the exchange; routing, each attempt and the interceptors around each
 *  upstream call read it. */
export interface RequestContext {
  /** The client's exchange: its I/O, its state and its abort signal. */
  readonly ex: Exchange;
  /** The inbound body as the client sent it. */
  readonly body: Buffer;
  readonly inbound: FormatName;
  readonly model: string;
  readonly stream: boolean;
  readonly action: UpstreamAction;
  readonly targets: Target[];
  /** Encode the upstream body for this target and its upstream's format. */
  prepare(target: Target, executor: ProviderExecutor): Prepared | Promise<Prepared>;
  /** Client headers an upstream may honour (anthropic-beta, anthropic-version). */
  readonly clientHeaders?: Record<string, string>;
  /** This request's log, opened by the request-log interceptor at the first upstream call while request-log is on. */
  log?: UpstreamLog;
}

/** Send one upstream request for a request context; the sink hears exactly one of onEnd/onError. */
export type UpstreamSend = (ctx: RequestContext, req: UpstreamRequest, sink: UpstreamSink) => UpstreamCall;

/** Wraps the upstream send, as undici's interceptors wrap dispatch; composed when the gateway is built. */
export type UpstreamInterceptor = (next: UpstreamSend) => UpstreamSend;

/** What the gateway answers when routing did not answer itself; the api stage writes it in the client's format. */
export type Reply =
  | { kind: 'error'; status: number; message: string }
  /** An upstream's own error answer, reshaped from its format. */
  | { kind: 'upstream-error'; status: number; body: string; format: FormatName; /** The upstream's Retry-After header, in seconds. */ retryAfterSeconds?: number }
  /** Every credential for the model is cooling: when the soonest is usable again. */
  | { kind: 'cooldown'; model: string; waitMs: number; now: number };

/** One finished request, as usage statistics and metrics see it. */
export interface RequestRecord {
  /** "POST /v1/chat/completions" */
  api: string;
  model: string;
  provider?: string;
  credentialId?: string;
  credentialLabel?: string;
  status: number;
  ok: boolean;
  stream: boolean;
  latencyMs: number;
  /** Reads the answer's token usage; parse=false returns only what is known
   *  without parsing a piped answer (cheap, for metrics). */
  usage: (parse?: boolean) => IRUsage | undefined;
}

/** Hears finished requests and open streams (usage statistics, metrics). */
export interface RequestObserver {
  observe(record: RequestRecord): void;
  /** A streamed answer started going out; the returned function is called once when it ends. */
  streamStarted(provider: string, model: string): () => void;
}

/** Hears account faults of a credential (its source refreshes a token after a 401). */
export type CredentialFeedback = (credential: Credential, status: number) => void;

/** What routing works with, complete from the moment the gateway is built. */
export interface RoutingServices {
  readonly selector: Selector;
  /** Live credential state (cooldowns, suspensions); outlives config reloads. */
  readonly cooldowns: Cooldowns;
  /** One upstream call, through the interceptors the gateway was built with. */
  readonly send: UpstreamSend;
  readonly observer?: RequestObserver;
  readonly feedback?: CredentialFeedback;
}
