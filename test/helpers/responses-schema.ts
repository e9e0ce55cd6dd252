// A strict validator for what a Responses API server sends, written from the
// public specification — the OpenAI Responses API reference (the `Response`
// object and the streaming events, as typed in the openai package's
// resources/responses/responses.d.ts) and the Open Responses OpenAPI document
// (ResponseResource, ItemField, streaming events, CompactResource) — not from
// the gateway's encoder. Where the two differ, the stricter wins: a field one
// requires is required; a type one narrows (temperature is `number` in Open
// Responses, `number | null` in OpenAI's) is narrowed. Nullability and integer
// vs number are checked. Each check returns the list of problems, empty when
// the value conforms.

type Check = (v: unknown, path: string, errs: string[]) => void;

const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

const str: Check = (v, p, e) => void (typeof v !== 'string' && e.push(`${p}: expected string, got ${typeName(v)}`));
const int: Check = (v, p, e) => void (!Number.isInteger(v) && e.push(`${p}: expected integer, got ${JSON.stringify(v)}`));
const num: Check = (v, p, e) => void ((typeof v !== 'number' || !Number.isFinite(v)) && e.push(`${p}: expected number, got ${JSON.stringify(v)}`));
const bool: Check = (v, p, e) => void (typeof v !== 'boolean' && e.push(`${p}: expected boolean, got ${typeName(v)}`));
const anyObject: Check = (v, p, e) => void ((typeof v !== 'object' || v === null || Array.isArray(v)) && e.push(`${p}: expected object, got ${typeName(v)}`));

function oneOf(...values: unknown[]): Check {
  return (v, p, e) => void (!values.includes(v) && e.push(`${p}: ${JSON.stringify(v)} is not one of ${JSON.stringify(values)}`));
}

function nullable(c: Check): Check {
  return (v, p, e) => (v === null ? undefined : c(v, p, e));
}

function anyOf(...cs: Check[]): Check {
  return (v, p, e) => {
    const tries = cs.map((c) => {
      const sub: string[] = [];
      c(v, p, sub);
      return sub;
    });
    if (tries.some((t) => t.length === 0)) return;
    e.push(`${p}: matches no alternative (${tries.map((t) => t[0]).join(' | ')})`);
  };
}

function arr(item: Check): Check {
  return (v, p, e) => {
    if (!Array.isArray(v)) return void e.push(`${p}: expected array, got ${typeName(v)}`);
    v.forEach((x, i) => item(x, `${p}[${i}]`, e));
  };
}

function mapOf(value: Check): Check {
  return (v, p, e) => {
    anyObject(v, p, e);
    if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) value(x, `${p}.${k}`, e);
  };
}

/** An object with `required` keys (present, even when null) and `optional` ones. */
function obj(required: Record<string, Check>, optional: Record<string, Check> = {}): Check {
  return (v, p, e) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return void e.push(`${p}: expected object, got ${typeName(v)}`);
    const o = v as Record<string, unknown>;
    for (const [k, c] of Object.entries(required)) {
      if (!(k in o) || o[k] === undefined) e.push(`${p}.${k}: required field missing`);
      else c(o[k], `${p}.${k}`, e);
    }
    for (const [k, c] of Object.entries(optional)) if (o[k] !== undefined) c(o[k], `${p}.${k}`, e);
  };
}

/** A union told apart by `type`; unknown types are errors. */
function byType(variants: Record<string, Check>): Check {
  return (v, p, e) => {
    const t = typeof v === 'object' && v !== null ? (v as { type?: unknown }).type : undefined;
    const c = typeof t === 'string' ? variants[t] : undefined;
    if (!c) return void e.push(`${p}: unknown or missing type ${JSON.stringify(t)}`);
    c(v, p, e);
  };
}

const itemStatus = oneOf('in_progress', 'completed', 'incomplete');

