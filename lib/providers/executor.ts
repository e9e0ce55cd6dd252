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
  action: UpstreamAction;
}

export interface ProviderExecutor {
  readonly kind: ProviderKind;
  /** The wire format this upstream speaks. */
  readonly format: FormatName;
  /** How the upstream frames streamed answers. */
  readonly framing: 'sse' | 'json-array';
  buildRequest(input: ExecuteInput): UpstreamRequest;
}
