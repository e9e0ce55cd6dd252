// Micro benchmark of Selector.pick (the per-request credential choice):
// one priority tier (the common case), one tier with a third cooling, and
// three tiers with the top one cooling (every pick scans past it).
//   npx tsx bench/selector.ts [other-selector-module]
// With a module (e.g. a copy of an older selector.ts) both are measured in
// the same process, interleaved, and the median of 5 rounds is printed.
import { Cooldowns } from '../lib/routing/cooldown.js';
import type { Credential } from '../lib/routing/credentials.js';
import type { Target } from '../lib/routing/registry.js';
import { Selector as Current } from '../lib/routing/selector.js';

type SelectorLike = { pick(model: string, targets: Target[], tried: ReadonlySet<string>, strategy: 'round-robin' | 'fill-first', cooling: boolean): Target | undefined };
type SelectorCtor = new (c: Cooldowns) => SelectorLike;

const variants: Array<[string, SelectorCtor]> = [['current', Current]];
if (process.argv[2]) variants.push([process.argv[2], ((await import(process.argv[2])) as { Selector: SelectorCtor }).Selector]);

function targets(n: number, tiers: number): Target[] {
  return Array.from({ length: n }, (_, i) => {
    const credential: Credential = { id: `k${i}`, provider: 'openai-compat', label: `k${i}`, baseUrl: '', apiKey: '', proxyUrl: '', headers: {}, models: new Map(), disabled: false, priority: tiers - 1 - Math.floor((i * tiers) / n) };
    return { credential, upstreamModel: 'm' };
  });
}

function scenario(n: number, tiers: number, cooling: number): { list: Target[]; cooldowns: Cooldowns } {
  const list = targets(n, tiers);
  const cooldowns = new Cooldowns();
  for (const t of list.slice(0, cooling)) cooldowns.cool(t.credential.id, 'm', 3_600_000);
  return { list, cooldowns };
}

const SCENARIOS: Array<[string, () => { list: Target[]; cooldowns: Cooldowns }]> = [
  ['20 credentials, one tier', () => scenario(20, 1, 0)],
  ['30 credentials, one tier, 10 cooling', () => scenario(30, 1, 10)],
  ['30 credentials, 3 tiers, top tier cooling', () => scenario(30, 3, 10)],
];

function measure(Sel: SelectorCtor, make: () => { list: Target[]; cooldowns: Cooldowns }): number {
  const { list, cooldowns } = make();
  const sel = new Sel(cooldowns);
  const tried = new Set<string>();
  const N = 1_000_000;
  for (let i = 0; i < 100_000; i++) sel.pick('m', list, tried, 'round-robin', true); // warm-up
  const t0 = process.hrtime.bigint();
  let served = 0;
  for (let i = 0; i < N; i++) if (sel.pick('m', list, tried, 'round-robin', true)) served++;
  if (served !== N) throw new Error('a pick found nothing');
  return Number(process.hrtime.bigint() - t0) / N;
}

for (const [name, make] of SCENARIOS) {
  const results = variants.map(() => [] as number[]);
  for (let round = 0; round < 5; round++) variants.forEach(([, Sel], i) => results[i]!.push(measure(Sel, make)));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`${name.padEnd(44)} ${variants.map(([v], i) => `${v}: ${median(results[i]!).toFixed(0)} ns/pick`).join('   ')}`);
}
