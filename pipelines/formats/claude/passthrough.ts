// Claude → Claude bodies are piped, but two things a Claude client sends are
// not accepted by the Messages API:
//  - `role: "system"` entries inside `messages` (Claude Code 2.1; nor do
//    Claude-compatible third parties take them). They get the same treatment
//    the encoder gives them (see messages.ts): leading ones join the top-level
//    system, later ones become a <system-reminder> note in a user turn there.
//  - thinking blocks Claude did not sign: earlier turns served by another
//    upstream through the gateway (a Gemini thoughtSignature or Codex state,
//    tagged cliproxy-…; see shared.ts), or reasoning that came with no
//    signature. Claude answers those with 400 "Invalid signature in thinking
//    block", so they are left out, as the encoder leaves them out.
import { systemNote } from './messages.js';
import { toolLoopLacksThinking } from './request.js';
import { claudeSigned } from './shared.js';
import { isObj } from '../../guards.js';

type Json = Record<string, unknown>;


/** The piped body with both fixes, or undefined when it needs neither (then
 *  the client's bytes go upstream as they came). */
export function pipedClaudeBody(body: Json): Json | undefined {
  const folded = foldSystemMessages(body);
  return dropUnsignedThinking(folded ?? body) ?? folded;
}

/**
 * The body without the thinking blocks Claude would reject, or undefined when
 * it has none. When that leaves the assistant turn of an open tool loop
 * without its opening thinking block while thinking is on, thinking goes off
 * for this request: Claude's rule for such a turn, and what the encoder does.
 */
export function dropUnsignedThinking(body: Json): Json | undefined {
  const messages = body['messages'];
  if (!Array.isArray(messages)) return undefined;
  let changed: Map<number, Json | undefined> | undefined; // message index → its new form (undefined: it goes)
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (!isObj(m) || m.role !== 'assistant' || !Array.isArray(m.content)) continue;
    const content = m.content as unknown[];
    let kept: unknown[] | undefined;
    for (let j = 0; j < content.length; j++) {
      const b = content[j];
      const bad = isObj(b) && b.type === 'thinking' && !claudeSigned(b.signature);
      if (bad && !kept) kept = content.slice(0, j);
      else if (!bad && kept) kept.push(b);
    }
    if (!kept) continue;
    // A turn with nothing left goes (the API joins the user turns around it).
    (changed ??= new Map()).set(i, kept.length ? { ...m, content: kept } : undefined);
  }
  if (!changed) return undefined;
  const result: Json[] = [];
  for (let i = 0; i < messages.length; i++) {
    const m = changed.has(i) ? changed.get(i) : (messages[i] as Json);
    if (m !== undefined) result.push(m);
  }
  const fixed: Json = { ...body, messages: result };
  const th = body['thinking'];
  if (isObj(th) && th.type !== 'disabled' && toolLoopLacksThinking(result)) delete fixed['thinking'];
  return fixed;
}

/** Text blocks of a message's content (string or block list). */
function textBlocks(content: unknown): Json[] {
  if (typeof content === 'string') return content ? [{ type: 'text', text: content }] : [];
  if (!Array.isArray(content)) return [];
  return content.filter((b): b is Json => isObj(b) && b.type === 'text' && typeof b.text === 'string' && b.text !== '');
}

function blocksOf(content: unknown): Json[] {
  if (typeof content === 'string') return content ? [{ type: 'text', text: content }] : [];
  return Array.isArray(content) ? [...content] : [];
}

/**
 * The body with its `role: "system"` messages folded away, or undefined when
 * it has none (then the body goes upstream as it came).
 */
export function foldSystemMessages(body: Json): Json | undefined {
  const messages = body['messages'];
  if (!Array.isArray(messages) || !messages.some((m) => isObj(m) && m.role === 'system')) return undefined;

  const leading: Json[] = [];
  const out: Array<{ role: unknown; content: unknown; rest: Json; merged: boolean }> = [];
  let seenTurn = false;
  for (const m of messages) {
    if (!isObj(m)) {
      out.push({ role: undefined, content: m, rest: {}, merged: false });
      continue;
    }
    if (m.role === 'system') {
      const texts = textBlocks(m.content);
      if (!seenTurn) {
        leading.push(...texts.map((b) => ({ ...b })));
        continue;
      }
      const notes = texts.map((b) => ({ ...b, text: systemNote(String(b.text)) }));
      if (notes.length) out.push({ role: 'user', content: notes, rest: {}, merged: true });
      continue;
    }
    seenTurn = true;
    const { role, content, ...rest } = m;
    out.push({ role, content, rest, merged: false });
  }

  // A note next to a user turn joins it: the API wants roles to alternate.
  const turns: typeof out = [];
  for (const t of out) {
    const last = turns[turns.length - 1];
    if (last && last.role === 'user' && t.role === 'user' && (last.merged || t.merged)) {
      last.content = [...blocksOf(last.content), ...blocksOf(t.content)];
      last.merged = true;
    } else turns.push({ ...t });
  }
  const result = turns.map((t) => {
    if (t.role === undefined) return t.content;
    let content = t.content;
    // tool_result blocks open their user turn.
    if (t.merged && Array.isArray(content)) {
      const results = content.filter((b) => isObj(b) && b.type === 'tool_result');
      if (results.length) content = [...results, ...content.filter((b) => !(isObj(b) && b.type === 'tool_result'))];
    }
    return { role: t.role, content, ...t.rest };
  });

  const out2: Json = { ...body, messages: result };
  if (leading.length) {
    const system = body['system'];
    if (typeof system === 'string' && system) out2['system'] = [{ type: 'text', text: system }, ...leading];
    else if (Array.isArray(system)) out2['system'] = [...system, ...leading];
    else out2['system'] = leading;
  }
  return out2;
}
