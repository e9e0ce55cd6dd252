// The response resource a Responses client gets: the non-stream body and the
// `response` of response.created / in_progress / completed / incomplete /
// failed. Strict clients validate it against the published schema (OpenAI's
// Response object, the Open Responses ResponseResource), which wants every
// field present and typed: request settings echoed, documented defaults for
// what the client left out — numbers, never null, for the sampling settings.
// Whatever the upstream answered (a Codex backend response lacks most of
// these), the object is rebuilt here from the client's request.
import type { IRRequest, IRUsage } from '../../ir.js';
import { encodeUsage, isObj, num, responsesExtras, str } from './shared.js';
import type { Obj } from './shared.js';

export interface ResponseState {
  id: string;
  created: number;
  model: string;
  status: 'in_progress' | 'completed' | 'incomplete' | 'failed';
  output: Obj[];
  usage?: IRUsage;
  incompleteReason?: string;
  error?: { code: string; message: string };
  /** When the answer completed (seconds); set once, so every copy agrees. */
  completedAt?: number;
}

const EFFORTS = new Set(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']);
const SUMMARIES = new Set(['auto', 'concise', 'detailed']);
const TIERS = new Set(['default', 'flex', 'priority', 'scale']);
const TRUNCATIONS = new Set(['auto', 'disabled']);
const RETENTIONS = new Set(['in_memory', '24h']);
const VERBOSITY = new Set(['low', 'medium', 'high']);

const int = (v: unknown): number | undefined => (Number.isInteger(v) ? (v as number) : undefined);

/** The fields drawn from the request alone: the same in every copy of one
 *  answer, so a stream builds them once. Key order follows the API's. */
export function responseBase(req: IRRequest): Obj {
  const ex = responsesExtras(req);
  const r: Obj = ex?.rest ?? {};
  const effort = req.reasoning?.effort;
  const summary = req.reasoning?.summary;
  const base: Obj = {
    instructions: req.system.map((p) => p.text).join('\n\n') || null,
    max_output_tokens: int(req.maxTokens) ?? null,
    max_tool_calls: int(r.max_tool_calls) ?? null,
    parallel_tool_calls: req.parallelToolCalls ?? true,
    presence_penalty: req.presencePenalty ?? num(r.presence_penalty) ?? 0,
    frequency_penalty: req.frequencyPenalty ?? num(r.frequency_penalty) ?? 0,
    previous_response_id: str(r.previous_response_id) ?? null,
    prompt_cache_key: str(r.prompt_cache_key) ?? null,
    reasoning: {
      effort: effort && EFFORTS.has(effort) ? effort : null,
      summary: summary && SUMMARIES.has(summary) ? summary : null,
    },
    safety_identifier: str(r.safety_identifier) ?? null,
    // "auto" asks the API to pick; the answer names the tier used.
    service_tier: typeof r.service_tier === 'string' && TIERS.has(r.service_tier) ? r.service_tier : 'default',
    // Nothing is kept for GET /v1/responses/{id}: the answer says so.
    store: false,
    temperature: req.temperature ?? 1,
    text: textConfig(ex?.format, ex?.text),
    tool_choice: toolChoice(req, ex?.toolChoice),
    tools: Array.isArray(ex?.tools) ? ex.tools.map(echoTool) : [],
    top_logprobs: int(r.top_logprobs) ?? 0,
    top_p: req.topP ?? 1,
    truncation: typeof r.truncation === 'string' && TRUNCATIONS.has(r.truncation) ? r.truncation : 'disabled',
    user: req.user ?? null,
    metadata: req.metadata ?? {},
  };
  if (typeof r.prompt_cache_retention === 'string' && RETENTIONS.has(r.prompt_cache_retention)) base.prompt_cache_retention = r.prompt_cache_retention;
  const conversation = typeof r.conversation === 'string' ? r.conversation : isObj(r.conversation) ? str(r.conversation.id) : undefined;
  if (conversation) base.conversation = { id: conversation };
  if (isObj(r.prompt)) base.prompt = r.prompt;
  return base;
}

/** The whole response object for the answer's current state. `base` is
 *  responseBase(req), passed in by callers that build several copies. */
export function responseObject(req: IRRequest, s: ResponseState, final: boolean, base: Obj = responseBase(req)): Obj {
  const completed = s.status === 'completed';
  if (completed && s.completedAt === undefined) s.completedAt = Math.max(s.created, Math.floor(Date.now() / 1000));
  return {
    id: s.id,
    object: 'response',
    created_at: s.created,
    status: s.status,
    background: false,
    completed_at: completed ? s.completedAt! : null,
    error: s.error ?? null,
    incomplete_details: s.incompleteReason ? { reason: s.incompleteReason } : null,
    model: s.model,
    output: s.output,
    ...base,
    usage: final && s.usage ? encodeUsage(s.usage) : null,
  };
}

function textConfig(format: unknown, others: Obj | undefined): Obj {
  const text: Obj = { format: echoFormat(format), verbosity: 'medium' };
  if (others) {
    for (const k of Object.keys(others)) if (k !== 'verbosity') text[k] = others[k];
    if (typeof others.verbosity === 'string' && VERBOSITY.has(others.verbosity)) text.verbosity = others.verbosity;
  }
  return text;
}

function echoFormat(f: unknown): Obj {
  if (!isObj(f) || typeof f.type !== 'string') return { type: 'text' };
  if (f.type !== 'json_schema') return { ...f };
  return {
    ...f,
    type: 'json_schema',
    name: str(f.name) ?? 'response',
    description: str(f.description) ?? null,
    schema: isObj(f.schema) ? f.schema : {},
    strict: typeof f.strict === 'boolean' ? f.strict : false,
  };
}

/** Function tools as the API echoes them: description, parameters and
 *  strict always present (strict defaults to true in the Responses API). */
function echoTool(t: unknown): unknown {
  if (!isObj(t)) return t;
  if (t.type === 'function') {
    return {
      ...t,
      description: str(t.description) ?? null,
      parameters: isObj(t.parameters) ? t.parameters : null,
      strict: typeof t.strict === 'boolean' ? t.strict : true,
    };
  }
  if (t.type === 'namespace' && Array.isArray(t.tools)) return { ...t, tools: t.tools.map(echoTool) };
  return t;
}

function toolChoice(req: IRRequest, sent: unknown): unknown {
  if (typeof sent === 'string' || isObj(sent)) return sent;
  const tc = req.toolChoice;
  if (!tc) return 'auto';
  return tc.type === 'tool' ? { type: 'function', name: tc.name } : tc.type;
}
