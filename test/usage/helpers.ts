// Gateways for usage tests: a config directory that outlives one gateway (so
// a restart reads what the last one kept), a management client, and chat
// requests against the OpenAI mock.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { startGateway, type Gateway } from '../../lib/gateway.js';
import type { ManagementOptions } from '../../lib/management/service.js';
import { log } from '../../lib/logging/logger.js';
import { compatYaml } from '../helpers/gateway.js';

export const KEY = 'usage-mgmt-key';

export function configDir(upstreamUrl: string, models?: Array<[string, string]>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'cliproxy-usage-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true })); // after the file's gateways closed
  writeFileSync(
    path.join(dir, 'config.yaml'),
    `remote-management:\n  secret-key: "${KEY}"\nauth-dir: "${path.join(dir, 'auth')}"\nusage-statistics-enabled: true\n${compatYaml(upstreamUrl, { models })}\n`,
  );
  return dir;
}

export interface UsageGateway extends Gateway {
  api(method: string, p: string, body?: unknown): Promise<{ status: number; json: any; text: string }>;
  chat(model: string, opts?: { stream?: boolean; path?: string }): Promise<{ status: number; text: string }>;
}

export async function usageGateway(dir: string, management: Partial<ManagementOptions> = {}): Promise<UsageGateway> {
  const gw = await startGateway({
    port: 0,
    host: '127.0.0.1',
    configPath: path.join(dir, 'config.yaml'),
    watch: false,
    management: { defaultMetrics: false, logDir: path.join(dir, 'logs'), env: {}, ...management },
  });
  await gw.management.settled();
  const api: UsageGateway['api'] = async (method, p, body) => {
    const res = await fetch(`${gw.url}/v0/management${p}`, {
      method,
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text };
  };
  const chat: UsageGateway['chat'] = async (model, opts = {}) => {
    const res = await fetch(`${gw.url}${opts.path ?? '/v1/chat/completions'}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, max_tokens: 50, stream: opts.stream === true, ...(opts.stream ? { stream_options: { include_usage: true } } : {}), messages: [{ role: 'user', content: 'hi' }] }),
    });
    return { status: res.status, text: await res.text() };
  };
  return Object.assign(gw, { api, chat });
}

/** Poll until `check` passes; false after about `ms`. */
export async function eventually(check: () => boolean | Promise<boolean>, ms = 15_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

if (!process.env.LOG_LEVEL) log.level = 'error';
