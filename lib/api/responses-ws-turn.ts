// The request side of one Responses WebSocket turn: a client frame → the body
// a POST /v1/responses would carry, with the socket's memory of its last turn
// filled in; and the locally answered warm-up turn (`generate: false`).
import { getCodec } from '../../pipelines/index.js';
import { jsonTooDeep, MAX_JSON_DEPTH } from '../../pipelines/json-depth.js';
import { ResponsesStreamEncoder } from '../../pipelines/formats/openai-responses/stream.js';
import { SSEParser } from '../../pipelines/sse.js';
import { isObj } from '../../pipelines/guards.js';

type Obj = Record<string, unknown>;

export interface Turn {
  /** The POST body (stream: true). */
  body: Obj;
  /** The whole input this turn sent (previous turns merged in). */
  input: unknown[];
  /** `generate: false`: set the conversation up, answer without the model. */
  prewarm: boolean;
}

/** A WebSocket error event (Open Responses WebSocketErrorEvent; Codex CLI reads its status). */
export function wsError(status: number, code: string, message: string, type = status >= 500 ? 'server_error' : 'invalid_request_error'): Obj {
  return { type: 'error', status, error: { type, code, message, param: null } };
}

/** Fields of a `response.create` frame that are not request fields, or have no meaning on a socket. */
const FRAME_ONLY = new Set(['type', 'event_id', 'stream', 'stream_options', 'background', 'generate']);


function asItems(input: unknown): unknown[] {
  if (typeof input === 'string') return [{ type: 'message', role: 'user', content: input }];
  return Array.isArray(input) ? input : [];
}

export class TurnState {
  private last?: { id: string; input: unknown[]; output: unknown[]; model: unknown; instructions: unknown };

  /** A frame → the turn to run, or the error frame to answer (`error: undefined`: ignore the frame). */
  request(text: string): Turn | { error: Obj | undefined } {
    // As for a POST body: JSON.parse takes any depth, but the turn's JSON.stringify overflows the stack.
    if (jsonTooDeep(Buffer.from(text, 'utf8'))) return { error: wsError(400, 'invalid_json', `The message nests deeper than ${MAX_JSON_DEPTH} levels`) };
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch (err) {
      return { error: wsError(400, 'invalid_json', `The message is not valid JSON: ${(err as Error).message}`) };
    }
    if (!isObj(frame)) return { error: wsError(400, 'invalid_request', 'A message must be a JSON object') };
    const type = frame.type;
    // Codex CLI acknowledges each answer; there is nothing to do with it.
    if (type === 'response.processed') return { error: undefined };
    if (type !== 'response.create') {
      return { error: wsError(400, 'unsupported_event_type', `Unsupported message type ${JSON.stringify(type)}: send {"type":"response.create", …request}`) };
    }
    const body: Obj = {};
    for (const k of Object.keys(frame)) if (!FRAME_ONLY.has(k)) body[k] = frame[k];
    let input = asItems(body.input);
    const prev = body.previous_response_id;
    if (prev !== undefined && prev !== null) {
      const last = this.last;
      if (!last || prev !== last.id) {
        return { error: wsError(400, 'previous_response_not_found', `Previous response with id '${String(prev).slice(0, 100)}' not found on this connection.`) };
      }
      // Nothing is stored upstream: the follow-up carries the whole conversation.
      input = [...last.input, ...last.output, ...input];
      delete body.previous_response_id;
      if (body.model === undefined) body.model = last.model;
      if (body.instructions === undefined && last.instructions !== undefined) body.instructions = last.instructions;
    }
    if (typeof body.model !== 'string' || !body.model) return { error: wsError(400, 'invalid_request', 'The "model" field is required and must be a string') };
    body.input = input;
    body.stream = true;
    return { body, input, prewarm: frame.generate === false };
  }

  /** The turn's answer completed with response `id` and these output items. */
  completed(t: Turn, id: string, output: unknown[]): void {
    this.last = { id, input: t.input, output, model: t.body.model, instructions: t.body.instructions };
  }
}

/** The events of a warm-up turn: created, in_progress and completed, empty. */
export function prewarmFrames(t: Turn): { frames: string[]; id: string } | { error: Obj } {
  let req;
  try {
    req = getCodec('openai-responses').decodeRequest(t.body);
  } catch (err) {
    return { error: wsError(400, 'invalid_request', (err as Error).message) };
  }
  const enc = new ResponsesStreamEncoder(req);
  const text = enc.push({ type: 'start', id: '', model: String(t.body.model) }) + enc.push({ type: 'finish', reason: 'stop', usage: { inputTokens: 0, outputTokens: 0 } });
  const parser = new SSEParser();
  const frames = [...parser.push(text), ...parser.end()].map((f) => f.data);
  const id = frames.map((f) => (JSON.parse(f) as { response?: { id?: string } }).response?.id).find((x) => typeof x === 'string') ?? '';
  return { frames, id };
}
