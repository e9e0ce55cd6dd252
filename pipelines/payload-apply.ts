// Writing matched `payload` rules into an upstream body (the matching, on the
// config, is lib/routing/payload-rules.ts). Plain data in: it runs the same on
// the main thread and in the translation worker.
import type { FormatName } from './ir.js';
import { hasJsonPath, setJsonPath } from './json-path.js';

/** One parameter to write: path segments and the value. */
export type PayloadParam = [segments: string[], value: unknown];

/** What matched one attempt: plain data, it crosses to the worker as it is. */
export interface PayloadOps {
  /** Set only where absent; in rule order, so the first matching rule wins. */
  defaults: PayloadParam[];
  /** Always set; in rule order, so the last matching rule wins. */
  overrides: PayloadParam[];
}

/** Apply matched rules to an upstream body (Gemini CLI's under its `request`). Returns whether anything was written. */
export function applyPayload(body: Record<string, unknown>, ops: PayloadOps, format: FormatName): boolean {
  let target = body;
  if (format === 'gemini-cli') {
    const inner = body['request'];
    target = inner !== null && typeof inner === 'object' && !Array.isArray(inner) ? { ...(inner as Record<string, unknown>) } : {};
  }
  let changed = false;
  for (const [segs, value] of ops.defaults) {
    if (!hasJsonPath(target, segs) && setJsonPath(target, segs, value)) changed = true;
  }
  for (const [segs, value] of ops.overrides) {
    if (setJsonPath(target, segs, value)) changed = true;
  }
  if (changed && target !== body) body['request'] = target;
  return changed;
}
