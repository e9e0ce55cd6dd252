// Run one client request over the credentials that serve its model: pick,
// try, and on a failure do what the policy (policy.ts) decides — only ever
// before the first byte went to the client. What is answered when nothing
// served comes back as a Reply for the api stage to write in its format.
import type { FormatName } from '../../pipelines/ir.js';
import type { Config } from '../config/types.js';
import { log } from '../logging/logger.js';
import { executorFor } from '../providers/index.js';
import type { Exchange } from '../server/exchange.js';
import { runAttempt } from './attempt.js';
import { classify, cooldownWait, finalReply, replyStatus, type Decision } from './policy.js';
import type { Target } from './registry.js';
import type { AttemptFailure, AttemptResult, Prepared, Reply, RequestContext, ResponseShaper, RoutingServices } from './types.js';

/** Timers may fire a little before the clock the cooldowns read has moved on. */
const COOLDOWN_SLACK_MS = 20;

export async function dispatch(cfg: Config, svc: RoutingServices, ctx: RequestContext): Promise<Reply | undefined> {
  const { ex, targets, model } = ctx;
  ex.beginDispatch();
  const cooling = !cfg.disableCooling;
  const tried = new Set<string>();
  const triedModels = new Set<string>();
  const pick = () => svc.selector.pick(model, targets, tried, cfg.routing.strategy, cooling);
  let retriesLeft = cfg.requestRetry;
  let sameRetries = 0;
  let waitedMs = 0;
  let last: AttemptFailure | undefined;
  let lastFormat: FormatName = ctx.inbound;
  let lastTarget: Target | undefined;
  let target = pick();

  for (;;) {
    if (ex.aborted) return finished(svc, ctx, 499, lastTarget);
    if (!target) {
      // Every credential is tried, cooling or out: wait for the soonest when the policy allows.
      const wait = cooldownWait(cooling ? svc.selector.soonestReset(targets) : 0, waitedMs, retriesLeft, cfg);
      if (wait === undefined) break;
      log.info({ model, waitMs: wait }, 'every credential is cooling down: waiting for the soonest');
      await pause(ex, wait + COOLDOWN_SLACK_MS);
      waitedMs += wait;
      retriesLeft--;
      tried.clear(); // a new round
      target = pick();
      continue;
    }
    const cred = target.credential;
    lastTarget = target;
    tried.add(cred.id);
    triedModels.add(`${cred.id}|${target.upstreamModel}`);
    const tryResult = await tryTarget(cfg, svc, ctx, target);
    if (tryResult === undefined) {
      target = pick(); // no executor for the provider (logged)
      continue;
    }
    if ('kind' in tryResult) return ex.aborted ? undefined : tryResult; // the body could not be prepared
    const { result, format, shaper } = tryResult;
    if (result.kind === 'aborted') return finished(svc, ctx, 499, target);
    if (result.kind === 'done') return finished(svc, ctx, result.streamFailed ? 502 : result.status, target, shaper);
    last = result;
    lastFormat = format;

    const decision = classify(
      {
        outcome: result,
        credential: cred,
        model: target.upstreamModel,
        format,
        retriesLeft,
        sameRetries,
        ...alternatives(svc, targets, tried, cred.id, cooling),
        fresh: (m) => !triedModels.has(`${cred.id}|${m}`) && !(cooling && svc.cooldowns.remaining(cred.id, m) > 0),
        now: svc.cooldowns.now(),
      },
      cfg,
    );
    recordDecision(svc, target, result, decision);
    if (decision.benchGroup) for (const t of targets) if (t.credential.group === decision.benchGroup) tried.add(t.credential.id);
    if (decision.spendsRetry) retriesLeft--;
    const next = decision.next;
    if (next.kind === 'stop') break;
    if (next.kind === 'retry') {
      sameRetries++;
      await pause(ex, next.delayMs);
    } else {
      target = next.kind === 'fallback' ? { credential: cred, upstreamModel: next.model } : pick();
    }
  }

  if (ex.aborted) return finished(svc, ctx, 499, lastTarget);
  const reply = finalReply(last, lastFormat, cooling ? svc.selector.soonestReset(targets) : 0, model, svc.cooldowns.now());
  finished(svc, ctx, replyStatus(reply), lastTarget);
  return reply;
}

