// Every Codex request carries a prompt cache key — the client's, or one
// derived from the conversation's start (model, instructions, first input
// item) — so one conversation keeps hitting the backend's prompt cache. The
// key doubles as the session and conversation id headers.
import { createHash } from 'node:crypto';
import type { BodyPatch } from '../patch.js';

function uuidFrom(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const sessionHeaders = (key: string) => ({ session_id: key, conversation_id: key });

export const codexPatch: BodyPatch = {
  applies: () => true,
  apply(body) {
    const given = body['prompt_cache_key'];
    if (typeof given === 'string' && given) return { changed: false, headers: sessionHeaders(given) };
    const input = Array.isArray(body['input']) ? body['input'] : [];
    const key = uuidFrom(JSON.stringify([body['model'], body['instructions'], input[0] ?? null]));
    body['prompt_cache_key'] = key;
    return { changed: true, headers: sessionHeaders(key) };
  },
};
