// IR conversation → a `messages` array the Messages API accepts. The API is
// strict where other formats are loose: roles alternate, no role "system",
// no empty text blocks, tool ids match ^[a-zA-Z0-9_-]+$ and are unique, every
// tool_use is answered by a tool_result in the very next user turn, and
// tool_result blocks come first in that turn. IR from other formats breaks
// each of these now and then, so this pass repairs rather than forwards.
import type { IRMessage, IRTextPart } from '../../ir.js';
import { encodePart, encodeToolResult } from './content.js';
import { stableId } from './shared.js';
import type { Json } from './shared.js';

interface Turn {
  role: 'user' | 'assistant';
  blocks: Json[];
  /** The client sent this turn's content as a plain string. */
  stringForm?: boolean;
}

interface KeptBlock {
  at: number;
  block: Json;
}

/** Mid-conversation system prompts (Claude Code 2.1 sends them, OpenAI
 *  clients can too) become a user-turn note at the same position: the API
 *  rejects role "system" in messages, and hoisting them into the top-level
 *  system would lose where in the conversation they applied. The wrapper is
 *  the tag Claude Code itself uses for harness instructions in user turns. */
export function systemNote(text: string): string {
  return `<system-reminder>\n${text}\n</system-reminder>`;
}

class IdMapper {
  private current = new Map<string, string>(); // IR id → Claude id of its latest tool_use
  private used = new Set<string>();
  private pendingByName = new Map<string, string[]>(); // id-less calls awaiting their result

  forCall(irId: string, name: string, seed: string): string {
    let id = irId.replace(/[^a-zA-Z0-9_-]/g, '_');
    if (!id) {
      id = stableId('toolu_', seed);
      const q = this.pendingByName.get(name) ?? [];
      q.push(id);
      this.pendingByName.set(name, q);
    }
    // Some OpenAI-compatible providers reuse ids ("call_0") every turn;
    // Claude wants them unique, so later uses get a suffix.
    let unique = id;
    for (let n = 2; this.used.has(unique); n++) unique = `${id}_${n}`;
    this.used.add(unique);
    if (irId) this.current.set(irId, unique);
    return unique;
  }

  forResult(irId: string, name: string | undefined): string {
    if (irId) return this.current.get(irId) ?? irId.replace(/[^a-zA-Z0-9_-]/g, '_');
    // No id (a format that pairs by name or order): take the oldest
    // unanswered id-less call of that name, else of any name.
    const q = name !== undefined ? this.pendingByName.get(name) : undefined;
    if (q && q.length) return q.shift()!;
    for (const list of this.pendingByName.values()) if (list.length) return list.shift()!;
    return '';
  }
}

function resultAsText(b: Json): Json {
  const c = b.content;
  const body = typeof c === 'string' ? c : Array.isArray(c) ? c.map((x) => (x as Json).text ?? '').join('\n') : '';
  return { type: 'text', text: `[tool result${b.tool_use_id ? ` for ${String(b.tool_use_id)}` : ''}]\n${body || '(empty)'}` };
}

/** Make each assistant turn's tool_use ids and the next user turn's
 *  tool_results agree: orphan results become text, unanswered calls get an
 *  error result, results move to the front. */
function pairToolResults(turns: Turn[]): void {
  for (let i = 0; i < turns.length; i++) {
    const t = turns[i]!;
    if (t.role !== 'user') continue;
    const prev = i > 0 ? turns[i - 1] : undefined;
    const callIds = prev?.role === 'assistant' ? prev.blocks.filter((b) => b.type === 'tool_use').map((b) => b.id as string) : [];
    const expected = new Set(callIds);
    const results: Json[] = [];
    const rest: Json[] = [];
    const answered = new Set<string>();
    for (const b of t.blocks) {
      if (b.type !== 'tool_result') rest.push(b);
      else if (expected.has(b.tool_use_id as string) && !answered.has(b.tool_use_id as string)) {
        answered.add(b.tool_use_id as string);
        results.push(b);
      } else rest.push(resultAsText(b));
    }
    for (const id of callIds) {
      if (!answered.has(id)) results.push({ type: 'tool_result', tool_use_id: id, content: 'No result was provided for this tool call.', is_error: true });
    }
    t.blocks = [...results, ...rest];
  }
  // An assistant tool_use followed by nothing is a prefill the client wants
  // continued; followed by another assistant turn cannot happen after merging.
}

