// Checks of the cluster's config keys (kept apart from the Redis client so
// loading a config does not load ioredis).

/** Why a redis-url value cannot be used, or undefined when it can ('' = no Redis). */
export function redisUrlProblem(v: unknown): string | undefined {
  if (typeof v !== 'string' || v.trim() === '') return undefined;
  let u: URL;
  try {
    u = new URL(v.trim());
  } catch {
    // Never echo the value: it may carry a password.
    return 'not a valid URL: expected redis://[user:password@]host[:port][/db] or rediss://…';
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') return `must start with redis:// or rediss:// (got ${u.protocol}//)`;
  if (!u.hostname) return 'names no host: expected redis://host[:port]';
  return undefined;
}

/** Why a redis-prefix value cannot be used. */
export function redisPrefixProblem(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  if (v.length > 100) return 'must be at most 100 characters';
  if (/[\s*?[\]]/.test(v)) return 'must not contain spaces or the pattern characters * ? [ ]';
  return undefined;
}
