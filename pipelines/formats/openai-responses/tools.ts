// Responses tools and tool_choice ⇄ IR.
//
// Function tools map one to one. `namespace` tools (Codex CLI groups MCP and
// app tools this way: {type:"namespace", name, description, tools:[function|custom…]})
// are flattened into IR functions with qualified names, remembered so answers
// can name the function and its namespace again. Freeform `custom` tools
// become IR functions taking one string, `input`. Hosted web_search becomes an
// IR builtin. Everything else (local_shell, image_generation, mcp, file_search…)
// has no IR meaning: it stays in the extras and only goes back to a Responses
// upstream, in its original place in the list.
import { TranslationError } from '../../ir.js';
import type { IRFunctionTool, IRTool, IRToolChoice } from '../../ir.js';
import { isObj, str, rest, qualifyName, CUSTOM_TOOL_SCHEMA } from './shared.js';
import type { Obj, ResponsesExtras } from './shared.js';

const WEB_SEARCH_TYPES = new Set(['web_search', 'web_search_preview', 'web_search_preview_2025_03_11', 'web_search_2025_08_26']);

export function isWebSearchType(t: unknown): boolean {
  return typeof t === 'string' && WEB_SEARCH_TYPES.has(t);
}

export interface DecodedTools {
  tools: IRTool[];
  ns: Record<string, [string, string]>;
  custom: string[];
  inputTools: string[];
}

/** `top`: the request's tools; `additional`: tool arrays of additional_tools input items. */
export function decodeTools(top: unknown[], additional: unknown[][]): DecodedTools {
  const out: DecodedTools = { tools: [], ns: {}, custom: [], inputTools: [] };
  const seen = new Set<string>();
  // Direct tools own their names: a namespace child that flattens onto one is skipped.
  const direct = new Set<string>();
  for (const list of [top, ...additional]) {
    for (const t of list) if (isObj(t) && (t.type === 'function' || t.type === 'custom') && typeof t.name === 'string') direct.add(t.name);
  }
  let webSearch = false;

  const add = (tool: IRFunctionTool, custom: boolean, fromInput: boolean): void => {
    if (seen.has(tool.name)) return;
    seen.add(tool.name);
    out.tools.push(tool);
    if (custom) out.custom.push(tool.name);
    if (fromInput) out.inputTools.push(tool.name);
  };
  const visit = (t: unknown, i: number, fromInput: boolean): void => {
    if (!isObj(t)) throw new TranslationError(`tools[${i}] must be an object`);
    const type = str(t.type);
    if (type === 'function') {
      add(functionTool(t, str(t.name), i), false, fromInput);
    } else if (type === 'custom') {
      add(customTool(t, str(t.name), i), true, fromInput);
    } else if (type === 'namespace') {
      const nsName = str(t.name) ?? '';
      for (const child of Array.isArray(t.tools) ? t.tools : []) {
        if (!isObj(child) || typeof child.name !== 'string') continue;
        const flat = qualifyName(nsName, child.name);
        if (direct.has(flat) || seen.has(flat)) continue;
        if (child.type === 'custom') add(customTool(child, flat, i), true, fromInput);
        else if (child.type === 'function' || child.type === undefined) add(functionTool(child, flat, i), false, fromInput);
        else continue;
        if (nsName) out.ns[flat] = [nsName, child.name];
      }
    } else if (isWebSearchType(type)) {
      if (webSearch) return;
      webSearch = true;
      const config = rest(t, ['type']);
      out.tools.push(config ? { type: 'builtin', name: 'web_search', config } : { type: 'builtin', name: 'web_search' });
      if (fromInput) out.inputTools.push('builtin:web_search');
    }
  };
  top.forEach((t, i) => visit(t, i, false));
  for (const list of additional) list.forEach((t, i) => visit(t, i, true));
  return out;
}

function functionTool(t: Obj, name: string | undefined, i: number): IRFunctionTool {
  if (!name) throw new TranslationError(`tools[${i}] (function) needs a name`);
  const tool: IRFunctionTool = {
    type: 'function',
    name,
    parameters: isObj(t.parameters) ? t.parameters : { type: 'object', properties: {} },
  };
  if (typeof t.description === 'string') tool.description = t.description;
  if (typeof t.strict === 'boolean') tool.strict = t.strict;
  return tool;
}

function customTool(t: Obj, name: string | undefined, i: number): IRFunctionTool {
  if (!name) throw new TranslationError(`tools[${i}] (custom) needs a name`);
  const tool: IRFunctionTool = { type: 'function', name, parameters: CUSTOM_TOOL_SCHEMA };
  if (typeof t.description === 'string') tool.description = t.description;
  return tool;
}

