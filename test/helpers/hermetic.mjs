// Loaded into every test process (tap node-arg): the default auth-dir
// (~/.cli-proxy-api) must never be the developer's real one, in the test
// process or in CLI processes it spawns (they inherit HOME).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

if (!process.env['CLIPROXY_TEST_HOME']) {
  process.env['CLIPROXY_TEST_HOME'] = process.env['HOME'] = mkdtempSync(path.join(tmpdir(), 'cliproxy-home-'));
}
