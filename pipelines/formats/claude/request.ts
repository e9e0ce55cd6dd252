// Anthropic Messages request: client body → IR, and IR → upstream body.
import { TranslationError } from '../../ir.js';
import type { IREffort, IRMessage, IRPart, IRReasoningConfig, IRRequest, IRResponseFormat, IRTextPart } from '../../ir.js';
import { clampBudget, requestedBudget } from '../../reasoning.js';
import { decodeBlock } from './content.js';
import { encodeMessages } from './messages.js';
import { cacheControlOf, cacheControlOut, isObj, num, str } from './shared.js';
import type { Json } from './shared.js';
import { decodeToolChoice, decodeTools, encodeToolChoice, encodeTools } from './tools.js';

/** What the reference sends when an OpenAI-style client gave no limit;
 *  within every current Claude model's output cap. */
export const DEFAULT_MAX_TOKENS = 32000;

/** The default limit for a model: Claude 3 and 3.5 models cap output far
 *  below 32000 and answer a larger max_tokens with a 400. */
export function defaultMaxTokens(model: string): number {
  const m = model.toLowerCase();
  if (/claude-3-(opus|sonnet|haiku)/.test(m)) return 4096;
  if (/claude-3-5-/.test(m)) return 8192;
  return DEFAULT_MAX_TOKENS;
}

// Fields the IR models; everything else a Claude client sends is kept in
// extras.claude and sent back as is to a Claude upstream.
const KNOWN = new Set([
  'model', 'messages', 'system', 'max_tokens', 'temperature', 'top_p', 'top_k',
  'stop_sequences', 'stream', 'tools', 'tool_choice', 'metadata', 'thinking',
]);
// Codec-private keys inside extras.claude, never sent upstream as fields.
const TOOL_EXTRAS = '__tools';
const ADAPTIVE = '__thinking';
const RAW_CHOICE = '__toolChoice';
const SYSTEM_STRING = '__systemString';
const NO_STREAM = '__noStream';

const CLAUDE_EFFORT: Record<string, IREffort> = { low: 'low', medium: 'medium', high: 'high', max: 'xhigh' };
const EFFORT_TO_CLAUDE: Partial<Record<IREffort, string>> = { minimal: 'low', low: 'low', medium: 'medium', high: 'high', xhigh: 'max' };

function decodeSystem(raw: unknown): IRTextPart[] {
  if (raw === undefined || raw === null) return [];
  if (typeof raw === 'string') return raw ? [{ type: 'text', text: raw }] : [];
  if (!Array.isArray(raw)) throw new TranslationError('system: must be a string or an array of text blocks');
  const out: IRTextPart[] = [];
  raw.forEach((b, i) => {
    if (!isObj(b) || b.type !== 'text' || typeof b.text !== 'string') {
      throw new TranslationError(`system.${i}: must be a text block`);
    }
    const p: IRTextPart = { type: 'text', text: b.text };
    const cc = cacheControlOf(b.cache_control);
    if (cc) p.cacheControl = cc;
    out.push(p);
  });
  return out;
}

function decodeMessages(raw: unknown): IRMessage[] {
  if (!Array.isArray(raw)) throw new TranslationError('messages: field required (an array)');
  const names = new Map<string, string>();
  return raw.map((m, i) => {
    if (!isObj(m)) throw new TranslationError(`messages.${i}: must be an object`);
    const role = m.role;
    if (role !== 'user' && role !== 'assistant' && role !== 'system') {
      throw new TranslationError(`messages.${i}.role: must be "user", "assistant" or "system"`);
    }
    const content: IRPart[] = [];
    const extra: Json = {};
    if (typeof m.content === 'string') {
      if (m.content) content.push({ type: 'text', text: m.content });
      extra.__string = true;
    } else if (Array.isArray(m.content)) {
      const kept: Array<{ at: number; block: unknown }> = [];
      m.content.forEach((b, j) => {
        const p = decodeBlock(b, names, `messages.${i}.content.${j}`);
        if (p) content.push(p);
        // Blocks the IR has no part for (server tool use and results, search
        // results…) ride along for a Claude upstream, at their position.
        else kept.push({ at: content.length, block: b });
      });
      if (kept.length) extra.__blocks = kept;
    } else {
      throw new TranslationError(`messages.${i}.content: must be a string or an array of blocks`);
    }
    const msg: IRMessage = { role, content };
    if (Object.keys(extra).length) msg.extras = { claude: extra };
    return msg;
  });
}

function decodeReasoning(thinking: unknown, outputConfig: unknown): IRReasoningConfig | undefined {
  const effortRaw = isObj(outputConfig) ? str(outputConfig.effort) : undefined;
  const effort = effortRaw ? CLAUDE_EFFORT[effortRaw] : undefined;
  if (isObj(thinking)) {
    if (thinking.type === 'enabled') {
      const budget = num(thinking.budget_tokens);
      if (budget === undefined) throw new TranslationError('thinking.budget_tokens: field required');
      return { budgetTokens: budget, includeThoughts: true, ...(effort ? { effort } : {}) };
    }
    if (thinking.type === 'disabled') return { budgetTokens: 0, includeThoughts: false };
    // Adaptive: the model decides how much to think, steered by effort.
    if (thinking.type === 'adaptive') return { effort: effort ?? 'auto', includeThoughts: true };
  }
  return effort ? { effort } : undefined;
}

