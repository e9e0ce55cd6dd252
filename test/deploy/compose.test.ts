// docker-compose.yml read as data (no Docker here): the services, profiles,
// volumes and environment it promises, and that what it hands the gateway is
// what the gateway reads (store and Redis variables, the mounted config, the
// load balancer's upstream names).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { parse } from 'yaml';
import { redisUrlProblem } from '../../lib/cluster/config.js';
import { parseConfig } from '../../lib/config/load.js';
import { redisUrlFromEnv, storeFromEnv } from '../../lib/store/env.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as any;
const services = compose.services as Record<string, any>;
const GATEWAYS = ['gateway', 'gateway-b', 'gateway-c'];

/** Compose's ${NAME:-default} with nothing set in the environment. */
const interpolate = (v: string) => v.replace(/\$\{(\w+)(?::-([^}]*))?\}/g, (_, _name: string, def?: string) => def ?? '');

t.test('services and profiles: one gateway by default, three and a load balancer with --profile scale', async (t) => {
  t.same(Object.keys(services).sort(), ['gateway', 'gateway-b', 'gateway-c', 'lb', 'postgres', 'redis']);
  t.equal(services['gateway'].profiles, undefined, 'the first gateway always runs');
  for (const s of ['gateway-b', 'gateway-c', 'lb']) t.same(services[s].profiles, ['scale'], `${s}: scale profile`);
  t.match(services['lb'].image, /^nginx:/, 'an official nginx image');
  t.match(services['postgres'].image, /^postgres:/);
  t.match(services['redis'].image, /^redis:/);
  for (const s of ['postgres', 'redis']) t.ok(services[s].healthcheck?.test, `${s} has a healthcheck`);
});

t.test('each gateway: the store and Redis from the environment, the mounted config, its own /data', async (t) => {
  const deployConfig = parseConfig(readFileSync(path.join(root, 'deploy/config.example.yaml'), 'utf8'), 'deploy/config.example.yaml').config;
  const dataVolumes = new Set<string>();
  for (const name of GATEWAYS) {
    const g = services[name];
    t.equal(g.build, '.', `${name}: built from the Dockerfile here`);
    const env: Record<string, string> = Object.fromEntries(Object.entries(g.environment as Record<string, string>).map(([k, v]) => [k, interpolate(String(v))]));
    const store = storeFromEnv(env);
    t.match(store, { kind: 'postgres', schema: 'cliproxy', localPath: '/data' }, `${name}: PostgreSQL store`);
    t.match(store?.kind === 'postgres' ? store.dsn : '', /^postgres:\/\/cliproxy:[^@]+@postgres:5432\/cliproxy$/, `${name}: the compose database`);
    t.equal(redisUrlFromEnv(env), 'redis://redis:6379/0', `${name}: the compose Redis`);
    t.equal(redisUrlProblem(redisUrlFromEnv(env)), undefined, 'a Redis URL the gateway accepts');
    t.equal(g.environment.MANAGEMENT_PASSWORD, '${MANAGEMENT_PASSWORD:-}', `${name}: the management secret only from the environment`);
    t.ok(g.volumes.includes('./deploy/config.yaml:/config/config.yaml:ro'), `${name}: the config mounted read-only where the image's CMD reads it`);
    const data = (g.volumes as string[]).find((v) => v.endsWith(':/data'));
    t.ok(data && !dataVolumes.has(data), `${name}: its own /data volume (${data})`);
    if (data) dataVolumes.add(data);
    t.same(g.depends_on, { postgres: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
    t.ok(g.init, `${name}: an init process forwards signals`);
    const grace = Number(/^(\d+)s$/.exec(g.stop_grace_period)?.[1]);
    t.ok(grace > deployConfig.shutdownTimeoutSeconds, `${name}: stop_grace_period ${grace}s outlasts shutdown-timeout-seconds ${deployConfig.shutdownTimeoutSeconds}`);
  }
  t.ok(existsSync(path.join(root, 'deploy/config.example.yaml')), 'deploy/config.yaml is made from deploy/config.example.yaml');
  const pg = services['postgres'].environment;
  t.same([pg.POSTGRES_USER, pg.POSTGRES_DB, interpolate(pg.POSTGRES_PASSWORD)], ['cliproxy', 'cliproxy', 'cliproxy'], 'the database the DSN names');
});

t.test('published ports: the host loopback only; the balancer in front of the three gateways by name', async (t) => {
  for (const [name, s] of Object.entries(services)) {
    for (const p of (s.ports ?? []) as string[]) t.match(p, /^127\.0\.0\.1:/, `${name}: ${p} is published on loopback only`);
  }
  t.same(services['gateway'].ports, ['127.0.0.1:8317:8317']);
  t.same(services['lb'].ports, ['127.0.0.1:8080:8080']);
  t.ok(services['lb'].volumes.includes('./deploy/nginx.conf:/etc/nginx/nginx.conf:ro'));
  t.same(Object.keys(services['lb'].depends_on).sort(), GATEWAYS, 'the balancer starts after the gateways');
  for (const g of GATEWAYS) t.equal(services['lb'].depends_on[g].condition, 'service_healthy', `${g} healthy first (its /readyz)`);
  const nginx = readFileSync(path.join(root, 'deploy/nginx.conf'), 'utf8');
  const upstreams = [...nginx.matchAll(/^\s*server ([\w-]+):8317\b/gm)].map((m) => m[1]);
  t.same(upstreams, GATEWAYS, 'nginx proxies to the compose service names');
  t.match(nginx, /listen 8080;/);
});
