// A rough, deterministic token count for /v1/messages/count_tokens when the
// upstream cannot count: about four characters a token for text and JSON,
// flat costs for media. Good enough for clients that budget context, not for
// billing.
import type { IRPart, IRRequest } from '../../ir.js';

const CHARS_PER_TOKEN = 4;
const IMAGE_TOKENS = 1600; // Claude's cost of an image at its default size cap
const MESSAGE_OVERHEAD = 4;

function partChars(p: IRPart): number {
  switch (p.type) {
    case 'text':
      return p.text.length;
    case 'reasoning':
      return p.text.length;
    case 'tool-call':
      return p.name.length + p.arguments.length;
    case 'tool-result':
      return p.content.reduce((n, c) => n + partChars(c), 0);
    case 'image':
      return IMAGE_TOKENS * CHARS_PER_TOKEN;
    case 'file':
      // Base64 is 4/3 of the bytes; a document costs roughly its byte size
      // in characters (text) and never less than an image.
      if (p.mediaType?.startsWith('text/') && p.data) return Math.ceil((p.data.length * 3) / 4);
      return Math.max(IMAGE_TOKENS * CHARS_PER_TOKEN, p.data ? Math.ceil((p.data.length * 3) / 4) : 0);
    case 'audio':
      return IMAGE_TOKENS * CHARS_PER_TOKEN;
  }
}

export function countTokensEstimate(req: IRRequest): number {
  let chars = 0;
  let overhead = 0;
  for (const p of req.system) chars += p.text.length;
  for (const m of req.messages) {
    overhead += MESSAGE_OVERHEAD;
    for (const p of m.content) chars += partChars(p);
  }
  for (const t of req.tools ?? []) {
    if (t.type === 'function') chars += t.name.length + (t.description?.length ?? 0) + JSON.stringify(t.parameters).length;
    else chars += t.name.length + JSON.stringify(t.config ?? {}).length;
  }
  return Math.max(1, Math.ceil(chars / CHARS_PER_TOKEN) + overhead);
}
