// A small seeded PRNG (mulberry32) for property and fuzz tests: the same seed
// replays the same cases.
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) | 0;
    let x = Math.imul(this.s ^ (this.s >>> 15), 1 | this.s);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  bool(p = 0.5): boolean {
    return this.next() < p;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.next() * list.length)]!;
  }
  times<T>(lo: number, hi: number, f: (k: number) => T): T[] {
    const n = this.int(lo, hi);
    const out: T[] = [];
    for (let k = 0; k < n; k++) out.push(f(k));
    return out;
  }
  /** An independent stream, so one phase's draws don't shift another's. */
  fork(): Rng {
    return new Rng(Math.floor(this.next() * 2 ** 32));
  }
}
