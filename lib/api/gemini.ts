// Gemini surface: /v1beta/models… as the Google SDK and Gemini CLI (API-key
// mode) call it. The model and the method live in the URL: models/{m}:{method}.
import { getCodec } from '../../pipelines/index.js';
import { countTokensEstimate } from '../../pipelines/formats/gemini/index.js';
import { TranslationError } from '../../pipelines/ir.js';
import type { ModelEntry } from '../routing/registry.js';
import type { GatewayContext } from '../runtime.js';
import type { Exchange } from '../server/exchange.js';
import { sendError } from './errors.js';
import { keyAllows } from '../access/client-keys.js';
import { guard, handleInference } from './inference.js';
import { isObj } from '../../pipelines/guards.js';

const BAD_ESCAPE = 'The model path has a malformed percent-escape';

const METHODS = new Set(['generateContent', 'streamGenerateContent', 'countTokens']);

function modelJson(m: ModelEntry) {
  return {
    name: `models/${m.id}`,
    version: '001',
    displayName: m.id,
    description: `${m.id} served by ${m.ownedBy}`,
    inputTokenLimit: 1_048_576,
    outputTokenLimit: 65_536,
    supportedGenerationMethods: ['generateContent', 'streamGenerateContent', 'countTokens'],
  };
}

/** "gemini-2.5-pro:streamGenerateContent" (also URL-encoded) → its parts; undefined on a bad %-escape. */
function splitAction(segment: string): { model: string; method: string } | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    return undefined;
  }
  const i = decoded.lastIndexOf(':');
  if (i < 0) return { model: decoded, method: '' };
  return { model: decoded.slice(0, i), method: decoded.slice(i + 1) };
}

function lastSegment(ex: Exchange): string {
  return ex.url.slice(ex.url.lastIndexOf('/') + 1);
}

export function listGeminiModels(gw: GatewayContext): (ex: Exchange) => void {
  return (ex) => {
    const rt = gw.runtime();
    const access = rt.keys.check({ headers: ex.headers, queryKey: ex.queryParam('key') });
    if (!access.ok) return sendError(ex, 'gemini', 401, access.message);
    ex.json(200, { models: rt.registry.list().filter((m) => keyAllows(access, m.id)).map(modelJson) });
  };
}

export function getGeminiModel(gw: GatewayContext): (ex: Exchange) => void {
  return (ex) => {
    const rt = gw.runtime();
    const access = rt.keys.check({ headers: ex.headers, queryKey: ex.queryParam('key') });
    if (!access.ok) return sendError(ex, 'gemini', 401, access.message);
    const parts = splitAction(lastSegment(ex));
    if (!parts) return sendError(ex, 'gemini', 400, BAD_ESCAPE);
    const { model } = parts;
    const found = keyAllows(access, model) ? rt.registry.list().find((m) => m.id === model) : undefined;
    if (!found) return sendError(ex, 'gemini', 404, `models/${model} is not found or no configured credential serves it`);
    ex.json(200, modelJson(found));
  };
}

export function geminiAction(gw: GatewayContext): (ex: Exchange) => void {
  return guard('gemini', async (ex) => {
    // The key is checked before the URL is looked at: nothing a keyless client sends is parsed.
    const access = gw.runtime().keys.check({ headers: ex.headers, queryKey: ex.queryParam('key') });
    if (!access.ok) return sendError(ex, 'gemini', 401, access.message, 'invalid_api_key');
    const parts = splitAction(lastSegment(ex));
    if (!parts) return sendError(ex, 'gemini', 400, BAD_ESCAPE);
    const { model, method } = parts;
    if (!METHODS.has(method)) return sendError(ex, 'gemini', 404, `Unknown method "${method}": use generateContent, streamGenerateContent or countTokens`);
    const streaming = method === 'streamGenerateContent';
    await handleInference(gw, ex, {
      format: 'gemini',
      action: method === 'countTokens' ? 'count-tokens' : 'generate',
      model: () => model,
      stream: () => streaming,
      sse: (ex) => ex.queryParam('alt') === 'sse',
      assign: () => ({ model }),
      // Same-format: the body carries no model (it is in the URL), so send it unchanged.
      modelInUrl: true,
      local:
        method === 'countTokens'
          ? (body, targets, ex) => {
              if (targets.length > 0) return false;
              try {
                const req = getCodec('gemini').decodeRequest({ ...(isObj(body['generateContentRequest']) ? body['generateContentRequest'] : body), model });
                ex.json(200, { totalTokens: countTokensEstimate(req) });
              } catch (err) {
                sendError(ex, 'gemini', err instanceof TranslationError ? err.status : 400, (err as Error).message);
              }
              return true;
            }
          : undefined,
    });
  });
}
