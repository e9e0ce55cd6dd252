// Claude content blocks ↔ IR parts, both directions. Blocks the IR cannot
// carry (server tool results, search results, citations) are dropped on
// decode; same-format traffic is passed through untouched by the router, so
// this only matters when the answer or request crosses formats.
import { TranslationError } from '../../ir.js';
import type { IRFilePart, IRImagePart, IRPart, IRPartExtras, IRTextPart, IRToolResultPart } from '../../ir.js';
import { argsToInput, cacheControlOf, cacheControlOut, isObj, signatureFromClient, str } from './shared.js';
import type { Json } from './shared.js';

type ResultItem = IRTextPart | IRImagePart | IRFilePart;

function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

function unb64(data: string): string {
  return Buffer.from(data, 'base64').toString('utf8');
}

type Extras = Record<string, unknown>;

/** Copies cache_control, and keeps the block's fields the IR has no place
 *  for (citations, document context…) in the part's claude extras so a
 *  Claude → Claude round trip rebuilds the block exactly. */
function withCache<T extends { cacheControl?: unknown; extras?: IRPartExtras }>(
  part: T,
  block: Json,
  known?: readonly string[],
  stash?: Extras,
): T {
  const cc = cacheControlOf(block.cache_control);
  if (cc) part.cacheControl = cc;
  const extra: Extras = { ...stash };
  if (known) for (const [k, v] of Object.entries(block)) if (k !== 'type' && k !== 'cache_control' && !known.includes(k)) extra[k] = v;
  if (Object.keys(extra).length) part.extras = { ...part.extras, claude: extra };
  return part;
}

/** Applies a part's claude extras to the block being built; "__" keys are
 *  codec-private hints, not fields. */
function withExtras(block: Json, extras: IRPartExtras | undefined): Json {
  const e = extras?.claude;
  if (e) for (const [k, v] of Object.entries(e)) if (!k.startsWith('__')) block[k] = v;
  return block;
}

function decodeImage(block: Json): IRImagePart | IRFilePart | undefined {
  const src = block.source;
  if (!isObj(src)) return undefined;
  if (src.type === 'base64') {
    return withCache({ type: 'image', mediaType: str(src.media_type), data: str(src.data) ?? '' } as IRImagePart, block, ['source']);
  }
  if (src.type === 'url' && typeof src.url === 'string') return withCache({ type: 'image', url: src.url } as IRImagePart, block, ['source']);
  // The IR image part has no file id; a file part with an image media type
  // round-trips back to an image block.
  if (src.type === 'file' && typeof src.file_id === 'string') {
    return withCache({ type: 'file', mediaType: 'image/*', fileId: src.file_id } as IRFilePart, block, ['source']);
  }
  return undefined;
}

function decodeDocument(block: Json): IRFilePart | undefined {
  const src = block.source;
  if (!isObj(src)) return undefined;
  const part: IRFilePart = { type: 'file' };
  let stash: Extras | undefined;
  if (src.type === 'base64') {
    part.mediaType = str(src.media_type) ?? 'application/pdf';
    part.data = str(src.data) ?? '';
  } else if (src.type === 'text') {
    // IR file data is base64 everywhere, so plain-text documents are encoded
    // too and decoded again on the way back to Claude.
    part.mediaType = str(src.media_type) ?? 'text/plain';
    part.data = b64(str(src.data) ?? '');
  } else if (src.type === 'url' && typeof src.url === 'string') {
    part.mediaType = 'application/pdf';
    part.url = src.url;
  } else if (src.type === 'file' && typeof src.file_id === 'string') {
    part.fileId = src.file_id;
  } else if (src.type === 'content' && Array.isArray(src.content)) {
    const text = src.content.map((c) => (isObj(c) && typeof c.text === 'string' ? c.text : '')).join('\n');
    part.mediaType = 'text/plain';
    part.data = b64(text);
    stash = { source: src }; // the IR flattens it; Claude gets the original back
  } else {
    return undefined;
  }
  if (typeof block.title === 'string') part.filename = block.title;
  return withCache(part, block, ['source', 'title'], stash);
}

