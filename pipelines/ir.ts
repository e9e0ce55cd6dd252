// The intermediate representation every format codec decodes to and encodes from.
// Formats never talk to each other directly: inbound → IR → upstream, and
// upstream events → IR events → inbound events. Keep this file dependency-free
// (extras.ts holds only types, like this file): it is imported by the main
// thread and by piscina workers alike.
import type { MessageExtras, PartExtras, RequestExtras } from './extras.js';

export type * from './extras.js';

/** The wire formats the gateway speaks, inbound or upstream. */
export type FormatName =
  | 'openai-chat' // OpenAI Chat Completions (also OpenAI-compatible upstreams, Qwen, iFlow)
  | 'openai-completions' // legacy OpenAI Completions (POST /v1/completions, text_completion)
  | 'openai-responses' // OpenAI Responses API as clients (Codex CLI, SDK) send it
  | 'codex' // the Responses flavour the ChatGPT Codex backend accepts (always streamed)
  | 'claude' // Anthropic Messages
  | 'gemini' // Gemini generateContent
  | 'gemini-cli'; // Gemini Code Assist envelope {model, project, request} / {response}

export type IRRole = 'user' | 'assistant' | 'system';

export interface IRCacheControl {
  type: string;
  ttl?: string;
}

/** Per-format fields of one part that only a same-family round trip needs
 *  (e.g. Gemini videoMetadata or an executableCode part shown as text). */
export type IRPartExtras = PartExtras;

export interface IRTextPart {
  type: 'text';
  text: string;
  cacheControl?: IRCacheControl;
  extras?: IRPartExtras;
}

/** Inline base64 data or a URL; at least one of the two is set. */
export interface IRImagePart {
  type: 'image';
  mediaType?: string;
  data?: string;
  url?: string;
  detail?: string;
  cacheControl?: IRCacheControl;
  extras?: IRPartExtras;
}

export interface IRFilePart {
  type: 'file';
  mediaType?: string;
  data?: string;
  url?: string;
  fileId?: string;
  filename?: string;
  cacheControl?: IRCacheControl;
  extras?: IRPartExtras;
}

export interface IRAudioPart {
  type: 'audio';
  format?: string; // wav, mp3, …
  mediaType?: string;
  data: string;
  extras?: IRPartExtras;
}

/** Who issued a reasoning signature. Each provider verifies its own and
 *  rejects the others' (Claude: 400 "Invalid signature in thinking block"),
 *  so a signature goes back only to its issuer. Undefined: unknown, which
 *  never goes to Claude. Clients keep it across turns in the signature text
 *  itself (a tag prefix where the client's field is another provider's: see
 *  formats/claude/shared.ts and formats/gemini/util.ts). */
export type IRSignatureOrigin = 'claude' | 'gemini';

/** Thinking text. `signature` (Claude, Gemini thoughtSignature; issued by
 *  `signatureOrigin`) and `encrypted` (Responses encrypted_content) must
 *  travel back upstream intact. */
export interface IRReasoningPart {
  type: 'reasoning';
  text: string;
  signature?: string;
  signatureOrigin?: IRSignatureOrigin;
  redactedData?: string; // Claude redacted_thinking
  encrypted?: string;
  id?: string;
}

export interface IRToolCallPart {
  type: 'tool-call';
  id: string;
  name: string;
  /** The arguments as JSON text, exactly as the model produced them. */
  arguments: string;
  /** Gemini 3 thoughtSignature and the like, kept for the round trip. */
  signature?: string;
  cacheControl?: IRCacheControl;
}

export interface IRToolResultPart {
  type: 'tool-result';
  callId: string;
  /** The function name when known (Gemini needs it; decoders fill it from history). */
  name?: string;
  content: Array<IRTextPart | IRImagePart | IRFilePart>;
  isError?: boolean;
  cacheControl?: IRCacheControl;
  extras?: IRPartExtras;
}

export type IRPart =
  | IRTextPart
  | IRImagePart
  | IRFilePart
  | IRAudioPart
  | IRReasoningPart
  | IRToolCallPart
  | IRToolResultPart;

/** Tool results travel as parts of a 'user' message (Claude's and Gemini's
 *  model); the OpenAI encoder splits them out into role:"tool" messages. */
