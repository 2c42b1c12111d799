import { BlockList, isIP } from 'node:net';
import type { EventEnvelope } from '@vigil/contracts';
import { ipOf } from './event-fields';
import { networkOf } from './network-prefix';
import { ProfileStore } from './profile-store';

/* New-network profiles (condition `newNetwork`, seed 004-50): the networks a user logs in from, most recent kept. */

const MINUTE = 60_000;
const DAY = 86_400_000;

export interface NewNetworkCondition {
  kind: 'newNetwork';
  /** A network not used for this long before the user's latest login is forgotten; an idle profile too. */
  learnDays: number;
  /** The first minLogins logins only learn. */
  minLogins: number;
  /** Networks remembered per user (the most recently used). */
  maxNetworks: number;
  /** IPs and CIDRs (VPN egress, office ranges) that never fire. */
  allow?: string[];
}

/*
 * NetworkProfile: [N logins learned, LAST newest login (epoch minutes), HIT the last new network
 * flagged ('' none), HIT_KNOWN networks known then, then pairs (network, last used in epoch
 * minutes)]. Networks: IPv4 /24 as "a.b.c." (compared in place with the IP), IPv6 /48 as
 * "x:y:z::/48" (network-prefix.ts). Minutes keep every number a small integer.
 */
export type NetworkProfile = Array<string | number>;
const N_N = 0;
const N_LAST = 1;
const N_HIT = 2;
const N_HIT_KNOWN = 3;
const N_NETS = 4;

export class NetworkProfiles extends ProfileStore<NetworkProfile> {
  readonly threshold = 0;
  private readonly allowed: (ip: string) => boolean;
  private readonly learnMinutes: number;

  constructor(
    private readonly c: NewNetworkCondition,
    maxUsers: number,
  ) {
    super(c.learnDays * DAY, maxUsers);
    this.allowed = compileCidrs(c.allow ?? []);
    this.learnMinutes = c.learnDays * 1440;
  }

  protected fresh(t: number): NetworkProfile {
    return [0, Math.floor(t / MINUTE), '', 0];
  }

  protected lastMinuteOf(p: NetworkProfile): number {
    return p[N_LAST] as number;
  }

  observe(user: string, e: EventEnvelope, t: number): boolean {
    const ip = ipOf(e);
    if (ip === undefined) return false;
    const p = this.profileOf(user, t);
    const m = Math.floor(t / MINUTE);
    // Known networks are found without building the prefix (most logins): IPv4 ones are kept as
    // "a.b.c." and compared in place.
    const dot = ip.indexOf(':') < 0 ? ip.lastIndexOf('.') : -1;
    let i = -1;
    if (dot > 0) {
      for (let k = N_NETS; k < p.length; k += 2) {
        const net = p[k] as string;
        if (net.length === dot + 1 && ip.startsWith(net)) {
          i = k;
          break;
        }
      }
    }
    let net: string | undefined;
    if (i < 0) {
      net = dot > 0 ? ip.slice(0, dot + 1) : networkOf(ip);
      if (net === undefined) return false;
      if (net.endsWith('.0/24')) net = net.slice(0, -4); // IPv4-mapped IPv6: the IPv4 /24, stored alike
      for (let k = N_NETS; k < p.length; k += 2)
        if (p[k] === net) {
          i = k;
          break;
        }
    }
    // Networks are forgotten relative to the user's own latest login: one back after a long
    // absence is still known, one unused while the user logged in elsewhere for learnDays is not.
    const last = p[N_LAST] as number;
    const horizon = Math.max(last, m) - this.learnMinutes;
    let unusual = false;
    if (i >= 0 && (p[i + 1] as number) >= horizon) {
      if (m > (p[i + 1] as number)) p[i + 1] = m;
    } else {
      net ??= p[i] as string;
      const known = (p.length - N_NETS) / 2;
      unusual = (p[N_N] as number) >= this.c.minLogins && !this.allowed(ip);
      if (unusual) {
        p[N_HIT] = net;
        p[N_HIT_KNOWN] = known;
      }
      if (i >= 0) p[i + 1] = m;
      else if (known < this.c.maxNetworks) p.push(net, m);
      else {
        let lru = N_NETS;
        for (let k = N_NETS + 2; k < p.length; k += 2)
          if ((p[k + 1] as number) < (p[lru + 1] as number)) lru = k;
        p[lru] = net;
        p[lru + 1] = m;
      }
    }
    p[N_N] = (p[N_N] as number) + 1;
    if (m > last) p[N_LAST] = m;
    return unusual;
  }

  describe(user: string): string {
    const p = this.profiles.get(user);
    if (!p || p[N_HIT] === '') return 'login from a new network';
    const known = p[N_HIT_KNOWN] as number;
    return `login from new network ${displayNetwork(p[N_HIT] as string)} (${known} known network${known === 1 ? '' : 's'})`;
  }
}

/** A stored network in CIDR notation ("a.b.c." is an IPv4 /24). */
export const displayNetwork = (net: string): string => (net.endsWith('.') ? `${net}0/24` : net);

/** The networks a profile knows (CIDR notation), most recently used first: for specs and operators. */
export function networksOf(p: NetworkProfile): string[] {
  const pairs: Array<[string, number]> = [];
  for (let k = N_NETS; k < p.length; k += 2) pairs.push([p[k] as string, p[k + 1] as number]);
  return pairs.sort((a, b) => b[1] - a[1]).map(([net]) => displayNetwork(net));
}

/** Logins a network profile has learned. */
export const networkLoginsLearned = (p: NetworkProfile): number => p[N_N] as number;

/** Whether an IP is in one of the CIDRs (validated already). */
export function compileCidrs(list: string[]): (ip: string) => boolean {
  if (list.length === 0) return () => false;
  const blocks = new BlockList();
  for (const entry of list) {
    const [addr, bits] = entry.split('/');
    const type = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) blocks.addAddress(addr, type);
    else blocks.addSubnet(addr, Number(bits), type);
  }
  return (ip) => blocks.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4');
}
