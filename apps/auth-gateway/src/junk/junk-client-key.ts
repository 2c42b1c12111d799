import { isIP } from 'node:net';

/** How the junk ledger groups client addresses: one IPv4 address, or one IPv6 /64. */
export interface JunkClientKey {
  key: string;
  scope: 'ip' | 'ipv6_64';
}

/**
 * The key a client address is counted under. An IPv6 subscriber usually holds a whole /64 (and
 * can pick any address in it), so IPv6 is keyed by its first 64 bits; an IPv4-mapped IPv6 address
 * (`::ffff:203.0.113.7`, also in hex) is the IPv4 address it maps. Undefined for anything that is
 * not an IP address.
 */
export function junkClientKey(address: string | undefined): JunkClientKey | undefined {
  if (!address) return undefined;
  const bare = address.replace(/%.*$/, ''); // a zone id (fe80::1%eth0) names an interface, not a client
  const family = isIP(bare);
  if (family === 4) return { key: bare, scope: 'ip' };
  if (family !== 6) return undefined;
  const groups = ipv6Groups(bare);
  if (!groups) return undefined;
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return {
      key: `${groups[6] >> 8}.${groups[6] & 0xff}.${groups[7] >> 8}.${groups[7] & 0xff}`,
      scope: 'ip',
    };
  }
  return {
    key: `${groups
      .slice(0, 4)
      .map((g) => g.toString(16))
      .join(':')}::/64`,
    scope: 'ipv6_64',
  };
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a dotted IPv4 tail converted). */
function ipv6Groups(address: string): number[] | undefined {
  let text = address.toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const part = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const h = part(head);
  const t = part(tail);
  const groups = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff)
    ? groups
    : undefined;
}
