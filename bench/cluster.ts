// What sharing live state through Redis costs on the request path: the same
// OpenAI piped non-stream load on a gateway without Redis and on one joined
// to a cluster (REDIS_URL set, so cooldowns are shared and the link is up).
// The request path reads only local memory either way, so the two rows should
// match within noise. Run alone with BENCH_ONLY=cluster.
import type { ChildProcess } from 'node:child_process';
import type { LoadResult } from './load.js';
import { stop } from './procs.js';

type Phase = LoadResult & { cpu?: { usPerUnit: number; coreShare: number } };
type Measure = (url: string, body: string, connections: number, stream: boolean, seconds?: number, cpuPid?: number) => Promise<Phase>;
type StartGateway = (env: Record<string, string>) => Promise<{ proc: ChildProcess; url: string }>;

export interface ClusterRow {
  mode: 'redis off' | 'redis on';
  through: Phase;
}

const NAME = 'cluster: OpenAI → OpenAI-compatible (piped), non-stream, 50 conns, redis off / on';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const fmt = (n: number, d = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '–');

export async function clusterBench(startGateway: StartGateway, measure: Measure, body: string, seconds: number, wanted: (name: string) => boolean): Promise<{ rows: ClusterRow[]; lines: string[] }> {
  if (!wanted(NAME)) return { rows: [], lines: [] };
  const rows: ClusterRow[] = [];
  for (const [mode, env] of [['redis off', {}], ['redis on', { REDIS_URL }]] as const) {
    const g = await startGateway(env);
    try {
      const through = await measure(`${g.url}/v1/chat/completions`, body, 50, false, seconds, g.proc.pid!);
      rows.push({ mode, through });
    } finally {
      await stop(g.proc);
    }
    process.stderr.write(`done: cluster (${mode})\n`);
  }
  const lines = [
    '',
    `Shared live state (${NAME}; Redis at ${REDIS_URL.replace(/\/\/[^@/]*@/, '//***@')}):`,
    '',
    '| gateway | req/s | p50 (ms) | p99 (ms) | CPU per req | CPU, % of a core | errors |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.mode} | ${fmt(r.through.rps)} | ${fmt(r.through.p50, 2)} | ${fmt(r.through.p99, 1)} | ${r.through.cpu ? `${fmt(r.through.cpu.usPerUnit, 1)} µs` : '–'} | ${r.through.cpu ? `${fmt(r.through.cpu.coreShare * 100)} %` : '–'} | ${r.through.errors} |`),
  ];
  return { rows, lines };
}
