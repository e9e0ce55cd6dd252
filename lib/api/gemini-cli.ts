// Gemini Code Assist surface (/v1internal:{method}), for Gemini CLI pointed at
// the gateway with CODE_ASSIST_ENDPOINT. Loopback clients only, as in the
// reference. The gateway plays the Code Assist server: account set-up calls
// get local answers, generation goes to whatever credential serves the model.
import type { GatewayContext } from '../runtime.js';
import type { Exchange } from '../server/exchange.js';
import { sendError } from './errors.js';
import { guard, handleInference } from './inference.js';

const PROJECT = 'cliproxy-gateway';

// Answers that let Gemini CLI finish its start-up handshake.
const SETUP_ANSWERS: Record<string, unknown> = {
  loadCodeAssist: {
    currentTier: { id: 'standard-tier', name: 'Gemini Code Assist', description: 'Served by cliproxy-ts', userDefinedCloudaicompanionProject: false },
    allowedTiers: [{ id: 'standard-tier', name: 'Gemini Code Assist', isDefault: true, userDefinedCloudaicompanionProject: false }],
    cloudaicompanionProject: PROJECT,
  },
  onboardUser: { name: 'onboard/cliproxy', done: true, response: { '@type': 'type.googleapis.com/google.cloud.cloudaicompanion.v1.OnboardUserResponse', cloudaicompanionProject: { id: PROJECT, name: PROJECT } } },
  retrieveUserQuota: { buckets: [] },
  listExperiments: { experimentIds: [], flags: [] },
  recordCodeAssistMetrics: {},
  fetchAdminControls: {},
  getCodeAssistGlobalUserSetting: { freeTierDataCollectionOptin: false },
  setCodeAssistGlobalUserSetting: { freeTierDataCollectionOptin: false },
};

export const CODE_ASSIST_METHODS = ['generateContent', 'streamGenerateContent', 'countTokens', ...Object.keys(SETUP_ANSWERS)];

export function codeAssist(gw: GatewayContext, method: string): (ex: Exchange) => void {
  return guard('gemini-cli', async (ex) => {
    if (!ex.isLoopback()) return sendError(ex, 'gemini-cli', 403, 'The Code Assist API (/v1internal) is only served to local clients');
    const setup = SETUP_ANSWERS[method];
    if (setup !== undefined) {
      const rt = gw.runtime();
      const access = rt.keys.check({ headers: ex.headers, queryKey: ex.queryParam('key') });
      if (!access.ok) return sendError(ex, 'gemini-cli', 401, access.message);
      // Drain the body so the connection stays usable.
      await new Promise<void>((resolve) => ex.res.onData((_c, last) => last && resolve()));
      return ex.json(200, setup);
    }
    await handleInference(gw, ex, {
      format: 'gemini-cli',
      action: method === 'countTokens' ? 'count-tokens' : 'generate',
      model: (body) => body['model'],
      stream: () => method === 'streamGenerateContent',
      sse: (ex) => ex.queryParam('alt') === 'sse',
    });
  });
}
