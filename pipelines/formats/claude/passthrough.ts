// Claude → Claude bodies are piped, but one thing Claude Code 2.1 sends is not
// accepted by the Messages API (nor by Claude-compatible third parties):
// `role: "system"` entries inside `messages`. They get the same treatment the
// encoder gives them (see messages.ts): leading ones join the top-level system,
// later ones become a <system-reminder> note in a user turn at their place.
import { systemNote } from './messages.js';

type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

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
