// GET /v0/management/store: the durable store this instance runs on (kind,
// masked target), whether it is in step ('ok') or serving from its local
// mirror ('degraded', with the reason), and how many local changes wait to
// be stored. Without a store: {"store":"file"}.
import type { Management } from '../service.js';
import type { Register } from './context.js';

/** What the store reports; kept structural so this module does not depend on lib/store. */
export interface StoreStatusSource {
  status(): { state: 'ok' | 'degraded' };
}

const sources = new WeakMap<Management, StoreStatusSource>();

/** Show `source` on GET /store of this management API; the returned function removes it. */
export function registerStoreStatus(m: Management, source: StoreStatusSource): () => void {
  sources.set(m, source);
  return () => {
    if (sources.get(m) === source) sources.delete(m);
  };
}

export function registerStore(add: Register): void {
  add('GET', '/store', (c) => {
    const s = sources.get(c.m);
    c.reply(200, s ? s.status() : { store: 'file', state: 'ok' });
  });
}
