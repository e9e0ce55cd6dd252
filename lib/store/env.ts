// Where durable and shared state live, read from the environment with the
// variable names CLIProxyAPI uses (PGSTORE_*, OBJECTSTORE_*, GITSTORE_*), so
// an existing deployment moves over unchanged. REDIS_URL is ours (the config
// key `redis-url` wins over it). Nothing set: the local folder, as before.

export interface PostgresStoreEnv {
  kind: 'postgres';
  dsn: string;
  /** Schema for the tables; created when missing ('' = the connection's default, public). */
  schema: string;
  /** Mirror folder the gateway runs from ('' = a default under the working directory). */
  localPath: string;
}

export interface ObjectStoreEnv {
  kind: 'object';
  /** http(s)://host[:port]; path-style addressing. */
  endpoint: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
  localPath: string;
}

export interface GitStoreEnv {
  kind: 'git';
  url: string;
  username: string;
  token: string;
  /** '' = the remote's default branch (or main for an empty remote). */
  branch: string;
  localPath: string;
}

export type StoreEnv = PostgresStoreEnv | ObjectStoreEnv | GitStoreEnv;

type Env = Record<string, string | undefined>;

const get = (env: Env, name: string): string => (env[name] ?? env[name.toLowerCase()] ?? '').trim();

/** The configured store, by CLIProxyAPI's precedence: Postgres, then object storage, then Git. */
export function storeFromEnv(env: Env = process.env): StoreEnv | undefined {
  const dsn = get(env, 'PGSTORE_DSN');
  if (dsn) return { kind: 'postgres', dsn, schema: get(env, 'PGSTORE_SCHEMA'), localPath: get(env, 'PGSTORE_LOCAL_PATH') };
  const endpoint = get(env, 'OBJECTSTORE_ENDPOINT');
  if (endpoint) {
    return {
      kind: 'object',
      endpoint,
      bucket: get(env, 'OBJECTSTORE_BUCKET'),
      accessKey: get(env, 'OBJECTSTORE_ACCESS_KEY'),
      secretKey: get(env, 'OBJECTSTORE_SECRET_KEY'),
      localPath: get(env, 'OBJECTSTORE_LOCAL_PATH'),
    };
  }
  const url = get(env, 'GITSTORE_GIT_URL');
  if (url) {
    return {
      kind: 'git',
      url,
      username: get(env, 'GITSTORE_GIT_USERNAME'),
      token: get(env, 'GITSTORE_GIT_TOKEN'),
      branch: get(env, 'GITSTORE_GIT_BRANCH'),
      localPath: get(env, 'GITSTORE_LOCAL_PATH'),
    };
  }
  return undefined;
}

/** Redis for live state shared by several instances ('' = none). */
export function redisUrlFromEnv(env: Env = process.env): string {
  return get(env, 'REDIS_URL');
}