function decodeResultContent(content: unknown): ResultItem[] {
  if (typeof content === 'string') return content ? [{ type: 'text', text: content }] : [];
  if (!Array.isArray(content)) return [];
  const out: ResultItem[] = [];
  for (const c of content) {
    if (!isObj(c)) continue;
    if (c.type === 'text' && typeof c.text === 'string') out.push(withCache({ type: 'text', text: c.text } as IRTextPart, c, ['text']));
    else if (c.type === 'image') {
      const p = decodeImage(c);
      if (p) out.push(p);
    } else if (c.type === 'document') {
      const p = decodeDocument(c);
      if (p) out.push(p);
    }
  }
  return out;
}

/** One client content block → IR part. `names` maps tool_use ids seen so far
 *  to tool names so results can carry the name (Gemini needs it). */
export function decodeBlock(block: unknown, names: Map<string, string>, where: string): IRPart | undefined {
  if (!isObj(block) || typeof block.type !== 'string') {
    throw new TranslationError(`${where}: content block must be an object with a type`);
  }
  switch (block.type) {
    case 'text':
      if (typeof block.text !== 'string') throw new TranslationError(`${where}.text: must be a string`);
      return withCache({ type: 'text', text: block.text } as IRTextPart, block, ['text']);
    case 'image':
      return decodeImage(block);
    case 'document':
      return decodeDocument(block);
    case 'tool_use': {
      const id = str(block.id) ?? '';
      const name = str(block.name) ?? '';
      if (id) names.set(id, name);
      const args = JSON.stringify(block.input ?? {});
      return withCache({ type: 'tool-call', id, name, arguments: args } as IRPart & { type: 'tool-call' }, block);
    }
    case 'tool_result': {
      const callId = str(block.tool_use_id) ?? '';
      const part: IRToolResultPart = { type: 'tool-result', callId, content: decodeResultContent(block.content) };
      const name = names.get(callId);
      if (name) part.name = name;
      if (block.is_error === true) part.isError = true;
      // The content shape (string or blocks) is kept so the round trip is exact.
      const stash = Array.isArray(block.content) ? { __array: true } : undefined;
      return withCache(part, block, ['tool_use_id', 'content', 'is_error'], stash);
    }
    case 'thinking':
      return { type: 'reasoning', text: str(block.thinking) ?? '', ...signatureFromClient(str(block.signature)) };
    case 'redacted_thinking':
      return { type: 'reasoning', text: '', redactedData: str(block.data) ?? '' };
    default:
      return undefined;
  }
}

const DATA_URL = /^data:([^;,]+)?(?:;[^,]*)?;base64,(.*)$/s;

function imageSource(p: { mediaType?: string; data?: string; url?: string }): Json | undefined {
  if (p.data) return { type: 'base64', media_type: p.mediaType ?? 'image/png', data: p.data };
  if (p.url) {
    const m = DATA_URL.exec(p.url);
    if (m) return { type: 'base64', media_type: m[1] ?? p.mediaType ?? 'image/png', data: m[2] };
    return { type: 'url', url: p.url };
  }
  return undefined;
}

function withCacheOut(block: Json, cc: IRTextPart['cacheControl']): Json {
  const c = cacheControlOut(cc);
  if (c) block.cache_control = c;
  return block;
}

/** What Claude accepts as a document: PDFs, plain text, files by id. Other
 *  types (docx, audio…) become a short note so the model knows something was
 *  attached instead of the request failing. */
