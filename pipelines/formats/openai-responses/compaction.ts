// POST /v1/responses/compact for upstreams that have no such endpoint: the
// gateway asks the model for a handoff summary of the conversation and
// answers with the documented compacted response — the conversation's user
// messages followed by one `compaction` item (CompactedResponse /
// CompactResource in the public reference).
//
// A real compaction item is opaque, encrypted by OpenAI for its own models.
// The gateway cannot encrypt, and no other upstream could read such an item
// anyway, so the summary also goes in a user message before the item: sent
// back on the next turn, that message is what non-Codex upstreams read (the
// IR drops compaction items for them), and the Codex request encoder drops
// the gateway's own compaction items, which the backend could not decrypt.
import type { IRMessage, IRRequest, IRUsage } from '../../ir.js';
import { encodeUsage, isObj, responseId, str } from './shared.js';
import type { Obj } from './shared.js';

/** The gateway's compaction items carry this before their (base64) summary. */
export const GATEWAY_COMPACTION_PREFIX = 'cliproxy-compaction:v1:';

export const SUMMARY_INSTRUCTIONS = [
  'You compact conversations so that the work can go on in a fresh context.',
  'Read the conversation transcript the user gives you and write a handoff summary for the assistant who will continue it:',
  "the user's goals, requirements and constraints; decisions taken and why; what has been done (files, commands, tool results that matter);",
  'the current state; open questions; and the next steps. Keep names, paths, identifiers and numbers exact.',
  'Write only the summary, without addressing the user.',
].join(' ');

/** What precedes the summary in the user message that carries it. */
export const SUMMARY_INTRO = 'Summary of the earlier part of this conversation, which was compacted to save context:\n\n';

/** The request that asks an upstream for the summary: the conversation as one
 *  transcript (tool calls and results as text, so no upstream needs the tool
 *  definitions the compact request does not carry). */
export function summaryRequest(conversation: IRRequest): IRRequest {
  return {
    model: conversation.model,
    system: [{ type: 'text', text: SUMMARY_INSTRUCTIONS }],
    messages: [{ role: 'user', content: [{ type: 'text', text: transcript(conversation.messages) }] }],
    stream: false,
    extras: {},
  };
}

export function transcript(messages: IRMessage[]): string {
  const lines: string[] = [];
  for (const m of messages) {
    const who = m.role === 'assistant' ? 'Assistant' : m.role === 'system' ? 'System' : 'User';
    for (const p of m.content) {
      switch (p.type) {
        case 'text':
          if (p.text) lines.push(`${who}: ${p.text}`);
          break;
        case 'image':
          lines.push(`${who}: [image]`);
          break;
        case 'file':
          lines.push(`${who}: [file${p.filename ? ' ' + p.filename : ''}]`);
          break;
        case 'audio':
          lines.push(`${who}: [audio]`);
          break;
        case 'tool-call':
          lines.push(`Assistant called the tool ${p.name} (call ${p.id}) with ${p.arguments || '{}'}`);
          break;
        case 'tool-result': {
          const text = p.content.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('\n');
          lines.push(`Tool result${p.name ? ' of ' + p.name : ''} (call ${p.callId})${p.isError ? ', an error' : ''}: ${text}`);
          break;
        }
        default:
          break; // reasoning stays out: the summary is of what was said and done
      }
    }
  }
  return `Conversation transcript:\n\n${lines.join('\n\n')}\n\nWrite the handoff summary now.`;
}

/** The compacted response: the input's user messages, the summary as a user
 *  message, then the compaction item. `input` is the client's `input`. */
export function compactedResponse(input: unknown, summary: string, usage: IRUsage | undefined, created = Math.floor(Date.now() / 1000)): Obj {
  const id = responseId(undefined);
  const base = id.slice('resp_'.length);
  const items: unknown[] = typeof input === 'string' ? [{ type: 'message', role: 'user', content: input }] : Array.isArray(input) ? input : [];
  const output: Obj[] = [];
  for (const it of items) {
    if (!isObj(it) || it.role !== 'user' || (it.type !== undefined && it.type !== 'message')) continue;
    output.push(userMessage(str(it.id) ?? `msg_${base}_${output.length}`, it.content));
  }
  output.push(userMessage(`msg_${base}_${output.length}`, SUMMARY_INTRO + summary));
  output.push({ id: `cmp_${base}`, type: 'compaction', encrypted_content: GATEWAY_COMPACTION_PREFIX + Buffer.from(summary, 'utf8').toString('base64') });
  return { id, object: 'response.compaction', created_at: created, output, usage: encodeUsage(usage) };
}

function userMessage(id: string, content: unknown): Obj {
  const parts = typeof content === 'string' ? [{ type: 'input_text', text: content }] : Array.isArray(content) ? content : [];
  return { id, type: 'message', status: 'completed', role: 'user', content: parts };
}

/** A compaction item the gateway made (not one an OpenAI backend encrypted). */
export function isGatewayCompaction(item: unknown): boolean {
  return isObj(item) && item.type === 'compaction' && typeof item.encrypted_content === 'string' && item.encrypted_content.startsWith(GATEWAY_COMPACTION_PREFIX);
}
