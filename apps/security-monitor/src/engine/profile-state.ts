import { BlockList, isIP } from 'node:net';
import type { EventEnvelope } from '@vigil/contracts';
import { ipOf } from './event-fields';
import { networkOf } from './network-prefix';

/*
 * Per-user behaviour profiles (seed 004-50): state that outlives a rule's window. A profile rule
 * (condition `offHours` or `newNetwork`, key `user`, user stage: auth.events.v1 is keyed by user,
 * so one user's logins are all in one partition) learns from each matching event (successful
 * logins) and flags the ones its profile does not expect. Only flagged logins count in the rule's
 * window, so the alert lifecycle is the engine's usual one: `firing` on the first flagged login,
 * `updated` while more come within the window, `resolved` a window after the last. The window is
 * therefore the dedup period (one alert per user and day with a one-day window), and learning
 * goes on after an alert: a new shift or a new home network becomes normal.
 *
 * Time is event time. A profile idle for longer than `learnDays` is forgotten (swept, or started
 * over at the user's next login), so memory follows active users, within MONITOR_MAX_KEYS_PER_RULE.
 * The profiles are kept per rule beside its keys and saved in the engine's snapshot as plain JSON.
 */

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Fixed-point unit of one login in an hour histogram (counts decay and are kept as integers). */
export const LOGIN_UNIT = 64;
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

export interface OffHoursCondition {
  kind: 'offHours';
  /** Logins weigh less with age (half-life learnDays / 2); a user idle this long starts over. */
  learnDays: number;
  /** Until the user has this many learned logins spanning `minDays`, the cold start judges. */
  minLogins: number;
  minDays: number;
  /** A login fires when its hour (± toleranceHours) holds less than this share of the user's history. */
  minShare: number;
  toleranceHours: number;
  /** IANA zone the hours are read in (default UTC), so DST does not move a user's nine o'clock. */
  timezone?: string;
  /** `silent`: learn only; or judge against organisation hours `HH-HH` (end exclusive) and days (`mon-fri`, `mon,wed`). */
  coldStart: 'silent' | { hours: string; days: string };
}

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

export type ProfileCondition = OffHoursCondition | NewNetworkCondition;
export const PROFILE_KINDS = ['offHours', 'newNetwork'] as const;

export const isProfileCondition = (c: { kind?: unknown }): c is ProfileCondition =>
  c.kind === 'offHours' || c.kind === 'newNetwork';

/*
 * Profiles are flat arrays (one allocation per user and rule, compact in the snapshot's JSON):
 *
 * HourProfile (small integers): [0..23] logins per local hour × LOGIN_UNIT, decayed to DAY; N
 * logins learned; SINCE the first one's event time (epoch minutes); DAY the UTC day (epoch days)
 * decayed to; LAST the newest learned login (epoch minutes); HIT_HOUR, HIT_SHARE (‰ of history, -1: judged by the cold start), HIT_N
 * (logins learned before it) of the last flagged login (HIT_HOUR -1: none).
 */
export type HourProfile = number[];
const H_N = 24;
const H_SINCE = 25;
const H_DAY = 26;
const H_LAST = 27;
const H_HIT_HOUR = 28;
const H_HIT_SHARE = 29;
const H_HIT_N = 30;

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

export interface CompiledProfile {
  /** The alert's threshold field. */
  readonly threshold: number;
  /** Users with a profile. */
  readonly size: number;
  /** Profiles dropped for room (the cap), since this engine started. */
  readonly evicted: number;
  /** Judges the event against the user's profile, then learns it. True when the event is unusual. */
  observe(user: string, e: EventEnvelope, t: number): boolean;
  /** Forgets profiles idle for longer than learnDays (at most once an hour of event time). */
  sweep(watermark: number): void;
  /** What the user's last flagged event was, for the alert summary (never event payloads). */
  describe(user: string): string;
  /** The profiles as plain JSON, for the engine's snapshot. */
  toJson(): Array<[string, unknown]>;
  restore(saved: Array<[string, unknown]>): void;
}

/**
 * Profiles of one rule by user. They live beside the rule's keys (which hold only the flagged
 * events' windows and alerts), so a user who never does anything unusual costs one small array
 * and no window state. At most `maxUsers` (MONITOR_MAX_KEYS_PER_RULE): beyond it the profile
 * made longest ago is dropped (that user starts over in cold start).
 */
