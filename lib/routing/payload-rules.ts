// `payload` rules (as CLIProxyAPI 6.4+): parameters written into the upstream
// request for the models and protocols a rule names. `default` sets a path
// only when it is absent (the first matching rule wins), `override` always
// sets it (the last matching rule wins). Matched on the main thread by the
// upstream model and protocol; what matched travels as plain data (paths and
// values) with the attempt's patch, so the worker applies it the same way
// (pipelines/payload-apply.ts).
import type { FormatName } from '../../pipelines/ir.js';
import { FORBIDDEN_PATH_KEY, parseJsonPath } from '../../pipelines/json-path.js';
import type { PayloadOps, PayloadParam } from '../../pipelines/payload-apply.js';
import type { PayloadConfig, PayloadRule } from '../config/types.js';
import { modelGlob, patternProblem, type ModelMatcher } from './model-syntax.js';

/** Protocols a rule may name: the upstream's wire format, as the reference calls it. */
export const PAYLOAD_PROTOCOLS = ['openai', 'gemini', 'claude', 'codex'] as const;

export type { PayloadOps };

interface CompiledRule {
  models: Array<{ match: ModelMatcher; protocol: string }>;
  params: PayloadParam[];
}

interface Compiled {
  defaults: CompiledRule[];
  overrides: CompiledRule[];
  /** Matches per model+protocol; model names may be client-chosen, so the table is capped. */
  cache: Map<string, PayloadOps | null>;
}

const MAX_CACHED = 1000;
const compiled = new WeakMap<PayloadConfig, Compiled>();

/** The protocol name of an upstream format. */
export function payloadProtocol(format: FormatName): string {
  switch (format) {
    case 'claude':
      return 'claude';
    case 'gemini':
    case 'gemini-cli':
      return 'gemini';
    case 'codex':
      return 'codex';
    default:
      return 'openai';
  }
}

function compileRule(rule: PayloadRule): CompiledRule {
  return {
    models: rule.models.filter((m) => m.name.trim() !== '').map((m) => ({ match: modelGlob(m.name), protocol: m.protocol.trim().toLowerCase() })),
    params: Object.entries(rule.params).flatMap(([path, value]) => {
      const segs = parseJsonPath(path.trim());
      return segs ? [[segs, value] as PayloadParam] : [];
    }),
  };
}

function compile(cfg: PayloadConfig): Compiled {
  let c = compiled.get(cfg);
  if (!c) {
    c = { defaults: cfg.default.map(compileRule), overrides: cfg.override.map(compileRule), cache: new Map() };
    compiled.set(cfg, c);
  }
  return c;
}

function matches(rule: CompiledRule, model: string, protocol: string): boolean {
  return rule.models.some((m) => (m.protocol === '' || m.protocol === protocol) && m.match(model));
}

/** The parameters the rules give this upstream model and format; undefined when none (the usual, free case). */
export function payloadFor(cfg: PayloadConfig | undefined, model: string, format: FormatName): PayloadOps | undefined {
  if (!cfg || (cfg.default.length === 0 && cfg.override.length === 0)) return undefined;
  const c = compile(cfg);
  const protocol = payloadProtocol(format);
  const key = `${protocol}\u0000${model}`;
  let ops = c.cache.get(key);
  if (ops === undefined) {
    const defaults = c.defaults.filter((r) => matches(r, model, protocol)).flatMap((r) => r.params);
    const overrides = c.overrides.filter((r) => matches(r, model, protocol)).flatMap((r) => r.params);
    ops = defaults.length + overrides.length > 0 ? { defaults, overrides } : null;
    if (c.cache.size >= MAX_CACHED) c.cache.clear();
    c.cache.set(key, ops);
  }
  return ops ?? undefined;
}

/** Why a payload section is unusable (the config loader's check), or undefined. */
export function payloadProblem(value: unknown): string | undefined {
  const cfg = value as PayloadConfig;
  for (const section of ['default', 'override'] as const) {
    for (const [i, rule] of cfg[section].entries()) {
      const at = `${section}[${i}]`;
      if (rule.models.length === 0) return `${at}: "models" must list at least one {name, protocol}`;
      for (const [j, m] of rule.models.entries()) {
        const bad = patternProblem(m.name);
        if (bad) return `${at}.models[${j}].name: ${bad}`;
        const protocol = m.protocol.trim().toLowerCase();
        if (protocol !== '' && !(PAYLOAD_PROTOCOLS as readonly string[]).includes(protocol)) {
          return `${at}.models[${j}].protocol: expected one of ${PAYLOAD_PROTOCOLS.join(', ')} (or leave it out for any), got ${JSON.stringify(m.protocol)}`;
        }
      }
      if (Object.keys(rule.params).length === 0) return `${at}: "params" must set at least one JSON path`;
      for (const path of Object.keys(rule.params)) {
        if (path.split('.').includes(FORBIDDEN_PATH_KEY)) return `${at}.params: ${JSON.stringify(path)} names ${FORBIDDEN_PATH_KEY}, which no JSON path may set`;
        if (!parseJsonPath(path.trim())) return `${at}.params: ${JSON.stringify(path)} is not a JSON path (dotted names such as generationConfig.thinkingConfig.thinkingBudget or tools.0.name)`;
      }
    }
  }
  return undefined;
}
