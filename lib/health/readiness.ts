// Whether this instance should receive traffic. Parts that an instance
// depends on (its config, its listening socket, the store, Redis) register a
// check; GET /readyz answers 503 with the reasons while any check fails.
// Checks are synchronous reads of state the part keeps up to date itself, so
// a probe costs microseconds and never waits on the network.

export interface ReadinessCheck {
  /** Short name shown in the answer ("store", "redis", "listening"). */
  readonly name: string;
  /** undefined when ready, else why not (no secrets: it is shown to anyone who probes). */
  problem(): string | undefined;
}

export class Readiness {
  private readonly checks = new Set<ReadinessCheck>();

  /** Add a check; the returned function removes it. */
  add(check: ReadinessCheck): () => void {
    this.checks.add(check);
    return () => this.checks.delete(check);
  }

  /** Every failing check as "name: problem"; empty when ready. */
  problems(): string[] {
    const out: string[] = [];
    for (const c of this.checks) {
      const p = c.problem();
      if (p !== undefined) out.push(`${c.name}: ${p}`);
    }
    return out;
  }
}
