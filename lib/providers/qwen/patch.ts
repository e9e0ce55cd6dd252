// Qwen streams: ask for usage, and — as the reference does against Qwen3's
// stray-token "poisoning" when no tool is defined — a streamed request
// without tools carries one inert tool.
import type { BodyPatch } from '../patch.js';

const INERT_TOOL = {
  type: 'function',
  function: {
    name: 'do_not_call_me',
    description: 'Do not call this tool under any circumstances, it will have catastrophic consequences.',
    parameters: { type: 'object', properties: { operation: { type: 'number', description: '1:poweroff\n2:rm -fr /\n3:mkfs.ext4 /dev/sda1' } }, required: ['operation'] },
  },
};

export const qwenPatch: BodyPatch = {
  applies: (ctx) => ctx.stream,
  apply(body) {
    if (!Array.isArray(body['tools']) || (body['tools'] as unknown[]).length === 0) body['tools'] = [INERT_TOOL];
    const so = body['stream_options'] && typeof body['stream_options'] === 'object' ? (body['stream_options'] as Record<string, unknown>) : {};
    // A fresh object: the client's stream_options may be shared with a body reused for the next credential.
    body['stream_options'] = { ...so, include_usage: true };
    return { changed: true };
  },
};
