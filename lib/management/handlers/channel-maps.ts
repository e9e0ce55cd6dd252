// Per-provider-channel settings of token-file accounts, as the reference's
// management API has them: /oauth-excluded-models (channel → globs) and
// /oauth-model-alias (channel → [{name, alias, fork}]). GET answers the
// non-empty channels; PUT replaces the map; PATCH sets one channel (an empty
// list removes it); DELETE ?provider= / ?channel= removes one.
import type { Document } from 'yaml';
import type { AliasRule, Config } from '../../config/types.js';
import { OAUTH_CHANNELS } from '../../routing/model-aliases.js';
import { isObj } from '../../../pipelines/guards.js';
import { answer, INVALID } from './basics.js';
import type { Register } from './context.js';

type Json = Record<string, unknown>;

interface ChannelMap {
  path: string;
  key: string;
  /** PATCH field holding the channel's list. */
  listField: string;
  get(c: Config): Record<string, unknown[]> | undefined;
  /** A JSON list → its YAML form, or undefined when it is not a valid list. */
  item(v: unknown): unknown;
}

const CHANNELS = new Set<string>(OAUTH_CHANNELS);

function globs(v: unknown): string[] | undefined {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) return undefined;
  return [...new Set(v.map((x) => x.trim()).filter((x) => x !== ''))];
}

function rules(v: unknown): Json[] | undefined {
  if (!Array.isArray(v) || !v.every(isObj)) return undefined;
  return v.map((r) => ({ name: typeof r['name'] === 'string' ? r['name'].trim() : r['name'], alias: typeof r['alias'] === 'string' ? r['alias'].trim() : r['alias'], ...(r['fork'] === true ? { fork: true } : {}) }));
}

const MAPS: ChannelMap[] = [
  { path: '/oauth-excluded-models', key: 'oauth-excluded-models', listField: 'models', get: (c) => c.oauthExcludedModels, item: globs },
  {
    path: '/oauth-model-alias',
    key: 'oauth-model-alias',
    listField: 'aliases',
    get: (c) => c.oauthModelAlias ?? c.oauthModelMappings,
    item: (v) => rules(v),
  },
];

/** The non-empty channels, in YAML shape. */
function shown(l: ChannelMap, cfg: Config): Json {
  const out: Json = {};
  for (const [channel, list] of Object.entries(l.get(cfg) ?? {})) {
    if (list.length === 0) continue;
    out[channel] = l.key === 'oauth-model-alias' ? (list as AliasRule[]).map((r) => ({ name: r.name, alias: r.alias, ...(r.fork ? { fork: true } : {}) })) : list;
  }
  return out;
}

function channelOf(raw: unknown): string | { error: string } {
  const channel = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  if (!channel) return { error: 'missing provider' };
  if (!CHANNELS.has(channel)) return { error: `unknown provider "${channel}" (one of ${OAUTH_CHANNELS.join(', ')})` };
  return channel;
}

/** The older oauth-model-mappings key goes once the alias map is written. */
function dropLegacy(l: ChannelMap, doc: Document): void {
  if (l.key === 'oauth-model-alias' && doc.has('oauth-model-mappings')) {
    if (!doc.has('oauth-model-alias')) doc.set('oauth-model-alias', doc.get('oauth-model-mappings', true));
    doc.delete('oauth-model-mappings');
  }
}

function channelMap(add: Register, l: ChannelMap): void {
  add('GET', l.path, (c) => c.reply(200, { [l.key]: shown(l, c.m.config()) }));
  add('PUT', l.path, async (c) => {
    let body = await c.json();
    if (isObj(body) && isObj(body['items'])) body = body['items'];
    if (!isObj(body)) return c.reply(400, INVALID);
    const next: Json = {};
    for (const [raw, list] of Object.entries(body)) {
      const channel = channelOf(raw);
      if (typeof channel !== 'string') return c.reply(400, channel);
      const item = l.item(list);
      if (item === undefined) return c.reply(400, { error: `invalid list for ${channel}` });
      if ((item as unknown[]).length > 0) next[channel] = item;
    }
    answer(c, await c.m.store.edit((doc) => {
      dropLegacy(l, doc);
      if (Object.keys(next).length === 0) doc.delete(l.key);
      else doc.set(l.key, doc.createNode(next));
    }));
  });
  add('PATCH', l.path, async (c) => {
    const b = await c.json();
    if (!isObj(b)) return c.reply(400, INVALID);
    const channel = channelOf(b['channel'] ?? b['provider']);
    if (typeof channel !== 'string') return c.reply(400, channel);
    const item = l.item(b[l.listField] ?? []);
    if (item === undefined) return c.reply(400, INVALID);
    answer(c, await c.m.store.edit((doc) => {
      dropLegacy(l, doc);
      if ((item as unknown[]).length > 0) return void doc.setIn([l.key, channel], doc.createNode(item));
      if (!doc.hasIn([l.key, channel])) return { notFound: true };
      doc.deleteIn([l.key, channel]);
    }));
  });
  add('DELETE', l.path, async (c) => {
    const channel = channelOf(c.query('channel') ?? c.query('provider'));
    if (typeof channel !== 'string') return c.reply(400, channel);
    answer(c, await c.m.store.edit((doc) => {
      dropLegacy(l, doc);
      if (!doc.hasIn([l.key, channel])) return { notFound: true };
      doc.deleteIn([l.key, channel]);
    }));
  });
}

export function registerChannelMaps(add: Register): void {
  for (const l of MAPS) channelMap(add, l);
}
