// A gateway on a temp config file with the management API on, and a small client for it.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startGateway, type Gateway, type GatewayOptions } from '../../lib/gateway.js';
import { log } from '../../lib/logging/logger.js';
import { waitFor } from '../helpers/wait.js';

export const KEY = 'mgmt-secret-key';

export interface MgmtGateway extends Gateway {
  dir: string;
  configPath: string;
  /** Call /v0/management<p> with the management key; JSON bodies are encoded. */
  api(method: string, p: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; json: any; text: string; headers: Headers }>;
}

export async function mgmtGateway(yaml: string, opts: Omit<GatewayOptions, 'configPath' | 'config'> & { key?: string | null } = {}): Promise<MgmtGateway> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cliproxy-mgmt-'));
  const configPath = path.join(dir, 'config.yaml');
  const key = opts.key === undefined ? KEY : opts.key;
  const secret = key === null ? '' : `remote-management:\n  secret-key: "${key}"\n`;
  writeFileSync(configPath, `${secret}auth-dir: "${path.join(dir, 'auth')}"\n${yaml}`);
  const gw = await startGateway({
    port: 0,
    host: '127.0.0.1',
    ...opts,
    configPath,
    management: { defaultMetrics: false, logDir: path.join(dir, 'logs'), env: {}, ...opts.management },
  });
  await gw.management.settled();
  const api: MgmtGateway['api'] = async (method, p, body, headers = {}) => {
    const res = await fetch(`${gw.url}/v0/management${p}`, {
      method,
      headers: { authorization: `Bearer ${key ?? ''}`, ...(body !== undefined && typeof body !== 'string' && !(body instanceof FormData) ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' || body instanceof FormData ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text, headers: res.headers };
  };
  return Object.assign(gw, { dir, configPath, api });
}

/** Poll until `check` passes; false after 10 s (generous: the machine is shared). */
export function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  return waitFor(check, { timeoutMs, everyMs: 50 });
}

if (!process.env.LOG_LEVEL) log.level = 'error';