function decodeResponseFormat(body: Json): IRResponseFormat | undefined {
  const fmt = isObj(body.output_config) && isObj(body.output_config.format) ? body.output_config.format : body.output_format;
  if (isObj(fmt) && fmt.type === 'json_schema' && isObj(fmt.schema)) return { type: 'json_schema', schema: fmt.schema };
  return undefined;
}

export function decodeRequest(body: unknown): IRRequest {
  if (!isObj(body)) throw new TranslationError('request body must be a JSON object');
  const req: IRRequest = {
    model: str(body.model) ?? '',
    system: decodeSystem(body.system),
    messages: decodeMessages(body.messages),
    stream: body.stream === true,
    extras: {},
  };
  const extras: Json = {};
  for (const [k, v] of Object.entries(body)) if (!KNOWN.has(k)) extras[k] = v;

  const tools = decodeTools(body.tools);
  if (tools) {
    req.tools = tools.tools;
    if (Object.keys(tools.toolExtras).length) extras[TOOL_EXTRAS] = tools.toolExtras;
  }
  const tc = decodeToolChoice(body.tool_choice);
  if (tc.choice) req.toolChoice = tc.choice;
  if (isObj(body.tool_choice)) extras[RAW_CHOICE] = body.tool_choice;
  // Shape hints so a Claude → Claude round trip rebuilds the same body.
  if (typeof body.system === 'string') extras[SYSTEM_STRING] = true;
  if (body.stream === undefined) extras[NO_STREAM] = true;
  if (tc.parallel !== undefined) req.parallelToolCalls = tc.parallel;

  if (body.max_tokens !== undefined) {
    const mt = num(body.max_tokens);
    if (mt === undefined) throw new TranslationError('max_tokens: must be a number');
    req.maxTokens = mt;
  }
  const t = num(body.temperature);
  if (t !== undefined) req.temperature = t;
  const tp = num(body.top_p);
  if (tp !== undefined) req.topP = tp;
  const tk = num(body.top_k);
  if (tk !== undefined) req.topK = tk;
  if (Array.isArray(body.stop_sequences)) req.stop = body.stop_sequences.filter((s): s is string => typeof s === 'string');
  if (isObj(body.metadata) && typeof body.metadata.user_id === 'string') req.user = body.metadata.user_id;

  const reasoning = decodeReasoning(body.thinking, body.output_config);
  if (reasoning) req.reasoning = reasoning;
  if (isObj(body.thinking) && body.thinking.type === 'adaptive') extras[ADAPTIVE] = body.thinking;
  const rf = decodeResponseFormat(body);
  if (rf) req.responseFormat = rf;
  // Always present for a Claude client, so the encoder can tell a Claude
  // request (whose extra fields its upstream understands) from a foreign one.
  req.extras.claude = extras;
  return req;
}

function jsonInstruction(rf: IRResponseFormat | undefined): string | undefined {
  // Claude has no response_format; the portable emulation is an explicit
  // system instruction (prefilling "{" would clash with extended thinking).
  if (rf?.type === 'json_object') {
    return 'Respond with a single valid JSON object and nothing else: no Markdown code fences, no text before or after it.';
  }
  if (rf?.type === 'json_schema') {
    return (
      'Respond with a single JSON value that conforms to the JSON Schema below, and nothing else: no Markdown code fences, no text before or after it.' +
      (rf.name ? `\nSchema name: ${rf.name}` : '') +
      `\nJSON Schema:\n${JSON.stringify(rf.schema)}`
    );
  }
  return undefined;
}

/** Extended thinking for the upstream, with max_tokens (the budget must be
 *  at least 1024 and below max_tokens). Undefined thinking = leave it out. */
function encodeThinking(req: IRRequest, adaptive: Json | undefined, maxTokens: number): Json | undefined {
  const r = req.reasoning;
  if (!r) return undefined;
  if (r.effort === 'none' || r.budgetTokens === 0) return { type: 'disabled' };
  if (adaptive && (r.budgetTokens === undefined || r.budgetTokens === -1)) return { ...adaptive };
  const wanted = requestedBudget(r);
  if (wanted === undefined) return undefined;
  // 'claude-' selects Claude's range whatever alias the model has here.
  let budget = clampBudget('claude-', wanted);
  if (budget >= maxTokens) budget = Math.floor((maxTokens * 3) / 4);
  if (budget < 1024) return undefined; // max_tokens too small to think at all
  return { type: 'enabled', budget_tokens: budget };
}

/** Claude turns thinking down in combinations other APIs allow; a foreign
 *  request is adjusted instead of failing with a 400. */
