// bcrypt compares off the main thread. bcryptjs is pure JavaScript: one
// cost-10 compare burns ~100 ms of CPU, and its "async" API only yields
// between 100 ms slices, so a burst of wrong management keys used to stall
// every inference stream for seconds. One worker thread runs the compares in
// turn; the gateway's event loop only posts a message and waits.
//
// The worker is process-wide, started on first use, and referenced only while
// a compare is pending (so it never keeps the process alive on its own). If
// it cannot start or dies, compares fall back to bcryptjs on the main thread:
// slower for everyone, but the key check keeps working.
import bcrypt from 'bcryptjs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { log } from '../logging/logger.js';

// Plain CommonJS evaluated in the worker: no TypeScript loader needed, so the
// same code runs from source (tsx) and from the build. execArgv is emptied so
// the worker does not load the parent's --import hooks.
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcrypt);
parentPort.on('message', ({ id, key, hash }) => {
  let ok = false;
  let error;
  try { ok = bcrypt.compareSync(key, hash); } catch (err) { error = String((err && err.message) || err); }
  parentPort.postMessage({ id, ok, error });
});
`;

interface Reply {
  id: number;
  ok: boolean;
  error?: string;
}

interface Task {
  key: string;
  hash: string;
  resolve(ok: boolean): void;
  reject(err: Error): void;
}

let worker: Worker | undefined;
/** Set once the worker failed to start or crashed too often: stop retrying. */
let disabled = false;
let crashes = 0;
let nextId = 1;
const tasks = new Map<number, Task>();

function start(): Worker | undefined {
  if (worker || disabled) return worker;
  let w: Worker;
  try {
    const bcryptPath = createRequire(import.meta.url).resolve('bcryptjs');
    w = new Worker(SOURCE, { eval: true, execArgv: [], workerData: { bcrypt: bcryptPath } });
  } catch (err) {
    disabled = true;
    log.warn({ err }, 'bcrypt worker could not start; management key checks run on the main thread');
    return undefined;
  }
  w.unref();
  w.on('message', (r: Reply) => {
    const t = tasks.get(r.id);
    if (!t) return;
    tasks.delete(r.id);
    if (tasks.size === 0) w.unref();
    if (r.error !== undefined) t.reject(new Error(r.error));
    else t.resolve(r.ok);
  });
  const lost = (err: unknown) => {
    if (worker !== w) return;
    worker = undefined;
    if (++crashes >= 3) disabled = true;
    log.warn({ err }, 'bcrypt worker stopped; pending management key checks run on the main thread');
    // Whatever was queued in the dead worker is redone here.
    const pending = [...tasks.values()];
    tasks.clear();
    for (const t of pending) bcrypt.compare(t.key, t.hash).then(t.resolve, t.reject);
  };
  w.on('error', lost);
  w.on('exit', (code) => lost(new Error(`exit code ${code}`)));
  worker = w;
  return w;
}

/** bcrypt.compare, in the worker thread when there is one. */
export function compareOffThread(key: string, hash: string): Promise<boolean> {
  const w = start();
  if (!w) return bcrypt.compare(key, hash);
  return new Promise((resolve, reject) => {
    const id = nextId++;
    tasks.set(id, { key, hash, resolve, reject });
    if (tasks.size === 1) w.ref();
    w.postMessage({ id, key, hash });
  });
}
