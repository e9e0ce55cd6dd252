// The gateway's own settings for an attempt's upstream body, beside the
// executors' patches: the reasoning a model name chose (`model(high)`, an
// alias with a level) and the matched `payload` rules. Plain data in, so it
// runs in the translation worker too; it imports only pipelines/ at run time.
import type { FormatName } from '../../../pipelines/ir.js';
import { applyPayload, type PayloadOps } from '../../../pipelines/payload-apply.js';
import { applyThinking } from '../../../pipelines/thinking-apply.js';

export interface SettingsPatch {
  /** The upstream's wire format. */
  format: FormatName;
  upstreamModel: string;
  /** Reasoning level or budget; overrides the request's own. */
  thinking?: string | number;
  payload?: PayloadOps;
}

/** Reasoning first, then payload rules (so an override may still set a reasoning field). Returns whether the body changed. */
export function applySettings(body: Record<string, unknown>, s: SettingsPatch): boolean {
  let changed = false;
  if (s.thinking !== undefined && applyThinking(s.format, body, s.upstreamModel, s.thinking)) changed = true;
  if (s.payload && applyPayload(body, s.payload, s.format)) changed = true;
  return changed;
}