abstract class ProfileStore<P> implements CompiledProfile {
  protected readonly profiles = new Map<string, P>();
  private lastSweep = -Infinity;
  evicted = 0;
  abstract readonly threshold: number;

  constructor(
    protected readonly learnMs: number,
    private readonly maxUsers: number,
  ) {}

  get size(): number {
    return this.profiles.size;
  }

  abstract observe(user: string, e: EventEnvelope, t: number): boolean;
  abstract describe(user: string): string;
  protected abstract fresh(t: number): P;
  /** Event time (ms) of the profile's newest login. */
  protected abstract lastOf(p: P): number;

  /** The user's profile; a new one if none, or if idle for longer than learnDays (start over). */
  protected profileOf(user: string, t: number): P {
    const p = this.profiles.get(user);
    if (p !== undefined && t - this.lastOf(p) <= this.learnMs) return p;
    if (p === undefined && this.profiles.size >= this.maxUsers) {
      this.profiles.delete(this.profiles.keys().next().value as string);
      this.evicted++;
    }
    const made = this.fresh(t);
    this.profiles.set(user, made);
    return made;
  }

  sweep(watermark: number): void {
    if (watermark - this.lastSweep < HOUR) return;
    this.lastSweep = watermark;
    for (const [user, p] of this.profiles)
      if (watermark - this.lastOf(p) > this.learnMs) this.profiles.delete(user);
  }

  toJson(): Array<[string, unknown]> {
    return [...this.profiles];
  }

  restore(saved: Array<[string, unknown]>): void {
    this.profiles.clear();
    for (const [user, p] of saved) this.profiles.set(user, p as P);
  }
}

export function compileProfile(c: ProfileCondition, maxUsers: number): CompiledProfile {
  return c.kind === 'offHours' ? new OffHoursProfiles(c, maxUsers) : new NetworkProfiles(c, maxUsers);
}

class OffHoursProfiles extends ProfileStore<HourProfile> {
  readonly threshold: number;
  private readonly minSpan: number;
  /** Per day: the weight of a login halves every learnDays / 2. */
  private readonly decay: number;
  private readonly local: (t: number) => number;
  private readonly cold?: OrgHours;
  private readonly zone: string;

  constructor(
    private readonly c: OffHoursCondition,
    maxUsers: number,
  ) {
    super(c.learnDays * DAY, maxUsers);
    this.threshold = c.minShare;
    this.minSpan = c.minDays * DAY;
    this.decay = Math.pow(0.5, 2 / c.learnDays);
    this.zone = c.timezone ?? 'UTC';
    this.local = localClock(this.zone);
    this.cold = c.coldStart === 'silent' ? undefined : parseOrgHours(c.coldStart);
  }

  protected fresh(t: number): HourProfile {
    const d = Math.floor(t / DAY);
    const m = Math.floor(t / MINUTE);
    // Small integers only: V8 keeps them unboxed, 4 bytes each.
    // prettier-ignore
    return [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, m, d, m, -1, 0, 0];
  }

  protected lastOf(p: HourProfile): number {
    return p[H_LAST] * MINUTE;
  }

  observe(user: string, _e: EventEnvelope, t: number): boolean {
    const c = this.c;
    const p = this.profileOf(user, t);
    const lt = this.local(t);
    const hour = Math.floor(lt / HOUR) % 24;
    const day = Math.floor(t / DAY);
    if (day > p[H_DAY]) {
      const f = Math.pow(this.decay, day - p[H_DAY]);
      for (let i = 0; i < 24; i++) p[i] = Math.round(p[i] * f);
      p[H_DAY] = day;
    }
    let unusual = false;
    const n = p[H_N];
    if (n >= c.minLogins && t - p[H_SINCE] * MINUTE >= this.minSpan) {
      let total = 0;
      for (let i = 0; i < 24; i++) total += p[i];
      let near = 0;
      for (let d = -c.toleranceHours; d <= c.toleranceHours; d++) near += p[(hour + d + 24) % 24];
      if (total > 0 && near < c.minShare * total) {
        unusual = true;
        p[H_HIT_HOUR] = hour;
        p[H_HIT_SHARE] = Math.round((1000 * near) / total);
        p[H_HIT_N] = n;
      }
    } else if (this.cold) {
      const weekday = (Math.floor(lt / DAY) + 4) % 7; // 1970-01-01 was a Thursday
      if (!this.cold.hours[hour] || !this.cold.days[weekday]) {
        unusual = true;
        p[H_HIT_HOUR] = hour;
        p[H_HIT_SHARE] = -1;
        p[H_HIT_N] = n;
      }
    }
    p[hour] += LOGIN_UNIT;
    p[H_N] = n + 1;
    const m = Math.floor(t / MINUTE);
    if (m > p[H_LAST]) p[H_LAST] = m;
    if (m < p[H_SINCE]) p[H_SINCE] = m;
    return unusual;
  }

