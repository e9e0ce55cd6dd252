// Tool definitions and tool_choice, Claude ↔ IR.
import type { IRBuiltinTool, IRFunctionTool, IRTool, IRToolChoice } from '../../ir.js';
import { TranslationError } from '../../ir.js';
import { cacheControlOf, cacheControlOut, isObj, num, str } from './shared.js';
import type { Json } from './shared.js';

const TOOL_KNOWN = new Set(['name', 'description', 'input_schema', 'cache_control', 'strict']);
// Anthropic-defined tools carry a dated version in their type.
const VERSIONED = /^(.*)_\d{8}$/;

export interface DecodedTools {
  tools: IRTool[];
  /** Unknown per-tool fields (type "custom", defer_loading, input_examples…)
   *  by tool name, kept for a Claude → Claude round trip. */
  toolExtras: Record<string, Json>;
}

export function decodeTools(raw: unknown): DecodedTools | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw)) throw new TranslationError('tools: must be an array');
  const tools: IRTool[] = [];
  const toolExtras: Record<string, Json> = {};
  raw.forEach((t, i) => {
    if (!isObj(t)) throw new TranslationError(`tools.${i}: must be an object`);
    const type = str(t.type);
    const versioned = type ? VERSIONED.exec(type) : null;
    if (versioned) {
      // Server tools (web_search, code_execution…) and Anthropic-defined
      // client tools (bash, text_editor…): the whole definition is the config.
      const b: IRBuiltinTool = { type: 'builtin', name: versioned[1]!, config: { ...t } };
      tools.push(b);
      return;
    }
    const name = str(t.name);
    if (!name) throw new TranslationError(`tools.${i}.name: field required`);
    const f: IRFunctionTool = {
      type: 'function',
      name,
      parameters: isObj(t.input_schema) ? t.input_schema : { type: 'object', properties: {} },
    };
    if (typeof t.description === 'string') f.description = t.description;
    if (typeof t.strict === 'boolean') f.strict = t.strict;
    const cc = cacheControlOf(t.cache_control);
    if (cc) f.cacheControl = cc;
    const extra: Json = {};
    for (const [k, v] of Object.entries(t)) if (!TOOL_KNOWN.has(k)) extra[k] = v;
    if (Object.keys(extra).length) toolExtras[name] = extra;
    tools.push(f);
  });
  return { tools, toolExtras };
}

function inputSchema(params: Record<string, unknown>): Json {
  if (!isObj(params)) return { type: 'object', properties: {} };
  // Claude insists on an object schema at the top.
  return typeof params.type === 'string' ? params : { type: 'object', ...params };
}

const WEB_SEARCH_NAMES = new Set(['web_search', 'web_search_preview', 'google_search', 'googleSearch']);

function encodeBuiltin(t: IRBuiltinTool): Json | undefined {
  const cfg = t.config;
  if (cfg && typeof cfg.type === 'string' && VERSIONED.test(cfg.type)) return { ...cfg };
  // From another format only web search maps onto something the Messages
  // API offers without a beta header; the rest are dropped.
  if (!WEB_SEARCH_NAMES.has(t.name)) return undefined;
  const out: Json = { type: 'web_search_20250305', name: 'web_search' };
  if (cfg) {
    const filters = isObj(cfg.filters) ? cfg.filters : cfg;
    if (Array.isArray(filters.allowed_domains)) out.allowed_domains = filters.allowed_domains;
    else if (Array.isArray(filters.blocked_domains)) out.blocked_domains = filters.blocked_domains;
    const maxUses = num(cfg.max_uses);
    if (maxUses !== undefined) out.max_uses = maxUses;
  }
  return out;
}

export function encodeTools(tools: IRTool[] | undefined, toolExtras: Record<string, Json> | undefined, fromClaude: boolean): Json[] {
  const out: Json[] = [];
  const seen = new Set<string>();
  for (const t of tools ?? []) {
    if (t.type === 'builtin') {
      const b = encodeBuiltin(t);
      if (b && !seen.has(String(b.name))) {
        seen.add(String(b.name));
        out.push(b);
      }
      continue;
    }
    if (seen.has(t.name)) continue; // Claude rejects duplicate tool names
    seen.add(t.name);
    const o: Json = { name: t.name };
    if (t.description) o.description = t.description;
    o.input_schema = inputSchema(t.parameters);
    // strict needs Claude's structured-outputs support; only a Claude client
    // that sent it knows its upstream has it.
    if (fromClaude && t.strict !== undefined) o.strict = t.strict;
    const cc = cacheControlOut(t.cacheControl);
    if (cc) o.cache_control = cc;
    const extra = fromClaude ? toolExtras?.[t.name] : undefined;
    if (extra) Object.assign(o, extra);
    out.push(o);
  }
  return out;
}

export interface DecodedChoice {
  choice?: IRToolChoice;
  parallel?: boolean;
}

export function decodeToolChoice(raw: unknown): DecodedChoice {
  if (!isObj(raw)) return {};
  const out: DecodedChoice = {};
  switch (raw.type) {
    case 'auto':
      out.choice = { type: 'auto' };
      break;
    case 'any':
      out.choice = { type: 'required' };
      break;
    case 'none':
      out.choice = { type: 'none' };
      break;
    case 'tool':
      if (typeof raw.name !== 'string') throw new TranslationError('tool_choice.name: field required');
      out.choice = { type: 'tool', name: raw.name };
      break;
    default:
      throw new TranslationError(`tool_choice.type: unknown value ${JSON.stringify(raw.type)}`);
  }
  if (typeof raw.disable_parallel_tool_use === 'boolean') out.parallel = !raw.disable_parallel_tool_use;
  return out;
}

export function encodeToolChoice(choice: IRToolChoice | undefined, parallel: boolean | undefined): Json | undefined {
  let out: Json | undefined;
  switch (choice?.type) {
    case 'auto':
      out = { type: 'auto' };
      break;
    case 'required':
      out = { type: 'any' };
      break;
    case 'none':
      return { type: 'none' };
    case 'tool':
      out = { type: 'tool', name: choice.name };
      break;
  }
  if (parallel === false) {
    out ??= { type: 'auto' };
    out.disable_parallel_tool_use = true;
  }
  return out;
}
