// The credential-specific changes an upstream needs in the request body
// (Claude Code's identity, Codex's prompt cache key, the Code Assist project,
// Qwen's stream tool, iFlow's placeholder) as pure functions over the body
// object. They run before the one serialisation — on the main thread, or in
// the translation worker for offloaded bodies — so no executor ever parses a
// body the gateway produced. Everything here must stay worker-safe: plain
// data in, plain data out, and no runtime import from the rest of lib/.
import type { Credential } from '../routing/credentials.js';

/** `compact`: POST /v1/responses/compact (the Codex backend has it; others get a generation). */
export type UpstreamAction = 'generate' | 'count-tokens' | 'compact';

/** What a patch may know about the attempt: plain data, so it crosses to a worker as is. */
export interface PatchContext {
  /** The credential is an OAuth token (not an API key). */
  oauth: boolean;
  /** The account's Google Cloud project (Gemini CLI); '' when none. */
  projectId: string;
  upstreamModel: string;
  action: UpstreamAction;
  /** The upstream is asked for a stream. */
  stream: boolean;
}

export interface PatchResult {
  /** The body was modified: a same-format body must then be re-serialised
   *  instead of sending the client's bytes. */
  changed: boolean;
  /** Headers the executor derives from the (patched) body — Codex's session
   *  and conversation ids from the cache key. */
  headers?: Record<string, string>;
}

export interface BodyPatch {
  /** Decided from the context alone, before any body is looked at: false
   *  means the body goes as it is (a piped body stays unparsed). */
  applies(ctx: PatchContext): boolean;
  /** Patch the body in place. Only top-level fields may be set or deleted —
   *  never a nested value in place: a same-format caller passes a shallow copy
   *  of the client's object, which the next credential tried reuses. */
  apply(body: Record<string, unknown>, ctx: PatchContext): PatchResult;
}

export const UNCHANGED: PatchResult = Object.freeze({ changed: false });

export function patchContext(credential: Credential, upstreamModel: string, action: UpstreamAction, stream: boolean): PatchContext {
  return { oauth: !!credential.accessToken, projectId: credential.projectId ?? '', upstreamModel, action, stream };
}
