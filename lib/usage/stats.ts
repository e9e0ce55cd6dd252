// Usage statistics, as /v0/management/usage serves them: totals, per API
// route ("POST /v1/chat/completions") and model with one detail record per
// request, and per day and hour of day (hours fold all days). Day and hour
// are local time, like the reference. Models no registry lists count under
// "other" (see labels.ts). This class is one process's statistics; where
// they are kept over a restart is lib/usage/store.ts.
import type { IRUsage } from '../../pipelines/ir.js';
import { knownModel, OTHER, type KnownModel } from './labels.js';
import { Counts, DetailRings, composeSnapshot, MAX_DETAILS_PER_MODEL } from './tally.js';
import type { MergeResult, RequestDetail, TokenStats, UsageEvent, UsageSnapshot } from './types.js';

export type { ApiSnapshot, MergeResult, ModelSnapshot, RequestDetail, TokenStats, UsageEvent, UsageSnapshot } from './types.js';
export { MAX_DETAILS_PER_MODEL };

/** "POST /v1beta/models/gemini-2.5-pro:streamGenerateContent" → "POST /v1beta/models/:action":
 *  statistics and metric labels are per route, not per URL. */
export function routeOf(api: string): string {
  return api.replace(/^(\w+) \/v1beta\/models\/[^/?]+$/, '$1 /v1beta/models/:action');
}

/** Models kept per API; more count under "other". */
export const MAX_MODELS_PER_API = 500;
/** APIs kept (routes are fixed; a guard, not a limit honest traffic meets). */
export const MAX_APIS = 100;

export function tokenStats(u: IRUsage | undefined): TokenStats {
  const input = u?.inputTokens ?? 0;
  const output = u?.outputTokens ?? 0;
  return {
    input_tokens: input,
    output_tokens: output,
    reasoning_tokens: u?.reasoningTokens ?? 0,
    cached_tokens: u?.cachedTokens ?? 0,
    total_tokens: u?.totalTokens || input + output,
  };
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

export function dayKey(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function hourKey(d: Date): string {
  return pad(d.getHours());
}

/** One request as it is counted: bucket names decided, detail built. */
export interface CountedRequest {
  api: string;
  model: string;
  day: string;
  hour: string;
  detail: RequestDetail;
}

export function detailOf(e: UsageEvent, now: number): RequestDetail {
  const d: RequestDetail = { timestamp: new Date(e.at ?? now).toISOString(), source: e.source ?? '', tokens: tokenStats(e.usage), failed: !e.ok };
  if (e.latencyMs !== undefined) d.latency_ms = Math.max(0, Math.round(e.latencyMs));
  return d;
}

/** A detail's place in time (local day and hour); an unreadable timestamp counts now. */
export function counted(api: string, model: string, detail: RequestDetail, now: number): CountedRequest {
  let at = new Date(detail.timestamp);
  if (Number.isNaN(at.getTime())) at = new Date(now);
  return { api, model, day: dayKey(at), hour: hourKey(at), detail };
}

/**
 * Bucket names under the caps: at most MAX_APIS APIs and MAX_MODELS_PER_API
 * models per API; the rest, and (for live traffic) models no registry
 * lists, count under OTHER.
 */
export class Buckets {
  private readonly modelsPerApi = new Map<string, Set<string>>();

  constructor(private readonly known: KnownModel = knownModel) {}

  name(api: string, model: string, checkKnown = true): [string, string] {
    let models = this.modelsPerApi.get(api);
    if (!models) {
      if (this.modelsPerApi.size >= MAX_APIS) api = OTHER;
      models = this.modelsPerApi.get(api);
      if (!models) this.modelsPerApi.set(api, (models = new Set()));
    }
    model ||= 'unknown';
    if (!models.has(model)) {
      if (models.size >= MAX_MODELS_PER_API || (checkKnown && !this.known(model))) model = OTHER;
      models.add(model);
    }
    return [api, model];
  }
}

export class UsageStats {
  private counts = new Counts();
  private details = new DetailRings();
  private buckets: Buckets;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly known: KnownModel = knownModel,
  ) {
    this.buckets = new Buckets(known);
  }

  /** A live request: its bucket names and detail, counted here. */
  count(e: UsageEvent): CountedRequest {
    const [api, model] = this.buckets.name(e.api, e.model);
    const c = counted(api, model, detailOf(e, this.now()), this.now());
    this.add(c);
    return c;
  }

  record(e: UsageEvent): void {
    this.count(e);
  }

  add(c: CountedRequest): void {
    this.counts.add(c.api, c.model, c.day, c.hour, c.detail.failed, c.detail.tokens.total_tokens);
    this.details.push(c.api, c.model, c.detail);
  }

  /** Bucket names for imported or restored data (no registry check: not client input). */
  bucket(api: string, model: string): [string, string] {
    return this.buckets.name(api, model, false);
  }

  snapshot(): UsageSnapshot {
    return composeSnapshot([this.counts], [this.details]);
  }

  /** The counters and details, for a snapshot composed with others. */
  parts(): { counts: Counts; details: DetailRings } {
    return { counts: this.counts, details: this.details };
  }

  /** Import: each detail is one request; those already here (same dedup key) are skipped. */
  merge(requests: Iterable<CountedRequest>, dedup: (c: CountedRequest) => string): MergeResult {
    const seen = new Set<string>();
    for (const [api, model, list] of this.details.entries()) for (const detail of list) seen.add(dedup({ api, model, day: '', hour: '', detail }));
    const r: MergeResult = { added: 0, skipped: 0 };
    for (const c of requests) {
      const [api, model] = this.bucket(c.api, c.model);
      const k = dedup({ ...c, api, model });
      if (seen.has(k)) {
        r.skipped++;
        continue;
      }
      seen.add(k);
      this.add({ ...c, api, model });
      r.added++;
    }
    return r;
  }

  /**
   * Restore a saved snapshot exactly (the file store at start-up): counters
   * from its totals, which go on past the details kept; days and hours as
   * saved. The saved file is our own, so its totals are trusted.
   */
  load(s: UsageSnapshot): void {
    const counts = new Counts();
    const details = new DetailRings();
    for (const [apiName, a] of Object.entries(s.apis)) {
      for (const [modelName, m] of Object.entries(a.models)) {
        const [api, model] = this.bucket(apiName, modelName);
        const failures = m.details.filter((d) => d.failed).length;
        const mc = counts.models.get(`${api}\u0000${model}`);
        if (mc) {
          mc.requests += m.total_requests;
          mc.tokens += m.total_tokens;
          mc.failures += failures;
        } else counts.models.set(`${api}\u0000${model}`, { requests: m.total_requests, failures, tokens: m.total_tokens });
        for (const d of m.details) details.push(api, model, d);
      }
    }
    // Failures older than the details kept: the snapshot's total says how many.
    let seenFailures = 0;
    for (const c of counts.models.values()) seenFailures += c.failures;
    const missing = s.failure_count - seenFailures;
    if (missing > 0) {
      const first = counts.models.values().next();
      if (!first.done) first.value.failures += missing;
    }
    for (const [day, n] of Object.entries(s.requests_by_day)) counts.days.set(day, { requests: n, failures: 0, tokens: s.tokens_by_day[day] ?? 0 });
    for (const [hour, n] of Object.entries(s.requests_by_hour)) counts.hours.set(hour, { requests: n, failures: 0, tokens: s.tokens_by_hour[hour] ?? 0 });
    this.counts = counts;
    this.details = details;
  }
}
