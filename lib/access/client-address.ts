// The client's own address when the gateway runs behind a load balancer.
//
// By default (trusted-proxies empty) the client is the TCP peer, full stop:
// X-Forwarded-For and X-Real-IP are client-controlled and ignored. When the
// peer is listed in trusted-proxies, the client is read from what that proxy
// forwarded, the way gin's ClientIP does it (CLIProxyAPI uses ClientIP for
// the management ban and its request log, but never restricts the trusted
// proxies, so any client can forge its address there; here nobody is trusted
// unless listed):
//  - X-Forwarded-For is walked from the right, skipping trusted entries; the
//    first untrusted entry is the client; if every entry is trusted, the
//    leftmost one is. Entries left of the client are never read, so whatever
//    a client prepends (forged hops, junk, a huge header) cannot choose the
//    address or push the request into the proxy's bucket.
//  - without X-Forwarded-For, X-Real-IP (one address) is the client;
//  - a malformed entry in the part walked (IP literals only: no ports, no
//    brackets, no zones), more than MAX_HOPS trusted hops, or a trusted peer
//    that forwards nothing: the client is the peer itself. gin would try
//    X-Real-IP after a malformed X-Forwarded-For; here a proxy that writes a
//    broken chain is not second-guessed.
//
// Local (the management API without allow-remote, /v1internal) means the
// request never left this host: the peer is loopback and, when the peer is a
// trusted proxy, every hop walked, the client included, is loopback too. A
// request relayed by a trusted proxy on this host for a remote client is
// remote, and so is one from a trusted proxy that forwards no address.
//
// Addresses read from the headers are canonical (IPv4 dotted, IPv4-mapped
// IPv6 as IPv4, IPv6 compressed lower case), so one client has one ban entry
// and one cap count whatever spelling reached us. The peer address stays as
// the socket reports it (today's keys when nothing is trusted).

/** An address as 16 bytes (IPv4 as ::ffff:a.b.c.d). */
type Bytes = Uint8Array;

/** Trusted hops read from X-Forwarded-For at most; a longer trusted chain is not believed. */
export const MAX_HOPS = 16;
/** Characters of one entry: the longest IPv6 literal (with an IPv4 tail) is 45. */
const MAX_ENTRY = 45;

export interface ClientAddress {
  /** The client's IP as text: the peer's, or the forwarded client's. */
  address: string;
  /** On this host (see the header of this file). */
  local: boolean;
  /** Read from X-Forwarded-For / X-Real-IP of a trusted proxy. */
  forwarded: boolean;
}

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function parseV4(s: string, out: Bytes, at: number): boolean {
  const m = V4.exec(s);
  if (!m) return false;
  for (let i = 0; i < 4; i++) {
    const part = m[i + 1]!;
    const n = Number(part);
    if (n > 255 || (part.length > 1 && part[0] === '0')) return false; // no octal-looking parts
    out[at + i] = n;
  }
  return true;
}

/** An IPv4 or IPv6 literal as 16 bytes, or undefined. */
export function parseIp(s: string): Bytes | undefined {
  if (s.length === 0 || s.length > MAX_ENTRY) return undefined;
  const out = new Uint8Array(16);
  if (!s.includes(':')) {
    out[10] = 0xff;
    out[11] = 0xff;
    return parseV4(s, out, 12) ? out : undefined;
  }
  if (!/^[0-9A-Fa-f:.]+$/.test(s)) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string): string[] => (h === '' ? [] : h.split(':'));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const words: number[] = [];
  const all = [...head, ...tail];
  let v4: string | undefined;
  if (all.length > 0 && all[all.length - 1]!.includes('.')) {
    if (halves.length === 2 && tail.length === 0) return undefined; // "1.2.3.4::": the IPv4 part must end the address
    v4 = all[all.length - 1];
    (tail.length > 0 ? tail : head).pop();
  }
  const room = 8 - (v4 ? 2 : 0);
  const given = head.length + tail.length;
  if (halves.length === 1 ? given !== room : given > room - 1) return undefined;
  for (const g of [...head, ...Array<string>(room - given).fill('0'), ...tail]) {
    if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return undefined;
    words.push(parseInt(g, 16));
  }
  for (let i = 0; i < words.length; i++) {
    out[i * 2] = words[i]! >> 8;
    out[i * 2 + 1] = words[i]! & 0xff;
  }
  if (v4 && !parseV4(v4, out, 12)) return undefined;
  return out;
}

function isMappedV4(b: Bytes): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

function isLoopbackBytes(b: Bytes): boolean {
  if (isMappedV4(b)) return b[12] === 127;
  for (let i = 0; i < 15; i++) if (b[i] !== 0) return false;
  return b[15] === 1;
}

