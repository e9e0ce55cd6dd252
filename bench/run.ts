// `npm run bench`: mock upstream and gateway in their own processes, load from
// this one, all on loopback. Each scenario runs DIRECT to the mock and THROUGH
// the gateway in the same run; the table shows the through/direct ratio.
// BENCH_SECONDS (default 5) sets the length of each measured phase.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLoad, type LoadResult } from './load.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const children: ChildProcess[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function start(args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return child;
}

async function waitForPort(port: number, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.end();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listening on ${port} after ${timeoutMs} ms`);
}

function peakRssMb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

const chatBody = (stream: boolean, model: string) =>
  JSON.stringify({ model, stream, messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Say something about foxes.' }] });

interface Row {
  scenario: string;
  direct: LoadResult;
  through: LoadResult;
  metric: 'rps' | 'eventsPerSec';
}

async function measure(url: string, body: string, connections: number, stream: boolean): Promise<LoadResult> {
  await runLoad({ url, body, connections, seconds: Math.min(1, SECONDS), stream }); // warm-up
  return runLoad({ url, body, connections, seconds: SECONDS, stream });
}

async function main(): Promise<void> {
  const mockPort = await freePort();
  const gwPort = await freePort();
  start(['--import', 'tsx', 'bench/mock-upstream.ts'], { PORT: String(mockPort) });
  const dir = mkdtempSync(path.join(tmpdir(), 'cliproxy-bench-'));
  const cfg = path.join(dir, 'config.yaml');
  writeFileSync(
    cfg,
    [
      `port: ${gwPort}`,
      'host: 127.0.0.1',
      'openai-compatibility:',
      '  - name: bench',
      `    base-url: http://127.0.0.1:${mockPort}/v1`,
      '    api-key-entries:',
      '      - api-key: sk-bench-1',
      '      - api-key: sk-bench-2',
      '    models:',
      '      - name: bench-upstream',
      '        alias: bench-model',
    ].join('\n'),
  );
  // The gateway runs as `npm start` runs it: compiled JavaScript, no loader.
  execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  const gateway = start(['dist/lib/cli.js', '--config', cfg], { LOG_LEVEL: 'warn' });
  await Promise.all([waitForPort(mockPort), waitForPort(gwPort)]);

  const direct = `http://127.0.0.1:${mockPort}/v1/chat/completions`;
  const through = `http://127.0.0.1:${gwPort}/v1/chat/completions`;
  const rows: Row[] = [];
  const scenario = async (name: string, connections: number, stream: boolean, metric: Row['metric']) => {
    const d = await measure(direct, chatBody(stream, 'bench-upstream'), connections, stream);
    const t = await measure(through, chatBody(stream, 'bench-model'), connections, stream);
    rows.push({ scenario: name, direct: d, through: t, metric });
    process.stderr.write(`done: ${name}\n`);
  };
  await scenario('openai passthrough, non-stream, 50 conns', 50, false, 'rps');
  await scenario('openai passthrough, stream 20 chunks, 100 streams', 100, true, 'eventsPerSec');
  const rss = peakRssMb(gateway.pid!);

  const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  const lines = [
    '| scenario | metric | direct | through | through/direct | p50 direct / through (ms) | p99 direct / through (ms) | errors |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    const dv = r.direct[r.metric];
    const tv = r.through[r.metric];
    lines.push(
      `| ${r.scenario} | ${r.metric === 'rps' ? 'req/s' : 'SSE events/s'} | ${fmt(dv)} | ${fmt(tv)} | ${fmt(tv / dv, 2)} | ${fmt(r.direct.p50, 1)} / ${fmt(r.through.p50, 1)} | ${fmt(r.direct.p99, 1)} / ${fmt(r.through.p99, 1)} | ${r.direct.errors + r.through.errors} |`,
    );
    if (r.metric === 'eventsPerSec') lines.push(`| ${r.scenario} | streams/s | ${fmt(r.direct.rps)} | ${fmt(r.through.rps)} | ${fmt(r.through.rps / r.direct.rps, 2)} | | | |`);
  }
  lines.push('', `gateway peak RSS: ${fmt(rss, 1)} MB; ${SECONDS}s per phase; node ${process.version}`);
  process.stdout.write(lines.join('\n') + '\n');
  mkdirSync(path.join(root, 'bench/results'), { recursive: true });
  writeFileSync(
    path.join(root, 'bench/results/latest.json'),
    JSON.stringify({ date: new Date().toISOString(), seconds: SECONDS, gatewayPeakRssMb: rss, rows }, null, 2),
  );
}

function stopAll(): void {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
}

main()
  .catch((err) => {
    process.stderr.write(`bench failed: ${(err as Error).stack}\n`);
    process.exitCode = 1;
  })
  .finally(stopAll);
