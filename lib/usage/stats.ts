// In-memory usage statistics, as /v0/management/usage serves them: totals,
// per API route ("POST /v1/chat/completions") and model with one detail
// record per request, and per day and hour of day (hours fold all days).
// Day and hour are local time, like the reference. Resets on restart.
// Models no registry lists count under "other" (see labels.ts).
import type { IRUsage } from '../../pipelines/ir.js';
import { knownModel, OTHER, type KnownModel } from './labels.js';

export interface TokenStats {
  input_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
  cached_tokens: number;
  total_tokens: number;
}

export interface RequestDetail {
  timestamp: string;
  source: string;
  tokens: TokenStats;
  failed: boolean;
}

export interface ModelSnapshot {
  total_requests: number;
  total_tokens: number;
  details: RequestDetail[];
}

export interface ApiSnapshot {
  total_requests: number;
  total_tokens: number;
  models: Record<string, ModelSnapshot>;
}

export interface UsageSnapshot {
  total_requests: number;
  success_count: number;
  failure_count: number;
  total_tokens: number;
  apis: Record<string, ApiSnapshot>;
  requests_by_day: Record<string, number>;
  requests_by_hour: Record<string, number>;
  tokens_by_day: Record<string, number>;
  tokens_by_hour: Record<string, number>;
}

export interface UsageEvent {
  api: string;
  model: string;
  ok: boolean;
  /** Who served it (a credential label, never a secret). */
  source?: string;
  usage?: IRUsage;
  at?: number;
}

/** "POST /v1beta/models/gemini-2.5-pro:streamGenerateContent" → "POST /v1beta/models/:action":
 *  statistics and metric labels are per route, not per URL. */
export function routeOf(api: string): string {
  return api.replace(/^(\w+) \/v1beta\/models\/[^/?]+$/, '$1 /v1beta/models/:action');
}

/** Detail records kept per model; older ones are dropped (aggregates keep counting). */
export const MAX_DETAILS_PER_MODEL = 10_000;
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

interface ModelStats {
  requests: number;
  tokens: number;
  /** A ring once full: `next` is where the oldest record sits. */
  details: RequestDetail[];
  next: number;
}

interface ApiStats {
  requests: number;
  tokens: number;
  models: Map<string, ModelStats>;
}

export class UsageStats {
  private totalRequests = 0;
  private successCount = 0;
  private failureCount = 0;
  private totalTokens = 0;
  private apis = new Map<string, ApiStats>();
  private requestsByDay = new Map<string, number>();
  private requestsByHour = new Map<string, number>();
  private tokensByDay = new Map<string, number>();
  private tokensByHour = new Map<string, number>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly known: KnownModel = knownModel,
  ) {}

  record(e: UsageEvent): void {
    const at = new Date(e.at ?? this.now());
    const tokens = tokenStats(e.usage);
    const total = tokens.total_tokens;
    this.totalRequests++;
    if (e.ok) this.successCount++;
    else this.failureCount++;
    this.totalTokens += total;

    const api = this.apiStats(e.api);
    api.requests++;
    api.tokens += total;
    const model = this.modelStats(api, e.model || 'unknown');
    model.requests++;
    model.tokens += total;
    const detail = { timestamp: at.toISOString(), source: e.source ?? '', tokens, failed: !e.ok };
    // A ring, so a full model costs no more per request than an empty one.
    if (model.details.length < MAX_DETAILS_PER_MODEL) model.details.push(detail);
    else {
      model.details[model.next] = detail;
      model.next = (model.next + 1) % MAX_DETAILS_PER_MODEL;
    }

    const day = dayKey(at);
    const hour = pad(at.getHours());
    add(this.requestsByDay, day, 1);
    add(this.requestsByHour, hour, 1);
    add(this.tokensByDay, day, total);
    add(this.tokensByHour, hour, total);
  }

  private apiStats(name: string): ApiStats {
    let api = this.apis.get(name);
    if (api) return api;
    if (this.apis.size >= MAX_APIS) name = OTHER;
    api = this.apis.get(name);
    if (!api) this.apis.set(name, (api = { requests: 0, tokens: 0, models: new Map() }));
    return api;
  }

  private modelStats(api: ApiStats, name: string): ModelStats {
    let model = api.models.get(name);
    if (model) return model;
    if (api.models.size >= MAX_MODELS_PER_API || !this.known(name)) name = OTHER;
    model = api.models.get(name);
    if (!model) api.models.set(name, (model = { requests: 0, tokens: 0, details: [], next: 0 }));
    return model;
  }

  snapshot(): UsageSnapshot {
    const apis: Record<string, ApiSnapshot> = {};
    for (const [name, a] of this.apis) {
      const models: Record<string, ModelSnapshot> = {};
      for (const [m, s] of a.models) {
        const ordered = s.next === 0 ? s.details : [...s.details.slice(s.next), ...s.details.slice(0, s.next)];
        models[m] = { total_requests: s.requests, total_tokens: s.tokens, details: ordered.map((d) => ({ ...d, tokens: { ...d.tokens } })) };
      }
      apis[name] = { total_requests: a.requests, total_tokens: a.tokens, models };
    }
    return {
      total_requests: this.totalRequests,
      success_count: this.successCount,
      failure_count: this.failureCount,
      total_tokens: this.totalTokens,
      apis,
      requests_by_day: Object.fromEntries(this.requestsByDay),
      requests_by_hour: Object.fromEntries(this.requestsByHour),
      tokens_by_day: Object.fromEntries(this.tokensByDay),
      tokens_by_hour: Object.fromEntries(this.tokensByHour),
    };
  }
}

function add(m: Map<string, number>, k: string, n: number): void {
  m.set(k, (m.get(k) ?? 0) + n);
}