function encodeFile(p: IRFilePart): Json {
  const mt = p.mediaType ?? '';
  let block: Json | undefined;
  if (p.fileId) {
    block = mt.startsWith('image/')
      ? { type: 'image', source: { type: 'file', file_id: p.fileId } }
      : { type: 'document', source: { type: 'file', file_id: p.fileId } };
  } else if (mt.startsWith('image/')) {
    const src = imageSource(p);
    if (src) block = { type: 'image', source: src };
  } else if (p.data && (mt.startsWith('text/') || mt === 'application/json')) {
    block = { type: 'document', source: { type: 'text', media_type: 'text/plain', data: unb64(p.data) } };
  } else if (p.data && (mt === 'application/pdf' || mt === '')) {
    block = { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: p.data } };
  } else if (p.url && !p.url.startsWith('data:')) {
    block = { type: 'document', source: { type: 'url', url: p.url } };
  } else if (p.url) {
    const m = DATA_URL.exec(p.url);
    if (m && (m[1] ?? 'application/pdf') === 'application/pdf') {
      block = { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: m[2] } };
    }
  }
  if (!block) return { type: 'text', text: `[attached file ${p.filename ?? ''} (${mt || 'unknown type'}) omitted: unsupported]` };
  if (p.filename && block.type === 'document') block.title = p.filename;
  return withCacheOut(withExtras(block, p.extras), p.cacheControl);
}

function encodeResultItem(p: ResultItem): Json | undefined {
  if (p.type === 'text') return p.text ? withCacheOut(withExtras({ type: 'text', text: p.text }, p.extras), p.cacheControl) : undefined;
  if (p.type === 'image') {
    const src = imageSource(p);
    return src ? withCacheOut(withExtras({ type: 'image', source: src }, p.extras), p.cacheControl) : undefined;
  }
  return encodeFile(p);
}

/** tool_result content: a plain string when it is one uncached text (the
 *  common shape, and what most clients send), blocks otherwise. */
export function encodeToolResult(p: IRToolResultPart, id: string): Json {
  const out: Json = { type: 'tool_result', tool_use_id: id };
  const items = p.content.map(encodeResultItem).filter((b): b is Json => b !== undefined);
  const asArray = p.extras?.claude?.__array === true;
  if (!asArray && items.length === 1 && items[0]!.type === 'text' && Object.keys(items[0]!).length === 2) out.content = items[0]!.text;
  else if (items.length > 0) out.content = items;
  if (p.isError) out.is_error = true;
  return withCacheOut(withExtras(out, p.extras), p.cacheControl);
}

/** One IR part → a Claude block for a message of `role`, or undefined when
 *  Claude cannot take it there (tool results are handled by the caller). */
export function encodePart(p: IRPart, role: 'user' | 'assistant'): Json | undefined {
  switch (p.type) {
    case 'text':
      return p.text ? withCacheOut(withExtras({ type: 'text', text: p.text }, p.extras), p.cacheControl) : undefined;
    case 'image': {
      if (role !== 'user') return undefined; // assistant turns cannot hold images
      const src = imageSource(p);
      return src ? withCacheOut(withExtras({ type: 'image', source: src }, p.extras), p.cacheControl) : undefined;
    }
    case 'file':
      return role === 'user' ? encodeFile(p) : undefined;
    case 'audio':
      return role === 'user' ? { type: 'text', text: `[audio attachment (${p.format ?? p.mediaType ?? 'audio'}) omitted: unsupported]` } : undefined;
    case 'reasoning':
      if (role !== 'assistant') return undefined;
      if (p.redactedData) return { type: 'redacted_thinking', data: p.redactedData };
      // Claude verifies signatures: a thought it did not sign (another
      // provider's, or none) gets a 400 "Invalid signature in thinking block",
      // and turning it into text would show private reasoning as an answer.
      // So it is left out (request.ts turns thinking off where Claude then
      // needs a thinking block it can no longer have).
      if (!p.signature || p.signatureOrigin !== 'claude') return undefined;
      return { type: 'thinking', thinking: p.text, signature: p.signature };
    case 'tool-call':
      return role === 'assistant'
        ? withCacheOut({ type: 'tool_use', id: p.id, name: p.name, input: argsToInput(p.arguments) }, p.cacheControl)
        : undefined;
    default:
      return undefined;
  }
}
