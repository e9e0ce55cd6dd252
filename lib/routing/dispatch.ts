// Run one client request over the credentials that serve its model: pick,
// try, and on a retryable failure rotate to the next credential — only ever
// before the first byte went to the client.
import type { FormatName, IRUsage } from '../../pipelines/ir.js';
import { sendError, sendUpstreamError } from '../api/errors.js';
import type { Config } from '../config/types.js';
import { log } from '../logging/logger.js';
import type { ProviderExecutor, UpstreamAction } from '../providers/executor.js';
import { executorFor } from '../providers/index.js';
import type { Exchange } from '../server/exchange.js';
import { runAttempt, type AttemptResult, type ResponseShaper } from './attempt.js';
import type { Cooldowns } from './cooldown.js';
import type { Credential } from './credentials.js';
import { previewFallbacks } from './quota.js';
import type { Target } from './registry.js';
import { resetHintMs } from './reset-hints.js';
import type { Selector } from './selector.js';

/** Statuses that move a request on to the next credential (request-retry). */
const RETRY_STATUS = new Set([403, 408, 500, 502, 503, 504]);

/** How long an account fault (401, 402, a banned OAuth account's 403) keeps a credential out. */
const SUSPEND_MS = 30 * 60_000;

export interface RoutingServices {
  selector: Selector;
  cooldowns: Cooldowns;
  /** Hears account faults (the auth store refreshes a token after a 401). */
  onCredentialFailure?: (credential: Credential, status: number) => void;
  /** Hears every finished request (usage statistics, metrics). */
  observe?: (record: RequestRecord) => void;
  /** A streamed answer started going out; the returned function is called when it ends. */
  streamStarted?: (provider: string, model: string) => () => void;
}

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

/** What the API layer hands to the dispatcher. */
export interface RoutedRequest {
  ex: Exchange;
  inbound: FormatName;
  model: string;
  stream: boolean;
  action: UpstreamAction;
  targets: Target[];
  /** Encode the upstream body for this target and its upstream's format. */
  prepare(target: Target, executor: ProviderExecutor): Prepared | Promise<Prepared>;
  /** Client headers an upstream may honour (anthropic-beta, anthropic-version). */
  clientHeaders?: Record<string, string>;
}

export interface Prepared {
  body: string | Buffer;
  shaper: ResponseShaper;
  /** Ask the upstream for a stream (true for streaming clients and always-streaming upstreams). */
  upstreamStream: boolean;
  /** Gemini upstreams: SSE (alt=sse) or a JSON array stream. Default SSE. */
  upstreamSse?: boolean;
}

