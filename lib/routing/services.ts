// Build the routing services of one gateway: the live credential state and
// the upstream send wrapped by its interceptors, all given up front.
import { callUpstream } from '../providers/upstream.js';
import { Cooldowns } from './cooldown.js';
import { Selector } from './selector.js';
import type { CredentialFeedback, RequestObserver, RoutingServices, UpstreamInterceptor, UpstreamSend } from './types.js';

export interface RoutingOptions {
  /** Clock for cooldowns (tests). */
  now?: () => number;
  /** Wrap every upstream call, outermost first (the request log). */
  interceptors?: UpstreamInterceptor[];
  /** Usage statistics and metrics. */
  observer?: RequestObserver;
  /** Account faults go back to the credential's source (401 → token refresh). */
  feedback?: CredentialFeedback;
}

/** The innermost send: a request's own transport (the AI Studio relay) or HTTP through undici. */
export const sendUpstream: UpstreamSend = (_ctx, req, sink) => (req.transport ?? callUpstream)(req, sink);

export function composeSend(interceptors: readonly UpstreamInterceptor[], base: UpstreamSend = sendUpstream): UpstreamSend {
  return interceptors.reduceRight((next, intercept) => intercept(next), base);
}

export function createRoutingServices(opts: RoutingOptions = {}): RoutingServices {
  const cooldowns = new Cooldowns(opts.now);
  return {
    cooldowns,
    selector: new Selector(cooldowns),
    send: composeSend(opts.interceptors ?? []),
    observer: opts.observer,
    feedback: opts.feedback,
  };
}
