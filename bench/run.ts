// `npm run bench`: mock upstreams, the gateway and a naive reference pipe in
// their own processes, load from this one, all on loopback. Each scenario runs
// DIRECT to the mock (in the upstream's own format) and THROUGH the gateway (in
// the client's format) in the same run; the table shows the through/direct
// ratio and the gateway process's CPU time per request or per SSE event.
// BENCH_SECONDS (default 5) sets the length of each measured phase;
// BENCH_ONLY=a,b runs only the scenarios whose name contains one of the
// (case-insensitive) substrings, e.g. BENCH_ONLY=piped, BENCH_ONLY=1000,
// BENCH_ONLY=latency, BENCH_ONLY=relay, BENCH_ONLY=offload.
// Targets are printed beside the figures; the bench never fails on them.
// Writes bench/results/latest.json (latest-only.json for a BENCH_ONLY run).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLoad, type LoadResult } from './load.js';
import { assertNodeProcess, clockTicks, cpuTicks, freePort, peakRssMb, sampleRss, start, stop, stopAll, waitForPort } from './procs.js';
import { relayBench } from './relay.js';
import { clusterBench } from './cluster.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const GW_ARGS = (process.env.GW_NODE_ARGS ?? '').split(' ').filter(Boolean);
const ONLY = (process.env.BENCH_ONLY ?? '').toLowerCase().split(',').map((s) => s.trim()).filter(Boolean);
// Names are matched with digit-group commas dropped ("1,000 streams" matches 1000).
const wanted = (name: string) => ONLY.length === 0 || ONLY.some((s) => name.toLowerCase().replace(/(\d),(\d)/g, '$1$2').includes(s));

