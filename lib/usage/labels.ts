// Model names reach metrics and usage statistics from clients: a name routed
// by its provider prefix (claude-*, gemini-*) is whatever the client sent.
// Only names a registry lists are kept as they are; the rest, and anything
// past a cap, count under one bucket, so neither grows with client input.
import { isListedModel } from '../routing/registry.js';

/** The bucket for models no registry lists, and for values past a cap. */
export const OTHER = 'other';

export type KnownModel = (name: string) => boolean;

export const knownModel: KnownModel = isListedModel;

/** The values one label has taken, at most `cap` of them; others read OTHER. */
export class BoundedLabel {
  private readonly seen = new Set<string>();

  constructor(
    private readonly cap: number,
    private readonly admit: (value: string) => boolean = () => true,
  ) {}

  of(value: string): string {
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.cap || !this.admit(value)) return OTHER;
    this.seen.add(value);
    return value;
  }

  get size(): number {
    return this.seen.size;
  }
}
