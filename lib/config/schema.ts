// The YAML keys the gateway understands, their types and defaults. Keys and
// defaults follow the reference's config.example.yaml; additions are marked.
import type { Field, Schema } from './validate.js';
import { redisPrefixProblem, redisUrlProblem } from '../cluster/config.js';
import { apiKeysProblem, MAX_KEY_RPM } from '../access/key-config.js';
import { trustedProxiesProblem } from '../access/client-address.js';
import { payloadProblem } from '../routing/payload-rules.js';
import { channelExcludedProblem, channelRulesProblem, aliasRulesProblem, excludedProblem, modelListProblem, OAUTH_CHANNELS } from '../routing/model-aliases.js';

const str: Schema = { kind: 'string' };
const bool: Schema = { kind: 'bool' };
const strList: Schema = { kind: 'stringList' };
const strMap: Schema = { kind: 'stringMap' };

const modelAliases: Schema = {
  kind: 'list',
  of: {
    kind: 'object',
    strict: true,
    fields: {
      name: { key: 'name', schema: str },
      alias: { key: 'alias', schema: str },
    },
  },
};

function obj(fields: Record<string, Field>, strict = true): Schema {
  return { kind: 'object', strict, fields };
}

/** One login provider's hosts; keys a provider does not use are ignored. */
function oauthEndpoints(callbackPort: number): Schema {
  return obj({
    'auth-url': { key: 'authUrl', schema: str },
    'token-url': { key: 'tokenUrl', schema: str },
    'device-url': { key: 'deviceUrl', schema: str },
    'userinfo-url': { key: 'userinfoUrl', schema: str },
    'api-url': { key: 'apiUrl', schema: str },
    'projects-url': { key: 'projectsUrl', schema: str },
    'service-usage-url': { key: 'serviceUsageUrl', schema: str },
    // 0 = any free port (tests); the redirect URI follows the port used.
    'callback-port': { key: 'callbackPort', schema: { kind: 'int', min: 0, max: 65535 }, default: callbackPort },
  });
}

// Every credential entry may carry these (reference: priority, excluded-models).
// Optional: absent stays absent, so management answers list only what the file says.
const credentialControls: Record<string, Field> = {
  priority: { key: 'priority', schema: { kind: 'int', min: -1_000_000, max: 1_000_000 }, optional: true },
  'excluded-models': { key: 'excludedModels', schema: strList, optional: true, check: excludedProblem },
};

// Global alias rules: {name, alias, fork}; reference entries may also carry
// display-name / force-mapping, which only warn here.
const aliasRules: Schema = {
  kind: 'list',
  of: obj(
    {
      name: { key: 'name', schema: str },
      alias: { key: 'alias', schema: str },
      fork: { key: 'fork', schema: bool, default: false },
    },
    false,
  ),
};

/** provider channel → value; unknown channels (reference-only providers) warn. */
function byChannel(of: Schema): Schema {
  return obj(Object.fromEntries(OAUTH_CHANNELS.map((c) => [c, { key: c, schema: of }])), false);
}

// gemini-api-key, claude-api-key and codex-api-key entries share one shape.
// `models` (name → alias) narrows and aliases what a key serves; for Gemini
// and Codex keys that is an addition to the reference.
const providerKeys: Schema = {
  kind: 'list',
  of: obj({
    'api-key': { key: 'apiKey', schema: str },
    'base-url': { key: 'baseUrl', schema: str },
    'proxy-url': { key: 'proxyUrl', schema: str },
    headers: { key: 'headers', schema: strMap },
    models: { key: 'models', schema: modelAliases, check: modelListProblem },
    ...credentialControls,
  }),
};

const clientKeys: Schema = {
  kind: 'list',
  what: 'a list of strings (client keys) or of {key, models, max-requests-per-minute} entries',
  of: {
    kind: 'stringOrObject',
    object: obj({
      key: { key: 'key', schema: str },
      models: { key: 'models', schema: strList },
      'max-requests-per-minute': { key: 'maxRequestsPerMinute', schema: { kind: 'int', min: 0, max: MAX_KEY_RPM }, default: 0 },
    }),
  },
};

// payload (reference 6.4+): default / override rules, lib/routing/payload-rules.ts.
const payloadRules: Schema = {
  kind: 'list',
  of: obj({
    models: {
      key: 'models',
      schema: {
        kind: 'list',
        of: obj({
          name: { key: 'name', schema: str },
          protocol: { key: 'protocol', schema: str },
        }),
      },
    },
    params: { key: 'params', schema: { kind: 'jsonMap' } },
  }),
};

export const DEFAULT_MAX_BODY = 50 * 1024 * 1024;