/** IR tools → a Responses tools array. With the client's own list in the
 *  extras, its order and its non-IR tools are kept, and each IR tool is
 *  written back into the entry it came from. */
export function encodeTools(tools: IRTool[] | undefined, ex: ResponsesExtras | undefined): unknown[] | undefined {
  const byName = new Map<string, IRTool>();
  for (const t of tools ?? []) byName.set(t.type === 'function' ? t.name : `builtin:${t.name}`, t);
  const used = new Set<string>(ex?.inputTools ?? []);
  const out: unknown[] = [];
  const take = (key: string): IRTool | undefined => {
    if (used.has(key)) return undefined;
    const t = byName.get(key);
    if (t) used.add(key);
    return t;
  };

  for (const raw of ex?.tools ?? []) {
    if (!isObj(raw)) continue;
    const type = raw.type;
    if (type === 'function') {
      const t = take(str(raw.name) ?? '');
      if (t?.type === 'function') out.push(mergeFunction(raw, t, t.name));
    } else if (type === 'custom') {
      if (take(str(raw.name) ?? '')) out.push(raw);
    } else if (type === 'namespace') {
      const nsName = str(raw.name) ?? '';
      const children: unknown[] = [];
      for (const child of Array.isArray(raw.tools) ? raw.tools : []) {
        if (!isObj(child) || typeof child.name !== 'string') continue;
        const flat = qualifyName(nsName, child.name);
        const owned = ex?.ns?.[flat];
        if (!owned || owned[0] !== nsName || owned[1] !== child.name) {
          children.push(child); // shadowed by a direct tool: never in the IR under this name
          continue;
        }
        const t = take(flat);
        if (!t || t.type !== 'function') continue;
        children.push(child.type === 'custom' ? child : mergeFunction(child, t, child.name));
      }
      if (children.length) out.push({ ...raw, tools: children });
    } else if (isWebSearchType(type)) {
      if (take('builtin:web_search')) out.push(raw);
    } else {
      out.push(raw);
    }
  }
  for (const t of tools ?? []) {
    const key = t.type === 'function' ? t.name : `builtin:${t.name}`;
    if (used.has(key)) continue;
    used.add(key);
    if (t.type === 'function') {
      const o: Obj = { type: 'function', name: t.name };
      if (t.description !== undefined) o.description = t.description;
      o.parameters = t.parameters;
      // Responses may apply strict mode to schemas that never asked for it.
      o.strict = t.strict ?? false;
      out.push(o);
    } else if (t.name === 'web_search' || t.name === 'google_search') {
      out.push({ type: 'web_search', ...(t.name === 'web_search' ? t.config : undefined) });
    }
  }
  return out.length || ex?.tools ? out : undefined;
}

function mergeFunction(raw: Obj, t: IRFunctionTool, name: string): Obj {
  const o: Obj = { ...raw, name, parameters: t.parameters };
  if (t.description !== undefined) o.description = t.description;
  else delete o.description;
  if (t.strict !== undefined) o.strict = t.strict;
  return o;
}

export function decodeToolChoice(tc: unknown): IRToolChoice | undefined {
  if (tc === undefined || tc === null) return undefined;
  if (tc === 'auto' || tc === 'none' || tc === 'required') return { type: tc };
  if (!isObj(tc)) throw new TranslationError('tool_choice must be auto, none, required or an object');
  const name = str(tc.name);
  if ((tc.type === 'function' || tc.type === 'custom') && name) return { type: 'tool', name: qualifyName(str(tc.namespace), name) };
  if (isWebSearchType(tc.type)) return { type: 'required' };
  if (tc.type === 'allowed_tools') return { type: tc.mode === 'required' ? 'required' : 'auto' };
  return { type: 'auto' };
}

export function encodeToolChoice(
  tc: IRToolChoice | undefined, ex: ResponsesExtras | undefined, custom: Set<string>, ns: Record<string, [string, string]>,
): unknown {
  if (ex && 'toolChoice' in ex && ex.toolChoiceFp === JSON.stringify(tc ?? null)) return ex.toolChoice;
  if (!tc) return undefined;
  if (tc.type !== 'tool') return tc.type;
  const type = custom.has(tc.name) ? 'custom' : 'function';
  const qualified = ns[tc.name];
  return qualified ? { type, name: qualified[1], namespace: qualified[0] } : { type, name: tc.name };
}
