#!/usr/bin/env node
// Command line entry: `cliproxy-ts [-config PATH] [-port N] [-host H]`, or one of the login flags.
// Flags are read as Go's flag package reads them (lib/cli-args.ts), so
// command lines written for CLIProxyAPI work: -config PATH, --config=PATH, …
// A .env file in the working directory is loaded first; the modules that read
// the environment are imported only after that.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { FlagError, parseFlags } from './cli-args.js';
import { loadDotenv } from './config/dotenv.js';
import { exitOnSignals } from './health/signals.js';

const HELP = `Usage: cliproxy-ts [options]

Every flag takes one dash or two, and a value after "=" or as the next
argument, as in CLIProxyAPI: -config PATH, --config=PATH, -no-browser.

  -config PATH    YAML config file (default: ./config.yaml when it exists,
                  else an embedded default: 127.0.0.1:8317, no keys, no providers)
  -port N         listen port (overrides the config; 0 = any free port)
  -host H         listen address (overrides the config)
  -help, -h       this text
  -version        the version

Account logins (the token file goes to auth-dir; a running gateway picks it up):
  -login [-project_id P]  Google account for Gemini CLI (Code Assist); P may
                          list several projects, comma-separated
  -codex-login            ChatGPT account for Codex
  -claude-login           Claude (Anthropic) account
  -qwen-login             Qwen account (device code)
  -iflow-login            iFlow account
  -no-browser             print the login URL instead of opening a browser

Environment: a .env file in the working directory is read at start (NAME=value
lines); variables already set win over it.

See config.example.yaml for every config key.`;

const FLAGS = {
  config: 'string',
  port: 'string',
  host: 'string',
  help: 'bool',
  version: 'bool',
  login: 'bool',
  project_id: 'string',
  'codex-login': 'bool',
  'claude-login': 'bool',
  'qwen-login': 'bool',
  'iflow-login': 'bool',
  'no-browser': 'bool',
} as const;

function version(): string {
  // lib/cli.ts runs from source (tsx) or from dist/lib/cli.js: look upward for our package.json.
  let dir = path.dirname(new URL(import.meta.url).pathname);
  for (let i = 0; i < 4; i++) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    dir = path.dirname(dir);
  }
  return 'unknown';
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseFlags(process.argv.slice(2), FLAGS, { h: 'help' });
  } catch (err) {
    if (!(err instanceof FlagError)) throw err;
    process.stderr.write(`${err.message}\n\n${HELP}\n`);
    process.exit(2);
  }
  if (args.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  if (args.version) {
    process.stdout.write(`${safeVersion()}\n`);
    return;
  }
  let port: number | undefined;
  if (args.port !== undefined) {
    port = Number(args.port);
    if (args.port.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
      process.stderr.write(`-port must be a number from 0 to 65535, got ${JSON.stringify(args.port)}\n`);
      process.exit(2);
    }
  }
  // .env before anything reads the environment (config, logger, management).
  const dotenv = loadDotenv(path.resolve('.env'));
  const [{ runCliLogin }, { ConfigError, defaultConfig, loadConfigFile }, { startGateway }, { log }, stores] = await Promise.all([
    import('./auth/cli-login.js'),
    import('./config/load.js'),
    import('./gateway.js'),
    import('./logging/logger.js'),
    import('./store/index.js'),
  ]);
  for (const w of dotenv.warnings) log.warn(w);
  if (dotenv.applied.length > 0) log.info({ names: dotenv.applied }, `loaded ${dotenv.applied.length} variable(s) from .env`);

  let configPath = args.config;
  if (!configPath && existsSync('config.yaml')) configPath = 'config.yaml';
  if (configPath) configPath = path.resolve(configPath);

  const logins = (
    [
      ['login', 'gemini-cli'],
      ['codex-login', 'codex'],
      ['claude-login', 'claude'],
      ['qwen-login', 'qwen'],
      ['iflow-login', 'iflow'],
    ] as const
  ).filter(([flag]) => args[flag]);
  if (logins.length > 1) {
    process.stderr.write(`choose one login flag at a time\n\n${HELP}\n`);
    process.exit(2);
  }
  // A durable store (PGSTORE_*, OBJECTSTORE_*, GITSTORE_*): the gateway runs from its mirror
  // folder; -config only seeds an empty store. See lib/store/index.ts.
  const storeEnv = stores.storeFromEnv();
  let mirror: Awaited<ReturnType<typeof stores.openStore>> | undefined;
  if (storeEnv) {
    try {
      mirror = await stores.openStore(storeEnv, { seedConfig: configPath });
    } catch (err) {
      process.stderr.write(`store error: ${(err as Error).message}\n`);
      process.exit(1);
    }
    log.info({ store: mirror.store.kind, target: mirror.store.target, mirror: stores.mirrorRoot(storeEnv) }, `${mirror.store.kind} store enabled`);
    configPath = mirror.configPath;
  }

  if (logins.length === 1) {
    let config;
    try {
      config = configPath ? loadConfigFile(configPath).config : defaultConfig();
      if (mirror) config = { ...config, authDir: mirror.authDir };
    } catch (err) {
      process.stderr.write(`config error: ${(err as Error).message}\n`);
      process.exit(1);
    }
    const code = await runCliLogin(logins[0]![1], { config, noBrowser: args['no-browser'] === true, projectId: args.project_id });
    if (mirror) {
      mirror.pushLocalChanges();
      await mirror.close(30_000);
    }
    process.exit(code);
  }

  let gw: Awaited<ReturnType<typeof startGateway>>;
  try {
    gw = await startGateway({ configPath, port, host: args.host, ...(mirror ? { authDir: mirror.authDir } : {}) });
  } catch (err) {
    await mirror?.close();
    if (err instanceof ConfigError) {
      process.stderr.write(`config error: ${err.message}\n`);
      process.exit(1);
    }
    process.stderr.write(`cannot start: ${(err as Error).message}\n`);
    process.exit(1);
  }
  if (mirror) stores.attachStore(gw, mirror);
  const rt = gw.runtime();
  log.info({ url: gw.url, config: configPath ?? '(embedded default)' }, `cliproxy-ts listening on ${gw.url}`);
  if (rt.credentials.length === 0) {
    log.info(
      configPath
        ? `no provider credentials configured: add keys to ${configPath} (openai-compatibility, gemini-api-key, claude-api-key, codex-api-key) or log in (-login, -claude-login, -codex-login, -qwen-login, -iflow-login); saving the file applies it`
        : `no provider credentials configured: copy config.example.yaml to config.yaml, add keys (openai-compatibility, gemini-api-key, claude-api-key, codex-api-key) and restart, or log in (-login, -claude-login, -codex-login, -qwen-login, -iflow-login)`,
    );
  }
  // First signal: drain (up to shutdown-timeout-seconds) and exit 0; a second one exits at once.
  // The store closes after the gateway drained: writes made while draining still reach it.
  const stoppable = { shutdown: () => gw.shutdown().then(async (r) => (await mirror?.close(), r)) };
  exitOnSignals(stoppable, log, () => gw.runtime().config.shutdownTimeoutSeconds);
}

function safeVersion(): string {
  try {
    return version();
  } catch {
    return 'unknown';
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`fatal: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
