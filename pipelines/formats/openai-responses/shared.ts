// Helpers shared by the Responses request, response and stream halves, and by
// the Codex flavour in ../codex. Both formats keep their round-trip data under
// the 'openai-responses' extras key: they are one family, and an inbound
// Responses request routed to Codex must find everything it carried.
import type { IRRequest, IRUsage, ResponsesExtras } from '../../ir.js';
import { isObj } from '../../guards.js';

export type Obj = Record<string, unknown>;

export const EXTRAS_KEY = 'openai-responses' as const;

export { isObj };

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** A shallow copy without the given keys; undefined when nothing is left,
 *  so callers store nothing for items that carry no extra fields. */
export function rest(o: Obj, skip: readonly string[]): Obj | undefined {
  let out: Obj | undefined;
  for (const k of Object.keys(o)) {
    if (skip.includes(k)) continue;
    (out ??= {})[k] = o[k];
  }
  return out;
}

/** Round-trip data a decoded Responses request leaves in IRRequest.extras. */
export type { ResponsesExtras } from '../../extras.js';

export function responsesExtras(req: IRRequest): ResponsesExtras | undefined {
  return req.extras[EXTRAS_KEY];
}

/** Tool facts the response side needs to answer in the client's own terms. */
export interface ToolContext {
  custom: Set<string>;
  ns: Record<string, [string, string]>;
}

export function toolContext(req: IRRequest | undefined): ToolContext {
  const ex = req ? responsesExtras(req) : undefined;
  return { custom: new Set(ex?.custom ?? []), ns: ex?.ns ?? {} };
}

/** The flat name a namespaced tool gets in the IR. Other upstreams only know
 *  flat names (and forbid dots), so `ns` + `name` become `ns__name`; MCP
 *  namespaces already end in "__" and children that already carry the prefix
 *  stay as they are — the same shape Codex gives MCP tools without namespaces. */
export function qualifyName(namespace: string | undefined, name: string): string {
  if (!namespace || !name) return name;
  if (name.startsWith('mcp__') || name === namespace || name.startsWith(namespace + '__')) return name;
  if (namespace.endsWith('__')) return namespace + name;
  return namespace + '__' + name;
}

/** Freeform tool input travels through the IR as JSON `{"input": "..."}` so
 *  every upstream sees ordinary JSON arguments. */
export function wrapCustomInput(input: string): string {
  return JSON.stringify({ input });
}

export function unwrapCustomInput(args: string): string {
  try {
    const v: unknown = JSON.parse(args);
    if (isObj(v) && typeof v.input === 'string') return v.input;
  } catch {
    // not JSON: the arguments are the input itself
  }
  return args;
}

/** A parameters schema for a freeform tool exposed to function-only upstreams. */
export const CUSTOM_TOOL_SCHEMA: Obj = {
  type: 'object',
  properties: { input: { type: 'string', description: 'The raw input for this tool.' } },
  required: ['input'],
};

export function parseDataUrl(url: string): { mediaType: string; data: string } | undefined {
  const m = /^data:([^;,]*)(?:;[^,]*)?;base64,(.*)$/s.exec(url);
  if (!m) return undefined;
  return { mediaType: m[1] || 'application/octet-stream', data: m[2]! };
}

export function dataUrl(mediaType: string | undefined, data: string): string {
  return `data:${mediaType || 'application/octet-stream'};base64,${data}`;
}

export function decodeUsage(u: unknown): IRUsage | undefined {
  if (!isObj(u)) return undefined;
  const usage: IRUsage = { inputTokens: num(u.input_tokens) ?? 0, outputTokens: num(u.output_tokens) ?? 0 };
  const inDetails = isObj(u.input_tokens_details) ? u.input_tokens_details : undefined;
  const outDetails = isObj(u.output_tokens_details) ? u.output_tokens_details : undefined;
  const cached = num(inDetails?.cached_tokens);
  if (cached !== undefined) usage.cachedTokens = cached;
  const reasoning = num(outDetails?.reasoning_tokens);
  if (reasoning !== undefined) usage.reasoningTokens = reasoning;
  usage.totalTokens = num(u.total_tokens) ?? usage.inputTokens + usage.outputTokens;
  return usage;
}

/** IR input tokens already include cache reads (OpenAI's convention). */
export function encodeUsage(u: IRUsage | undefined): Obj {
  const input = u?.inputTokens ?? 0;
  const output = u?.outputTokens ?? 0;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: u?.cachedTokens ?? 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: u?.reasoningTokens ?? 0 },
    total_tokens: u?.totalTokens ?? input + output,
  };
}

/** HTTP status for the error codes Responses puts in response.failed / error events. */
export function statusForCode(code: string | undefined): number {
  switch (code) {
    case 'rate_limit_exceeded':
    case 'usage_limit_reached':
    case 'insufficient_quota':
      return 429;
    case 'context_length_exceeded':
    case 'invalid_prompt':
    case 'invalid_request_error':
    case 'invalid_image':
    case 'bad_request':
      return 400;
    case 'server_is_overloaded':
    case 'slow_down':
      return 503;
    default:
      return 500;
  }
}

export function errorTypeForStatus(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 408) return 'timeout_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** Response ids start with resp_; foreign ids (msg_…, chatcmpl-…) get the prefix. */
export function responseId(id: string | undefined): string {
  if (!id) return 'resp_' + Math.random().toString(36).slice(2) + Date.now().toString(36);
  return id.startsWith('resp_') ? id : 'resp_' + id.replace(/[^A-Za-z0-9_-]/g, '');
}