export const usage = obj({
  input_tokens: int,
  input_tokens_details: obj({ cached_tokens: int }),
  output_tokens: int,
  output_tokens_details: obj({ reasoning_tokens: int }),
  total_tokens: int,
});

const outputText = obj({ type: oneOf('output_text'), text: str, annotations: arr(anyObject) }, { logprobs: arr(anyObject) });
const refusal = obj({ type: oneOf('refusal'), refusal: str });
const summaryText = obj({ type: oneOf('summary_text'), text: str });
const inputText = obj({ type: oneOf('input_text'), text: str });

/** Output items (ResponseOutputItem / ItemField). */
export const outputItem = byType({
  message: obj(
    { type: str, id: str, status: itemStatus, role: oneOf('assistant'), content: arr(byType({ output_text: outputText, refusal })) },
    { phase: nullable(oneOf('commentary', 'final_answer')) },
  ),
  function_call: obj({ type: str, id: str, call_id: str, name: str, arguments: str, status: itemStatus }, { namespace: str }),
  custom_tool_call: obj({ type: str, call_id: str, name: str, input: str }, { id: str, namespace: str }),
  reasoning: obj(
    { type: str, id: str, summary: arr(summaryText) },
    { content: arr(anyObject), encrypted_content: nullable(str), status: itemStatus },
  ),
  compaction: obj({ type: str, id: str, encrypted_content: str }, { created_by: str }),
});

const functionTool = obj(
  // Open Responses requires all five; OpenAI's FunctionTool requires all but description.
  { type: str, name: str, description: nullable(str), parameters: nullable(anyObject), strict: nullable(bool) },
);
const typed = obj({ type: str });
// The hosted tool kinds of OpenAI's `Tool` union; their settings are not checked further.
const HOSTED = ['file_search', 'computer', 'computer_use_preview', 'web_search', 'web_search_2025_08_26', 'web_search_preview', 'web_search_preview_2025_03_11', 'mcp', 'code_interpreter', 'programmatic_tool_calling', 'image_generation', 'local_shell', 'shell', 'tool_search', 'apply_patch'];
const tool = byType({
  ...Object.fromEntries(HOSTED.map((k) => [k, typed])),
  function: functionTool,
  custom: obj({ type: str, name: str }, { description: str, format: anyObject }),
  namespace: obj({ type: str, name: str, tools: arr(anyObject) }, { description: nullable(str) }),
});

const toolChoice = anyOf(
  oneOf('none', 'auto', 'required'),
  obj({ type: oneOf('function', 'custom'), name: str }),
  obj({ type: oneOf('allowed_tools'), mode: oneOf('auto', 'required'), tools: arr(anyObject) }),
  obj({ type: oneOf('file_search', 'web_search_preview', 'computer_use_preview', 'web_search_preview_2025_03_11', 'image_generation', 'code_interpreter', 'apply_patch', 'shell') }),
);

const textFormat = byType({
  text: obj({ type: str }),
  json_object: obj({ type: str }),
  json_schema: obj({ type: str, name: str, schema: anyObject }, { description: nullable(str), strict: nullable(bool) }),
});

/** The Response object (OpenAI `Response` ∩ Open Responses `ResponseResource`). */
const responseShape = obj(
  {
    id: str,
    object: oneOf('response'),
    created_at: int,
    completed_at: nullable(int),
    status: oneOf('completed', 'failed', 'in_progress', 'cancelled', 'queued', 'incomplete'),
    background: bool,
    error: nullable(obj({ code: str, message: str })),
    incomplete_details: nullable(obj({}, { reason: oneOf('max_output_tokens', 'content_filter') })),
    instructions: nullable(anyOf(str, arr(anyObject))),
    max_output_tokens: nullable(int),
    max_tool_calls: nullable(int),
    model: str,
    output: arr(outputItem),
    parallel_tool_calls: bool,
    presence_penalty: num,
    frequency_penalty: num,
    previous_response_id: nullable(str),
    prompt_cache_key: nullable(str),
    reasoning: nullable(
      obj({
        effort: nullable(oneOf('none', 'minimal', 'low', 'medium', 'high', 'xhigh')),
        summary: nullable(oneOf('auto', 'concise', 'detailed')),
      }),
    ),
    safety_identifier: nullable(str),
    service_tier: oneOf('auto', 'default', 'flex', 'scale', 'priority'),
    store: bool,
    temperature: num,
    text: obj({ format: textFormat }, { verbosity: nullable(oneOf('low', 'medium', 'high')) }),
    tool_choice: toolChoice,
    tools: arr(tool),
    top_logprobs: int,
    top_p: num,
    truncation: oneOf('auto', 'disabled'),
    usage: nullable(usage),
    user: nullable(str),
    metadata: mapOf(str),
  },
  {
    conversation: nullable(obj({ id: str })),
    prompt: nullable(anyObject),
    prompt_cache_retention: nullable(oneOf('in_memory', '24h')),
  },
);

