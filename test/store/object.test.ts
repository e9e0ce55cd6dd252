// S3-compatible object storage store against a real S3 server (s3rver on
// loopback): the shared store scenario, the bucket created when missing, the
// CLIProxyAPI key layout, and the start-up errors.
import { Client } from 'minio';
import t from 'tap';
import { S3Server, S3_ACCESS_KEY, S3_SECRET_KEY } from '../helpers/s3-server.js';
import { openStore } from '../../lib/store/index.js';
import { parseEndpoint } from '../../lib/store/object.js';
import { runScenario } from './scenario.js';
import { tmp } from './helpers.js';

const s3 = new S3Server();
await s3.start();
t.teardown(() => s3.stop());
const bucket = `cliproxy-test-${process.pid}`;
const client = () => new Client({ endPoint: '127.0.0.1', port: s3.port, useSSL: false, accessKey: S3_ACCESS_KEY, secretKey: S3_SECRET_KEY, pathStyle: true, region: 'us-east-1' });

async function read(key: string): Promise<string | undefined> {
  try {
    const stream = await client().getObject(bucket, key);
    const parts: Buffer[] = [];
    for await (const c of stream) parts.push(c as Buffer);
    return Buffer.concat(parts).toString('utf8');
  } catch (err) {
    if ((err as { code?: string }).code === 'NoSuchKey') return undefined;
    throw err;
  }
}

await t.test('store scenario', (t) =>
  runScenario(t, {
    kind: 'object',
    folder: 'objectstore',
    env: (localPath) => ({ kind: 'object', endpoint: s3.endpoint, bucket, accessKey: S3_ACCESS_KEY, secretKey: S3_SECRET_KEY, localPath }),
    remote: read,
    async writeRemote(key, content) {
      if (content === undefined) await client().removeObject(bucket, key);
      else await client().putObject(bucket, key, Buffer.from(content));
    },
    down: () => s3.stop(),
    up: () => s3.start(),
    secret: S3_SECRET_KEY,
  }),
);

t.test('the bucket holds config/config.yaml and auths/<name>, as CLIProxyAPI lays it out', async (t) => {
  const names: string[] = [];
  for await (const o of client().listObjectsV2(bucket, '', true)) names.push((o as { name: string }).name);
  t.ok(names.includes('config/config.yaml'));
  t.ok(names.every((n) => n === 'config/config.yaml' || n.startsWith('auths/')), names.join(', '));
});

t.test('start-up errors name the store and never show the secret key', async (t) => {
  const dir = tmp('objectstore-err-');
  const down = new S3Server();
  await down.start();
  const port = down.port;
  await down.stop();
  await t.rejects(
    openStore({ kind: 'object', endpoint: `http://127.0.0.1:${port}`, bucket: 'abc-bucket', accessKey: 'AKIDEXAMPLE', secretKey: 'very-secret-key-1234', localPath: dir }),
    { name: 'StoreError', message: new RegExp(`^object store http://127\\.0\\.0\\.1:${port} bucket abc-bucket: cannot reach the bucket: .*ECONNREFUSED`) },
  );
  await t.rejects(openStore({ kind: 'object', endpoint: s3.endpoint, bucket: '', accessKey: '', secretKey: 'x', localPath: dir }), {
    message: /OBJECTSTORE_BUCKET, OBJECTSTORE_ACCESS_KEY are required/,
  });
  t.throws(() => parseEndpoint('ftp://host'), { message: /scheme ftp is not supported/ });
  t.same(parseEndpoint('http://127.0.0.1:9000'), { host: '127.0.0.1', port: 9000, useSSL: false });
  t.same(parseEndpoint('s3.example.com'), { host: 's3.example.com', port: undefined, useSSL: true });
  t.throws(() => parseEndpoint('http://h/some/path'), { message: /must not have a path/ });
});

t.test('a missing bucket is created', async (t) => {
  const dir = tmp('objectstore-new-');
  const name = `fresh-${process.pid}`;
  const m = await openStore({ kind: 'object', endpoint: s3.endpoint, bucket: name, accessKey: S3_ACCESS_KEY, secretKey: S3_SECRET_KEY, localPath: dir }, { resyncMs: 0 });
  t.teardown(() => m.close());
  t.ok(await client().bucketExists(name));
  t.equal(m.status().state, 'ok');
});
