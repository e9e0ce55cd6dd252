// AI Studio relay overhead: the same Gemini traffic through the gateway twice,
// once to the HTTP bench mock (a gemini-api-key, model bench-gemini) and once
// over the /v1/ws relay to a simulated app process (bench/relay-app.ts) that
// answers with the same bytes (model gemini-2.5-flash, served only by the
// relay). Both paths share the gateway, the client side and the answer, so the
// ratio is what the WebSocket hop costs against an HTTP hop.
import type { LoadResult } from './load.js';
import { start, stop } from './procs.js';

type Measure = (url: string, body: string, connections: number, stream: boolean, seconds?: number) => Promise<LoadResult>;

export interface RelayRow {
  scenario: string;
  metric: 'rps' | 'eventsPerSec';
  http: LoadResult;
  relay: LoadResult;
}

const RELAY_MODEL = 'gemini-2.5-flash';
const HTTP_MODEL = 'bench-gemini';
const gemini = JSON.stringify({ systemInstruction: { parts: [{ text: 'You are terse.' }] }, contents: [{ role: 'user', parts: [{ text: 'Say something about foxes.' }] }] });
const openai = (model: string) => JSON.stringify({ model, stream: true, messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Say something about foxes.' }] });
const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

async function waitForModel(gwUrl: string, model: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const list = (await fetch(`${gwUrl}/v1/models`).then((r) => r.json())) as { data: Array<{ id: string }> };
    if (list.data.some((m) => m.id === model)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the relay app did not connect');
}

const SCENARIOS = ['Gemini client, non-stream, 50 conns', 'Gemini client, stream, 100 streams', 'OpenAI client → Gemini (translated), stream, 100 streams', 'Gemini client, non-stream, 1 conn (latency)'] as const;

export async function relayBench(root: string, gwUrl: string, measure: Measure, seconds: number, wanted: (name: string) => boolean = () => true): Promise<{ rows: RelayRow[]; lines: string[] }> {
  if (!SCENARIOS.some((n) => wanted(`relay ${n}`))) return { rows: [], lines: [] };
  const app = start(root, ['--import', 'tsx', 'bench/relay-app.ts'], { GATEWAY_WS: `${gwUrl.replace(/^http/, 'ws')}/v1/ws` });
  try {
    await waitForModel(gwUrl, RELAY_MODEL);
    const rows: RelayRow[] = [];
    const scenario = async (name: (typeof SCENARIOS)[number], metric: RelayRow['metric'], connections: number, stream: boolean, url: (model: string) => string, body: (model: string) => string, secs = seconds) => {
      if (!wanted(`relay ${name}`)) return;
      const http = await measure(url(HTTP_MODEL), body(HTTP_MODEL), connections, stream, secs);
      const relay = await measure(url(RELAY_MODEL), body(RELAY_MODEL), connections, stream, secs);
      rows.push({ scenario: name, metric, http, relay });
      process.stderr.write(`done: relay ${name}\n`);
    };
    const generate = (m: string) => `${gwUrl}/v1beta/models/${m}:generateContent`;
    const streamSse = (m: string) => `${gwUrl}/v1beta/models/${m}:streamGenerateContent?alt=sse`;
    await scenario('Gemini client, non-stream, 50 conns', 'rps', 50, false, generate, () => gemini);
    await scenario('Gemini client, stream, 100 streams', 'eventsPerSec', 100, true, streamSse, () => gemini);
    await scenario('OpenAI client → Gemini (translated), stream, 100 streams', 'eventsPerSec', 100, true, () => `${gwUrl}/v1/chat/completions`, openai);
    await scenario('Gemini client, non-stream, 1 conn (latency)', 'rps', 1, false, generate, () => gemini, Math.min(3, seconds));

    const lines = [
      '',
      'AI Studio relay (one app socket) against the same Gemini traffic to the HTTP mock, both through the gateway:',
      '',
      '| scenario | metric | HTTP upstream | relay | relay/HTTP | p50 HTTP / relay (ms) | p99 HTTP / relay (ms) | errors |',
      '|---|---|---|---|---|---|---|---|',
      ...rows.map((r) => {
        const h = r.http[r.metric];
        const v = r.relay[r.metric];
        return `| ${r.scenario} | ${r.metric === 'rps' ? 'req/s' : 'SSE events/s'} | ${fmt(h)} | ${fmt(v)} | ${fmt(v / h, 2)} | ${fmt(r.http.p50, 2)} / ${fmt(r.relay.p50, 2)} | ${fmt(r.http.p99, 1)} / ${fmt(r.relay.p99, 1)} | ${r.http.errors + r.relay.errors} |`;
      }),
    ];
    return { rows, lines };
  } finally {
    await stop(app);
  }
}