  describe(user: string): string {
    const c = this.c;
    const p = this.profiles.get(user);
    if (!p || p[H_HIT_HOUR] < 0) return 'login at an unusual hour';
    const hh = String(p[H_HIT_HOUR]).padStart(2, '0');
    const n = p[H_HIT_N];
    if (p[H_HIT_SHARE] < 0) {
      const org = c.coldStart === 'silent' ? '' : ` ${c.coldStart.hours} ${c.coldStart.days}`;
      return `login at ${hh}h ${this.zone} outside organisation hours${org} (cold start: ${n} of ${c.minLogins} logins learned)`;
    }
    return `login at ${hh}h ${this.zone}: ${(p[H_HIT_SHARE] / 10).toFixed(1)}% of the user's ${n} learned logins within ±${c.toleranceHours}h (threshold < ${c.minShare * 100}%)`;
  }
}

class NetworkProfiles extends ProfileStore<NetworkProfile> {
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

  protected lastOf(p: NetworkProfile): number {
    return (p[N_LAST] as number) * MINUTE;
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

/** Logins an hour profile / a network profile has learned. */
export const hourLoginsLearned = (p: HourProfile): number => p[H_N];
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

/** Local time (ms, as if UTC) in an IANA zone; the offset is computed once per quarter hour of UTC. */
export function localClock(timezone: string): (t: number) => number {
  if (timezone === 'UTC' || timezone === 'Etc/UTC') return (t) => t;
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone: timezone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
  });
  const cache = new Map<number, number>();
  return (t) => {
    const q = Math.floor(t / 900_000);
    let offset = cache.get(q);
    if (offset === undefined) {
      const parts: Record<string, number> = {};
      for (const { type, value } of fmt.formatToParts(q * 900_000)) parts[type] = Number(value);
      offset = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute) - q * 900_000;
      if (cache.size >= 4096) cache.clear();
      cache.set(q, offset);
    }
    return t + offset;
  };
}

export interface OrgHours {
  /** By local hour 0..23. */
  hours: boolean[];
  /** By weekday, 0 = Sunday. */
  days: boolean[];
}

/** `{ hours: "07-20", days: "mon-fri" }` -> masks. @throws Error naming what is wrong */
export function parseOrgHours(spec: { hours: string; days: string }): OrgHours {
  const hm = /^(\d{2})-(\d{2})$/.exec(spec.hours);
  const from = hm ? Number(hm[1]) : NaN;
  const to = hm ? Number(hm[2]) : NaN;
  if (!hm || from > 23 || to > 24 || from === to)
    throw new Error(
      'hours: "HH-HH", start 00..23, end 01..24 (exclusive), e.g. "07-20"; "22-06" wraps midnight',
    );
  const hours = Array.from({ length: 24 }, (_, h) => (from < to ? h >= from && h < to : h >= from || h < to));
  const days = new Array<boolean>(7).fill(false);
  const dayOf = (name: string) => WEEKDAYS.indexOf(name.trim().toLowerCase() as (typeof WEEKDAYS)[number]);
  const items = spec.days.split(',');
  for (const item of items) {
    const [a, b] = item.split('-');
    const x = dayOf(a);
    const y = b === undefined ? x : dayOf(b);
    if (x < 0 || y < 0 || item.split('-').length > 2)
      throw new Error(
        `days: weekdays or ranges of ${WEEKDAYS.join(', ')}, e.g. "mon-fri" or "mon,wed,sat-sun"`,
      );
    for (let d = x; ; d = (d + 1) % 7) {
      days[d] = true;
      if (d === y) break;
    }
  }
  return { hours, days };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown, min: number, max: number): v is number =>
  Number.isInteger(v) && (v as number) >= min && (v as number) <= max;

