// What every upstream executor provides: how to address its API for a model.
// Executors know URLs, headers and auth; they never see the client's format.
import type { FormatName } from '../../pipelines/ir.js';
import type { Credential, ProviderKind } from '../routing/credentials.js';
import type { UpstreamRequest } from './upstream.js';

export type UpstreamAction = 'generate' | 'count-tokens';

export interface ExecuteInput {
  credential: Credential;
  upstreamModel: string;
  /** The already-encoded upstream body. */
  body: string | Buffer;
  stream: boolean;
  /** Gemini: stream as SSE (alt=sse, the default) or as a JSON array. */
  upstreamSse?: boolean;
  action: UpstreamAction;
  /** Headers the client sent (lower-case), for the few an upstream honours (anthropic-beta). */
  clientHeaders?: Record<string, string>;
}

export interface ProviderExecutor {
  readonly kind: ProviderKind;
  /** The wire format this upstream speaks. */
  readonly format: FormatName;
  /** How the upstream frames streamed answers. */
  readonly framing: 'sse' | 'json-array';
  /** The upstream answers only as a stream (Codex): non-stream clients get it folded. */
  readonly alwaysStreams?: boolean;
  buildRequest(input: ExecuteInput): UpstreamRequest;
}
