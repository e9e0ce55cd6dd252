// Load uWebSockets.js and tell loudly when its native binary did not load:
// the package then silently serves through a slow pure-JS shim.
import { createRequire } from 'node:module';
import type * as UWS from 'uWebSockets.js';

const require = createRequire(import.meta.url);

function loadUws(): { uws: typeof UWS; native: boolean } {
  const uws = require('uWebSockets.js') as typeof UWS;
  const native = Object.keys(require.cache).some((k) => /uws_[^/\\]+\.node$/.test(k)) || isNativeAddon(uws);
  return { uws, native };
}

function isNativeAddon(mod: unknown): boolean {
  // Native builds expose C++ helpers the JS fallback lacks.
  return typeof (mod as Record<string, unknown>)['us_socket_local_port'] === 'function' &&
    typeof (mod as Record<string, unknown>)['getParts'] === 'function';
}

const loaded = loadUws();
export const uws = loaded.uws;
/** False when uWebSockets.js runs on its JS fallback (slow). */
export const uwsNative = loaded.native;
export type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket } from 'uWebSockets.js';
