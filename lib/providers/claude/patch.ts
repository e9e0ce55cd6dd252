// Claude OAuth tokens are served only to Claude Code: its identity goes first
// in `system`, the client's own system prompt after it (reference a7d105bd6).
import type { BodyPatch } from '../patch.js';
import { UNCHANGED } from '../patch.js';

export const CLAUDE_CODE_IDENTITY = "You are Claude Code, Anthropic's official CLI for Claude.";

export const claudePatch: BodyPatch = {
  // API keys need no identity, token counts carry none, and Claude 3.5 Haiku refuses it.
  applies: (ctx) => ctx.oauth && ctx.action !== 'count-tokens' && !ctx.upstreamModel.startsWith('claude-3-5-haiku'),
  apply(body) {
    const sys = body['system'];
    const blocks: unknown[] = typeof sys === 'string' ? (sys ? [{ type: 'text', text: sys }] : []) : Array.isArray(sys) ? sys : [];
    const firstText = (blocks[0] as { text?: unknown } | undefined)?.text;
    if (typeof firstText === 'string' && firstText.startsWith(CLAUDE_CODE_IDENTITY)) return UNCHANGED;
    body['system'] = [{ type: 'text', text: CLAUDE_CODE_IDENTITY, cache_control: { type: 'ephemeral' } }, ...blocks];
    return { changed: true };
  },
};