/** Problems with a Response object; `status` narrows what the object must say. */
export function checkResponse(v: unknown, path = 'response'): string[] {
  const errs: string[] = [];
  responseShape(v, path, errs);
  if (errs.length) return errs;
  const r = v as Record<string, any>;
  if (r.status === 'completed') {
    if (r.completed_at === null) errs.push(`${path}.completed_at: must be set when status is completed`);
    else if (r.completed_at < r.created_at) errs.push(`${path}.completed_at: before created_at`);
    if (r.usage === null) errs.push(`${path}.usage: a completed response carries usage`);
  } else if (r.completed_at !== null) {
    errs.push(`${path}.completed_at: only a completed response has one (status ${r.status})`);
  }
  if (r.status === 'failed' && r.error === null) errs.push(`${path}.error: a failed response carries its error`);
  if (r.status === 'incomplete' && r.incomplete_details === null) errs.push(`${path}.incomplete_details: an incomplete response says why`);
  return errs;
}

const at = (fields: Record<string, Check>): Check => obj({ type: str, sequence_number: int, ...fields });
const where = { item_id: str, output_index: int };

const EVENT_FIELDS: Record<string, Check> = {
  'response.output_item.added': at({ output_index: int, item: outputItem }),
  'response.output_item.done': at({ output_index: int, item: outputItem }),
  'response.content_part.added': at({ ...where, content_index: int, part: byType({ output_text: outputText, refusal }) }),
  'response.content_part.done': at({ ...where, content_index: int, part: byType({ output_text: outputText, refusal }) }),
  'response.output_text.delta': at({ ...where, content_index: int, delta: str, logprobs: arr(anyObject) }),
  'response.output_text.done': at({ ...where, content_index: int, text: str, logprobs: arr(anyObject) }),
  'response.refusal.delta': at({ ...where, content_index: int, delta: str }),
  'response.refusal.done': at({ ...where, content_index: int, refusal: str }),
  'response.function_call_arguments.delta': at({ ...where, delta: str }),
  'response.function_call_arguments.done': at({ ...where, arguments: str, name: str }),
  'response.custom_tool_call_input.delta': at({ ...where, delta: str }),
  'response.custom_tool_call_input.done': at({ ...where, input: str }),
  'response.reasoning_summary_part.added': at({ ...where, summary_index: int, part: summaryText }),
  'response.reasoning_summary_part.done': at({ ...where, summary_index: int, part: summaryText }),
  'response.reasoning_summary_text.delta': at({ ...where, summary_index: int, delta: str }),
  'response.reasoning_summary_text.done': at({ ...where, summary_index: int, text: str }),
  error: at({ code: nullable(str), message: str, param: nullable(str) }),
};

const LIFECYCLE: Record<string, string> = {
  'response.created': 'in_progress',
  'response.queued': 'queued',
  'response.in_progress': 'in_progress',
  'response.completed': 'completed',
  'response.failed': 'failed',
  'response.incomplete': 'incomplete',
};