export const configSchema: Schema = obj(
  {
    // Addition: the reference always binds all interfaces; we default to loopback
    // so a fresh gateway without client keys is not open to the network.
    host: { key: 'host', schema: str, default: '127.0.0.1' },
    port: { key: 'port', schema: { kind: 'int', min: 0, max: 65535 }, default: 8317 },
    'auth-dir': { key: 'authDir', schema: str, default: '~/.cli-proxy-api' },
    // Addition: an entry may be an object {key, models, max-requests-per-minute} (lib/access/key-config.ts).
    'api-keys': { key: 'apiKeys', schema: clientKeys, default: [], check: apiKeysProblem },
    // Legacy (older CLIProxyAPI): client keys as access providers,
    // `auth: { providers: [{ name, type: config-api-key, api-keys: [...] }] }`.
    // The keys of config-api-key entries join api-keys on load (lib/config/legacy-auth.ts).
    // Not kept in the typed Config. Other fields of an entry (config, …) warn.
    auth: {
      key: 'legacyAuth',
      schema: obj(
        {
          providers: {
            key: 'providers',
            schema: {
              kind: 'list',
              of: obj(
                {
                  name: { key: 'name', schema: str },
                  type: { key: 'type', schema: str },
                  sdk: { key: 'sdk', schema: str },
                  'api-keys': { key: 'apiKeys', schema: strList },
                },
                false,
              ),
            },
          },
        },
        false,
      ),
    },
    debug: { key: 'debug', schema: bool, default: false },
    'logging-to-file': { key: 'loggingToFile', schema: bool, default: false },
    'usage-statistics-enabled': { key: 'usageStatisticsEnabled', schema: bool, default: false },
    'request-log': { key: 'requestLog', schema: bool, default: false },
    'proxy-url': { key: 'proxyUrl', schema: str, default: '' },
    'request-retry': { key: 'requestRetry', schema: { kind: 'int', min: 0, max: 100 }, default: 3 },
    'max-retry-interval': { key: 'maxRetryInterval', schema: { kind: 'int', min: 0, max: 3600 }, default: 30 },
    // Additions: request body cap and SSE keep-alive interval.
    'max-body-size': { key: 'maxBodySize', schema: { kind: 'size' }, default: DEFAULT_MAX_BODY },
    'stream-keepalive-seconds': { key: 'streamKeepAliveSeconds', schema: { kind: 'int', min: 0, max: 3600 }, default: 15 },
    'disable-cooling': { key: 'disableCooling', schema: bool, default: false },
    'quota-exceeded': {
      key: 'quotaExceeded',
      schema: obj({
        'switch-project': { key: 'switchProject', schema: bool, default: true },
        'switch-preview-model': { key: 'switchPreviewModel', schema: bool, default: true },
      }),
    },
    // Absent (null): the relay needs a client key whenever api-keys is non-empty.
    // Only an explicit `ws-auth: false` opens it, and that is warned about.
    'ws-auth': { key: 'wsAuth', schema: bool, default: null },
    // Addition: how long a request relayed to an AI Studio app may wait for its next frame.
    'relay-timeout-seconds': { key: 'relayTimeoutSeconds', schema: { kind: 'int', min: 1, max: 86400 }, default: 300 },
    // Additions (hardening): relay frame cap, sockets per client address, idle/ping timeout.
    'relay-max-frame-size': { key: 'relayMaxFrameSize', schema: { kind: 'size' }, default: 16 * 1024 * 1024 },
    'relay-max-connections-per-ip': { key: 'relayMaxConnectionsPerIp', schema: { kind: 'int', min: 1, max: 10000 }, default: 8 },
    'relay-idle-timeout-seconds': { key: 'relayIdleTimeoutSeconds', schema: { kind: 'int', min: 8, max: 960 }, default: 120 },
    // Addition: graceful shutdown, how long in-flight requests and streams may finish after SIGTERM/SIGINT.
    'shutdown-timeout-seconds': { key: 'shutdownTimeoutSeconds', schema: { kind: 'int', min: 0, max: 3600 }, default: 30 },
    // Addition: who may read /metrics. management = the management API's rules
    // (loopback, or remote with allow-remote and the key); public = anyone; off = 404.
    metrics: { key: 'metrics', schema: { kind: 'enum', values: ['management', 'public', 'off'] }, default: 'management' },
    // Addition: browser origins allowed to call the gateway (exact, e.g. "https://app.example.com").
    // Requests carrying any other Origin are refused; empty = no browser origin at all.
    'allowed-origins': { key: 'allowedOrigins', schema: strList, default: [] },
    // Addition: load balancers (IPs, CIDRs) whose X-Forwarded-For / X-Real-IP name the client.
    // Empty = nobody: the socket peer is the client and those headers are ignored.
    'trusted-proxies': { key: 'trustedProxies', schema: strList, default: [], check: trustedProxiesProblem },
    // Additions: the request-log folder is capped; the oldest files go first.
    'request-log-max-files': { key: 'requestLogMaxFiles', schema: { kind: 'int', min: 1, max: 1_000_000 }, default: 1000 },
    'request-log-max-size': { key: 'requestLogMaxSize', schema: { kind: 'size' }, default: 512 * 1024 * 1024 },
    'force-gpt-5-codex': { key: 'forceGpt5Codex', schema: bool, default: false },
    routing: {
      key: 'routing',
      schema: obj({
        strategy: { key: 'strategy', schema: { kind: 'enum', values: ['round-robin', 'fill-first'] }, default: 'round-robin' },
      }),
    },
    // Addition: OAuth and account API hosts per login provider, so tests and
    // private deployments can point them elsewhere. Empty = the provider's own.
    'oauth-endpoints': {
      key: 'oauthEndpoints',
      schema: obj({
        'gemini-cli': { key: 'geminiCli', schema: oauthEndpoints(8085) },
        claude: { key: 'claude', schema: oauthEndpoints(54545) },
        codex: { key: 'codex', schema: oauthEndpoints(1455) },
        qwen: { key: 'qwen', schema: oauthEndpoints(0) },
        iflow: { key: 'iflow', schema: oauthEndpoints(11451) },
      }),
    },
    // Additions: several instances share live state (cooldowns, refresh locks) through Redis.
    // '' = the REDIS_URL environment variable, or none (a single instance).
    'redis-url': { key: 'redisUrl', schema: str, default: '', check: redisUrlProblem },
    'redis-prefix': { key: 'redisPrefix', schema: str, default: 'cliproxy:', check: redisPrefixProblem },
    'remote-management': {
      key: 'remoteManagement',
      schema: obj({
        'allow-remote': { key: 'allowRemote', schema: bool, default: false },
        'secret-key': { key: 'secretKey', schema: str, default: '' },
        'disable-control-panel': { key: 'disableControlPanel', schema: bool, default: false },
      }),
    },
    payload: {
      key: 'payload',
      schema: obj({
        default: { key: 'default', schema: payloadRules },
        override: { key: 'override', schema: payloadRules },
      }),
      check: payloadProblem,
    },
    'gemini-api-key': { key: 'geminiApiKey', schema: providerKeys },
    // Legacy key-only form of gemini-api-key; merged into it on load.
    'generative-language-api-key': { key: 'generativeLanguageApiKey', schema: strList },
    'claude-api-key': { key: 'claudeApiKey', schema: providerKeys },
    'codex-api-key': { key: 'codexApiKey', schema: providerKeys },
    'openai-compatibility': {
      key: 'openaiCompatibility',
      schema: {
        kind: 'list',
        of: obj({
          name: { key: 'name', schema: str },
          'base-url': { key: 'baseUrl', schema: str },
          'api-key-entries': {
            key: 'apiKeyEntries',
            schema: {
              kind: 'list',
              of: obj({
                'api-key': { key: 'apiKey', schema: str },
                'proxy-url': { key: 'proxyUrl', schema: str },
                // Addition: per key; priority overrides the provider's, exclusions add to its.
                ...credentialControls,
              }),
            },
          },
          // Legacy: plain key list, migrated into api-key-entries on load.
          'api-keys': { key: 'apiKeys', schema: strList },
          models: { key: 'models', schema: modelAliases, check: modelListProblem },
          headers: { key: 'headers', schema: strMap },
          ...credentialControls,
        }),
      },
    },
    // Token-file accounts and relay apps, by provider: models they must not
    // serve (merged with a token file's own excluded_models), and alias rules
    // (after a token file's own model_aliases). oauth-model-mappings is the
    // reference's older name, read when oauth-model-alias is absent.
    'oauth-excluded-models': { key: 'oauthExcludedModels', schema: byChannel(strList), optional: true, check: channelExcludedProblem },
    'oauth-model-alias': { key: 'oauthModelAlias', schema: byChannel(aliasRules), optional: true, check: channelRulesProblem },
    'oauth-model-mappings': { key: 'oauthModelMappings', schema: byChannel(aliasRules), optional: true, check: channelRulesProblem },
    // Addition: alias rules for every credential (API keys and accounts alike).
    'model-aliases': { key: 'modelAliases', schema: aliasRules, optional: true, check: aliasRulesProblem },
  },
  // Unknown top-level keys only warn: configs written for newer reference
  // versions must still start. Unknown keys inside provider entries are errors.
  false,
);
