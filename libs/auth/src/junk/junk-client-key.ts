import { normalizeIp, throttleKeyOf } from '../client-address';

/** How the junk ledger groups client addresses: one IPv4 address, or one IPv6 /64. */
export interface JunkClientKey {
  key: string;
  scope: 'ip' | 'ipv6_64';
}

/**
 * The key a client address is counted under: the same key the login throttles use (throttleKeyOf:
 * the IPv4 address, an IPv4-mapped IPv6 address as the IPv4 it maps, or the IPv6 /64), with its
 * scope for the aggregated event. Undefined for anything that is not an IP address.
 */
export function junkClientKey(address: string | undefined): JunkClientKey | undefined {
  if (!normalizeIp(address)) return undefined;
  const key = throttleKeyOf(address);
  return { key, scope: key.endsWith('/64') ? 'ipv6_64' : 'ip' };
}
