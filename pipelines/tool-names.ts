// Tool names an upstream refuses (OpenAI-compatible, Claude and Codex take
// only [a-zA-Z0-9_-]{1,64}; Gemini clients may declare `files.read`) are
// replaced for that upstream and restored in its answers. The map is built
// from the request alone, so the answer's decoder rebuilds the same one.
import type { StreamDecoder, StreamFrame } from './codec.js';
import type { IREvent, IRRequest } from './ir.js';

const SAFE = /^[a-zA-Z0-9_-]{1,64}$/;
const LIMIT = 64;

function namesOf(req: IRRequest): Set<string> {
  const names = new Set<string>();
  for (const t of req.tools ?? []) if (t.type === 'function') names.add(t.name);
  for (const m of req.messages) {
    for (const p of m.content) {
      if (p.type === 'tool-call') names.add(p.name);
      else if (p.type === 'tool-result' && p.name) names.add(p.name);
    }
  }
  if (req.toolChoice?.type === 'tool') names.add(req.toolChoice.name);
  return names;
}

/** Client name → upstream name, for the names that need one (empty when none do). */
export function safeToolNameMap(req: IRRequest): Map<string, string> {
  const all = namesOf(req);
  const unsafe = [...all].filter((n) => !SAFE.test(n)).sort();
  const map = new Map<string, string>();
  if (!unsafe.length) return map;
  const used = new Set([...all].filter((n) => SAFE.test(n)));
  for (const name of unsafe) {
    const base = name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, LIMIT) || 'tool';
    let cand = base;
    for (let k = 1; used.has(cand); k++) cand = base.slice(0, LIMIT - `_${k}`.length) + `_${k}`;
    used.add(cand);
    map.set(name, cand);
  }
  return map;
}

/** The request with every unsafe tool name replaced (the input is not changed). */
export function withSafeToolNames(req: IRRequest): IRRequest {
  const map = safeToolNameMap(req);
  if (!map.size) return req;
  const rename = (n: string) => map.get(n) ?? n;
  return {
    ...req,
    tools: req.tools?.map((t) => (t.type === 'function' ? { ...t, name: rename(t.name) } : t)),
    toolChoice: req.toolChoice?.type === 'tool' ? { ...req.toolChoice, name: rename(req.toolChoice.name) } : req.toolChoice,
    messages: req.messages.map((m) => ({
      ...m,
      content: m.content.map((p) => (p.type === 'tool-call' ? { ...p, name: rename(p.name) } : p.type === 'tool-result' && p.name ? { ...p, name: rename(p.name) } : p)),
    })),
  };
}

/** Upstream name → the client's, for answers. */
export function toolNameRestorer(req: IRRequest | undefined): ((name: string) => string) | undefined {
  if (!req) return undefined;
  const map = safeToolNameMap(req);
  if (!map.size) return undefined;
  const back = new Map([...map].map(([client, upstream]) => [upstream, client]));
  return (n) => back.get(n) ?? n;
}

export function restoreEvents(events: IREvent[], restore: ((name: string) => string) | undefined): IREvent[] {
  if (!restore) return events;
  return events.map((e) => (e.type === 'tool-call-start' ? { ...e, name: restore(e.name) } : e));
}

/** A stream decoder whose tool-call names come back as the client sent them. */
export function restoringDecoder(inner: StreamDecoder, req: IRRequest | undefined): StreamDecoder {
  const restore = toolNameRestorer(req);
  if (!restore) return inner;
  return {
    push: (frame: StreamFrame) => restoreEvents(inner.push(frame), restore),
    end: () => restoreEvents(inner.end(), restore),
  };
}
