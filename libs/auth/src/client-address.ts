import { isIP } from 'node:net';

/*
 * Who the client is, in one spelling, for every service that counts clients (the gateway's login
 * throttles and junk ledger, the audit API's junk ledger): addresses normalised once, and the key
 * a client is counted under.
 */

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
 * What per-client throttles and counts key on: the IPv4 address, or the IPv6 /64 (one
 * subscriber's prefix: a client there picks any of 2^64 addresses, so counting per address would
 * let it rotate past every throttle). 'unknown' when there is no address.
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
