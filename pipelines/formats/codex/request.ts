// The request the ChatGPT Codex backend (chatgpt.com/backend-api/codex/responses)
// accepts: a Responses body, always streamed, never stored, with the
// encrypted reasoning state included so the client can send it back.
//
// What the backend wants, from the reference proxy and its later fixes:
//  - stream: true, store: false, include: ["reasoning.encrypted_content"];
//  - no max_output_tokens / max_completion_tokens / temperature / top_p /
//    truncation / user / metadata / previous_response_id / context_management /
//    prompt_cache_retention / prompt_cache_options (each is rejected), and
//    service_tier only when it is "priority";
//  - `instructions` present as a string (missing → "Instructions are required");
//  - no role "system" in input (it takes "developer");
//  - web_search_preview tools under their stable name web_search;
//  - parallel_tool_calls only together with tools.
// Model suffixes (gpt-5-high, gpt-5-codex-low) select reasoning.effort.
//
// In 2025 the backend also refused any instructions but the official Codex CLI
// prompt ("Instructions are not valid"); the reference then swapped the
// client's instructions for an embedded copy of that prompt and moved them into
// the input. The backend has since accepted custom instructions and the
// reference dropped the swap. It is kept here as an opt-in: the gateway may
// load the prompt text from a file named in its config and pass it in (see
// setCodexInstructions / extras.codex.instructions); nothing is embedded here.
import type { IRRequest } from '../../ir.js';
import { parseReasoningSuffix } from '../../reasoning.js';
import { encodeResponsesBody } from '../openai-responses/request.js';
import { isObj, str, responsesExtras } from '../openai-responses/shared.js';
import type { Obj } from '../openai-responses/shared.js';
import { isWebSearchType } from '../openai-responses/tools.js';
import { isGatewayCompaction } from '../openai-responses/compaction.js';

const REJECTED = [
  'max_output_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'truncation', 'user', 'metadata',
  'previous_response_id', 'context_management', 'prompt_cache_retention', 'prompt_cache_options', 'stream_options',
  'background',
];

/** Instructions for requests that bring none (the backend requires some). */
export const DEFAULT_INSTRUCTIONS = 'You are a helpful assistant.';

/** Returns the official prompt to enforce for a model, or undefined to send the client's instructions as they are. */
export type CodexInstructionsSource = (model: string) => string | undefined;

let instructionsSource: CodexInstructionsSource | undefined;

/** Opt in to official-prompt enforcement for every Codex request in this
 *  thread (workers must call it too, or pass extras.codex.instructions). */
export function setCodexInstructions(source: CodexInstructionsSource | undefined): void {
  instructionsSource = source;
}

export function encodeCodexRequest(req: IRRequest): Record<string, unknown> {
  const { model, reasoning: fromSuffix } = parseReasoningSuffix(req.model);
  const reasoning = fromSuffix ? { ...req.reasoning, ...fromSuffix } : req.reasoning;
  const ir: IRRequest = { ...req, model };
  if (reasoning) ir.reasoning = reasoning;
  const fromResponses = responsesExtras(req) !== undefined;
  const body = encodeResponsesBody(ir);

  body.stream = true;
  body.store = false;
  body.include = ['reasoning.encrypted_content'];
  for (const k of REJECTED) delete body[k];
  if (body.service_tier !== undefined && body.service_tier !== 'priority') delete body.service_tier;
  // The backend refuses a request without instructions ("Instructions are
  // required"), and an empty string is no better: clients without a system
  // prompt get a neutral one.
  if (typeof body.instructions !== 'string' || !body.instructions.trim()) body.instructions = DEFAULT_INSTRUCTIONS;

  let input = body.input;
  if (typeof input === 'string') input = [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: input }] }];
  body.input = Array.isArray(input) ? input.map(adaptItem).filter((x) => x !== undefined) : [];

  const tools = Array.isArray(body.tools) ? body.tools.map(stableToolType) : undefined;
  if (tools?.length) {
    body.tools = tools;
    body.parallel_tool_calls = req.parallelToolCalls ?? true;
  } else {
    delete body.parallel_tool_calls;
  }
  if (isObj(body.tool_choice)) body.tool_choice = stableToolType(body.tool_choice);

  const r: Obj = isObj(body.reasoning) ? body.reasoning : {};
  // The reference asks for low effort when a non-Responses client says nothing.
  if (r.effort === undefined && !fromResponses) r.effort = 'low';
  if (r.summary === undefined && r.effort !== 'none') r.summary = 'auto';
  body.reasoning = r;

  const official = str(req.extras.codex?.instructions) ?? instructionsSource?.(model);
  if (official) enforceInstructions(body, official);

  shortenToolNames(body, shortNameMap(req));
  return body;
}

