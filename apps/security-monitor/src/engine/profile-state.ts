import { isIP } from 'node:net';
import { OffHoursProfiles, parseOrgHours, type OffHoursCondition } from './hour-profiles';
import { NetworkProfiles, type NewNetworkCondition } from './network-profiles';
import type { CompiledProfile } from './profile-store';

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
 *
 * hour-profiles.ts and network-profiles.ts hold each kind; profile-store.ts their common store.
 */

export {
  LOGIN_UNIT,
  hourLoginsLearned,
  localClock,
  parseOrgHours,
  type HourProfile,
  type OffHoursCondition,
  type OrgHours,
} from './hour-profiles';
export {
  compileCidrs,
  displayNetwork,
  networkLoginsLearned,
  networksOf,
  type NetworkProfile,
  type NewNetworkCondition,
} from './network-profiles';
export type { CompiledProfile } from './profile-store';

export type ProfileCondition = OffHoursCondition | NewNetworkCondition;
export const PROFILE_KINDS = ['offHours', 'newNetwork'] as const;

export const isProfileCondition = (c: { kind?: unknown }): c is ProfileCondition =>
  c.kind === 'offHours' || c.kind === 'newNetwork';
export function compileProfile(c: ProfileCondition, maxUsers: number): CompiledProfile {
  return c.kind === 'offHours' ? new OffHoursProfiles(c, maxUsers) : new NetworkProfiles(c, maxUsers);
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