function fixForeignSampling(out: Json, thinkingOn: boolean): void {
  if (typeof out.temperature === 'number' && out.temperature > 1) out.temperature = 1;
  if (out.temperature !== undefined && out.top_p !== undefined) delete out.top_p; // newer models reject both
  if (!thinkingOn) return;
  if (out.temperature !== undefined && out.temperature !== 1) delete out.temperature;
  if (typeof out.top_p === 'number' && out.top_p < 0.95) delete out.top_p;
  delete out.top_k;
}

/** With thinking on, the assistant turn of an unfinished tool loop must open
 *  with a signed thinking block (else Claude answers 400 "Expected thinking
 *  or redacted_thinking, but found tool_use"); history from another provider
 *  has none, and thoughts another provider signed are left out (content.ts).
 *  Claude's way out is thinking off for that request. */
export function toolLoopLacksThinking(messages: Json[]): boolean {
  const last = messages[messages.length - 1];
  const prev = messages[messages.length - 2];
  if (!last || !prev || last.role !== 'user' || prev.role !== 'assistant') return false;
  if (!Array.isArray(prev.content)) return false;
  const blocks = prev.content as Json[];
  const first = blocks[0]?.type;
  return blocks.some((b) => b.type === 'tool_use') && first !== 'thinking' && first !== 'redacted_thinking';
}

export function encodeRequest(req: IRRequest): Record<string, unknown> {
  const claudeExtras = req.extras.claude;
  const fromClaude = isObj(claudeExtras);
  const extras: Json = fromClaude ? claudeExtras : {};
  const conv = encodeMessages(req.messages);

  const out: Json = { model: req.model };
  const maxTokens = req.maxTokens !== undefined && req.maxTokens > 0 ? Math.floor(req.maxTokens) : defaultMaxTokens(req.model);
  out.max_tokens = maxTokens;

  const system = [...req.system, ...conv.leadingSystem].filter((p) => p.text !== '');
  const nativeFormat = fromClaude && (extras.output_format !== undefined || (isObj(extras.output_config) && extras.output_config.format !== undefined));
  const instruction = nativeFormat ? undefined : jsonInstruction(req.responseFormat);
  if (instruction) system.push({ type: 'text', text: instruction });
  if (system.length) {
    out.system = system.map((p) => {
      const b: Json = { type: 'text', text: p.text };
      const cc = cacheControlOut(p.cacheControl);
      if (cc) b.cache_control = cc;
      return b;
    });
  }
  out.messages = conv.messages;

  const tools = encodeTools(req.tools, fromClaude ? (extras[TOOL_EXTRAS] as Record<string, Json> | undefined) : undefined, fromClaude);
  if (tools.length) {
    out.tools = tools;
    const choice = encodeToolChoice(req.toolChoice, req.parallelToolCalls);
    const raw = extras[RAW_CHOICE];
    // The client's own tool_choice when the IR still says the same thing
    // (keeps an explicit disable_parallel_tool_use: false).
    if (isObj(raw) && choice && raw.type === choice.type && raw.name === choice.name && !!raw.disable_parallel_tool_use === !!choice.disable_parallel_tool_use) {
      out.tool_choice = { ...raw };
    } else if (choice) out.tool_choice = choice;
  }
  if (req.temperature !== undefined) out.temperature = req.temperature;
  if (req.topP !== undefined) out.top_p = req.topP;
  if (req.topK !== undefined) out.top_k = req.topK;
  const stops = (req.stop ?? []).filter((s) => s.trim() !== '');
  if (stops.length) out.stop_sequences = stops;
  if (req.user) out.metadata = { user_id: req.user };

  let thinking = encodeThinking(req, isObj(extras[ADAPTIVE]) ? (extras[ADAPTIVE] as Json) : undefined, maxTokens);
  if (thinking && thinking.type !== 'disabled') {
    const forced = !fromClaude && (req.toolChoice?.type === 'required' || req.toolChoice?.type === 'tool');
    // A Claude client's own history is its business, unless a thought of it was left out here.
    if (forced || ((!fromClaude || conv.droppedThinking) && toolLoopLacksThinking(conv.messages))) thinking = undefined;
  }
  if (thinking) out.thinking = thinking;
  if (!fromClaude) fixForeignSampling(out, thinking !== undefined && thinking.type !== 'disabled');
  if (req.stream || extras[NO_STREAM] !== true) out.stream = req.stream;
  const sys = out.system as Json[] | undefined;
  if (extras[SYSTEM_STRING] === true && sys?.length === 1 && Object.keys(sys[0]!).length === 2) out.system = sys[0]!.text;

  for (const [k, v] of Object.entries(extras)) {
    if (!KNOWN.has(k) && !k.startsWith('__') && !(k in out)) out[k] = v;
  }
  // Effort may have been changed on the IR (e.g. by a model suffix).
  const claudeEffort = req.reasoning?.effort ? EFFORT_TO_CLAUDE[req.reasoning.effort] : undefined;
  if (claudeEffort && isObj(out.output_config) && typeof out.output_config.effort === 'string') {
    out.output_config = { ...out.output_config, effort: claudeEffort };
  }
  return out;
}