export async function dispatch(cfg: Config, svc: RoutingServices, rr: RoutedRequest): Promise<void> {
  const { ex, targets, model } = rr;
  const tried = new Set<string>();
  const cooling = !cfg.disableCooling;
  let retriesLeft = cfg.requestRetry;
  let last: AttemptResult | undefined;
  let lastFormat: FormatName = rr.inbound;
  let lastTarget: Target | undefined;
  /** A quota fallback on the same credential (a preview model) to try before rotating. */
  let fallback: Target | undefined;
  const triedModels = new Set<string>();

  for (;;) {
    if (ex.aborted) return;
    const target = fallback ?? svc.selector.pick(model, targets, tried, cfg.routing.strategy, cooling);
    fallback = undefined;
    if (!target) break;
    const cred = target.credential;
    lastTarget = target;
    tried.add(cred.id);
    triedModels.add(`${cred.id}|${target.upstreamModel}`);
    const executor = executorFor(cred.provider);
    if (!executor) {
      log.error({ provider: cred.provider }, 'no executor for provider');
      continue;
    }
    let prepared: Prepared;
    try {
      prepared = await rr.prepare(target, executor);
    } catch (err) {
      const status = (err as { status?: number }).status ?? 500;
      if (ex.aborted) return;
      return sendError(ex, rr.inbound, status, (err as Error).message);
    }
    const request = executor.buildRequest({
      credential: cred,
      upstreamModel: target.upstreamModel,
      body: prepared.body,
      stream: prepared.upstreamStream,
      upstreamSse: prepared.upstreamSse,
      action: rr.action,
      clientHeaders: rr.clientHeaders,
    });
    let streamEnded: (() => void) | undefined;
    const result = await runAttempt({
      ex,
      request,
      stream: rr.stream,
      shaper: prepared.shaper,
      keepAliveMs: cfg.streamKeepAliveSeconds * 1000,
      onCommit: rr.stream && svc.streamStarted ? () => (streamEnded = svc.streamStarted!(cred.provider, rr.model)) : undefined,
    });
    streamEnded?.();
    if (result.kind === 'aborted') return observe(svc, rr, 499, target, undefined);
    if (result.kind === 'done') return observe(svc, rr, result.streamFailed ? 502 : result.status, target, prepared.shaper);
    last = result;
    lastFormat = executor.format;

    if (result.kind === 'http-error' && result.status === 429) {
      if (cooling) {
        const until = svc.cooldowns.cool(cred.id, target.upstreamModel, resetHintMs(executor.format, result.headers, result.body, svc.cooldowns.now()));
        log.info({ credential: cred.label, model: target.upstreamModel, until: new Date(until).toISOString() }, 'credential cooling down after 429');
      }
      // switch-project off: the account's other projects sit this request out.
      if (!cfg.quotaExceeded.switchProject && cred.group) for (const t of targets) if (t.credential.group === cred.group) tried.add(t.credential.id);
      // switch-preview-model: the same account may still have quota on a preview variant.
      if (cfg.quotaExceeded.switchPreviewModel && (cred.provider === 'gemini' || cred.provider === 'gemini-cli')) {
        const next = previewFallbacks(target.upstreamModel).find(
          (m) => !triedModels.has(`${cred.id}|${m}`) && !(cooling && svc.cooldowns.remaining(cred.id, m) > 0),
        );
        if (next) fallback = { credential: cred, upstreamModel: next };
      }
      continue; // a rate-limited key says nothing about the others: rotate freely
    }
    if (result.kind === 'http-error' && (result.status === 401 || result.status === 402)) {
      // The account itself is at fault (bad or expired token, unpaid): out of rotation
      // until its token is refreshed or its file or config changes; rotate freely.
      svc.cooldowns.suspend(cred.id, SUSPEND_MS, result.status === 401 ? 'unauthorized' : 'payment required');
      log.warn({ credential: cred.label, status: result.status }, 'credential suspended after an account error');
      svc.onCredentialFailure?.(cred, result.status);
      continue;
    }
    if (result.kind === 'http-error' && result.status === 403 && cred.accessToken) {
      // An OAuth account refused a model (banned, no access): keep it off that model for a while.
      svc.cooldowns.suspend(cred.id, SUSPEND_MS, 'forbidden', target.upstreamModel);
      svc.onCredentialFailure?.(cred, 403);
    }
    if (result.kind === 'network-error' && result.gone) {
      log.warn({ credential: cred.label, model: target.upstreamModel, error: result.message }, 'credential went away, trying next credential');
      continue; // the credential no longer exists (relay socket closed): nothing reached the client, rotate freely
    }
    const retryable = result.kind === 'network-error' || RETRY_STATUS.has(result.status);
    log.warn(
      { credential: cred.label, model: target.upstreamModel, status: result.kind === 'http-error' ? result.status : undefined, error: result.kind === 'network-error' ? result.message : undefined },
      retryable && retriesLeft > 0 ? 'upstream failed, trying next credential' : 'upstream failed',
    );
    if (!retryable || retriesLeft <= 0) break;
    retriesLeft--;
  }

  if (ex.aborted) return observe(svc, rr, 499, lastTarget, undefined);
  let status: number;
  if (last?.kind === 'http-error' && !(last.status === 429 && cooling && svc.selector.soonestReset(targets) > 0)) {
    status = last.status;
    sendUpstreamError(ex, rr.inbound, last.status, last.body, lastFormat);
  } else if (last?.kind === 'network-error') {
    status = 502;
    sendError(ex, rr.inbound, 502, `upstream unreachable: ${last.message}`);
  } else {
    const waitMs = svc.selector.soonestReset(targets);
    status = waitMs > 0 ? 429 : 503;
    if (waitMs > 0) sendCooldown(ex, model, waitMs, svc.cooldowns.now());
    else sendError(ex, rr.inbound, 503, `no available credential for model ${model}`);
  }
  observe(svc, rr, status, lastTarget, undefined);
}

function observe(svc: RoutingServices, rr: RoutedRequest, status: number, target: Target | undefined, shaper: ResponseShaper | undefined): void {
  if (!svc.observe) return;
  const path = rr.ex.url;
  svc.observe({
    api: `${rr.ex.method} ${path}`,
    model: rr.model,
    provider: target?.credential.provider,
    credentialId: target?.credential.id,
    credentialLabel: target?.credential.label,
    status,
    ok: status >= 200 && status < 400,
    stream: rr.stream,
    latencyMs: performance.now() - rr.ex.startedAt,
    usage: (parse = true) => shaper?.usage?.(parse),
  });
}

function sendCooldown(ex: Exchange, model: string, waitMs: number, now: number): void {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  const reset = new Date(now + waitMs).toISOString();
  ex.json(
    429,
    {
      error: {
        code: 'model_cooldown',
        message: `All credentials for model ${model} are cooling down; retry after ${seconds}s`,
        model,
        reset_time: reset,
        reset_seconds: seconds,
      },
    },
    { 'retry-after': String(seconds) },
  );
}
