// The executors' body patches by provider kind, for the code that builds
// upstream bodies: the main thread, and the translation worker, which gets a
// PatchSpec (kind + plain context) with an offloaded body and looks the patch
// up here. So this module imports only the pure patch files — not the
// executors, which pull in the relay, undici and the rest of the gateway.
import type { FormatName } from '../../pipelines/ir.js';
import type { PayloadOps } from '../../pipelines/payload-apply.js';
import type { ProviderKind } from '../routing/credentials.js';
import { claudePatch } from './claude/patch.js';
import { codexPatch } from './codex/patch.js';
import { geminiCliPatch } from './gemini-cli/patch.js';
import { iflowPatch } from './iflow/patch.js';
import type { BodyPatch, PatchContext, PatchResult } from './patch.js';
import { qwenPatch } from './qwen/patch.js';
import { applySettings } from './settings/patch.js';

const PATCHES: Partial<Record<ProviderKind, BodyPatch>> = {
  claude: claudePatch,
  codex: codexPatch,
  'gemini-cli': geminiCliPatch,
  qwen: qwenPatch,
  iflow: iflowPatch,
};

export function patchFor(kind: ProviderKind): BodyPatch | undefined {
  return PATCHES[kind];
}

/** A patch to apply to one attempt's body, as a worker task carries it. */
export interface PatchSpec {
  kind: ProviderKind;
  ctx: PatchContext;
  /** The executor's own patch does not apply (only the settings below do). */
  noExecutorPatch?: boolean;
  /** The upstream's wire format, for the settings below. */
  format?: FormatName;
  /** Reasoning chosen by the model name (Target.thinking): overrides the request's own. */
  thinking?: string | number;
  /** Matched `payload` rules (plain data). */
  payload?: PayloadOps;
}

/** Gateway settings an attempt's body gets besides the executor's patch. */
export interface AttemptSettings {
  format: FormatName;
  thinking?: string | number;
  payload?: PayloadOps;
}

/** The patch this attempt needs, or undefined when nothing applies (then a piped body stays unparsed). */
export function patchSpec(kind: ProviderKind, ctx: PatchContext, settings?: AttemptSettings): PatchSpec | undefined {
  const executor = patchFor(kind)?.applies(ctx) === true;
  // Token counts carry no generation settings: reasoning and payload rules are for generations.
  const generates = ctx.action !== 'count-tokens';
  const thinking = generates ? settings?.thinking : undefined;
  const payload = generates ? settings?.payload : undefined;
  if (thinking === undefined && payload === undefined) return executor ? { kind, ctx } : undefined;
  return { kind, ctx, format: settings!.format, ...(executor ? {} : { noExecutorPatch: true }), ...(thinking !== undefined ? { thinking } : {}), ...(payload ? { payload } : {}) };
}

/** Patch a body the caller owns (e.g. a codec's fresh encodeRequest output) in place:
 *  the reasoning setting, then payload rules, then the executor's patch (last, so
 *  what it derives — Codex's session headers — is from the final body). */
export function applyPatch(body: Record<string, unknown>, spec: PatchSpec | undefined): PatchResult | undefined {
  if (!spec) return undefined;
  let changed = false;
  if (spec.format) changed = applySettings(body, { format: spec.format, upstreamModel: spec.ctx.upstreamModel, thinking: spec.thinking, payload: spec.payload });
  const r = spec.noExecutorPatch ? undefined : patchFor(spec.kind)?.apply(body, spec.ctx);
  if (!changed) return r;
  return { ...r, changed: true };
}

/** An upstream body ready to send, and the headers its executor's patch derived from it. */
export interface EncodedBody {
  body: string | Buffer;
  patchHeaders?: Record<string, string>;
}

export interface SameFormatBody {
  /** The object to serialise; undefined when the client's bytes can go as they are. */
  body?: Record<string, unknown>;
  headers?: Record<string, string>;
}

/**
 * A same-format body for one attempt: the client's object with the upstream
 * model (unless `model` is undefined: Gemini keeps it in the URL) and the
 * executor's patch. `client` is never modified — the next credential tried
 * starts from it again — so the patch gets a shallow copy (patches set
 * top-level fields only). `rewritten`: `client` is already a fresh object
 * that differs from the client's bytes (Claude's folded system messages).
 */
export function sameFormatBody(client: Record<string, unknown>, model: string | undefined, spec: PatchSpec | undefined, rewritten = false): SameFormatBody {
  let out = client;
  let changed = rewritten;
  if (model !== undefined && client['model'] !== model) {
    out = { ...client, model };
    changed = true;
  }
  if (!spec) return changed ? { body: out } : {};
  if (!changed) out = { ...client };
  const r = applyPatch(out, spec);
  return { body: changed || r?.changed ? out : undefined, headers: r?.headers };
}