/** One try of one target: its body, its upstream request, its answer. undefined: no executor. */
async function tryTarget(
  cfg: Config,
  svc: RoutingServices,
  ctx: RequestContext,
  target: Target,
): Promise<{ result: AttemptResult; format: FormatName; shaper: ResponseShaper } | Reply | undefined> {
  const cred = target.credential;
  const executor = executorFor(cred.provider);
  if (!executor) {
    log.error({ provider: cred.provider }, 'no executor for provider');
    return undefined;
  }
  let prepared: Prepared;
  try {
    prepared = await ctx.prepare(target, executor);
  } catch (err) {
    return { kind: 'error', status: (err as { status?: number }).status ?? 500, message: (err as Error).message };
  }
  const request = executor.buildRequest({
    credential: cred,
    upstreamModel: target.upstreamModel,
    body: prepared.body,
    stream: prepared.upstreamStream,
    upstreamSse: prepared.upstreamSse,
    action: ctx.action,
    clientHeaders: ctx.clientHeaders,
    patchHeaders: prepared.patchHeaders,
  });
  let streamEnded: (() => void) | undefined;
  const observer = svc.observer;
  const result = await runAttempt({
    ctx,
    request,
    send: svc.send,
    shaper: prepared.shaper,
    keepAliveMs: cfg.streamKeepAliveSeconds * 1000,
    onCommit: ctx.stream && observer ? () => (streamEnded = observer.streamStarted(cred.provider, ctx.model)) : undefined,
  });
  streamEnded?.();
  return { result, format: executor.format, shaper: prepared.shaper };
}

/** Whether another credential could take the request: one not tried yet, or any at all. */
function alternatives(svc: RoutingServices, targets: Target[], tried: ReadonlySet<string>, current: string, cooling: boolean): { canRotate: boolean; alone: boolean } {
  let canRotate = false;
  let alone = true;
  for (const t of targets) {
    const id = t.credential.id;
    if (id === current || !svc.selector.usable(t, cooling)) continue;
    alone = false;
    if (!tried.has(id)) canRotate = true;
  }
  return { canRotate, alone };
}

/** Carry out what the decision records (cooldown, suspension, word to the source), and log it. */
function recordDecision(svc: RoutingServices, target: Target, failure: AttemptFailure, d: Decision): void {
  const cred = target.credential;
  const status = failure.kind === 'http-error' ? failure.status : undefined;
  if (d.cool) {
    const until = svc.cooldowns.cool(cred.id, d.cool.model, d.cool.ms);
    log.info({ credential: cred.label, model: d.cool.model, until: new Date(until).toISOString() }, 'credential cooling down after 429');
  }
  if (d.suspend) {
    svc.cooldowns.suspend(cred.id, d.suspend.ms, d.suspend.reason, d.suspend.model);
    log.warn({ credential: cred.label, model: d.suspend.model, status }, `credential suspended: ${d.suspend.reason}`);
  }
  if (d.notify !== undefined) svc.feedback?.(cred, d.notify);
  if (status === 429) return; // logged with its cooldown
  const what = { credential: cred.label, model: target.upstreamModel, status, error: failure.kind === 'network-error' ? failure.message : undefined };
  log.warn(what, NEXT_TEXT[d.next.kind]);
}

const NEXT_TEXT: Record<Decision['next']['kind'], string> = {
  rotate: 'upstream failed, trying the next credential',
  retry: 'upstream failed, retrying the same credential',
  fallback: 'upstream failed, trying a fallback model on the same credential',
  stop: 'upstream failed',
};

function finished(svc: RoutingServices, ctx: RequestContext, status: number, target: Target | undefined, shaper?: ResponseShaper): undefined {
  const observer = svc.observer;
  if (!observer) return undefined;
  const ex = ctx.ex;
  observer.observe({
    api: `${ex.method} ${ex.url}`,
    model: ctx.model,
    provider: target?.credential.provider,
    credentialId: target?.credential.id,
    credentialLabel: target?.credential.label,
    status,
    ok: status >= 200 && status < 400,
    stream: ctx.stream,
    latencyMs: performance.now() - ex.startedAt,
    usage: (parse = true) => shaper?.usage?.(parse),
  });
  return undefined;
}

/** Wait `ms`, or less if the client goes away. */
function pause(ex: Exchange, ms: number): Promise<void> {
  if (ex.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      off();
      resolve();
    };
    const timer = setTimeout(done, ms);
    const off = ex.onAbort(done);
  });
}
