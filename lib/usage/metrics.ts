// Prometheus metrics for GET /metrics, one registry per gateway: requests,
// errors, latency, tokens and open streams, by provider and model. Labels
// never carry credentials (not even masked ones), and never a model name a
// client made up: those read "other", and every label is capped (labels.ts).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RequestRecord } from '../routing/types.js';
import type { IRUsage } from '../../pipelines/ir.js';
import { BoundedLabel, knownModel, type KnownModel } from './labels.js';
import { tokenStats } from './stats.js';

/** Distinct values one label may take; later ones read "other". */
export const MAX_LABEL_VALUES = 500;

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'api' | 'provider' | 'model' | 'status'>;
  private readonly errors: Counter<'api' | 'provider' | 'model' | 'status'>;
  private readonly latency: Histogram<'api' | 'provider' | 'model' | 'stream'>;
  private readonly tokens: Counter<'provider' | 'model' | 'type'>;
  private readonly streams: Gauge<'provider' | 'model'>;
  /** Open streams by "provider\0model" (label values already bounded). */
  private readonly openStreams = new Map<string, number>();
  // Every series carries these; each bounds all metrics at once. Provider and
  // stream are fixed sets; status is what an upstream answered (three digits).
  private readonly models: BoundedLabel;
  private readonly apis = new BoundedLabel(MAX_LABEL_VALUES);
  private readonly statuses = new BoundedLabel(MAX_LABEL_VALUES);

  constructor(opts: { defaultMetrics?: boolean; known?: KnownModel } = {}) {
    this.models = new BoundedLabel(MAX_LABEL_VALUES, opts.known ?? knownModel);
    const registers = [this.registry];
    this.requests = new Counter({ name: 'cliproxy_requests_total', help: 'Finished inference requests', labelNames: ['api', 'provider', 'model', 'status'], registers });
    this.errors = new Counter({ name: 'cliproxy_request_errors_total', help: 'Inference requests answered with a status of 400 or more', labelNames: ['api', 'provider', 'model', 'status'], registers });
    this.latency = new Histogram({
      name: 'cliproxy_request_duration_seconds',
      help: 'Time from request arrival to the end of the answer',
      labelNames: ['api', 'provider', 'model', 'stream'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    });
    this.tokens = new Counter({ name: 'cliproxy_tokens_total', help: 'Tokens reported by upstream answers', labelNames: ['provider', 'model', 'type'], registers });
    // Open streams are counted in a plain Map and read into the gauge at scrape
    // time: a prom-client inc/dec (label validation and hashing) per stream start
    // and end showed in the streaming profile (issue #10, CPU per event).
    const open = this.openStreams;
    this.streams = new Gauge({
      name: 'cliproxy_active_streams',
      help: 'Streamed answers currently being sent',
      labelNames: ['provider', 'model'],
      registers,
      collect() {
        for (const [key, n] of open) {
          const cut = key.indexOf('\u0000');
          this.set({ provider: key.slice(0, cut), model: key.slice(cut + 1) }, n);
        }
      },
    });
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'cliproxy_' });
  }

  observe(r: RequestRecord, usage: IRUsage | undefined): void {
    const provider = r.provider ?? 'none';
    const api = this.apis.of(r.api);
    const model = this.models.of(r.model);
    const status = this.statuses.of(String(r.status));
    this.requests.inc({ api, provider, model, status });
    if (!r.ok) this.errors.inc({ api, provider, model, status });
    this.latency.observe({ api, provider, model, stream: String(r.stream) }, r.latencyMs / 1000);
    if (usage) {
      const t = tokenStats(usage);
      for (const [type, n] of [['input', t.input_tokens], ['output', t.output_tokens], ['reasoning', t.reasoning_tokens], ['cached', t.cached_tokens]] as const) {
        if (n > 0) this.tokens.inc({ provider, model, type }, n);
      }
    }
  }

  /** A stream started; call the returned function once when it ends. */
  streamStarted(provider: string, model: string): () => void {
    const key = `${provider}\u0000${this.models.of(model)}`;
    const counts = this.openStreams;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      counts.set(key, counts.get(key)! - 1);
    };
  }

  /** A gauge read at scrape time, for parts outside the request path (the store, Redis). */
  gauge(name: string, help: string, read: () => number): void {
    if (this.registry.getSingleMetric(name)) this.registry.removeSingleMetric(name);
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
