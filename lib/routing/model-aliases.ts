// Which client model names one credential serves once exclusions and alias
// rules are applied: its own models (catalogue or config `models`), minus the
// `excluded-models` globs, renamed or forked by alias rules (the token file's
// own `model_aliases`, then `oauth-model-alias` for its provider channel on
// accounts, then the provider-independent `model-aliases`). An alias whose
// upstream name carries a suffix (`gpt-5(high)`) also selects the reasoning.
// Pure: config validation and the registry both use it.
import type { AliasRule } from '../config/types.js';
import { modelGlob, parseModelSyntax, patternProblem, type ModelMatcher } from './model-syntax.js';

/** One client name a credential serves. */
export interface ServedModel {
  id: string;
  upstream: string;
  thinking?: string | number;
}

/** Provider channels of oauth-model-alias / oauth-excluded-models that this gateway serves. */
export const OAUTH_CHANNELS = ['gemini-cli', 'aistudio', 'claude', 'codex', 'qwen', 'iflow'] as const;

/** `name(level)` → the upstream model and its reasoning; a name that is not
 *  the suffix syntax (an upstream id with odd parentheses) stays as it is. */
export function splitUpstream(name: string): { model: string; thinking?: string | number } {
  if (!name.includes('(')) return { model: name };
  const parsed = parseModelSyntax(name);
  return 'error' in parsed ? { model: name } : parsed;
}

/** One matcher for a list of `*` globs; undefined when the list is empty. */
export function excludedMatcher(patterns: readonly string[] | null | undefined): ModelMatcher | undefined {
  const list = (patterns ?? []).filter((p) => p.trim() !== '').map(modelGlob);
  if (list.length === 0) return undefined;
  if (list.length === 1) return list[0];
  return (model) => list.some((m) => m(model));
}

/**
 * The names a credential serves. `models` maps client name → upstream name
 * (possibly `name(level)`). Exclusions match the credential's own client
 * names and the names alias rules produce. A rule matches a served name
 * case-insensitively; every matching rule adds its alias, and the original
 * stays only when a matching rule says `fork`. An alias belongs to the first
 * rule that names it (token file before channel before global); later rules
 * for the same alias are ignored, as the reference does.
 */
export function servedModels(models: ReadonlyMap<string, string>, excluded: ModelMatcher | undefined, rules: readonly AliasRule[]): ServedModel[] {
  const out: ServedModel[] = [];
  const seen = new Set<string>();
  const add = (m: ServedModel) => {
    if (seen.has(m.id) || excluded?.(m.id)) return;
    seen.add(m.id);
    out.push(m);
  };
  const byName = rulesByName(rules);
  for (const [id, raw] of models) {
    if (excluded?.(id)) continue;
    const own = splitUpstream(raw);
    const base: ServedModel = own.thinking === undefined ? { id, upstream: own.model } : { id, upstream: own.model, thinking: own.thinking };
    const matching = byName?.get(id.toLowerCase());
    if (!matching) {
      add(base);
      continue;
    }
    if (matching.some((r) => r.fork)) add(base);
    for (const r of matching) {
      const thinking = r.thinking ?? base.thinking;
      add(thinking === undefined ? { id: r.alias, upstream: base.upstream } : { id: r.alias, upstream: base.upstream, thinking });
    }
  }
  return out;
}

interface CompiledRule {
  alias: string;
  fork: boolean;
  thinking?: string | number;
}

// Registries share one rule list among many credentials (all accounts of a
// provider): compile each list once.
const compiled = new WeakMap<readonly AliasRule[], Map<string, CompiledRule[]>>();

function rulesByName(rules: readonly AliasRule[]): Map<string, CompiledRule[]> | undefined {
  if (rules.length === 0) return undefined;
  let map = compiled.get(rules);
  if (map) return map;
  map = new Map<string, CompiledRule[]>();
  compiled.set(rules, map);
  const claimed = new Set<string>(); // an alias means what its first rule says (the token file's over global ones)
  for (const r of rules) {
    const alias = r.alias.trim();
    const { model, thinking } = splitUpstream(r.name.trim());
    if (!model || !alias || alias.toLowerCase() === model.toLowerCase() || claimed.has(alias.toLowerCase())) continue;
    claimed.add(alias.toLowerCase());
    const key = model.toLowerCase();
    let list = map.get(key);
    if (!list) map.set(key, (list = []));
    list.push(thinking === undefined ? { alias, fork: r.fork } : { alias, fork: r.fork, thinking });
  }
  return map;
}

/** An alias rule list from a token file (`model_aliases`, legacy `model-aliases`); bad entries are left out. */
export function rulesFromJson(v: unknown): AliasRule[] {
  if (!Array.isArray(v)) return [];
  const out: AliasRule[] = [];
  for (const e of v.slice(0, 1000)) {
    if (e === null || typeof e !== 'object') continue;
    const { name, alias, fork } = e as Record<string, unknown>;
    if (typeof name !== 'string' || typeof alias !== 'string' || aliasProblem(name, alias)) continue;
    out.push({ name: name.trim(), alias: alias.trim(), fork: fork === true });
  }
  return out;
}

// ---- config checks ---------------------------------------------------------

function aliasProblem(name: string, alias: string): string | undefined {
  if (name.trim() === '') return '"name" must name a model';
  if (name.includes('(') && 'error' in parseModelSyntax(name.trim())) {
    return `${(parseModelSyntax(name.trim()) as { error: string }).error} (in "name")`;
  }
  if (/[()]/.test(alias)) return `the alias "${alias}" must not contain parentheses: put a reasoning level on "name", as name(level)`;
  return undefined;
}

/** A key's `models` list ({name, alias}): a name is required; `name(level)` must be well-formed. */
export function modelListProblem(v: unknown): string | undefined {
  if (!Array.isArray(v)) return undefined;
  for (const [i, e] of v.entries()) {
    const { name, alias } = e as { name: string; alias: string };
    const p = aliasProblem(name, alias) ?? (name.includes('(') && alias.trim() === '' ? `"${name}" needs an alias: a name with a reasoning suffix is served under its alias` : undefined);
    if (p) return `[${i}]: ${p}`;
  }
  return undefined;
}

/** A global alias rule list ({name, alias, fork}): both names are required. */
export function aliasRulesProblem(v: unknown): string | undefined {
  if (!Array.isArray(v)) return undefined;
  for (const [i, e] of v.entries()) {
    const { name, alias } = e as AliasRule;
    if (alias.trim() === '') return `[${i}]: "alias" must name the client-visible model`;
    const p = aliasProblem(name, alias);
    if (p) return `[${i}]: ${p}`;
  }
  return undefined;
}

/** oauth-model-alias: channel → rule list. */
export function channelRulesProblem(v: unknown): string | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  for (const [channel, rules] of Object.entries(v as Record<string, unknown>)) {
    const p = aliasRulesProblem(rules);
    if (p) return `${channel}${p}`;
  }
  return undefined;
}

/** excluded-models: each entry a usable glob. */
export function excludedProblem(v: unknown): string | undefined {
  if (!Array.isArray(v)) return undefined;
  for (const [i, p] of v.entries()) {
    const bad = patternProblem(p);
    if (bad) return `[${i}]: ${bad}`;
  }
  return undefined;
}

/** oauth-excluded-models: provider → glob list. */
export function channelExcludedProblem(v: unknown): string | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  for (const [channel, list] of Object.entries(v as Record<string, unknown>)) {
    const p = excludedProblem(list);
    if (p) return `${channel}${p}`;
  }
  return undefined;
}
