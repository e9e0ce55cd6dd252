// Gemini Code Assist account set-up after a Google login: find the Cloud
// project (asked for, reported by loadCodeAssist, or the first the account
// lists), onboard it to the user's tier, and make sure the Gemini for Google
// Cloud API is enabled on it — as Gemini CLI itself does.
import { setTimeout as sleep } from 'node:timers/promises';
import type { OAuthEndpoints } from '../../config/types.js';
import { LoginError } from '../errors.js';
import { callJson, str } from '../http.js';

export const CODE_ASSIST_DEFAULT = 'https://cloudcode-pa.googleapis.com';
const PROJECTS_DEFAULT = 'https://cloudresourcemanager.googleapis.com';
const SERVICE_USAGE_DEFAULT = 'https://serviceusage.googleapis.com';
const SERVICE = 'cloudaicompanion.googleapis.com';
export const CODE_ASSIST_HEADERS = {
  'user-agent': 'google-api-nodejs-client/9.15.1',
  'x-goog-api-client': 'gl-node/22.17.0',
  'client-metadata': 'ideType=IDE_UNSPECIFIED,platform=PLATFORM_UNSPECIFIED,pluginType=GEMINI',
};
const METADATA = { ideType: 'IDE_UNSPECIFIED', platform: 'PLATFORM_UNSPECIFIED', pluginType: 'GEMINI' };

export interface SetupContext {
  endpoints: OAuthEndpoints;
  proxyUrl: string;
  accessToken: string;
  note(line: string): void;
  /** Wait between onboarding polls (tests shorten it). */
  onboardPollMs?: number;
}

const bearer = (c: SetupContext) => ({ ...CODE_ASSIST_HEADERS, authorization: `Bearer ${c.accessToken}` });

function codeAssist(c: SetupContext, method: string, body: unknown) {
  const base = (c.endpoints.apiUrl || CODE_ASSIST_DEFAULT).replace(/\/+$/, '');
  return callJson<Record<string, unknown>>(`Code Assist ${method}`, `${base}/v1internal:${method}`, { json: body, headers: bearer(c), proxyUrl: c.proxyUrl });
}

function projectOf(v: unknown): string {
  if (typeof v === 'string') return v.trim();
  if (v && typeof v === 'object') return str((v as Record<string, unknown>)['id']).trim();
  return '';
}

export async function listProjects(c: SetupContext): Promise<Array<{ projectId: string; name: string }>> {
  const base = (c.endpoints.projectsUrl || PROJECTS_DEFAULT).replace(/\/+$/, '');
  const r = await callJson<{ projects?: Array<{ projectId?: string; name?: string }> }>('Google Cloud project list', `${base}/v1/projects`, {
    headers: { authorization: `Bearer ${c.accessToken}` },
    proxyUrl: c.proxyUrl,
  });
  return (r.projects ?? []).filter((p) => p.projectId).map((p) => ({ projectId: p.projectId!, name: str(p.name) }));
}

/** loadCodeAssist + onboardUser for one project (or discovery when none is asked for); returns the project to use. */
export async function setupProject(c: SetupContext, requested: string): Promise<string> {
  const load = await codeAssist(c, 'loadCodeAssist', { metadata: METADATA, ...(requested ? { cloudaicompanionProject: requested } : {}) });
  const tiers = Array.isArray(load['allowedTiers']) ? (load['allowedTiers'] as Array<Record<string, unknown>>) : [];
  const tier = tiers.find((t) => t?.['isDefault'] === true && str(t['id']).trim());
  const tierId = tier ? str(tier['id']).trim() : 'legacy-tier';
  let project = requested || projectOf(load['cloudaicompanionProject']);
  // Tiers that bring their own project (free tier) get one from onboarding; the others need a Cloud project.
  if (!project && (!tier || tier['userDefinedCloudaicompanionProject'] === true)) {
    const projects = await listProjects(c).catch(() => []);
    project = projects[0]?.projectId ?? '';
    if (!project) throw new LoginError('account', 'this Google account has no Cloud project for Gemini Code Assist; create one and log in again with --login --project_id <project>');
    c.note(`Using Google Cloud project ${project} (the first the account lists; choose another with --project_id)`);
  }
  for (let attempt = 0; attempt < 12; attempt++) {
    const r = await codeAssist(c, 'onboardUser', { tierId, metadata: METADATA, ...(project ? { cloudaicompanionProject: project } : {}) });
    if (r['done'] === true) {
      const got = projectOf((r['response'] as Record<string, unknown> | undefined)?.['cloudaicompanionProject']);
      if (got && requested && got.toLowerCase() !== requested.toLowerCase()) {
        c.note(`Onboarding reported project ${got} instead of ${requested}; keeping ${requested}`);
        return requested;
      }
      if (!got && !project) throw new LoginError('account', 'onboarding finished without a project; log in again with --login --project_id <project>');
      return got || project;
    }
    c.note('Onboarding in progress, waiting…');
    await sleep(c.onboardPollMs ?? 5000);
  }
  throw new LoginError('account', `onboarding${project ? ` of project ${project}` : ''} did not finish; try again later`);
}

/** Check (and if needed enable) the Gemini for Google Cloud API on a project. */
export async function ensureApiEnabled(c: SetupContext, project: string): Promise<void> {
  const base = (c.endpoints.serviceUsageUrl || SERVICE_USAGE_DEFAULT).replace(/\/+$/, '');
  const url = `${base}/v1/projects/${encodeURIComponent(project)}/services/${SERVICE}`;
  const headers = { authorization: `Bearer ${c.accessToken}`, 'user-agent': CODE_ASSIST_HEADERS['user-agent'] };
  const state = await callJson<{ state?: string }>('service check', url, { headers, proxyUrl: c.proxyUrl }).catch(() => ({ state: '' }));
  if (state.state === 'ENABLED') return;
  try {
    await callJson('service enable', `${url}:enable`, { json: {}, headers, proxyUrl: c.proxyUrl });
  } catch (err) {
    if (/already enabled/i.test((err as Error).message)) return;
    throw new LoginError('account', `project activation required: enable ${SERVICE} on ${project} (${(err as Error).message})`);
  }
}
