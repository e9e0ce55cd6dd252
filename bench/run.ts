// `npm run bench`: mock upstreams and the gateway in their own processes, load
// from this one, all on loopback. Each scenario runs DIRECT to the mock (in the
// upstream's own format) and THROUGH the gateway (in the client's format) in
// the same run; the table shows the through/direct ratio.
// BENCH_SECONDS (default 5) sets the length of each measured phase.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLoad, type LoadResult } from './load.js';
import { freePort, peakRssMb, start, stop, stopAll, waitForPort } from './procs.js';
import { relayBench } from './relay.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const GW_ARGS = (process.env.GW_NODE_ARGS ?? '').split(' ').filter(Boolean);

const messages = [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Say something about foxes.' }];
const bodies = {
  openai: (model: string, stream: boolean) => JSON.stringify({ model, stream, messages }),
  claude: (model: string, stream: boolean) => JSON.stringify({ model, stream, max_tokens: 1024, system: 'You are terse.', messages: [{ role: 'user', content: 'Say something about foxes.' }] }),
  gemini: () => JSON.stringify({ systemInstruction: { parts: [{ text: 'You are terse.' }] }, contents: [{ role: 'user', parts: [{ text: 'Say something about foxes.' }] }] }),
  responses: (model: string, stream: boolean) => JSON.stringify({ model, stream, store: false, instructions: 'You are terse.', input: [{ role: 'user', content: [{ type: 'input_text', text: 'Say something about foxes.' }] }] }),
};

interface Row {
  scenario: string;
  metric: 'rps' | 'eventsPerSec';
  direct: LoadResult;
  through: LoadResult;
}

async function measure(url: string, body: string, connections: number, stream: boolean, seconds = SECONDS): Promise<LoadResult> {
  await runLoad({ url, body, connections, seconds: Math.min(1, seconds), stream }); // warm-up
  return runLoad({ url, body, connections, seconds, stream });
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
  const proc = start(root, [...GW_ARGS, 'dist/lib/cli.js', '--config', cfg], { LOG_LEVEL: 'warn', ...env });
  await waitForPort(gwPort);
  return { proc, url: `http://127.0.0.1:${gwPort}` };
}

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

async function main(): Promise<void> {
  // The gateway runs as `npm start` runs it: compiled JavaScript, no loader.
  execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
  const mockPort = await freePort();
  start(root, ['--import', 'tsx', 'bench/mock-upstream.ts'], { PORT: String(mockPort) });
  await waitForPort(mockPort);
  const mock = `http://127.0.0.1:${mockPort}`;
  const gw = await startGateway(mockPort);

  const rows: Row[] = [];
  const scenario = async (name: string, metric: Row['metric'], connections: number, stream: boolean, direct: [string, string], through: [string, string]) => {
    const d = await measure(direct[0], direct[1], connections, stream);
    const t = await measure(through[0], through[1], connections, stream);
    rows.push({ scenario: name, metric, direct: d, through: t });
    process.stderr.write(`done: ${name}\n`);
  };
  const chat = `${gw.url}/v1/chat/completions`;
  await scenario('OpenAI → OpenAI-compatible (passthrough), non-stream, 50 conns', 'rps', 50, false, [`${mock}/v1/chat/completions`, bodies.openai('bench-upstream', false)], [chat, bodies.openai('bench-model', false)]);
  await scenario('OpenAI → OpenAI-compatible (passthrough), stream, 100 streams', 'eventsPerSec', 100, true, [`${mock}/v1/chat/completions`, bodies.openai('bench-upstream', true)], [chat, bodies.openai('bench-model', true)]);
  await scenario('OpenAI client → Claude upstream, stream, 100 streams', 'eventsPerSec', 100, true, [`${mock}/v1/messages`, bodies.claude('bench-upstream', true)], [chat, bodies.openai('bench-claude', true)]);
  await scenario('Claude client → Gemini upstream, stream, 100 streams', 'eventsPerSec', 100, true, [`${mock}/v1beta/models/bench-upstream:streamGenerateContent?alt=sse`, bodies.gemini()], [`${gw.url}/v1/messages`, bodies.claude('bench-gemini', true)]);
  await scenario('Responses client → Codex upstream, stream, 100 streams', 'eventsPerSec', 100, true, [`${mock}/responses`, bodies.responses('bench-upstream', true)], [`${gw.url}/v1/responses`, bodies.responses('bench-codex', true)]);

  // Latency translation adds to one non-stream request (1 connection, no queueing).
  const pass = await measure(chat, bodies.openai('bench-model', false), 1, false, Math.min(3, SECONDS));
  const translated = await measure(chat, bodies.openai('bench-claude', false), 1, false, Math.min(3, SECONDS));
  const rss = peakRssMb(gw.proc.pid!);
  const relay = await relayBench(root, gw.url, measure, SECONDS);
  await stop(gw.proc);

  // Small requests' p99 while 10 MB image requests are being translated, with and without the worker.
  const big = JSON.stringify({ model: 'bench-claude', messages: [{ role: 'user', content: [{ type: 'text', text: 'describe' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,' + Buffer.alloc(7.5 * 1024 * 1024, 3).toString('base64') } }] }] });
  const offload: Array<{ mode: string; small: LoadResult; large: LoadResult }> = [];
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
  lines.push(
    '',
    `Non-stream p50 through the gateway, 1 connection: passthrough ${fmt(pass.p50, 2)} ms, translated to Claude ${fmt(translated.p50, 2)} ms (translation adds ${fmt(translated.p50 - pass.p50, 2)} ms).`,
    '',
    '| 10 MB image requests translated on | small requests/s | small p50 (ms) | small p99 (ms) | large requests/s | errors |',
    '|---|---|---|---|---|---|',
    ...offload.map((o) => `| ${o.mode} | ${fmt(o.small.rps)} | ${fmt(o.small.p50, 1)} | ${fmt(o.small.p99, 1)} | ${fmt(o.large.rps, 1)} | ${o.small.errors + o.large.errors} |`),
    ...relay.lines,
    '',
    `gateway peak RSS (first gateway, all stream scenarios): ${fmt(rss, 1)} MB; ${SECONDS}s per phase; node ${process.version}`,
  );
  process.stdout.write(lines.join('\n') + '\n');
  mkdirSync(path.join(root, 'bench/results'), { recursive: true });
  writeFileSync(
    path.join(root, 'bench/results/latest.json'),
    JSON.stringify({ date: new Date().toISOString(), seconds: SECONDS, gatewayPeakRssMb: rss, rows, latency: { passthroughP50: pass.p50, translatedP50: translated.p50 }, offload, relay: relay.rows }, null, 2),
  );
}

main()
  .catch((err) => {
    process.stderr.write(`bench failed: ${(err as Error).stack}\n`);
    process.exitCode = 1;
  })
  .finally(stopAll);
