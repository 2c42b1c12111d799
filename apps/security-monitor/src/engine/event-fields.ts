import { BlockList, isIP } from 'node:net';
import { EventType, GLOBAL_KEY_VALUE, normalizeUsername, type EventEnvelope } from '@vigil/contracts';
import { passwordFingerprintKeyOf } from './password-fingerprint';
import { networkOf } from './network-prefix';
import type { DistinctField, RuleDefinition, RuleKeyKind, RuleMatch } from './rule-definition';

/** Bound once: a barrel's re-exports are getters in CommonJS, called on every read (per event here). */
const JUNK = EventType.JUNK_REQUESTS_AGGREGATED;
const FAILED_LOGIN = EventType.FAILED_AUTH_LOGIN;
const GLOBAL = GLOBAL_KEY_VALUE;

/**
 * Attempted usernames, normalised (NFKC, trim, lower case: an ICU call and two copies), remembered:
 * a failed login's user is asked for by up to nine rules, and hot accounts repeat. A pure
 * function of the string, so a remembered result is never stale; bounded, cleared when full.
 */
const normalized = new Map<string, string>();
const NORMALIZED_MAX = 4096;
function normalize(name: string): string {
  let n = normalized.get(name);
  if (n === undefined) {
    n = normalizeUsername(name);
    if (normalized.size >= NORMALIZED_MAX) normalized.clear();
    normalized.set(name, n);
  }
  return n;
}

/** The account an event is about: user id, else the normalised attempted username. */
export function userOf(e: EventEnvelope): string | undefined {
  const id = e.subject?.userId;
  if (id) return id;
  const name = e.subject?.username;
  const n = name === undefined ? '' : normalize(name);
  return n || undefined;
}

export function ipOf(e: EventEnvelope): string | undefined {
  return e.source?.ip || undefined;
}

/** The route of a 403, 429 or 5xx (attributes.route); an aggregate of junk requests names none. */
export function routeOf(e: EventEnvelope): string | undefined {
  const route = (e.attributes as { route?: unknown }).route;
  return typeof route === 'string' && route !== '' ? route : undefined;
}

/**
 * What an event stands for in the rules. A JUNK_REQUESTS_AGGREGATED (the gateway's count of cheap
 * refused requests from one client in a window) stands for `count` events of the type it
 * aggregates, so a rule counting TOKEN_VALIDATION_FAILED, ACCESS_DENIED or RATE_LIMITED sees the
 * true volume; every other event stands for itself, once.
 */
export function countedTypeOf(e: EventEnvelope): string {
  if (e.type !== JUNK) return e.type;
  const aggregates = (e.attributes as { aggregates?: unknown }).aggregates;
  return typeof aggregates === 'string' ? aggregates : e.type;
}

export function weightOf(e: EventEnvelope): number {
  if (e.type !== JUNK) return 1;
  const count = (e.attributes as { count?: unknown }).count;
  return typeof count === 'number' && Number.isSafeInteger(count) && count > 0 ? count : 1;
}

/** The key value a rule counts this event under, or undefined when the event lacks it. */
export function keyValueOf(kind: RuleKeyKind, e: EventEnvelope): string | undefined {
  switch (kind) {
    case 'global':
      return GLOBAL;
    case 'user':
      return userOf(e);
    case 'ip':
      return ipOf(e);
    case 'user_ip': {
      const u = userOf(e);
      const ip = ipOf(e);
      return u && ip ? `${u}|${ip}` : undefined;
    }
    case 'route':
      return routeOf(e);
    case 'password_fingerprint':
      return passwordFingerprintKeyOf(e);
    case 'session':
      return sessionOf(e);
  }
}

/** The refresh-token family an event is about (AUTH_LOGIN opens it, TOKEN_REFRESH rotates it), else its session. */
export function sessionOf(e: EventEnvelope): string | undefined {
  const a = e.attributes as { familyId?: unknown; sessionId?: unknown };
  if (typeof a.familyId === 'string' && a.familyId) return a.familyId;
  return typeof a.sessionId === 'string' && a.sessionId ? a.sessionId : undefined;
}

