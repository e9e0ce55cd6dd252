// Loaded into every test process (tap node-arg): the default auth-dir
// (~/.cli-proxy-api) must never be the developer's real one, in the test
// process or in CLI processes it spawns (they inherit HOME).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

if (!process.env['CLIPROXY_TEST_HOME']) {
  process.env['CLIPROXY_TEST_HOME'] = process.env['HOME'] = mkdtempSync(path.join(tmpdir(), 'cliproxy-home-'));
}

// Stores and shared state come from the environment (PGSTORE_*, OBJECTSTORE_*,
// GITSTORE_*, REDIS_URL); a developer's own must not make every test gateway
// join one store or one Redis namespace. Tests that want them set them on the
// processes they start.
for (const name of Object.keys(process.env)) {
  if (/^(PGSTORE|OBJECTSTORE|GITSTORE)_/i.test(name) || /^redis_url$/i.test(name)) delete process.env[name];
}
