// Pick the next credential for a model: the highest priority tier that has a
// usable credential wins; within it, round-robin (or fill-first) over the
// registry's deterministic order, skipping disabled, cooling and already-tried ones.
import type { RoutingStrategy } from '../config/types.js';
import type { Cooldowns } from './cooldown.js';
import { priorityOf, type Target } from './registry.js';

/** Round-robin cursors kept at most: model names can be client-chosen (see
 *  ModelRegistry.unknownTargets), so the oldest cursor makes room. An evicted
 *  cursor only restarts its rotation at the first credential. */
export const MAX_CURSORS = 4096;

export class Selector {
  private readonly cursors = new Map<string, number>();

  constructor(private readonly cooldowns: Cooldowns) {}

  /** `targets` come from the registry: priority tiers, highest first (a filtered
   *  copy keeps that order). One pass over them, no allocation. */
  pick(model: string, targets: Target[], tried: ReadonlySet<string>, strategy: RoutingStrategy, cooling: boolean): Target | undefined {
    const n = targets.length;
    if (n === 0) return undefined;
    const top = priorityOf(targets[0]!.credential);
    // Common case: one tier (all priorities equal, as sorted the ends tell).
    if (top === priorityOf(targets[n - 1]!.credential)) return this.pickIn(model, targets, 0, n, tried, strategy, cooling);
    for (let from = 0; from < n; ) {
      const p = priorityOf(targets[from]!.credential);
      let to = from + 1;
      while (to < n && priorityOf(targets[to]!.credential) === p) to++;
      const t = this.pickIn(model, targets, from, to, tried, strategy, cooling);
      if (t) return t;
      from = to;
    }
    return undefined;
  }

  /** Rotate within targets[from, to): the cursor counts positions inside the tier. */
  private pickIn(model: string, targets: Target[], from: number, to: number, tried: ReadonlySet<string>, strategy: RoutingStrategy, cooling: boolean): Target | undefined {
    const m = to - from;
    const start = strategy === 'fill-first' ? 0 : (this.cursors.get(model) ?? 0) % m;
    for (let i = 0; i < m; i++) {
      const rel = (start + i) % m;
      const t = targets[from + rel]!;
      if (tried.has(t.credential.id) || !this.usable(t, cooling)) continue;
      // One target needs no cursor; skipping it keeps one-key prefix-routed names out of the table.
      if (strategy === 'round-robin' && m > 1) this.advance(model, rel + 1);
      return t;
    }
    return undefined;
  }

  /** Not disabled, not suspended, and (while cooling is on) not cooling down. */
  usable(t: Target, cooling: boolean): boolean {
    const c = t.credential;
    if (c.disabled) return false;
    return cooling ? this.cooldowns.remaining(c.id, t.upstreamModel) === 0 : !this.cooldowns.suspension(c.id, t.upstreamModel);
  }

  private advance(model: string, next: number): void {
    const cursors = this.cursors;
    if (cursors.size >= MAX_CURSORS / 2) {
      // Under pressure, a model in use moves to the young end so that
      // one-off names age out before it; below that, set() alone is cheaper.
      cursors.delete(model);
      if (cursors.size >= MAX_CURSORS) cursors.delete(cursors.keys().next().value!);
    }
    cursors.set(model, next);
  }

  /** Cursors held (tests: the table stays bounded). */
  get size(): number {
    return this.cursors.size;
  }

  /** Shortest remaining quota cooldown among usable targets (for the 429 reply);
   *  suspended credentials (401, banned) are not cooling and do not count. */
  soonestReset(targets: Target[]): number {
    let best = Infinity;
    for (const t of targets) {
      if (t.credential.disabled || this.cooldowns.suspension(t.credential.id, t.upstreamModel)) continue;
      best = Math.min(best, this.cooldowns.quotaRemaining(t.credential.id, t.upstreamModel));
    }
    return best === Infinity ? 0 : best;
  }
}