const VERSION_DIGITS = /\d+/g;

/**
 * The client an event came from, as far as a user agent tells: version numbers are dropped, so a
 * browser updating itself in the middle of a session is still the same client.
 */
export function clientOf(e: EventEnvelope): string | undefined {
  const ua = e.source?.userAgent;
  return ua ? ua.replace(VERSION_DIGITS, '') : undefined;
}

export function distinctValueOf(field: DistinctField, e: EventEnvelope): string | undefined {
  switch (field) {
    case 'user':
      return userOf(e);
    case 'ip':
      return ipOf(e);
    case 'network': {
      const ip = ipOf(e);
      return ip === undefined ? undefined : networkOf(ip);
    }
    case 'user_agent':
      return clientOf(e);
  }
}

/** A rule's `match`, compiled once per rule set. */
export function compileMatch(rule: RuleDefinition): (e: EventEnvelope) => boolean {
  return compileEventMatch(rule.match);
}

export function compileEventMatch(match: RuleMatch): (e: EventEnvelope) => boolean {
  const types = new Set<string>(match.types);
  const outcomes = match.outcomes ? new Set<string>(match.outcomes) : undefined;
  const { excludeRepeated, grantsRole, requiresRole } = match;
  return (e) => {
    if (!types.has(e.type) && !types.has(countedTypeOf(e))) return false;
    if (outcomes && !outcomes.has(e.outcome)) return false;
    const a = e.attributes as Record<string, unknown>;
    if (excludeRepeated && e.type === FAILED_LOGIN && a.repeated === true) return false;
    if (grantsRole !== undefined) {
      const before = Array.isArray(a.before) ? (a.before as string[]) : [];
      const after = Array.isArray(a.after) ? (a.after as string[]) : [];
      if (!after.includes(grantsRole) || before.includes(grantsRole)) return false;
    }
    if (
      requiresRole !== undefined &&
      !(Array.isArray(a.requiredRoles) && (a.requiredRoles as string[]).includes(requiresRole))
    )
      return false;
    return true;
  };
}

/** The denominator of a ratio rule (its totalTypes, or every event); the `after` steps of a sequence rule. */
export function compileTotal(rule: RuleDefinition): (e: EventEnvelope) => boolean {
  if (rule.condition.kind === 'sequence') return compileEventMatch(rule.condition.after);
  if (rule.condition.kind !== 'ratio' || !rule.condition.totalTypes) return () => true;
  const types = new Set<string>(rule.condition.totalTypes);
  return (e) => types.has(e.type) || types.has(countedTypeOf(e));
}

export interface Allowlist {
  /** IPs and CIDRs (v4 or v6). */
  ips: string[];
  /** User ids or usernames (compared normalised). */
  users: string[];
}

/**
 * Allowlisted sources and accounts (scanners, service accounts) never raise keyed alerts; they
 * still count in system-wide rules, which measure the system, not a suspect.
 * @throws Error naming the entry that is neither an IP nor a CIDR
 */
export function compileAllowlist(list: Allowlist): (e: EventEnvelope) => boolean {
  const blocks = new BlockList();
  for (const entry of list.ips) {
    const [addr, bits] = entry.split('/');
    const family = isIP(addr);
    if (!family) throw new Error(`allowlist entry ${entry}: not an IP or CIDR`);
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) blocks.addAddress(addr, type);
    else {
      const n = Number(bits);
      if (!Number.isInteger(n) || n < 0 || n > (family === 6 ? 128 : 32))
        throw new Error(`allowlist entry ${entry}: bad prefix length`);
      blocks.addSubnet(addr, n, type);
    }
  }
  const users = new Set(list.users.map(normalizeUsername));
  if (list.ips.length === 0 && users.size === 0) return () => false;
  return (e) => {
    const ip = ipOf(e);
    if (ip && list.ips.length && blocks.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4')) return true;
    if (users.size === 0) return false;
    const u = userOf(e);
    const name = e.subject?.username;
    return (
      (u !== undefined && users.has(normalizeUsername(u))) ||
      (name !== undefined && users.has(normalizeUsername(name)))
    );
  };
}