/** Canonical text: IPv4 dotted (also for IPv4-mapped IPv6), IPv6 per RFC 5952. */
export function formatIp(b: Bytes): string {
  if (isMappedV4(b)) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((b[i * 2]! << 8) | b[i * 2 + 1]!);
  // The longest run of two or more zero words becomes "::" (the first if tied).
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(':');
  if (best < 0) return hex(words);
  return `${hex(words.slice(0, best))}::${hex(words.slice(best + bestLen))}`;
}

interface Net {
  bytes: Bytes;
  /** Prefix length in the 128-bit space (an IPv4 /n is 96 + n). */
  bits: number;
}

function inNet(ip: Bytes, n: Net): boolean {
  const whole = n.bits >> 3;
  for (let i = 0; i < whole; i++) if (ip[i] !== n.bytes[i]) return false;
  const rest = n.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (ip[whole]! & mask) === (n.bytes[whole]! & mask);
}

/** One trusted-proxies entry (an IP or a CIDR) as a network, or the reason it is not one. */
function parseEntry(entry: string): Net | string {
  const s = entry.trim();
  const slash = s.indexOf('/');
  const ipText = slash >= 0 ? s.slice(0, slash) : s;
  const bytes = parseIp(ipText);
  if (!bytes) return `"${entry.slice(0, 60)}" is not an IP address or CIDR (e.g. 10.0.0.5, 172.16.0.0/12, fd00::/8)`;
  const v4 = !ipText.includes(':');
  const max = v4 ? 32 : 128;
  let len = max;
  if (slash >= 0) {
    const p = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) return `"${entry.slice(0, 60)}": the prefix length must be 0-${max}`;
    len = Number(p);
  }
  return { bytes, bits: v4 ? 96 + len : len };
}

/** The trusted proxies, parsed once per loaded config. */
export class TrustedProxies {
  private constructor(private readonly nets: Net[]) {}

  /** Throws with the first entry that is not an IP or CIDR. */
  static parse(list: readonly string[]): TrustedProxies {
    const nets: Net[] = [];
    for (const e of list) {
      const n = parseEntry(e);
      if (typeof n === 'string') throw new Error(n);
      nets.push(n);
    }
    return new TrustedProxies(nets);
  }

  trusts(ip: Bytes): boolean {
    for (const n of this.nets) if (inNet(ip, n)) return true;
    return false;
  }
}

/** The config check for trusted-proxies: a message naming the first bad entry. */
export function trustedProxiesProblem(v: unknown): string | undefined {
  if (!Array.isArray(v)) return undefined;
  try {
    matcherFor(v as string[]);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

// A config's list is parsed once (validation does it at load) and found again
// by identity on each request; a reloaded config is a new list.
const parsed = new WeakMap<readonly string[], TrustedProxies>();

function matcherFor(list: readonly string[]): TrustedProxies {
  let m = parsed.get(list);
  if (!m) {
    m = TrustedProxies.parse(list);
    parsed.set(list, m);
  }
  return m;
}

function peerIsLoopback(a: string): boolean {
  return (
    a.startsWith('127.') || a === '::1' || a === '0000:0000:0000:0000:0000:0000:0000:0001' || a.startsWith('::ffff:127.') ||
    // IPv4 loopback on a dual-stack (::) listener: uWS spells it ::ffff:7f00:1 in full.
    a.startsWith('0000:0000:0000:0000:0000:ffff:7f')
  );
}

/**
 * Who the client is. `trusted` is the config's trusted-proxies list (absent or
 * empty: the peer, no header read). Called once per request by the Exchange,
 * and at WebSocket upgrades.
 */
export function clientAddress(peer: string, headers: Record<string, string>, trusted: readonly string[] | undefined): ClientAddress {
  if (!trusted || trusted.length === 0) return { address: peer, local: peerIsLoopback(peer), forwarded: false };
  const proxies = matcherFor(trusted);
  const peerBytes = parseIp(peer);
  if (!peerBytes || !proxies.trusts(peerBytes)) return { address: peer, local: peerIsLoopback(peer), forwarded: false };
  const asPeer = { address: peer, local: false, forwarded: false };
  const xff = headers['x-forwarded-for'];
  if (xff !== undefined) {
    let allLoopback = isLoopbackBytes(peerBytes);
    let end = xff.length;
    for (let hop = 0; hop <= MAX_HOPS; hop++) {
      const comma = xff.lastIndexOf(',', end - 1);
      const entry = xff.slice(comma + 1, end).trim();
      const ip = parseIp(entry);
      if (!ip) return asPeer;
      allLoopback &&= isLoopbackBytes(ip);
      if (comma < 0 || !proxies.trusts(ip)) return { address: formatIp(ip), local: allLoopback, forwarded: true };
      end = comma;
    }
    return asPeer; // more trusted hops than any real chain has
  }
  const real = headers['x-real-ip'];
  if (real !== undefined) {
    const ip = parseIp(real.trim());
    if (!ip) return asPeer;
    return { address: formatIp(ip), local: isLoopbackBytes(peerBytes) && isLoopbackBytes(ip), forwarded: true };
  }
  return asPeer;
}
