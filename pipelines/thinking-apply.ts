// The reasoning a model name chose (`model(high)`, `model(8192)`, an alias
// that carries a level) written into an upstream request body, whatever the
// client asked for itself. Works on the upstream's own JSON, so it serves a
// translated body, a piped same-format one and one patched in the worker
// alike. Only top-level fields are assigned (fresh objects below them): the
// body may share nested objects with the client's parsed request.
import type { FormatName, IREffort } from './ir.js';
import { budgetToEffort, clampBudget, effortToBudget, thinkingRange } from './reasoning.js';

type Json = Record<string, unknown>;

/** A level name (none, minimal, low, medium, high, xhigh, auto) or a token budget (0 off, -1 dynamic). */
export type Thinking = string | number;

const EFFORTS = new Set<string>(['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'auto']);

function isObj(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The level a setting asks for. */
export function thinkingEffort(t: Thinking): IREffort {
  if (typeof t === 'number') return t < 0 ? 'auto' : budgetToEffort(t);
  return (EFFORTS.has(t) ? t : 'medium') as IREffort;
}

/** The token budget a setting asks for, before clamping (-1 dynamic, 0 off). */
export function thinkingBudget(t: Thinking): number {
  if (typeof t === 'number') return t;
  return effortToBudget(thinkingEffort(t));
}

/** OpenAI Chat Completions: reasoning_effort; dynamic = the model's own default (no field). */
function applyOpenAIChat(body: Json, t: Thinking): void {
  const effort = thinkingEffort(t);
  if (effort === 'auto') delete body['reasoning_effort'];
  else body['reasoning_effort'] = effort;
}

/** Responses / Codex: reasoning.effort; off drops the summary (there is nothing to summarise). */
function applyResponses(body: Json, t: Thinking): void {
  let effort = thinkingEffort(t);
  if (effort === 'auto') effort = 'medium';
  const r: Json = isObj(body['reasoning']) ? { ...body['reasoning'] } : {};
  r['effort'] = effort;
  if (effort === 'none') delete r['summary'];
  body['reasoning'] = r;
}

/** Claude: extended thinking with a budget below max_tokens (at least 1024), or disabled. */
function applyClaude(body: Json, model: string, t: Thinking): void {
  // Claude has no dynamic budget: "auto" thinks at the medium level's budget.
  const wanted = thinkingBudget(t) < 0 ? effortToBudget('medium') : thinkingBudget(t);
  const outputConfig = isObj(body['output_config']) ? { ...body['output_config'] } : undefined;
  if (outputConfig && 'effort' in outputConfig) {
    delete outputConfig['effort'];
    if (Object.keys(outputConfig).length === 0) delete body['output_config'];
    else body['output_config'] = outputConfig;
  }
  if (wanted === 0) {
    body['thinking'] = { type: 'disabled' };
    return;
  }
  const budget = clampBudget(model.toLowerCase().startsWith('claude-') ? model : 'claude-', wanted);
  const maxTokens = typeof body['max_tokens'] === 'number' && body['max_tokens'] > 0 ? Math.floor(body['max_tokens']) : undefined;
  // The budget must stay below max_tokens: a budget the client's max_tokens
  // cannot hold raises max_tokens rather than silently thinking less.
  if (maxTokens === undefined || budget >= maxTokens) body['max_tokens'] = budget + Math.max(1024, maxTokens ?? 0);
  body['thinking'] = { type: 'enabled', budget_tokens: budget };
  // Claude refuses sampling changes while thinking.
  if (body['temperature'] !== undefined && body['temperature'] !== 1) delete body['temperature'];
  if (typeof body['top_p'] === 'number' && body['top_p'] < 0.95) delete body['top_p'];
  delete body['top_k'];
}

/** Gemini generationConfig.thinkingConfig: a clamped budget (a level is converted), thoughts shown while on. */
function geminiConfig(gen: unknown, model: string, t: Thinking): Json {
  const g: Json = isObj(gen) ? { ...gen } : {};
  const tc: Json = isObj(g['thinkingConfig']) ? { ...g['thinkingConfig'] } : {};
  const wanted = thinkingBudget(t);
  const range = thinkingRange(model);
  delete tc['thinkingLevel'];
  delete tc['thinking_level'];
  tc['thinkingBudget'] = range ? clampBudget(model, wanted) : wanted;
  if (wanted === 0) tc['includeThoughts'] = false;
  else if (typeof tc['includeThoughts'] !== 'boolean') tc['includeThoughts'] = true;
  g['thinkingConfig'] = tc;
  return g;
}

/**
 * Write the reasoning setting into an upstream body of `format` for `model`.
 * Returns whether the body changed (it always does for a known format).
 */
export function applyThinking(format: FormatName, body: Json, model: string, t: Thinking): boolean {
  switch (format) {
    case 'openai-chat':
    case 'openai-completions':
      applyOpenAIChat(body, t);
      return true;
    case 'openai-responses':
    case 'codex':
      applyResponses(body, t);
      return true;
    case 'claude':
      applyClaude(body, model, t);
      return true;
    case 'gemini':
      body['generationConfig'] = geminiConfig(body['generationConfig'], model, t);
      return true;
    case 'gemini-cli': {
      const req: Json = isObj(body['request']) ? { ...body['request'] } : {};
      req['generationConfig'] = geminiConfig(req['generationConfig'], model, t);
      body['request'] = req;
      return true;
    }
    default:
      return false;
  }
}
