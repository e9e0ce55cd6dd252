// Start a real gateway on a free loopback port for a test, from YAML text.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../lib/config/load.js';
import { startGateway, type Gateway } from '../../lib/gateway.js';
import { log } from '../../lib/logging/logger.js';

export interface TestGateway extends Gateway {
  configPath?: string;
}

/** Gateway from YAML text (validated like a file), on 127.0.0.1 and a free port. */
export async function gatewayFromYaml(yaml: string, opts: { file?: boolean } = {}): Promise<TestGateway> {
  if (opts.file) {
    const dir = mkdtempSync(path.join(tmpdir(), 'cliproxy-test-'));
    const configPath = path.join(dir, 'config.yaml');
    writeFileSync(configPath, yaml);
    const gw = await startGateway({ configPath, port: 0, host: '127.0.0.1' });
    return Object.assign(gw, { configPath });
  }
  const { config } = parseConfig(yaml, 'test.yaml');
  return startGateway({ config, port: 0, host: '127.0.0.1' });
}

export function compatYaml(baseUrl: string, opts: { keys?: string[]; clientKeys?: string[]; retry?: number; models?: Array<[string, string]>; extra?: string } = {}): string {
  const keys = opts.keys ?? ['sk-upstream-1'];
  const models = opts.models ?? [
    ['mock-model', 'gpt-mock'],
    ['tool-call', 'tool-call'],
    ['hang-stream', 'hang-stream'],
    ['break-stream', 'break-stream'],
    ['fail-400', 'fail-400'],
    ['slow-50', 'slow-50'],
  ];
  return [
    `request-retry: ${opts.retry ?? 2}`,
    opts.clientKeys ? `api-keys:\n${opts.clientKeys.map((k) => `  - "${k}"`).join('\n')}` : 'api-keys: []',
    'openai-compatibility:',
    '  - name: mock',
    `    base-url: "${baseUrl}"`,
    '    api-key-entries:',
    ...keys.map((k) => `      - api-key: "${k}"`),
    '    models:',
    ...models.map(([name, alias]) => `      - name: "${name}"\n        alias: "${alias}"`),
    opts.extra ?? '',
  ].join('\n');
}

// Keep test output readable: only errors from the gateway's logger.
if (!process.env.LOG_LEVEL) log.level = 'error';