/** Problems with one stream event (and the response it carries, if any). */
export function checkEvent(v: unknown): string[] {
  const errs: string[] = [];
  const type = typeof v === 'object' && v !== null ? (v as { type?: unknown }).type : undefined;
  const path = `event(${String(type)})`;
  if (typeof type !== 'string') return [`${path}: no type`];
  const life = LIFECYCLE[type];
  if (life) {
    at({ response: anyObject })(v, path, errs);
    if (errs.length) return errs;
    const resp = (v as { response: Record<string, unknown> }).response;
    errs.push(...checkResponse(resp, `${path}.response`));
    if (resp.status !== life) errs.push(`${path}.response.status: ${JSON.stringify(resp.status)} in a ${type} event`);
    return errs;
  }
  const c = EVENT_FIELDS[type];
  if (!c) return [`${path}: not an event type of the Responses stream`];
  c(v, path, errs);
  return errs;
}

/** Problems with a whole event sequence: each event, numbering from 0 without
 *  gaps, one start and one terminal event, nothing after the terminal one. */
export function checkEventSequence(events: unknown[]): string[] {
  const errs: string[] = [];
  events.forEach((ev, i) => {
    errs.push(...checkEvent(ev).map((m) => `#${i} ${m}`));
    const seq = (ev as { sequence_number?: unknown }).sequence_number;
    if (seq !== i) errs.push(`#${i}: sequence_number ${JSON.stringify(seq)}, expected ${i}`);
  });
  const types = events.map((e) => (e as { type?: string }).type);
  if (types[0] !== 'response.created') errs.push(`the stream starts with ${types[0]}, not response.created`);
  const terminal = types.findIndex((t) => t === 'response.completed' || t === 'response.failed' || t === 'response.incomplete' || t === 'error');
  if (terminal < 0) errs.push('the stream has no terminal event');
  else if (terminal !== types.length - 1) errs.push(`events after the terminal ${types[terminal]}: ${types.slice(terminal + 1).join(', ')}`);
  return errs;
}

const compactOutput = byType({
  message: obj(
    { type: str, id: str, status: itemStatus, role: oneOf('user', 'assistant', 'system', 'developer'), content: arr(anyOf(inputText, outputText, anyObject)) },
    { phase: nullable(oneOf('commentary', 'final_answer')) },
  ),
  compaction: obj({ type: str, id: str, encrypted_content: str }, { created_by: str }),
  reasoning: obj({ type: str, id: str, summary: arr(summaryText) }, { encrypted_content: nullable(str) }),
  function_call: obj({ type: str, call_id: str, name: str, arguments: str }, { id: str, status: itemStatus }),
  function_call_output: obj({ type: str, call_id: str, output: anyOf(str, arr(anyObject)) }, { id: str, status: itemStatus }),
});

/** The compacted response (CompactedResponse / CompactResource): its output
 *  must end with exactly one compaction item. */
export function checkCompacted(v: unknown): string[] {
  const errs: string[] = [];
  obj({ id: str, object: oneOf('response.compaction'), created_at: int, output: arr(compactOutput), usage })(v, 'compacted', errs);
  if (errs.length) return errs;
  const out = (v as { output: Array<{ type: string }> }).output;
  if (out.filter((i) => i.type === 'compaction').length !== 1 || out.at(-1)?.type !== 'compaction') errs.push('compacted.output: must end with its one compaction item');
  return errs;
}

/** The error body of a failed HTTP request, and the error frame of the WebSocket mode. */
export function checkErrorBody(v: unknown): string[] {
  const errs: string[] = [];
  obj({ error: obj({ message: str, type: str, param: nullable(str), code: nullable(str) }) })(v, 'body', errs);
  return errs;
}

export function checkWebSocketError(v: unknown): string[] {
  const errs: string[] = [];
  obj({ type: oneOf('error'), status: int, error: obj({ code: str, message: str }, { type: str, param: nullable(str) }) })(v, 'ws-error', errs);
  return errs;
}
