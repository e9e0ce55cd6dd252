// Content parts of Responses messages and tool outputs ⇄ IR parts.
import type { IRPart, IRRole, IRTextPart, IRImagePart, IRFilePart } from '../../ir.js';
import { isObj, str, rest, parseDataUrl, dataUrl } from './shared.js';
import type { Obj } from './shared.js';

const textType = (role: IRRole | string): string => (role === 'assistant' ? 'output_text' : 'input_text');

export function decodeContentPart(p: Obj, role: IRRole): { part: IRPart; extra?: Obj } | undefined {
  const type = str(p.type);
  switch (type) {
    case 'input_text':
    case 'output_text':
    case 'text': {
      let extra = rest(p, ['type', 'text']);
      if (type !== textType(role)) extra = { ...extra, type };
      return { part: { type: 'text', text: str(p.text) ?? '' }, extra };
    }
    case 'refusal':
      return { part: { type: 'text', text: str(p.refusal) ?? '' }, extra: { ...rest(p, ['type', 'refusal']), type } };
    case 'input_image':
    case 'input_file':
    case 'input_audio': {
      const part = decodeMediaPart(p);
      if (!part) return undefined;
      // Fields the IR cannot hold (or a file_data that was no data URL) ride along.
      const consumed = ['type', 'image_url', 'file_id', 'detail', 'file_url', 'filename', 'input_audio'];
      if (type !== 'input_file' || parseDataUrl(str(p.file_data) ?? '')) consumed.push('file_data');
      return { part, extra: rest(p, consumed) };
    }
    default:
      return undefined;
  }
}

function decodeMediaPart(p: Obj): IRPart | undefined {
  if (p.type === 'input_image') {
    const fileId = str(p.file_id);
    const url = str(p.image_url) ?? (isObj(p.image_url) ? str(p.image_url.url) : undefined);
    let part: IRImagePart | IRFilePart;
    if (url) {
      const d = parseDataUrl(url);
      part = d ? { type: 'image', mediaType: d.mediaType, data: d.data } : { type: 'image', url };
    } else if (fileId) {
      // A stored OpenAI file: only Responses upstreams can resolve it.
      return { type: 'file', fileId, mediaType: 'image/*' };
    } else {
      return undefined;
    }
    if (typeof p.detail === 'string') part.detail = p.detail;
    return part;
  }
  if (p.type === 'input_file') {
    const part: IRFilePart = { type: 'file' };
    const fileData = str(p.file_data);
    if (fileData) {
      const d = parseDataUrl(fileData);
      part.data = d ? d.data : fileData;
      if (d) part.mediaType = d.mediaType;
    }
    if (typeof p.file_url === 'string') part.url = p.file_url;
    if (typeof p.file_id === 'string') part.fileId = p.file_id;
    if (typeof p.filename === 'string') part.filename = p.filename;
    if (!part.mediaType && part.filename?.toLowerCase().endsWith('.pdf')) part.mediaType = 'application/pdf';
    return part;
  }
  const audio = isObj(p.input_audio) ? p.input_audio : undefined;
  const data = str(audio?.data);
  if (!data) return undefined;
  const format = str(audio?.format);
  return format ? { type: 'audio', data, format } : { type: 'audio', data };
}

export function decodeOutputPart(p: unknown): IRTextPart | IRImagePart | IRFilePart | undefined {
  if (!isObj(p)) return undefined;
  if (p.type === 'input_text' || p.type === 'output_text' || p.type === 'text') return { type: 'text', text: str(p.text) ?? '' };
  const part = decodeMediaPart(p);
  return part && part.type !== 'audio' ? (part as IRImagePart | IRFilePart) : undefined;
}

export function encodeContentPart(p: IRPart, role: string, extra: Obj | undefined): Obj {
  let o: Obj;
  switch (p.type) {
    case 'text':
      if (extra?.type === 'refusal') return { ...extra, refusal: p.text };
      o = { type: textType(role), text: p.text };
      break;
    case 'image':
      o = { type: 'input_image', image_url: p.data !== undefined ? dataUrl(p.mediaType, p.data) : p.url ?? '' };
      if (p.detail) o.detail = p.detail;
      break;
    case 'file':
      if (p.fileId && p.mediaType?.startsWith('image/') && p.data === undefined && p.url === undefined) {
        o = { type: 'input_image', file_id: p.fileId };
        break;
      }
      o = { type: 'input_file' };
      if (p.fileId) o.file_id = p.fileId;
      if (p.data !== undefined) o.file_data = dataUrl(p.mediaType, p.data);
      if (p.url) o.file_url = p.url;
      if (p.filename) o.filename = p.filename;
      break;
    case 'audio':
      o = { type: 'input_audio', input_audio: p.format ? { data: p.data, format: p.format } : { data: p.data } };
      break;
    default:
      o = { type: textType(role), text: '' };
  }
  return extra ? { ...o, ...extra } : o;
}
