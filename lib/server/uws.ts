// Load uWebSockets.js, preferring a build that accepts underscores in header
// names (Codex CLI sends `session_id` and `conversation_id`; uWS 20.15–20.4x
// silently drops such requests). Order:
//   1. @btc-vision/uwebsockets.js 20.56 (official binaries, fixed parser);
//      on glibc < 2.38 a patched copy of its binary (see glibc-compat.ts);
//   2. the 20.30 build (@trufflesuite alias), with a warning about underscores;
//   3. that package's pure-JS fallback, with a loud warning about speed.
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import type * as UWS from 'uWebSockets.js';
import { glibcCompatCopy } from './glibc-compat.js';

const require = createRequire(import.meta.url);

export type UwsBuild = 'native' | 'native-legacy' | 'js-fallback';

function binaryName(): string {
  return `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
}

function cacheDir(): string {
  try {
    return path.join(path.dirname(require.resolve('@btc-vision/uwebsockets.js')), '..', '..', '.cache', 'cliproxy-ts');
  } catch {
    return path.join(tmpdir() || homedir(), 'cliproxy-ts-cache');
  }
}

function loadCurrent(): typeof UWS {
  const dir = path.dirname(require.resolve('@btc-vision/uwebsockets.js'));
  const binary = path.join(dir, binaryName());
  try {
    return require(binary) as typeof UWS;
  } catch (err) {
    if (process.platform !== 'linux' || !/GLIBC_2\.3[89]/.test(String(err))) throw err;
    return require(glibcCompatCopy(binary, cacheDir())) as typeof UWS;
  }
}

function load(): { uws: typeof UWS; build: UwsBuild; problem?: string } {
  let problem: string | undefined;
  // CLIPROXY_UWS_BUILD=legacy skips the preferred build (for tests and for
  // platforms where it misbehaves).
  if (process.env['CLIPROXY_UWS_BUILD'] === 'legacy') problem = 'CLIPROXY_UWS_BUILD=legacy';
  else {
    try {
      return { uws: loadCurrent(), build: 'native' };
    } catch (err) {
      problem = String((err as Error).message ?? err).split('\n')[0];
    }
  }
  const legacy = require('uWebSockets.js') as typeof UWS;
  const native = Object.keys(require.cache).some((k) => /uws_[^/\\]+\.node$/.test(k));
  return { uws: legacy, build: native ? 'native-legacy' : 'js-fallback', problem };
}

const loaded = load();
export const uws = loaded.uws;
export const uwsBuild: UwsBuild = loaded.build;
/** Why the preferred build did not load (for the start-up warning). */
export const uwsProblem = loaded.problem;
/** False when uWebSockets.js runs on its JS fallback (slow). */
export const uwsNative = loaded.build !== 'js-fallback';
export type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket, WebSocket, WebSocketBehavior } from 'uWebSockets.js';
