// The non-HTTP transport the aistudio executor puts on its requests: find the
// live relay connection behind a credential and run the call over it. The
// registry is process-wide; connection ids are random, so several gateways in
// one process never collide.
import type { UpstreamCall, UpstreamRequest, UpstreamSink } from '../providers/upstream.js';
import { RelayGoneError, type RelaySession } from './session.js';

const live = new Map<string, RelaySession>();

export function registerSession(session: RelaySession): void {
  live.set(session.id, session);
}

export function unregisterSession(session: RelaySession): void {
  if (live.get(session.id) === session) live.delete(session.id);
}

export type Transport = NonNullable<UpstreamRequest['transport']>;

export function relayTransport(credentialId: string): Transport {
  return (req: UpstreamRequest, sink: UpstreamSink): UpstreamCall => {
    const session = live.get(credentialId);
    if (session) return session.call(req, sink);
    // Picked from a runtime built before the app disconnected.
    let aborted = false;
    queueMicrotask(() => {
      if (!aborted) sink.onError(new RelayGoneError('AI Studio relay connection is gone'));
    });
    return {
      abort: () => {
        aborted = true;
      },
      pause() {},
      resume() {},
    };
  };
}
