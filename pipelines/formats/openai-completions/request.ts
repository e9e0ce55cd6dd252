// Legacy Completions request bodies (POST /v1/completions) ⇄ IRRequest.
//
// The prompt becomes one user message, so any upstream (Claude, Gemini, a
// chat-only OpenAI-compatible provider) can answer it. Choices, documented:
// - prompt: a string, or an array holding exactly one string (LangChain and
//   other batch-minded clients send ["…"]). A batch of several prompts asks
//   for one choice per prompt, which the IR (one answer) cannot carry, so it
//   is refused with a 400 rather than silently joined into another question.
//   Token-id prompts are refused: there is no tokenizer to turn them back
//   into text for a non-OpenAI upstream.
// - n > 1 is refused for the same reason (one answer, one choice).
// - max_tokens absent stays absent: the legacy default of 16 tokens would
//   cut nearly every answer short, so the upstream's own default applies.
// - suffix, echo, logprobs, best_of, logit_bias and unknown fields ride in
//   extras (an encode back to completions is lossless); other upstreams do
//   not see them. echo is honoured by the encoders (the prompt is prepended),
//   logprobs come back null.
import { TranslationError, type CompletionsExtras, type IRMessage, type IRRequest, type IRTextPart } from '../../ir.js';
import { decodeStop, isObject, num, type Json } from '../openai-chat/common.js';

/** What a same-format round trip needs beyond the IR, kept in
 *  req.extras['openai-completions']. Only this codec reads it. */
export type { CompletionsExtras } from '../../extras.js';

/** Fields this codec maps itself; anything else rides in extras.fields. */
const KNOWN = new Set([
  'model', 'prompt', 'max_tokens', 'temperature', 'top_p', 'n', 'stream', 'stream_options', 'stop',
  'presence_penalty', 'frequency_penalty', 'seed', 'user',
]);

function optNumber(body: Json, key: string): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  const n = num(v);
  if (n === undefined) throw new TranslationError(`'${key}' must be a number`);
  return n;
}

function isTokenArray(v: unknown): boolean {
  return Array.isArray(v) && v.every((x) => typeof x === 'number');
}

/** The prompt text, and whether it came wrapped in an array. */
function decodePrompt(p: unknown): { text: string; array: boolean } {
  if (typeof p === 'string') return { text: p, array: false };
  if (p === undefined || p === null) throw new TranslationError("'prompt' is required");
  if (!Array.isArray(p)) throw new TranslationError("'prompt' must be a string or an array of strings");
  if (p.length === 0) throw new TranslationError("'prompt' must not be an empty array");
  if (isTokenArray(p) || p.some((x) => Array.isArray(x))) {
    throw new TranslationError(
      "'prompt' as token ids (an array of integers) is not supported by this gateway: send the prompt as text",
    );
  }
  if (!p.every((x) => typeof x === 'string')) throw new TranslationError("'prompt' must be a string or an array of strings");
  if (p.length > 1) {
    throw new TranslationError(
      `'prompt' holds ${p.length} prompts: batched prompts are not supported by this gateway, send one prompt per request`,
    );
  }
  return { text: p[0] as string, array: true };
}

