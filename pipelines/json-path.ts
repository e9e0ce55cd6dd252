// Dotted JSON paths as the reference's payload rules spell them (gjson/sjson
// style): `generationConfig.thinkingConfig.thinkingBudget`, `tools.0.name`,
// `a\.b` for a key with a dot. Setting is copy-on-write: every container on
// the way down is copied, never changed in place, because the body a patch
// gets may share nested objects with the client's parsed request, which the
// next credential tried starts from again.

type Json = Record<string, unknown>;

/** Array indexes beyond this are refused (a config typo must not allocate a huge array). */
export const MAX_PATH_INDEX = 1024;

/**
 * A key no path may name: assigning it replaces an object's prototype instead
 * of setting a field (the value would vanish from the body, and the object
 * would inherit whatever the rule wrote).
 */
export const FORBIDDEN_PATH_KEY = '__proto__';

/** The segments of a path, or undefined when it is unusable (an empty segment, `__proto__`). */
export function parseJsonPath(path: string): string[] | undefined {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    if (c === '\\' && i + 1 < path.length) {
      cur += path[++i];
    } else if (c === '.') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.some((s) => s === '' || s === FORBIDDEN_PATH_KEY) ? undefined : out;
}

function isIndex(seg: string): boolean {
  return /^(?:0|[1-9]\d{0,5}|-1)$/.test(seg);
}

function isContainer(v: unknown): v is Json | unknown[] {
  return v !== null && typeof v === 'object';
}

/** Whether the path holds a value (null counts as present, as gjson's Exists). */
export function hasJsonPath(root: Json, segs: readonly string[]): boolean {
  let v: unknown = root;
  for (const seg of segs) {
    if (Array.isArray(v)) {
      if (!/^\d+$/.test(seg)) return false;
      const i = Number(seg);
      if (i >= v.length) return false;
      v = v[i];
    } else if (isContainer(v)) {
      if (!Object.prototype.hasOwnProperty.call(v, seg)) return false;
      v = (v as Json)[seg];
    } else return false;
  }
  return true;
}

/** `container` with `value` at `segs`, copying each container on the way; undefined when the path cannot be set. */
function withValue(container: unknown, segs: readonly string[], at: number, value: unknown): unknown {
  const seg = segs[at]!;
  const last = at === segs.length - 1;
  if (Array.isArray(container)) {
    if (!isIndex(seg)) return undefined;
    const i = seg === '-1' ? container.length : Number(seg);
    if (i > MAX_PATH_INDEX) return undefined;
    const copy = container.slice();
    while (copy.length < i) copy.push(null);
    const next = last ? value : withValue(copy[i], segs, at + 1, value);
    if (next === undefined) return undefined;
    copy[i] = next;
    return copy;
  }
  // Missing (or scalar) containers are made: an array when the key is an index, as sjson does.
  const obj: Json = isContainer(container) ? { ...(container as Json) } : {};
  if (!isContainer(container) && isIndex(seg) && seg !== '-1' && Number(seg) <= MAX_PATH_INDEX) return withValue([], segs, at, value);
  const next = last ? value : withValue(obj[seg], segs, at + 1, value);
  if (next === undefined) return undefined;
  obj[seg] = next;
  return obj;
}

/**
 * Set `value` at `segs` in `root`: only `root`'s own top-level field is
 * assigned; everything below it is a fresh copy. Returns false when the path
 * cannot be set (an index into an object that is not one, an index too large).
 */
export function setJsonPath(root: Json, segs: readonly string[], value: unknown): boolean {
  const head = segs[0]!;
  // The value is config data shared by every request: each body gets its own copy.
  const own = value !== null && typeof value === 'object' ? structuredClone(value) : value;
  const next = segs.length === 1 ? own : withValue(root[head], segs, 1, own);
  if (next === undefined) return false;
  root[head] = next;
  return true;
}
