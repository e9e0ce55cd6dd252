// Which credentials serve which client model names. Each model's targets are
// in priority tiers, highest first, and config order within a tier, so
// selection is deterministic and the selector finds tiers by a linear scan.
import type { AliasRule, Config } from '../config/types.js';
import { AISTUDIO_MODELS, CLAUDE_MODELS, CODEX_MODELS, GEMINI_CLI_MODELS, IFLOW_MODELS, QWEN_MODELS } from './catalogue.js';
import type { Credential, ProviderKind } from './credentials.js';
import { excludedMatcher, servedModels, type ServedModel } from './model-aliases.js';
import type { ModelMatcher } from './model-syntax.js';

// Which provider kinds may serve model names newer than the catalogue.
const UNKNOWN_PREFIXES: Array<[string, ReadonlySet<ProviderKind>]> = [
  ['claude-', new Set<ProviderKind>(['claude'])],
  ['gemini-', new Set<ProviderKind>(['gemini', 'gemini-cli', 'aistudio'])],
];

// Names the operator chose (config aliases) or the catalogue holds, as any
// registry in this process listed them. Metrics and usage statistics name only
// these: anything else reached a provider through its prefix and was chosen by
// a client. Process-wide because metrics outlive registries (every reload
// builds a new one); it grows only with config, and the cap guards even that.
const MAX_LISTED = 100_000;
const listedNames = new Set<string>(
  [AISTUDIO_MODELS, CLAUDE_MODELS, CODEX_MODELS, GEMINI_CLI_MODELS, IFLOW_MODELS, QWEN_MODELS].flatMap((list) => list.map((m) => m.id)),
);

/** Whether a model name is one a registry lists (not one only routed by its prefix). */
export function isListedModel(name: string): boolean {
  return listedNames.has(name);
}

export interface Target {
  credential: Credential;
  upstreamModel: string;
  /** Reasoning chosen by the name the client asked for (an alias carrying a
   *  level, or `model(level)` / `model(budget)`): a level name (none, minimal,
   *  low, medium, high, xhigh, auto) or a token budget; it overrides the request's own. */
  thinking?: string | number;
}

export interface ModelEntry {
  id: string;
  ownedBy: string;
  created: number;
}

/** The config settings that shape what credentials serve (global exclusions and aliases). */
export type ModelControls = Pick<Config, 'oauthExcludedModels' | 'oauthModelAlias' | 'oauthModelMappings' | 'modelAliases'>;

/** A credential's place in the order: higher priority first. */
export function priorityOf(c: Credential): number {
  return c.priority ?? 0;
}

/** Stable sort by priority, highest first; the list itself when it has one tier. */
function byPriority(list: Target[]): Target[] {
  if (list.length < 2) return list;
  const first = priorityOf(list[0]!.credential);
  if (list.every((t) => priorityOf(t.credential) === first)) return list;
  return list.sort((a, b) => priorityOf(b.credential) - priorityOf(a.credential));
}

export class ModelRegistry {
  private readonly byModel = new Map<string, Target[]>();
  private readonly entries: ModelEntry[] = [];
  private readonly fallback = new Map<string, Target[]>();
  /** Each credential's exclusions, for names routed by prefix. */
  private readonly excluded = new Map<Credential, ModelMatcher>();
  /** Names a credential's own list has but it no longer serves (renamed by an
   *  alias rule, or excluded): the prefix route must not bring them back. */
  private readonly withheld = new Map<Credential, Set<string>>();

  constructor(
    private readonly credentials: Credential[],
    ownerOf: (c: Credential) => string,
    controls: ModelControls = {},
  ) {
    const created = Math.floor(Date.now() / 1000);
    const channelRules = controls.oauthModelAlias ?? controls.oauthModelMappings ?? {};
    const globalRules = controls.modelAliases ?? [];
    const sharedRules = new Map<ProviderKind, readonly AliasRule[]>(); // per channel, for accounts without rules of their own
    for (const cred of credentials) {
      const account = !cred.configured;
      const excluded = excludedMatcher([...(cred.excludedModels ?? []), ...((account && controls.oauthExcludedModels?.[cred.provider]) || [])]);
      if (excluded) this.excluded.set(cred, excluded);
      const channel = account ? channelRules[cred.provider] : undefined;
      let rules: readonly AliasRule[] = globalRules;
      if (cred.modelAliases?.length) rules = [...cred.modelAliases, ...(channel ?? []), ...globalRules];
      else if (channel?.length) {
        rules = sharedRules.get(cred.provider) ?? [...channel, ...globalRules];
        sharedRules.set(cred.provider, rules);
      }
      const served = servedModels(cred.models, excluded, rules);
      if (cred.acceptsUnknownModels && (excluded || rules.length > 0)) this.withhold(cred, served);
      for (const m of served) {
        let list = this.byModel.get(m.id);
        if (!list) {
          list = [];
          this.byModel.set(m.id, list);
          this.entries.push({ id: m.id, ownedBy: ownerOf(cred), created });
          if (listedNames.size < MAX_LISTED) listedNames.add(m.id);
        }
        const target: Target = { credential: cred, upstreamModel: m.upstream };
        if (m.thinking !== undefined) target.thinking = m.thinking;
        list.push(target);
      }
    }
    for (const list of this.byModel.values()) byPriority(list);
  }

  private withhold(cred: Credential, served: ServedModel[]): void {
    const ids = new Set(served.map((m) => m.id));
    const gone = new Set([...cred.models.keys()].filter((id) => !ids.has(id)));
    if (gone.size > 0) this.withheld.set(cred, gone);
  }

  targets(model: string): Target[] {
    const known = this.byModel.get(model);
    if (known) return known;
    return this.unknownTargets(model);
  }

  // Unknown names with a provider's prefix go to that provider's credentials
  // that accept them, as the upstream may know models the catalogue does not.
  private unknownTargets(model: string): Target[] {
    const kinds = UNKNOWN_PREFIXES.find(([prefix]) => model.startsWith(prefix))?.[1];
    if (!kinds) return [];
    let list = this.fallback.get(model);
    if (!list) {
      list = byPriority(
        this.credentials
          .filter((c) => kinds.has(c.provider) && c.acceptsUnknownModels && !this.excluded.get(c)?.(model) && !this.withheld.get(c)?.has(model))
          .map((c) => ({ credential: c, upstreamModel: model })),
      );
      if (this.fallback.size > 1000) this.fallback.clear(); // bounded: names come from clients
      this.fallback.set(model, list);
    }
    return list;
  }

  /** Models some enabled credential can serve. */
  list(): ModelEntry[] {
    return this.entries.filter((e) => this.targets(e.id).some((t) => !t.credential.disabled));
  }
}
