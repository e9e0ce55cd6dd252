// Which credentials serve which client model names. Order is config order, so
// selection is deterministic.
import type { Credential } from './credentials.js';

export interface Target {
  credential: Credential;
  upstreamModel: string;
}

export interface ModelEntry {
  id: string;
  ownedBy: string;
  created: number;
}

export class ModelRegistry {
  private readonly byModel = new Map<string, Target[]>();
  private readonly entries: ModelEntry[] = [];

  constructor(credentials: Credential[], ownerOf: (c: Credential) => string) {
    const created = Math.floor(Date.now() / 1000);
    for (const cred of credentials) {
      for (const [alias, upstream] of cred.models) {
        let list = this.byModel.get(alias);
        if (!list) {
          list = [];
          this.byModel.set(alias, list);
          this.entries.push({ id: alias, ownedBy: ownerOf(cred), created });
        }
        list.push({ credential: cred, upstreamModel: upstream });
      }
    }
  }

  targets(model: string): Target[] {
    return this.byModel.get(model) ?? [];
  }

  /** Models some enabled credential can serve. */
  list(): ModelEntry[] {
    return this.entries.filter((e) => this.targets(e.id).some((t) => !t.credential.disabled));
  }
}
