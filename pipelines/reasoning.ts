// Reasoning controls cross formats as either an effort level (OpenAI,
// Responses) or a token budget (Claude, Gemini). These helpers convert between
// the two and clamp budgets to what a model accepts, so every codec maps the
// same way.
import type { IREffort, IRReasoningConfig } from './ir.js';

export interface ThinkingRange {
  min: number;
  max: number;
  zeroAllowed: boolean;
  dynamicAllowed: boolean;
}

// Ranges of the Gemini models the reference catalogue knows (a7d105bd6).
const GEMINI_RANGES: Array<[RegExp, ThinkingRange]> = [
  [/^gemini-2\.5-flash-lite|^gemini-flash-lite-latest/, { min: 512, max: 24576, zeroAllowed: true, dynamicAllowed: true }],
  [/^gemini-2\.5-flash-image|^gemini-.*-image/, { min: 0, max: 0, zeroAllowed: true, dynamicAllowed: false }],
  [/^gemini-2\.5-flash|^gemini-flash-latest/, { min: 0, max: 24576, zeroAllowed: true, dynamicAllowed: true }],
  [/^gemini-2\.5-pro|^gemini-pro-latest|^gemini-3-pro/, { min: 128, max: 32768, zeroAllowed: false, dynamicAllowed: true }],
];

// Claude's extended thinking: at least 1024 tokens, and below max_tokens.
const CLAUDE_RANGE: ThinkingRange = { min: 1024, max: 128000, zeroAllowed: true, dynamicAllowed: false };

/** The thinking range of a model, or undefined when unknown (leave budgets as sent). */
export function thinkingRange(model: string): ThinkingRange | undefined {
  const m = model.toLowerCase();
  for (const [re, range] of GEMINI_RANGES) if (re.test(m)) return range;
  if (m.startsWith('claude-')) return CLAUDE_RANGE;
  return undefined;
}

/** Clamp a budget to the model's range. -1 means dynamic, 0 means off. */
export function clampBudget(model: string, budget: number): number {
  const r = thinkingRange(model);
  if (!r) return budget;
  if (budget === -1) {
    if (r.dynamicAllowed) return -1;
    const mid = Math.floor((r.min + r.max) / 2);
    if (mid <= 0) return r.zeroAllowed ? 0 : r.min;
    return mid;
  }
  if (budget === 0) return r.zeroAllowed ? 0 : r.min;
  return Math.min(Math.max(budget, r.min), r.max);
}

const EFFORT_BUDGET: Record<IREffort, number> = {
  none: 0,
  minimal: 512,
  low: 1024,
  medium: 8192,
  high: 24576,
  xhigh: 32768,
  auto: -1,
};

/** Effort → token budget (before clamping). */
export function effortToBudget(effort: IREffort): number {
  return EFFORT_BUDGET[effort];
}

/** Token budget → the nearest effort level. */
export function budgetToEffort(budget: number): IREffort {
  if (budget < 0) return 'auto';
  if (budget === 0) return 'none';
  if (budget <= 512) return 'minimal';
  if (budget <= 1024) return 'low';
  if (budget <= 8192) return 'medium';
  return 'high';
}

/** The budget a reasoning config asks for (budget wins over effort), or undefined. */
export function requestedBudget(r: IRReasoningConfig | undefined): number | undefined {
  if (!r) return undefined;
  if (typeof r.budgetTokens === 'number') return r.budgetTokens;
  if (r.effort) return effortToBudget(r.effort);
  return undefined;
}

/** The effort a reasoning config asks for (effort wins over budget), or undefined. */
export function requestedEffort(r: IRReasoningConfig | undefined): IREffort | undefined {
  if (!r) return undefined;
  if (r.effort) return r.effort;
  if (typeof r.budgetTokens === 'number') return budgetToEffort(r.budgetTokens);
  return undefined;
}

const EFFORT_SUFFIX = /^(.*?)-(minimal|low|medium|high|xhigh|none)$/;

/** Model-name suffixes that select reasoning: gpt-5-high, gpt-5-codex-low →
 *  effort; gemini-2.5-pro-thinking-4096 → budget; gemini-…-nothinking → off.
 *  Returns the base model and the reasoning the suffix asked for. */
export function parseReasoningSuffix(model: string): { model: string; reasoning?: IRReasoningConfig } {
  const lower = model.toLowerCase();
  if (lower.startsWith('gemini-')) {
    if (lower.endsWith('-nothinking')) {
      return { model: model.slice(0, -'-nothinking'.length), reasoning: { budgetTokens: 0, includeThoughts: false } };
    }
    const m = /^(.*)-thinking-(\d+)$/i.exec(model);
    if (m) return { model: m[1]!, reasoning: { budgetTokens: Number(m[2]), includeThoughts: true } };
    return { model };
  }
  if (/^(gpt-|o\d|codex-)/.test(lower)) {
    const m = EFFORT_SUFFIX.exec(model);
    if (m) return { model: m[1]!, reasoning: { effort: m[2] as IREffort } };
  }
  return { model };
}