export function decodeRequest(body: unknown): IRRequest {
  if (!isObject(body)) throw new TranslationError('request body must be a JSON object');
  if (body.model !== undefined && typeof body.model !== 'string') throw new TranslationError("'model' must be a string");
  const prompt = decodePrompt(body.prompt);
  const extras: CompletionsExtras = {};
  const fields: Json = {};
  for (const k in body) if (!KNOWN.has(k)) fields[k] = body[k];

  const req: IRRequest = {
    model: (body.model as string | undefined) ?? '',
    system: [],
    messages: [{ role: 'user', content: [{ type: 'text', text: prompt.text }] }],
    stream: body.stream === true,
    extras: { 'openai-completions': extras },
  };
  if (prompt.array) extras.promptArray = true;

  const n = optNumber(body, 'n');
  if (n !== undefined && n > 1) {
    throw new TranslationError(`'n' is ${n}: only one completion per request is supported by this gateway`);
  }
  if (n !== undefined) req.candidateCount = n;

  const numbers: Array<[string, 'maxTokens' | 'temperature' | 'topP' | 'seed' | 'presencePenalty' | 'frequencyPenalty']> = [
    ['max_tokens', 'maxTokens'], ['temperature', 'temperature'], ['top_p', 'topP'], ['seed', 'seed'],
    ['presence_penalty', 'presencePenalty'], ['frequency_penalty', 'frequencyPenalty'],
  ];
  for (const [key, field] of numbers) {
    const v = optNumber(body, key);
    if (v !== undefined) req[field] = v;
  }

  const stop = decodeStop(body.stop);
  if (stop) {
    req.stop = stop.stop;
    if (stop.string) extras.stopString = true;
  }

  if (isObject(body.stream_options)) {
    const { include_usage, ...rest } = body.stream_options;
    if (include_usage === true) req.includeUsage = true;
    if (Object.keys(rest).length > 0) extras.streamOptions = rest;
  }
  if (typeof body.user === 'string') req.user = body.user;
  if (Object.keys(fields).length > 0) extras.fields = fields;
  return req;
}

function partsText(parts: IRMessage['content']): string {
  const out: string[] = [];
  for (const p of parts) {
    if (p.type === 'text') out.push(p.text);
    else if (p.type === 'tool-result') {
      for (const c of p.content) if (c.type === 'text') out.push(c.text);
    }
  }
  return out.join('\n\n');
}

const LABEL = { user: 'User', assistant: 'Assistant', system: 'System' } as const;

/** A conversation as one prompt. A lone user message (what this codec
 *  decodes) is its text unchanged; anything else becomes a transcript that
 *  ends with an open assistant turn. Only text survives: images, files and
 *  tool calls have no place in a text prompt. */
export function flattenPrompt(system: IRTextPart[], messages: IRMessage[]): string {
  if (system.length === 0 && messages.length === 1 && messages[0]!.role === 'user') return partsText(messages[0]!.content);
  const turns: string[] = [];
  const sys = system.map((p) => p.text).join('\n\n');
  if (sys) turns.push(sys);
  for (const m of messages) {
    const text = partsText(m.content);
    if (text) turns.push(LABEL[m.role] + ': ' + text);
  }
  turns.push(LABEL.assistant + ':');
  return turns.join('\n\n');
}

/** IR → a body for an upstream that speaks legacy completions. */
export function encodeRequest(req: IRRequest): Record<string, unknown> {
  const ex = req.extras['openai-completions'];
  const prompt = flattenPrompt(req.system, req.messages);
  const out: Json = { model: req.model, prompt: ex?.promptArray ? [prompt] : prompt };
  if (req.maxTokens !== undefined) out.max_tokens = req.maxTokens;
  if (req.temperature !== undefined) out.temperature = req.temperature;
  if (req.topP !== undefined) out.top_p = req.topP;
  if (req.candidateCount !== undefined) out.n = req.candidateCount;
  if (req.stop && req.stop.length > 0) out.stop = ex?.stopString && req.stop.length === 1 ? req.stop[0] : req.stop;
  if (req.seed !== undefined) out.seed = req.seed;
  if (req.presencePenalty !== undefined) out.presence_penalty = req.presencePenalty;
  if (req.frequencyPenalty !== undefined) out.frequency_penalty = req.frequencyPenalty;
  out.stream = req.stream;
  // Usage is always requested upstream so the gateway can count it; the
  // client only sees the usage chunk when it asked (req.includeUsage).
  if (req.stream) out.stream_options = { ...ex?.streamOptions, include_usage: true };
  if (req.user !== undefined) out.user = req.user;
  if (ex?.fields) for (const k in ex.fields) if (!(k in out)) out[k] = ex.fields[k];
  return out;
}

/** The prompt to prepend to the answer when the client asked for echo. */
export function echoText(req: IRRequest): string | undefined {
  const ex = req.extras['openai-completions'];
  if (ex?.fields?.echo !== true) return undefined;
  return flattenPrompt(req.system, req.messages);
}
