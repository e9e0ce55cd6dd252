// Which credentials serve which client model names. Order is config order, so
// selection is deterministic.
import { AISTUDIO_MODELS, CLAUDE_MODELS, CODEX_MODELS, GEMINI_CLI_MODELS, IFLOW_MODELS, QWEN_MODELS } from './catalogue.js';
import type { Credential, ProviderKind } from './credentials.js';

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

export class ModelRegistry {
  private readonly byModel = new Map<string, Target[]>();
  private readonly entries: ModelEntry[] = [];
  private readonly fallback = new Map<string, Target[]>();

  constructor(
    private readonly credentials: Credential[],
    ownerOf: (c: Credential) => string,
  ) {
    const created = Math.floor(Date.now() / 1000);
    for (const cred of credentials) {
      for (const [alias, upstream] of cred.models) {
        let list = this.byModel.get(alias);
        if (!list) {
          list = [];
          this.byModel.set(alias, list);
          this.entries.push({ id: alias, ownedBy: ownerOf(cred), created });
          if (listedNames.size < MAX_LISTED) listedNames.add(alias);
        }
        list.push({ credential: cred, upstreamModel: upstream });
      }
    }
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
      list = this.credentials.filter((c) => kinds.has(c.provider) && c.acceptsUnknownModels).map((c) => ({ credential: c, upstreamModel: model }));
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
