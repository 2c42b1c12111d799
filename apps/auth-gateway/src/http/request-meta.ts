import { isIP } from 'node:net';
import type { Request } from 'express';
import { routeOf } from '@vigil/telemetry';
import type { RequestMeta } from '../events/event-builder';

/*
 * The one place the gateway decides who the client is. Express resolves `req.ip` under the
 * `trust proxy` setting built from TRUST_PROXY (default: no proxy trusted, so X-Forwarded-For is
 * ignored and the client is the socket peer); this module normalises that address and derives the
 * key the throttles count under.
 */

export function metaOf(req: Request): RequestMeta {
  return { ip: clientIpOf(req), userAgent: req.header('user-agent') ?? undefined };
}

/**
 * The client address: `req.ip` as Express resolved it, normalised (IPv4-mapped IPv6 to IPv4,
 * IPv6 in its RFC 5952 form, zone dropped). When a trusted proxy forwarded something that is not
 * an address, the socket peer is taken instead: never a string an attacker chose.
 */
export function clientIpOf(
  req: Pick<Request, 'ip'> & { socket?: { remoteAddress?: string } },
): string | undefined {
  return normalizeIp(req.ip) ?? normalizeIp(req.socket?.remoteAddress);
}

/** An address in one canonical spelling, or undefined when it is not an IP address. */
export function normalizeIp(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  let s = raw.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const kind = isIP(s);
  if (kind === 4) return s;
  if (kind !== 6) return undefined;
  const g = ipv6Groups(s);
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff)
    return `${g[6] >> 8}.${g[6] & 255}.${g[7] >> 8}.${g[7] & 255}`;
  return formatIpv6(g);
}

/**
 * What the per-IP and per-(account, IP) throttles and the known-address list count under: the
 * IPv4 address, or the IPv6 /64 (one subscriber's prefix: a client there picks any of 2^64
 * addresses, so counting per address would let it rotate past every throttle).
 */
export function throttleKeyOf(ip: string | undefined): string {
  const n = normalizeIp(ip);
  if (!n) return 'unknown';
  if (isIP(n) === 4) return n;
  return `${formatIpv6([...ipv6Groups(n).slice(0, 4), 0, 0, 0, 0])}/64`;
}

/** Eight 16-bit groups of a valid IPv6 address (an embedded dotted IPv4 tail included). */
function ipv6Groups(s: string): number[] {
  const parse = (part: string): number[] => {
    if (!part) return [];
    return part.split(':').flatMap((h) => {
      if (h.includes('.')) {
        const [a, b, c, d] = h.split('.').map(Number);
        return [(a << 8) | b, (c << 8) | d];
      }
      return [parseInt(h, 16)];
    });
  };
  const [head, tail] = s.toLowerCase().split('::');
  const left = parse(head);
  if (tail === undefined) return left;
  const right = parse(tail);
  return [...left, ...Array(8 - left.length - right.length).fill(0), ...right];
}

/** RFC 5952: lower case, no leading zeros, the longest run (2+) of zero groups as `::`. */
function formatIpv6(g: number[]): string {
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > best.len && j - i >= 2) best = { at: i, len: j - i };
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best.at < 0) return hex.join(':');
  return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.len).join(':')}`;
}

/** TRUST_PROXY, parsed: `false` (no proxy trusted), a hop count, or addresses/CIDRs/presets. */
export type TrustProxy = false | number | string[];

const PRESETS = ['loopback', 'linklocal', 'uniquelocal'];
export const MAX_TRUSTED_HOPS = 10;

/**
 * Parses TRUST_PROXY: empty for none; an integer, the number of proxies in front of the gateway
 * (the client is that many hops back in X-Forwarded-For); or a comma-separated list of proxy
 * addresses and CIDRs (and Express's presets loopback, linklocal, uniquelocal). `true` ("trust
 * everything", any client picks its own address) is refused.
 */
export function parseTrustProxy(raw: string | undefined): { value?: TrustProxy; problem?: string } {
  const s = raw?.trim() ?? '';
  if (s === '') return { value: false };
  if (/^\d+$/.test(s)) {
    const hops = Number(s);
    if (hops > MAX_TRUSTED_HOPS)
      return { problem: `must be a hop count of at most ${MAX_TRUSTED_HOPS} (got ${hops})` };
    return { value: hops === 0 ? false : hops };
  }
  const items = s.split(',').map((x) => x.trim());
  const bad = items.filter((x) => !validTrustEntry(x));
  if (bad.length)
    return {
      problem: `must be a hop count or a comma-separated list of IP addresses/CIDRs (bad: ${bad.map((b) => JSON.stringify(b.slice(0, 60))).join(', ')})`,
    };
  return { value: items };
}

function validTrustEntry(x: string): boolean {
  if (PRESETS.includes(x)) return true;
  const [addr, prefix, ...rest] = x.split('/');
  if (rest.length) return false;
  const kind = isIP(addr);
  if (kind === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (kind === 4 ? 32 : 128);
}

/** Route template for events (`/api/v1/admin/users/:id`), or the bare path when no route matched. */
export function routeTemplateOf(req: Request): string {
  const route = routeOf(req);
  const path = route === 'unmatched' ? req.path : route;
  return /^\/[^?#\s]*$/.test(path) ? path.slice(0, 256) : '/';
}

// The guards compare paths the way Express routes them; the rule lives with the other HTTP plumbing.
export { canonicalPath } from '@vigil/runtime';
