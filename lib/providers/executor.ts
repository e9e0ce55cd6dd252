// What every upstream executor provides: how to address its API for a model.
// Executors know URLs, headers and auth; they never see the client's format,
// and never parse the body they are handed: what the body needs for this
// credential is the executor's `patch`, applied before the body's one
// serialisation (see patch.ts).
import type { FormatName } from '../../pipelines/ir.js';
import type { Credential, ProviderKind } from '../routing/credentials.js';
import type { BodyPatch, UpstreamAction } from './patch.js';
import type { UpstreamRequest } from './upstream.js';

export type { BodyPatch, PatchContext, PatchResult, UpstreamAction } from './patch.js';

export interface ExecuteInput {
  credential: Credential;
  upstreamModel: string;
  /** The already-encoded upstream body, this executor's patch already applied. */
  body: string | Buffer;
  stream: boolean;
  /** Gemini: stream as SSE (alt=sse, the default) or as a JSON array. */
  upstreamSse?: boolean;
  action: UpstreamAction;
  /** Headers the client sent (lower-case), for the few an upstream honours (anthropic-beta). */
  clientHeaders?: Record<string, string>;
  /** Headers this executor's patch derived from the body (PatchResult.headers). */
  patchHeaders?: Record<string, string>;
}

export interface ProviderExecutor {
  readonly kind: ProviderKind;
  /** The wire format this upstream speaks. */
  readonly format: FormatName;
  /** How the gateway asks this upstream to frame a stream it translates
   *  (same-format streams keep the client's framing). */
  readonly framing: 'sse' | 'json-array';
  /** The upstream answers only as a stream (Codex): non-stream clients get it folded. */
  readonly alwaysStreams?: boolean;
  /** Credential-specific body changes; the same object patches.ts registers for workers. */
  readonly patch?: BodyPatch;
  buildRequest(input: ExecuteInput): UpstreamRequest;
}
