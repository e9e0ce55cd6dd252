// The building blocks of usage statistics: counters per (API, model), per
// day and per hour of day, and rings of the newest request details per
// model. The in-memory statistics, a batch waiting to be written to
// PostgreSQL and the cluster totals read back from it are all made of these,
// so a snapshot can be composed from several of them (cluster + not yet
// written) without copying one into another.
import type { ApiSnapshot, ModelSnapshot, RequestDetail, UsageSnapshot } from './types.js';

export interface Count {
  requests: number;
  failures: number;
  tokens: number;
}

/** Detail records kept per model; older ones are dropped (counters keep counting). */
export const MAX_DETAILS_PER_MODEL = 10_000;

const SEP = '\u0000';

export function pairKey(api: string, model: string): string {
  return api + SEP + model;
}

export function splitPair(key: string): [string, string] {
  const i = key.indexOf(SEP);
  return [key.slice(0, i), key.slice(i + 1)];
}

function bump(m: Map<string, Count>, k: string, requests: number, failures: number, tokens: number): void {
  const c = m.get(k);
  if (c) {
    c.requests += requests;
    c.failures += failures;
    c.tokens += tokens;
  } else m.set(k, { requests, failures, tokens });
}

export class Counts {
  /** pairKey(api, model) → counts */
  readonly models = new Map<string, Count>();
  readonly days = new Map<string, Count>();
  /** "00".."23" */
  readonly hours = new Map<string, Count>();

  add(api: string, model: string, day: string, hour: string, failed: boolean, tokens: number): void {
    const f = failed ? 1 : 0;
    bump(this.models, pairKey(api, model), 1, f, tokens);
    bump(this.days, day, 1, f, tokens);
    bump(this.hours, hour, 1, f, tokens);
  }

  addAll(o: Counts): void {
    for (const [k, c] of o.models) bump(this.models, k, c.requests, c.failures, c.tokens);
    for (const [k, c] of o.days) bump(this.days, k, c.requests, c.failures, c.tokens);
    for (const [k, c] of o.hours) bump(this.hours, k, c.requests, c.failures, c.tokens);
  }

  get empty(): boolean {
    return this.models.size === 0;
  }

  /** Distinct models under `api` (for the per-API cap). */
  hasPair(api: string, model: string): boolean {
    return this.models.has(pairKey(api, model));
  }
}

interface Ring {
  items: RequestDetail[];
  /** Once full: where the oldest record sits. */
  next: number;
}

/** The newest MAX_DETAILS_PER_MODEL details of each (API, model). */
export class DetailRings {
  private readonly rings = new Map<string, Ring>();
  /** Details ever pushed (tests, batch accounting). */
  pushed = 0;

  constructor(private readonly cap = MAX_DETAILS_PER_MODEL) {}

  push(api: string, model: string, d: RequestDetail): void {
    const k = pairKey(api, model);
    let r = this.rings.get(k);
    if (!r) this.rings.set(k, (r = { items: [], next: 0 }));
    this.pushed++;
    // A ring, so a full model costs no more per request than an empty one.
    if (r.items.length < this.cap) r.items.push(d);
    else {
      r.items[r.next] = d;
      r.next = (r.next + 1) % this.cap;
    }
  }

  /** Oldest first. */
  list(api: string, model: string): RequestDetail[] {
    const r = this.rings.get(pairKey(api, model));
    if (!r) return [];
    return r.next === 0 ? r.items.slice() : [...r.items.slice(r.next), ...r.items.slice(0, r.next)];
  }

  *entries(): IterableIterator<[api: string, model: string, details: RequestDetail[]]> {
    for (const k of this.rings.keys()) {
      const [api, model] = splitPair(k);
      yield [api, model, this.list(api, model)];
    }
  }

  get size(): number {
    let n = 0;
    for (const r of this.rings.values()) n += r.items.length;
    return n;
  }
}

function copyDetail(d: RequestDetail): RequestDetail {
  return { ...d, tokens: { ...d.tokens } };
}

/**
 * `o[key]` as an own property, made by `make` when absent. API and model names
 * come from imports and stored rows: with `o[key] ??=` a name such as
 * "__proto__" would reach Object.prototype (polluting every object in the
 * process) instead of a field of the snapshot.
 */
function ownSlot<T>(o: Record<string, T>, key: string, make: () => T): T {
  if (!Object.prototype.hasOwnProperty.call(o, key)) Object.defineProperty(o, key, { value: make(), enumerable: true, writable: true, configurable: true });
  return o[key]!;
}

/** One snapshot of several counters and detail sets added together (details oldest first per part). */
export function composeSnapshot(counts: readonly Counts[], details: readonly DetailRings[]): UsageSnapshot {
  const total = new Counts();
  for (const c of counts) total.addAll(c);
  const apis: Record<string, ApiSnapshot> = {};
  let requests = 0;
  let failures = 0;
  let tokens = 0;
  const apiOf = (api: string): ApiSnapshot => ownSlot(apis, api, () => ({ total_requests: 0, total_tokens: 0, models: {} }));
  const modelOf = (api: string, model: string): ModelSnapshot => ownSlot(apiOf(api).models, model, () => ({ total_requests: 0, total_tokens: 0, details: [] }));
  for (const [k, c] of total.models) {
    const [api, model] = splitPair(k);
    const a = apiOf(api);
    a.total_requests += c.requests;
    a.total_tokens += c.tokens;
    const m = modelOf(api, model);
    m.total_requests += c.requests;
    m.total_tokens += c.tokens;
    requests += c.requests;
    failures += c.failures;
    tokens += c.tokens;
  }
  // Models whose details come from more than one part get them in time order.
  const mixed = new Set<ModelSnapshot>();
  for (const rings of details) {
    for (const [api, model, list] of rings.entries()) {
      if (list.length === 0) continue;
      const m = modelOf(api, model);
      if (m.details.length > 0) mixed.add(m);
      for (const d of list) m.details.push(copyDetail(d));
    }
  }
  for (const m of mixed) {
    const timed = m.details.map((d) => ({ at: Date.parse(d.timestamp), d }));
    timed.sort((x, y) => x.at - y.at);
    m.details = timed.map((x) => x.d);
    if (m.details.length > MAX_DETAILS_PER_MODEL) m.details.splice(0, m.details.length - MAX_DETAILS_PER_MODEL);
  }
  const byDay = (f: (c: Count) => number) => Object.fromEntries([...total.days].map(([k, c]) => [k, f(c)]));
  const byHour = (f: (c: Count) => number) => Object.fromEntries([...total.hours].sort(([a], [b]) => a.localeCompare(b)).map(([k, c]) => [k, f(c)]));
  return {
    total_requests: requests,
    success_count: requests - failures,
    failure_count: failures,
    total_tokens: tokens,
    apis,
    requests_by_day: byDay((c) => c.requests),
    requests_by_hour: byHour((c) => c.requests),
    tokens_by_day: byDay((c) => c.tokens),
    tokens_by_hour: byHour((c) => c.tokens),
  };
}