const messages = [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Say something about foxes.' }];
const bodies = {
  openai: (model: string, stream: boolean) => JSON.stringify({ model, stream, messages }),
  claude: (model: string, stream: boolean) => JSON.stringify({ model, stream, max_tokens: 1024, system: 'You are terse.', messages: [{ role: 'user', content: 'Say something about foxes.' }] }),
  gemini: () => JSON.stringify({ systemInstruction: { parts: [{ text: 'You are terse.' }] }, contents: [{ role: 'user', parts: [{ text: 'Say something about foxes.' }] }] }),
  responses: (model: string, stream: boolean) => JSON.stringify({ model, stream, store: false, instructions: 'You are terse.', input: [{ role: 'user', content: [{ type: 'input_text', text: 'Say something about foxes.' }] }] }),
};

// Targets (not assertions): gateway CPU per request / per SSE event, 1,000-stream RSS, added p50.
const TARGETS = {
  pipedUsPerRequest: 40,
  pipedUsPerEvent: 3,
  translatedUsPerRequest: 60,
  translatedUsPerEvent: 5,
  streams1000PeakRssMb: 150,
  addedP50MsPiped: 0.15,
  addedP50MsTranslated: 0.25,
};

/** Process CPU (utime + stime, all threads) over one measured phase. */
interface Cpu {
  ticks: number;
  cpuMs: number;
  /** Requests (non-stream) or SSE events received (stream) in the phase. */
  units: number;
  usPerUnit: number;
  /** One clock tick divided by the units: the resolution of usPerUnit. */
  resolutionUs: number;
  /** CPU time / wall time: 1 = one core busy for the whole phase. */
  coreShare: number;
}
type Phase = LoadResult & { cpu?: Cpu };

interface Row {
  scenario: string;
  metric: 'rps' | 'eventsPerSec';
  unit: 'request' | 'event';
  direct: LoadResult;
  through: Phase;
  /** The naive reference pipe under the same load (piped OpenAI rows only). */
  naive?: Phase;
  target: { cpuUsPerUnit: number };
}

const tickUs = () => 1e6 / clockTicks();

async function measure(url: string, body: string, connections: number, stream: boolean, seconds = SECONDS, cpuPid?: number): Promise<Phase> {
  await runLoad({ url, body, connections, seconds: Math.min(1, seconds), stream }); // warm-up
  // The warm-up has no request left in flight, so the phase's CPU is its requests' CPU.
  const t0 = cpuPid === undefined ? 0 : cpuTicks(cpuPid);
  const r = await runLoad({ url, body, connections, seconds, stream });
  if (cpuPid === undefined) return r;
  const ticks = cpuTicks(cpuPid) - t0;
  const units = stream ? r.events : r.requests;
  const us = ticks * tickUs();
  return { ...r, cpu: { ticks, cpuMs: us / 1000, units, usPerUnit: units ? us / units : NaN, resolutionUs: units ? tickUs() / units : NaN, coreShare: us / 1e6 / r.seconds } };
}

function gatewayConfig(gwPort: number, mockPort: number): string {
  const mock = `http://127.0.0.1:${mockPort}`;
  return `port: ${gwPort}
host: 127.0.0.1
openai-compatibility:
  - name: bench
    base-url: ${mock}/v1
    api-key-entries: [{ api-key: sk-bench-1 }, { api-key: sk-bench-2 }]
    models: [{ name: bench-upstream, alias: bench-model }]
claude-api-key:
  - { api-key: sk-ant-bench, base-url: "${mock}", models: [{ name: bench-upstream, alias: bench-claude }] }
gemini-api-key:
  - { api-key: AIza-bench, base-url: "${mock}", models: [{ name: bench-upstream, alias: bench-gemini }] }
codex-api-key:
  - { api-key: sk-codex-bench, base-url: "${mock}", models: [{ name: bench-upstream, alias: bench-codex }] }
`;
}

async function startGateway(mockPort: number, env: Record<string, string> = {}) {
  const gwPort = await freePort();
  const cfg = path.join(mkdtempSync(path.join(tmpdir(), 'cliproxy-bench-')), 'config.yaml');
  writeFileSync(cfg, gatewayConfig(gwPort, mockPort));
  // node itself, no npm / sh wrapper: proc.pid is the process whose CPU and RSS we read.
  const proc = start(root, [...GW_ARGS, 'dist/lib/cli.js', '--config', cfg], { LOG_LEVEL: 'warn', ...env });
  await waitForPort(gwPort);
  assertNodeProcess(proc.pid!, 'dist/lib/cli.js');
  return { proc, url: `http://127.0.0.1:${gwPort}` };
}

const fmt = (n: number, d = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '–');
const fmtUs = (n: number) => fmt(n, n < 10 ? 2 : 1);
const mark = (ok: boolean) => (ok ? '✓' : '✗');
const errs = (...rs: Array<LoadResult | undefined>) => {
  const n = rs.reduce((s, r) => s + (r?.errors ?? 0), 0);
  const first = rs.find((r) => r?.firstError)?.firstError;
  return first ? `${n} (${first})` : String(n);
};

async function main(): Promise<void> {
  const t0 = performance.now();
  // The gateway runs as `npm start` runs it: compiled JavaScript, no loader.
  execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  const mockPort = await freePort();
  start(root, ['--import', 'tsx', 'bench/mock-upstream.ts'], { PORT: String(mockPort) });
  await waitForPort(mockPort);
  const mock = `http://127.0.0.1:${mockPort}`;
  const gw = await startGateway(mockPort);
  const gwPid = gw.proc.pid!;
  const naivePort = await freePort();
  const naiveProc = start(root, ['--import', 'tsx', 'bench/naive-pipe.ts'], { PORT: String(naivePort), UPSTREAM: mock });
  await waitForPort(naivePort);
  assertNodeProcess(naiveProc.pid!, 'bench/naive-pipe.ts');
  const naiveChat = `http://127.0.0.1:${naivePort}/v1/chat/completions`;
  const chat = `${gw.url}/v1/chat/completions`;

  const rows: Row[] = [];
  const scenario = async (name: string, connections: number, stream: boolean, targetUs: number, direct: [string, string], through: [string, string], naive?: string) => {
    if (!wanted(name)) return;
    const d = await measure(direct[0], direct[1], connections, stream);
    const t = await measure(through[0], through[1], connections, stream, SECONDS, gwPid);
    // The naive pipe gets the gateway's request bytes (it ignores the model name).
    const n = naive ? await measure(naive, through[1], connections, stream, SECONDS, naiveProc.pid!) : undefined;
    rows.push({ scenario: name, metric: stream ? 'eventsPerSec' : 'rps', unit: stream ? 'event' : 'request', direct: d, through: t, ...(n ? { naive: n } : {}), target: { cpuUsPerUnit: targetUs } });
    process.stderr.write(`done: ${name}\n`);
  };
  await scenario('OpenAI → OpenAI-compatible (piped), non-stream, 50 conns', 50, false, TARGETS.pipedUsPerRequest, [`${mock}/v1/chat/completions`, bodies.openai('bench-upstream', false)], [chat, bodies.openai('bench-model', false)], naiveChat);
  await scenario('OpenAI → OpenAI-compatible (piped), stream, 100 streams', 100, true, TARGETS.pipedUsPerEvent, [`${mock}/v1/chat/completions`, bodies.openai('bench-upstream', true)], [chat, bodies.openai('bench-model', true)], naiveChat);
  await scenario('OpenAI client → Claude upstream, non-stream, 50 conns', 50, false, TARGETS.translatedUsPerRequest, [`${mock}/v1/messages`, bodies.claude('bench-upstream', false)], [chat, bodies.openai('bench-claude', false)]);
  await scenario('OpenAI client → Claude upstream, stream, 100 streams', 100, true, TARGETS.translatedUsPerEvent, [`${mock}/v1/messages`, bodies.claude('bench-upstream', true)], [chat, bodies.openai('bench-claude', true)]);
  await scenario('Claude client → Gemini upstream, stream, 100 streams', 100, true, TARGETS.translatedUsPerEvent, [`${mock}/v1beta/models/bench-upstream:streamGenerateContent?alt=sse`, bodies.gemini()], [`${gw.url}/v1/messages`, bodies.claude('bench-gemini', true)]);
  await scenario('Responses client → Codex upstream, stream, 100 streams', 100, true, TARGETS.translatedUsPerEvent, [`${mock}/responses`, bodies.responses('bench-upstream', true)], [`${gw.url}/v1/responses`, bodies.responses('bench-codex', true)]);

  // Latency the gateway adds to one non-stream request: 1 connection, sequential requests, p50.
  const LAT_SECONDS = Math.min(3, SECONDS);
  const latency: Array<{ path: string; direct: LoadResult; through: LoadResult; addedP50: number; target?: number }> = [];
  const lat = async (name: string, direct: [string, string], through: [string, string], target?: number) => {
    if (!wanted(`latency ${name}`)) return;
    const d = await measure(direct[0], direct[1], 1, false, LAT_SECONDS);
    const t = await measure(through[0], through[1], 1, false, LAT_SECONDS);
    latency.push({ path: name, direct: d, through: t, addedP50: t.p50 - d.p50, ...(target === undefined ? {} : { target }) });
    process.stderr.write(`done: latency ${name}\n`);
  };
  await lat('piped (OpenAI → OpenAI-compatible)', [`${mock}/v1/chat/completions`, bodies.openai('bench-upstream', false)], [chat, bodies.openai('bench-model', false)], TARGETS.addedP50MsPiped);
  await lat('translated (OpenAI client → Claude upstream)', [`${mock}/v1/messages`, bodies.claude('bench-upstream', false)], [chat, bodies.openai('bench-claude', false)], TARGETS.addedP50MsTranslated);
  await lat('naive pipe reference (OpenAI)', [`${mock}/v1/chat/completions`, bodies.openai('bench-upstream', false)], [naiveChat, bodies.openai('bench-model', false)]);

  // Lifetime peak before the 1,000-stream phase resets VmHWM.
  const rss = peakRssMb(gwPid);

  // 1,000 concurrent 20-chunk streams, OpenAI piped, one phase (after a 1 s
  // warm-up at 1,000): RSS sampled every 100 ms + VmHWM, errors, CPU per event.
  let streams1000: { warmUp: LoadResult; through: Phase; rss: ReturnType<ReturnType<typeof sampleRss>['stop']> } | undefined;
  const S1000 = 'OpenAI → OpenAI-compatible (piped), stream, 1,000 streams';
  if (wanted(S1000)) {
    // RSS over the warm-up (1,000 connections opening) and the phase; CPU over the phase.
    const sampler = sampleRss(gwPid, 100);
    const warmUp = await runLoad({ url: chat, body: bodies.openai('bench-model', true), connections: 1000, seconds: 1, stream: true });
    const c0 = cpuTicks(gwPid);
    const r = await runLoad({ url: chat, body: bodies.openai('bench-model', true), connections: 1000, seconds: SECONDS, stream: true });
    const ticks = cpuTicks(gwPid) - c0;
    const rssPhase = sampler.stop();
    const us = ticks * tickUs();
    streams1000 = { warmUp, through: { ...r, cpu: { ticks, cpuMs: us / 1000, units: r.events, usPerUnit: r.events ? us / r.events : NaN, resolutionUs: r.events ? tickUs() / r.events : NaN, coreShare: us / 1e6 / r.seconds } }, rss: rssPhase };
    process.stderr.write(`done: ${S1000}\n`);
  }

  const relay = await relayBench(root, gw.url, measure, SECONDS, wanted);
  await stop(gw.proc);
  await stop(naiveProc);

  // Small requests' p99 while 10 MB image requests are being translated, with and without the worker.
  const offload: Array<{ mode: string; small: LoadResult; large: LoadResult }> = [];
  if (wanted('offload')) {
    const big = JSON.stringify({ model: 'bench-claude', messages: [{ role: 'user', content: [{ type: 'text', text: 'describe' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,' + Buffer.alloc(7.5 * 1024 * 1024, 3).toString('base64') } }] }] });
    for (const [mode, env] of [['worker', {}], ['main thread', { CLIPROXY_OFFLOAD_THRESHOLD: String(1e12) }]] as const) {
      const g = await startGateway(mockPort, env);
      const url = `${g.url}/v1/chat/completions`;
      await runLoad({ url, body: bodies.openai('bench-claude', false), connections: 10, seconds: 1, stream: false });
      const [small, large] = await Promise.all([
        runLoad({ url, body: bodies.openai('bench-claude', false), connections: 10, seconds: SECONDS, stream: false }),
        runLoad({ url, body: big, connections: 2, seconds: SECONDS, stream: false }),
      ]);
      offload.push({ mode, small, large });
      await stop(g.proc);
      process.stderr.write(`done: offload (${mode})\n`);
    }
  }

  // Redis on vs off (lib/cluster), own gateways; BENCH_ONLY=cluster runs it alone.
  const cluster = await clusterBench((env) => startGateway(mockPort, env), measure, bodies.openai('bench-model', false), SECONDS, wanted);

  const tickMs = 1000 / clockTicks();
  const cpuCell = (p: Phase | undefined, unit: Row['unit']) => (p?.cpu ? `${fmtUs(p.cpu.usPerUnit)} µs/${unit === 'request' ? 'req' : 'event'}` : '');
  const lines: string[] = [];
  if (rows.length) {
    lines.push(
      '| scenario | metric | direct | through | through/direct | p50 direct / through (ms) | p99 direct / through (ms) | CPU per req or event | target | CPU, % of a core | errors |',
      '|---|---|---|---|---|---|---|---|---|---|---|',
    );
    for (const r of rows) {
      const dv = r.direct[r.metric];
      const tv = r.through[r.metric];
      const unit = r.unit === 'request' ? 'req' : 'event';
      const cpu = r.through.cpu!;
      lines.push(
        `| ${r.scenario} | ${r.metric === 'rps' ? 'req/s' : 'SSE events/s'} | ${fmt(dv)} | ${fmt(tv)} | ${fmt(tv / dv, 2)} | ${fmt(r.direct.p50, 1)} / ${fmt(r.through.p50, 1)} | ${fmt(r.direct.p99, 1)} / ${fmt(r.through.p99, 1)} | ${cpuCell(r.through, r.unit)} | ≤ ${r.target.cpuUsPerUnit} µs/${unit} ${mark(cpu.usPerUnit <= r.target.cpuUsPerUnit)} | ${fmt(cpu.coreShare * 100)} % | ${errs(r.direct, r.through)} |`,
      );
      if (r.naive) {
        const nv = r.naive[r.metric];
        lines.push(
          `| ↳ naive pipe (node:http + undici, no parsing), same load | ${r.metric === 'rps' ? 'req/s' : 'SSE events/s'} | ″ | ${fmt(nv)} | ${fmt(nv / dv, 2)} | ″ / ${fmt(r.naive.p50, 1)} | ″ / ${fmt(r.naive.p99, 1)} | ${cpuCell(r.naive, r.unit)} | – | ${fmt(r.naive.cpu!.coreShare * 100)} % | ${errs(r.naive)} |`,
        );
      }
    }
    const res = rows.map((r) => r.through.cpu!.resolutionUs).concat(rows.flatMap((r) => (r.naive ? [r.naive.cpu!.resolutionUs] : [])));
    lines.push(
      '',
      `CPU = utime + stime of the gateway's (or naive pipe's) node process, all threads, from /proc/<pid>/stat at the start and end of the measured THROUGH phase, ` +
        `divided by the requests completed (non-stream) or SSE events received (stream) in it. Clock tick ${fmt(tickMs, 0)} ms (CLK_TCK ${clockTicks()}): ` +
        `±1 tick is ±${fmt(Math.min(...res), 3)}–${fmt(Math.max(...res), 3)} µs per req/event in these phases.`,
    );
    for (const r of rows.filter((x) => x.naive)) {
      lines.push(
        `Gateway vs naive pipe, ${r.scenario}: ${fmt(r.through[r.metric] / r.naive![r.metric], 2)}× the rate, ${fmt(r.through.cpu!.usPerUnit / r.naive!.cpu!.usPerUnit, 2)}× the CPU per ${r.unit}.`,
      );
    }
  }
  if (latency.length) {
    lines.push(
      '',
      `| non-stream, 1 connection, sequential (${LAT_SECONDS}s each) | direct p50 (ms) | through p50 (ms) | added p50 (ms) | target | errors |`,
      '|---|---|---|---|---|---|',
      ...latency.map((l) => `| ${l.path} | ${fmt(l.direct.p50, 3)} | ${fmt(l.through.p50, 3)} | ${fmt(l.addedP50, 3)} | ${l.target === undefined ? '–' : `≤ ${l.target} ms ${mark(l.addedP50 <= l.target)}`} | ${errs(l.direct, l.through)} |`),
    );
  }
  if (streams1000) {
    const s = streams1000;
    lines.push(
      '',
      '| scenario | SSE events/s | streams/s | p50 / p99 stream (ms) | CPU per event | CPU, % of a core | gateway RSS before / peak (MB) | target | errors |',
      '|---|---|---|---|---|---|---|---|---|',
      `| ${S1000} | ${fmt(s.through.eventsPerSec)} | ${fmt(s.through.rps)} | ${fmt(s.through.p50, 1)} / ${fmt(s.through.p99, 1)} | ${cpuCell(s.through, 'event')} | ${fmt(s.through.cpu!.coreShare * 100)} % | ${fmt(s.rss.startMb, 1)} / ${fmt(s.rss.peakMb, 1)} | ≤ ${TARGETS.streams1000PeakRssMb} MB, 0 errors ${mark(s.rss.peakMb <= TARGETS.streams1000PeakRssMb && s.through.errors + s.warmUp.errors === 0)} | ${errs(s.warmUp, s.through)} |`,
      '',
      `Peak RSS over the 1 s warm-up and the phase: VmRSS sampled every 100 ms${s.rss.hwmReset ? ' and VmHWM (reset before the warm-up via /proc/<pid>/clear_refs)' : ' (VmHWM could not be reset)'}: sampled ${fmt(s.rss.sampledPeakMb, 1)} MB, VmHWM ${fmt(s.rss.hwmMb, 1)} MB. ` +
        `"Before" is VmRSS just before the warm-up; the phase runs on the same gateway, after whichever scenarios above ran.`,
    );
  }
  if (offload.length) {
    lines.push(
      '',
      '| 10 MB image requests translated on | small requests/s | small p50 (ms) | small p99 (ms) | large requests/s | errors |',
      '|---|---|---|---|---|---|',
      ...offload.map((o) => `| ${o.mode} | ${fmt(o.small.rps)} | ${fmt(o.small.p50, 1)} | ${fmt(o.small.p99, 1)} | ${fmt(o.large.rps, 1)} | ${errs(o.small, o.large)} |`),
    );
  }
  lines.push(
    ...relay.lines,
    ...cluster.lines,
    '',
    `gateway peak RSS (first gateway, over the scenarios and latency runs before the 1,000-stream phase): ${fmt(rss, 1)} MB; ${SECONDS}s per phase; node ${process.version}; ` +
      `total ${fmt((performance.now() - t0) / 1000)} s${ONLY.length ? `; BENCH_ONLY=${process.env.BENCH_ONLY}` : ''}`,
  );
  process.stdout.write(lines.join('\n') + '\n');
  mkdirSync(path.join(root, 'bench/results'), { recursive: true });
  // A BENCH_ONLY subset does not overwrite the full run's latest.json.
  writeFileSync(
    path.join(root, ONLY.length ? 'bench/results/latest-only.json' : 'bench/results/latest.json'),
    JSON.stringify(
      {
        date: new Date().toISOString(),
        seconds: SECONDS,
        node: process.version,
        ...(ONLY.length ? { only: ONLY } : {}),
        cpu: { source: '/proc/<pid>/stat utime+stime (fields 14+15), gateway node process, all threads, over each measured THROUGH phase', clockTicksPerSecond: clockTicks(), tickMs, unit: 'µs per request (non-stream) or per SSE event received (stream)' },
        targets: TARGETS,
        gatewayPeakRssMb: rss,
        rows,
        latency,
        streams1000: streams1000 ? { scenario: S1000, ...streams1000, target: { peakRssMb: TARGETS.streams1000PeakRssMb, errors: 0 } } : undefined,
        offload,
        relay: relay.rows,
        cluster: cluster.rows,
      },
      null,
      2,
    ),
  );
}

main()
  .catch((err) => {
    process.stderr.write(`bench failed: ${(err as Error).stack}\n`);
    process.exitCode = 1;
  })
  .finally(stopAll);