export interface EncodedConversation {
  /** Leading system messages, to append to the top-level system. */
  leadingSystem: IRTextPart[];
  messages: Json[];
  /** An assistant thought was left out for want of a Claude signature. */
  droppedThinking: boolean;
}

export function encodeMessages(messages: IRMessage[]): EncodedConversation {
  const leadingSystem: IRTextPart[] = [];
  const ids = new IdMapper();
  const turns: Turn[] = [];
  let seenTurn = false;
  let droppedThinking = false;

  messages.forEach((m, mi) => {
    if (m.role === 'system') {
      const texts = m.content.filter((p): p is IRTextPart => p.type === 'text' && p.text !== '');
      if (!seenTurn) {
        leadingSystem.push(...texts);
        return;
      }
      const blocks = texts.map((p) => {
        const b: Json = { type: 'text', text: systemNote(p.text) };
        if (p.cacheControl) b.cache_control = { ...p.cacheControl };
        return b;
      });
      if (blocks.length) turns.push({ role: 'user', blocks });
      return;
    }
    seenTurn = true;
    const role = m.role;
    const blocks: Json[] = [];
    const misplaced: Json[] = [];
    const claude = m.extras?.claude;
    const kept = Array.isArray(claude?.__blocks) ? (claude.__blocks as KeptBlock[]) : [];
    const keptAt = (pi: number, last: boolean): void => {
      for (const k of kept) if (k.at === pi || (last && k.at > pi)) blocks.push(k.block);
    };
    m.content.forEach((p, pi) => {
      keptAt(pi, false);
      if (p.type === 'tool-result') {
        // A result in an assistant turn is misplaced; it still belongs to
        // the user side of the exchange, right after this turn.
        const b = encodeToolResult(p, ids.forResult(p.callId, p.name));
        (role === 'user' ? blocks : misplaced).push(b);
        return;
      }
      if (p.type === 'tool-call' && role === 'assistant') {
        const b = encodePart({ ...p, id: ids.forCall(p.id, p.name, `${mi}:${pi}:${p.name}`) }, role);
        if (b) blocks.push(b);
        return;
      }
      const b = encodePart(p, role);
      if (b) blocks.push(b);
      else if (p.type === 'reasoning' && role === 'assistant') droppedThinking = true;
    });
    keptAt(m.content.length, true);
    if (blocks.length) turns.push({ role, blocks, ...(claude?.__string === true ? { stringForm: true } : {}) });
    if (misplaced.length) turns.push({ role: 'user', blocks: misplaced });
  });

  // Consecutive same-role turns are one turn to Claude.
  const merged: Turn[] = [];
  for (const t of turns) {
    const last = merged[merged.length - 1];
    if (last && last.role === t.role) {
      last.blocks.push(...t.blocks);
      last.stringForm = false;
    } else merged.push({ ...t, blocks: [...t.blocks] });
  }
  pairToolResults(merged);

  // A final assistant turn is a prefill, and the API rejects trailing
  // whitespace there.
  const last = merged[merged.length - 1];
  if (last?.role === 'assistant') {
    const tail = last.blocks[last.blocks.length - 1];
    if (tail?.type === 'text') {
      tail.text = String(tail.text).trimEnd();
      if (!tail.text) last.blocks.pop();
    }
    if (!last.blocks.length) merged.pop();
  }
  return { leadingSystem, messages: merged.map(toMessage), droppedThinking };
}

function toMessage(t: Turn): Json {
  const only = t.blocks.length === 1 ? t.blocks[0]! : undefined;
  if (t.stringForm && only?.type === 'text' && Object.keys(only).length === 2) return { role: t.role, content: only.text };
  return { role: t.role, content: t.blocks };
}