/** The body of POST …/responses/compact: what the backend takes on
 *  /responses, without `stream` (compaction answers in one JSON object). */
export function encodeCodexCompactRequest(req: IRRequest): Record<string, unknown> {
  const body = encodeCodexRequest(req);
  delete body.stream;
  return body;
}

/** Per input item: system → developer, reasoning and compaction items the
 *  backend cannot decrypt dropped (the gateway's own compaction items travel
 *  with their summary as a message), per-part prompt_cache_breakpoint hints removed. */
function adaptItem(item: unknown): unknown {
  if (!isObj(item)) return item;
  if (item.type === 'reasoning' && typeof item.encrypted_content !== 'string') return undefined;
  if (isGatewayCompaction(item)) return undefined;
  let out = item;
  if (item.role === 'system') out = { ...out, role: 'developer' };
  if (Array.isArray(item.content) && item.content.some((p) => isObj(p) && 'prompt_cache_breakpoint' in p)) {
    out = {
      ...out,
      content: item.content.map((p) => {
        if (!isObj(p) || !('prompt_cache_breakpoint' in p)) return p;
        const { prompt_cache_breakpoint: _drop, ...keep } = p;
        return keep;
      }),
    };
  }
  return out;
}

function stableToolType(t: unknown): unknown {
  return isObj(t) && isWebSearchType(t.type) && t.type !== 'web_search' ? { ...t, type: 'web_search' } : t;
}

function enforceInstructions(body: Obj, official: string): void {
  const client = typeof body.instructions === 'string' ? body.instructions : '';
  if (client.startsWith(official)) return;
  body.instructions = official;
  if (client.trim()) {
    const carried = { type: 'message', role: 'developer', content: [{ type: 'input_text', text: client }] };
    body.input = [carried, ...(body.input as unknown[])];
  }
}

// ── tool names over the backend's 64-character limit ───────────────────────

const NAME_LIMIT = 64;
// The backend takes [a-zA-Z0-9_-]; a Gemini client's `files.read` must be renamed too.
const VALID_NAME = /^[a-zA-Z0-9_-]+$/;

/** Function names the body sends at top level (namespace children are sent
 *  under their short in-namespace names). */
function longNames(req: IRRequest): string[] {
  const ns = responsesExtras(req)?.ns ?? {};
  return (req.tools ?? []).filter((t) => t.type === 'function' && !ns[t.name] && (t.name.length > NAME_LIMIT || !VALID_NAME.test(t.name))).map((t) => t.name);
}

/** Original → short name, independent of tool order so the stream decoder can
 *  rebuild the same map from the request. MCP names keep their prefix and
 *  last segment (mcp__server__tool → mcp__tool), as the reference does. */
export function shortNameMap(req: IRRequest): Map<string, string> {
  const long = [...new Set(longNames(req))].sort();
  const map = new Map<string, string>();
  if (!long.length) return map;
  const used = new Set((req.tools ?? []).map((t) => t.name).filter((n) => n.length <= NAME_LIMIT && VALID_NAME.test(n)));
  for (const name of long) {
    const cut = name.lastIndexOf('__');
    const base = (name.startsWith('mcp__') && cut > 3 ? 'mcp__' + name.slice(cut + 2) : name).replace(/[^a-zA-Z0-9_-]/g, '_');
    let cand = base.slice(0, NAME_LIMIT);
    for (let k = 1; used.has(cand); k++) cand = base.slice(0, NAME_LIMIT - `_${k}`.length) + `_${k}`;
    used.add(cand);
    map.set(name, cand);
  }
  return map;
}

function shortenToolNames(body: Obj, map: Map<string, string>): void {
  if (!map.size) return;
  const rename = (o: unknown): unknown => {
    if (!isObj(o) || typeof o.name !== 'string' || o.namespace !== undefined) return o;
    const short = map.get(o.name);
    return short ? { ...o, name: short } : o;
  };
  if (Array.isArray(body.tools)) body.tools = body.tools.map((t) => (isObj(t) && (t.type === 'function' || t.type === 'custom') ? rename(t) : t));
  if (Array.isArray(body.input)) {
    body.input = body.input.map((i) => (isObj(i) && (i.type === 'function_call' || i.type === 'custom_tool_call') ? rename(i) : i));
  }
  if (isObj(body.tool_choice)) body.tool_choice = rename(body.tool_choice);
}

/** Maps names the backend answers with back to the client's tool names. */
export function toolNameRestorer(req: IRRequest | undefined): (name: string) => string {
  if (!req) return (n) => n;
  const back = new Map<string, string>();
  for (const [orig, short] of shortNameMap(req)) back.set(short, orig);
  return back.size ? (n) => back.get(n) ?? n : (n) => n;
}
