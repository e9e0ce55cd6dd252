// What a same-format (piped) body may need before it goes upstream: the
// client's bytes go as they came, except where the upstream would refuse
// them — Claude: `role: "system"` messages and thinking blocks Claude did not
// sign (formats/claude/passthrough.ts); Gemini and Code Assist: thought
// signatures the gateway tagged as another provider's
// (formats/gemini/passthrough.ts). A byte search decides first, so bodies
// that cannot need a change are never walked (nor, when offloaded, parsed).
// Used on the main thread (lib/routing/passthrough.ts) and in the worker.
import { pipedClaudeBody } from './formats/claude/passthrough.js';
import { pipedGeminiBody, pipedGeminiCliBody } from './formats/gemini/passthrough.js';
import type { FormatName } from './ir.js';

type Json = Record<string, unknown>;

/** Every signature tag the gateway hands clients starts with this (cliproxy-claude:, cliproxy-gemini:, cliproxy-enc:). */
const TAG = Buffer.from('cliproxy-');
// A system message or a thinking block cannot be written without these bytes.
const SYSTEM = Buffer.from('"system"');
const THINKING = Buffer.from('"thinking"');

function bytesOf(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** Whether the body carries a gateway signature tag (no parse). */
export function hasGatewayTag(bytes: Uint8Array): boolean {
  return bytesOf(bytes).includes(TAG);
}

/** Whether a piped body of this format may need a rewrite: false means it surely does not. */
export function pipedFixMayApply(format: FormatName, bytes: Uint8Array): boolean {
  switch (format) {
    case 'claude': {
      const b = bytesOf(bytes);
      return b.includes(SYSTEM) || b.includes(THINKING);
    }
    case 'gemini':
    case 'gemini-cli':
      return hasGatewayTag(bytes);
    default:
      return false;
  }
}

/** The piped body rewritten for its upstream, or undefined when the client's body goes as it is. */
export function pipedClientBody(format: FormatName, bytes: Uint8Array, body: Json): Json | undefined {
  if (!pipedFixMayApply(format, bytes)) return undefined;
  switch (format) {
    case 'claude':
      return pipedClaudeBody(body);
    case 'gemini':
      return pipedGeminiBody(body);
    case 'gemini-cli':
      return pipedGeminiCliBody(body);
    default:
      return undefined;
  }
}
