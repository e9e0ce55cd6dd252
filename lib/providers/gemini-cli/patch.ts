// The Code Assist envelope names the account's project and the upstream
// model; a count-tokens envelope carries neither (the API refuses them there).
import type { BodyPatch } from '../patch.js';

export const geminiCliPatch: BodyPatch = {
  applies: () => true,
  apply(body, ctx) {
    if (ctx.action === 'count-tokens') {
      if (!('project' in body) && !('model' in body)) return { changed: false };
      delete body['project'];
      delete body['model'];
      return { changed: true };
    }
    if (body['project'] === ctx.projectId && body['model'] === ctx.upstreamModel) return { changed: false };
    body['project'] = ctx.projectId;
    body['model'] = ctx.upstreamModel;
    return { changed: true };
  },
};
