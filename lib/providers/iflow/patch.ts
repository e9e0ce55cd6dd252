// iFlow's streaming misbehaves on `tools: []`: an empty tools list gets a
// placeholder tool, as the reference sends it.
import type { BodyPatch } from '../patch.js';
import { UNCHANGED } from '../patch.js';

const PLACEHOLDER = [{ type: 'function', function: { name: 'noop', description: 'Placeholder tool to stabilise streaming', parameters: { type: 'object' } } }];

export const iflowPatch: BodyPatch = {
  applies: () => true,
  apply(body) {
    const tools = body['tools'];
    if (!Array.isArray(tools) || tools.length > 0) return UNCHANGED;
    body['tools'] = PLACEHOLDER;
    return { changed: true };
  },
};