export interface IRMessage {
  role: IRRole;
  content: IRPart[];
  /** Per-format data of the items this message was decoded from (item ids,
   *  statuses, items the IR has no part for), keyed by format name, so a
   *  same-family round trip can rebuild them. Other encoders ignore it. */
  extras?: MessageExtras;
}

export interface IRFunctionTool {
  type: 'function';
  name: string;
  description?: string;
  /** JSON Schema of the parameters (already plain JSON Schema: lower-case types). */
  parameters: Record<string, unknown>;
  strict?: boolean;
  /** Claude prompt-caching breakpoint on a tool definition. */
  cacheControl?: IRCacheControl;
}

/** Provider-hosted tools (web_search, code_execution, …) passed on where the
 *  upstream knows them and dropped with a debug note where it does not. */
export interface IRBuiltinTool {
  type: 'builtin';
  name: string; // e.g. 'web_search', 'google_search', 'code_execution'
  config?: Record<string, unknown>;
}

export type IRTool = IRFunctionTool | IRBuiltinTool;

export type IRToolChoice =
  | { type: 'auto' }
  | { type: 'none' }
  | { type: 'required' } // OpenAI "required", Claude "any", Gemini mode ANY
  | { type: 'tool'; name: string };

export type IRResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name?: string; schema: Record<string, unknown>; strict?: boolean };

export type IREffort = 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh' | 'auto';

export interface IRReasoningConfig {
  effort?: IREffort;
  budgetTokens?: number; // -1 = dynamic, 0 = off
  includeThoughts?: boolean;
  summary?: string; // Responses reasoning.summary
}

export interface IRRequest {
  model: string;
  system: IRTextPart[];
  messages: IRMessage[];
  tools?: IRTool[];
  toolChoice?: IRToolChoice;
  parallelToolCalls?: boolean;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stop?: string[];
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  candidateCount?: number;
  responseFormat?: IRResponseFormat;
  reasoning?: IRReasoningConfig;
  stream: boolean;
  /** OpenAI stream_options.include_usage */
  includeUsage?: boolean;
  user?: string;
  metadata?: Record<string, unknown>;
  /** Per-format extras a same-family round trip must not lose, keyed by format name. */
  extras: RequestExtras;
}

export type IRFinishReason =
  | 'stop'
  | 'length'
  | 'tool_calls'
  | 'content_filter'
  | 'pause' // Claude pause_turn
  | 'refusal'
  | 'error';

export interface IRUsage {
  inputTokens: number;
  outputTokens: number;
  cachedTokens?: number; // cache reads
  cacheCreationTokens?: number;
  reasoningTokens?: number;
  totalTokens?: number;
}

/** Stream events, ordered. `index` is the output block index, unique across
 *  block kinds within one response, so encoders can pair starts and ends. */
export type IREvent =
  | { type: 'start'; id: string; model: string; created?: number }
  | { type: 'text-delta'; index: number; text: string }
  | { type: 'reasoning-delta'; index: number; text?: string; signature?: string; signatureOrigin?: IRSignatureOrigin; encrypted?: string; redactedData?: string }
  | { type: 'tool-call-start'; index: number; id: string; name: string; signature?: string }
  | { type: 'tool-call-delta'; index: number; args: string }
  | { type: 'block-end'; index: number }
  | { type: 'usage'; usage: IRUsage }
  | { type: 'finish'; reason: IRFinishReason; usage?: IRUsage; rawReason?: string }
  | { type: 'error'; status: number; message: string; code?: string };

/** A whole (non-stream) answer: the fold of its events. */
export interface IRResponse {
  id: string;
  model: string;
  created: number;
  content: Array<IRTextPart | IRReasoningPart | IRToolCallPart>;
  finishReason: IRFinishReason;
  rawFinishReason?: string;
  usage?: IRUsage;
}

/** An upstream or gateway error, to be shaped by the inbound format's encoder. */
export interface IRError {
  status: number;
  message: string;
  code?: string;
  /** Provider error type if known (e.g. 'rate_limit_error'). */
  type?: string;
  /** How long the provider asked us to wait before retrying (Retry-After, google.rpc.RetryInfo). */
  retryAfterMs?: number;
}

/** Thrown by decoders for client errors (bad field types, missing messages…). */
export class TranslationError extends Error {
  readonly status: number;
  constructor(message: string, status = 400) {
    super(message);
    this.name = 'TranslationError';
    this.status = status;
  }
}
