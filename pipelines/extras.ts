// The IR's namespaced `extras` bags, typed per format: what each codec keeps
// for a same-family round trip (fields the IR has no slot for, the client's
// layout) and reads back on encode. One namespace per format; a codec reads
// only its own — and Codex its family's ('openai-responses'). Other encoders
// ignore them. Dependency-free, like ir.ts, which re-exports these types.

type Json = Record<string, unknown>;

// ── request level (IRRequest.extras) ────────────────────────────────────────

/** 'openai-chat': a Chat Completions request's layout. */
export interface ChatExtras {
  /** Top-level request fields the IR has no place for, copied back verbatim. */
  fields?: Json;
  /** How the leading system/developer messages were laid out. */
  system?: Array<{ role: 'system' | 'developer'; parts: number; string: boolean; fields?: Json }>;
  maxTokensKey?: 'max_tokens' | 'max_completion_tokens';
  stopString?: boolean;
  /** stream_options keys other than include_usage. */
  streamOptions?: Json;
  /** response_format.json_schema.description (the IR has no slot for it). */
  schemaDescription?: string;
}

/** 'openai-completions': a legacy Completions request's layout. */
export interface CompletionsExtras {
  /** Top-level fields the IR has no place for (suffix, echo, logprobs,
   *  best_of, logit_bias, unknown ones), copied back verbatim. */
  fields?: Json;
  /** The prompt came as a one-element array. */
  promptArray?: boolean;
  stopString?: boolean;
  /** stream_options keys other than include_usage. */
  streamOptions?: Json;
}

/** 'openai-responses': what a decoded Responses request leaves; Codex reads it too. */
export interface ResponsesExtras {
  /** Top-level fields the IR has no slot for (store, include, client_metadata…). */
  rest?: Json;
  /** The client sent no `stream` field. */
  noStream?: boolean;
  /** `input` was a bare string. */
  inputString?: boolean;
  /** Opaque input items met before any message existed to carry them. */
  lead?: unknown[];
  /** The client's tools array as sent: order, and tools the IR cannot hold. */
  tools?: unknown[];
  /** Qualified IR tool name → [namespace, name inside the namespace]. */
  ns?: Record<string, [string, string]>;
  /** IR tool names that stand for freeform `custom` tools. */
  custom?: string[];
  /** Tools declared by `additional_tools` input items, which re-send them
   *  (function names; `builtin:<name>` for builtins). */
  inputTools?: string[];
  toolChoice?: unknown;
  toolChoiceFp?: string;
  format?: unknown;
  formatFp?: string;
  /** text.* besides format (verbosity). */
  text?: Json;
  /** reasoning.* besides effort and summary. */
  reasoning?: Json;
}

/** 'codex': set by the caller, never decoded from a client. */
export interface CodexExtras {
  /** The official prompt to enforce for this request (see codex/request.ts). */
  instructions?: string;
}

/** 'claude': top-level fields the IR has no slot for, sent back verbatim to
 *  a Claude upstream, plus codec-private "__" keys (raw tool_choice, tool
 *  extras, adaptive thinking, system-as-string, no-stream) never sent as fields. */
export type ClaudeExtras = Json;

/** 'gemini' (see gemini/request.ts for each key). */
export interface GeminiExtras {
  /** Top-level fields the IR has no slot for (safetySettings, cachedContent, labels, …). */
  rest?: Json;
  /** Unknown generationConfig fields (responseModalities, speechConfig, …). */
  generationConfig?: Json;
  /** Unknown thinkingConfig fields; present ⇔ the client sent thinkingConfig. */
  thinkingConfig?: Json;
  /** Unknown toolConfig fields (retrievalConfig). */
  toolConfig?: Json;
  /** {mode, allowedFunctionNames} when toolChoice cannot say it. */
  functionCalling?: Json;
  /** Tool entries with no IR builtin (googleSearchRetrieval, fileSearch, …). */
  tools?: unknown[];
  /** Per-function extra declaration fields (behavior, response…), by name. */
  declExtras?: Record<string, Json>;
  /** Names declared with parametersJsonSchema (re-sent that way). */
  jsonSchemaTools?: string[];
  /** 'responseSchema' when JSON mode used the OpenAPI field. */
  responseSchemaField?: string;
  /** systemInstruction.role as sent. */
  systemRole?: string;
  /** The client itself sent functionCall/functionResponse ids. */
  callIds?: boolean;
  /** The request came from a Gemini client. */
  origin?: boolean;
}

/** 'gemini-cli': the Code Assist envelope's fields besides model and request
 *  (project, user_prompt_id, …) and the inner session_id, kept verbatim. */
export interface GeminiCliExtras {
  project?: unknown;
  session_id?: unknown;
  [field: string]: unknown;
}

export interface RequestExtras {
  'openai-chat'?: ChatExtras;
  'openai-completions'?: CompletionsExtras;
  'openai-responses'?: ResponsesExtras;
  codex?: CodexExtras;
  claude?: ClaudeExtras;
  gemini?: GeminiExtras;
  'gemini-cli'?: GeminiCliExtras;
}

// ── message level (IRMessage.extras) ────────────────────────────────────────

/** `n` IR parts make one Responses item; `f` are the item's other fields,
 *  `pf` the extra fields of each content part; `str`: content (or output)
 *  was a bare string; `arr`: a tool output was an array. */
export interface ResponsesPartSlot { n: number; f?: Json; pf?: Array<Json | null>; str?: true; arr?: true }
/** An input item the IR has no part for, in its place. */
export interface ResponsesRawSlot { raw: unknown }
export type ResponsesSlot = ResponsesPartSlot | ResponsesRawSlot;

export interface MessageExtras {
  /** The message's fields the IR has no slot for (name, …). */
  'openai-chat'?: Json;
  /** Which of the message's parts form which Responses input item. */
  'openai-responses'?: { items: ResponsesSlot[] };
  /** Block-level leftovers, e.g. `__blocks`: blocks with no IR part, at their position. */
  claude?: Json;
}

// ── part level (IRPart.extras) ──────────────────────────────────────────────

/** 'gemini' on a part (see gemini/request.ts). */
export interface GeminiPartExtras {
  /** On plain text and media parts (tool calls use IRToolCallPart.signature). */
  thoughtSignature?: unknown;
  /** A part with no IR type (executableCode, …), sent back verbatim. */
  rawPart?: Json;
  /** On tool results: the single key a string response sat under. */
  responseKey?: unknown;
  /** Other part fields (videoMetadata, mediaResolution, functionResponse extras). */
  [field: string]: unknown;
}

export interface PartExtras {
  /** A tool message's fields the IR has no slot for. */
  'openai-chat'?: Json;
  /** Block fields the IR has no slot for (citations, …); "__" keys are codec hints. */
  claude?: Json;
  gemini?: GeminiPartExtras;
}