/** Validates an offHours / newNetwork condition, naming every bad field under `at`. */
export function validateProfileCondition(c: Obj, at: string, p: string[]): void {
  const allowed =
    c.kind === 'offHours'
      ? ['kind', 'learnDays', 'minLogins', 'minDays', 'minShare', 'toleranceHours', 'timezone', 'coldStart']
      : ['kind', 'learnDays', 'minLogins', 'maxNetworks', 'allow'];
  for (const k of Object.keys(c)) if (!allowed.includes(k)) p.push(`${at}.${k}: unknown field`);
  if (!isInt(c.learnDays, 1, 365)) p.push(`${at}.learnDays: an integer 1..365`);
  if (!isInt(c.minLogins, 0, 100_000)) p.push(`${at}.minLogins: an integer 0..100000`);
  if (c.kind === 'offHours') {
    if (!isInt(c.minDays, 0, 365) || (isInt(c.learnDays, 1, 365) && c.minDays > c.learnDays))
      p.push(`${at}.minDays: an integer 0..learnDays`);
    if (typeof c.minShare !== 'number' || !(c.minShare > 0 && c.minShare < 1))
      p.push(`${at}.minShare: a fraction 0 < minShare < 1`);
    if (!isInt(c.toleranceHours, 0, 6)) p.push(`${at}.toleranceHours: an integer 0..6`);
    if (c.timezone !== undefined) {
      let ok = typeof c.timezone === 'string' && c.timezone.length <= 64;
      if (ok)
        try {
          new Intl.DateTimeFormat('en-US', { timeZone: c.timezone as string });
        } catch {
          ok = false;
        }
      if (!ok) p.push(`${at}.timezone: an IANA time zone such as UTC or Europe/Berlin`);
    }
    if (c.coldStart !== 'silent') {
      if (!isObj(c.coldStart)) p.push(`${at}.coldStart: "silent" or { hours: "07-20", days: "mon-fri" }`);
      else {
        for (const k of Object.keys(c.coldStart))
          if (k !== 'hours' && k !== 'days') p.push(`${at}.coldStart.${k}: unknown field`);
        const { hours, days } = c.coldStart;
        if (typeof hours !== 'string') p.push(`${at}.coldStart.hours: "HH-HH", e.g. "07-20"`);
        if (typeof days !== 'string') p.push(`${at}.coldStart.days: e.g. "mon-fri"`);
        if (typeof hours === 'string' && typeof days === 'string') {
          try {
            parseOrgHours({ hours, days: 'mon' });
          } catch (err) {
            p.push(`${at}.coldStart.${(err as Error).message}`);
          }
          try {
            parseOrgHours({ hours: '00-24', days });
          } catch (err) {
            p.push(`${at}.coldStart.${(err as Error).message}`);
          }
        }
      }
    }
  } else {
    if (!isInt(c.maxNetworks, 1, 256)) p.push(`${at}.maxNetworks: an integer 1..256`);
    if (c.allow !== undefined) {
      if (!Array.isArray(c.allow) || c.allow.length > 1000) p.push(`${at}.allow: up to 1000 IPs or CIDRs`);
      else
        for (const entry of c.allow) {
          const problem = cidrProblem(entry);
          if (problem) p.push(`${at}.allow: ${problem}`);
        }
    }
  }
}

function cidrProblem(entry: unknown): string | undefined {
  if (typeof entry !== 'string') return `${JSON.stringify(entry)} is not an IP or CIDR`;
  const [addr, bits, extra] = entry.split('/');
  const family = isIP(addr);
  if (!family || extra !== undefined) return `${entry} is not an IP or CIDR`;
  if (bits !== undefined && (!/^\d{1,3}$/.test(bits) || Number(bits) > (family === 6 ? 128 : 32)))
    return `${entry}: bad prefix length`;
  return undefined;
}
