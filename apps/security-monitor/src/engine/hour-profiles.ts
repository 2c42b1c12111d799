import type { EventEnvelope } from '@vigil/contracts';
import { ProfileStore } from './profile-store';

/* Off-hours profiles (condition `offHours`, seed 004-50): the hours a user logs in at, learned with decay. */

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

/*
 * Profiles are flat arrays (one allocation per user and rule, compact in the snapshot's JSON).
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

export class OffHoursProfiles extends ProfileStore<HourProfile> {
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

  protected lastMinuteOf(p: HourProfile): number {
    return p[H_LAST];
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

/** Logins an hour profile has learned. */
export const hourLoginsLearned = (p: HourProfile): number => p[H_N];

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
