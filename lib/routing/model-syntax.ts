// What a model name may say beyond the model: `gemini-2.5-pro(8192)`,
// `claude-sonnet-4-5(high)`, `gpt-5(none)` — the reasoning to use, as the
// reference's `model(value)` suffix. The name before the parenthesis is what
// routes; the value becomes Target.thinking. And the `*` globs that config
// uses to name groups of models (client-key model lists, payload rules).
// Pure: the payload rules that use the globs travel to the translation worker.

/** Reasoning levels a suffix may name (`max` is the reference's spelling of xhigh). */
const LEVELS = new Set(['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'auto']);

/** The largest budget a suffix may ask for; no model thinks in more tokens. */
export const MAX_THINKING_BUDGET = 10_000_000;

export type ModelSyntax = { model: string; thinking?: string | number } | { error: string };

/**
 * Split `name(value)` into the model and its reasoning. A name without
 * parentheses is returned as it is. Anything else with a parenthesis — an
 * unclosed one, text after it, an empty or unknown value — is an error that
 * names the problem (the client meant the syntax and got it wrong).
 */
export function parseModelSyntax(name: string): ModelSyntax {
  const open = name.indexOf('(');
  const close = name.indexOf(')');
  if (open < 0 && close < 0) return { model: name };
  const quoted = JSON.stringify(name);
  if (open < 0 || close < open || close !== name.length - 1 || name.indexOf('(', open + 1) >= 0) {
    return { error: `The model name ${quoted} is malformed: a reasoning suffix is written model(level) or model(budget), with one pair of parentheses at the end` };
  }
  const model = name.slice(0, open).trim();
  const raw = name.slice(open + 1, close).trim().toLowerCase();
  if (model === '') return { error: `The model name ${quoted} names no model before its parentheses` };
  if (raw === '') return { error: `The model name ${quoted} has empty parentheses: write a level (none, minimal, low, medium, high, xhigh, auto) or a token budget` };
  if (raw === '-1') return { model, thinking: 'auto' };
  if (/^\d+$/.test(raw)) {
    const budget = Number(raw);
    if (budget > MAX_THINKING_BUDGET) return { error: `The reasoning budget in ${quoted} is too large: at most ${MAX_THINKING_BUDGET} tokens` };
    return { model, thinking: budget };
  }
  const level = raw === 'max' ? 'xhigh' : raw;
  if (LEVELS.has(level)) return { model, thinking: level };
  return { error: `The reasoning suffix "(${name.slice(open + 1, close)})" in ${quoted} is not a level (none, minimal, low, medium, high, xhigh, auto) or a whole token budget (0 = off, -1 = dynamic)` };
}

/** A compiled `*` glob over model names, case-insensitive. */
export type ModelMatcher = (model: string) => boolean;

/** Compile a glob where `*` matches any run of characters (nothing else is special). */
export function modelGlob(pattern: string): ModelMatcher {
  const p = pattern.trim().toLowerCase();
  if (p === '*') return () => true;
  if (!p.includes('*')) return (m) => m.toLowerCase() === p;
  const parts = p.split('*');
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  const middle = parts.slice(1, -1).filter((s) => s !== '');
  // Greedy-free scan: prefix, suffix, then each middle piece in order — linear in the name.
  return (model) => {
    const m = model.toLowerCase();
    if (m.length < first.length + last.length || !m.startsWith(first) || !m.endsWith(last)) return false;
    let at = first.length;
    const end = m.length - last.length;
    for (const piece of middle) {
      const i = m.indexOf(piece, at);
      if (i < 0 || i + piece.length > end) return false;
      at = i + piece.length;
    }
    return true;
  };
}

/** Why a configured model pattern is unusable, or undefined when it is fine. */
export function patternProblem(pattern: unknown): string | undefined {
  if (typeof pattern !== 'string' || pattern.trim() === '') return 'a model pattern must be a non-empty string';
  if (pattern.length > 256) return `the model pattern "${pattern.slice(0, 40)}…" is longer than 256 characters`;
  return undefined;
}
