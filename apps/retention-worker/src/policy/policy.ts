import { readFileSync } from 'node:fs';
import { EVENT_TYPES } from '@vigil/contracts';
import { describeSchedule, parseSchedule, type Schedule } from '../schedule/schedule';

/** A retention class: rows whose action is listed are archived for `archiveDays` instead of the default. */
export interface RetentionClass {
  name: string;
  archiveDays: number;
  actions: string[];
}

/** What leaves the hot store in the clear: `remove` nulls the field, `network` keeps an IP's /24 (IPv4) or /48 (IPv6). */
export type RedactMode = 'remove' | 'network';
export const REDACTABLE = ['ip_address', 'user_agent', 'username'] as const;
export type RedactableField = (typeof REDACTABLE)[number];

/**
 * The retention policy, as data: validated at start, shown by GET /api/v1/retention/policy and
 * `npm run retention -- policy`. Seeds 000-13, 001-02, 002-16: 90 days hot and searchable, a year
 * archived; 000-28, 000-29, 003-13, 004-23, 004-25: seven years for audit and admin events.
 */
export interface RetentionPolicy {
  /** Rows stay in audit_logs this many days (whole UTC days: a partition goes once all of it is older). */
  hotDays: number;
  /** Archives of other rows are kept this many days from the row's day, then deleted (unless held). */
  archiveDays: number;
  classes: RetentionClass[];
  /** Applied to every archive before it leaves the hot store; the chain's salted digests keep it verifiable. */
  redact: Partial<Record<RedactableField, RedactMode>>;
  schedule: Schedule;
  /** Partitions archived and detached in one run at most (the rest wait for the next run). */
  maxPartitionsPerRun: number;
  /** Detached partitions are kept this long before they are dropped (an undo window). */
  detachedGraceHours: number;
  /** lock_timeout for DDL on audit_logs; a timed-out step is retried, never waited on unbounded. */
  lockTimeoutMs: number;
}

/**
 * Admin, role and audit-read events: seven years (seed 000-28, 004-23). Authentication outcomes
 * (AUTH_LOGIN, FAILED_AUTH_LOGIN, CLIENT_AUTH_FAILED, TOKEN_*, RATE_LIMITED ...) are in no class:
 * the default, 90 days hot and a year archived (seeds 000-13, 001-02, 002-16).
 */
export const LONG_TERM_ACTIONS = [
  'ROLE_CHANGED',
  'USER_CREATED',
  'USER_DEACTIVATED',
  'USER_REACTIVATED',
  'ACCOUNT_LOCKED',
  'ACCOUNT_UNLOCKED',
  'AUDIT_LOG_READ',
  'IP_BLOCKED',
  'IP_UNBLOCKED',
  'PASSWORD_RESET_REQUIRED',
  'PASSWORD_CHANGED',
  'MAINTENANCE_MODE_CHANGED',
  'SIGNING_KEY_ROTATED',
  'LOG_LEVEL_CHANGED',
  'SECURITY_ALERT',
  'SECURITY_ACTION',
  'SECURITY_ACTION_REJECTED',
  'RETENTION_RUN',
  'ARCHIVE_WRITTEN',
  'ARCHIVE_VERIFIED',
  'PARTITION_DROPPED',
  'ARCHIVE_DELETED',
  'LEGAL_HOLD_SET',
  'LEGAL_HOLD_RELEASED',
  'RESTORE_DONE',
  'BACKUP_DONE',
  'SCHEMA_MIGRATION',
  'DEPLOYMENT',
];

export const DEFAULT_POLICY_INPUT = {
  hotDays: 90,
  archiveDays: 365,
  classes: [{ name: 'admin-7y', archiveDays: 2555, actions: LONG_TERM_ACTIONS }],
  redact: { ip_address: 'network', user_agent: 'remove', username: 'remove' },
  schedule: 'daily 03:00',
  maxPartitionsPerRun: 7,
  detachedGraceHours: 168,
  lockTimeoutMs: 2000,
};

export class PolicyError extends Error {
  override name = 'PolicyError';
}

/** Validates a policy document (from RETENTION_POLICY_FILE or the defaults); throws naming the field. */
export function parsePolicy(input: unknown, where = 'policy'): RetentionPolicy {
  const bad = (field: string, why: string) => new PolicyError(`${where}: ${field} ${why}`);
  if (!input || typeof input !== 'object' || Array.isArray(input)) throw bad('', 'must be a JSON object');
  const o = { ...DEFAULT_POLICY_INPUT, ...(input as Record<string, unknown>) } as Record<string, unknown>;
  const known = new Set(Object.keys(DEFAULT_POLICY_INPUT));
  for (const k of Object.keys(input))
    if (!known.has(k)) throw bad(k, `is not a policy field (known: ${[...known].join(', ')})`);
  const int = (k: string, min: number, max: number): number => {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      throw bad(k, `must be an integer from ${min} to ${max}`);
    return v;
  };
  const hotDays = int('hotDays', 1, 3650);
  const archiveDays = int('archiveDays', 1, 36_500);
  if (archiveDays < hotDays)
    throw bad('archiveDays', `(${archiveDays}) must be at least hotDays (${hotDays})`);
  if (!Array.isArray(o.classes)) throw bad('classes', 'must be an array');
  const seen = new Map<string, string>();
  const classes = o.classes.map((c: unknown, i: number): RetentionClass => {
    const f = (k: string) => `classes[${i}].${k}`;
    const r = (c ?? {}) as Record<string, unknown>;
    if (typeof r.name !== 'string' || !/^[a-z0-9][a-z0-9-]{0,40}$/.test(r.name))
      throw bad(f('name'), 'must be lower-case letters, digits and -');
    if (
      typeof r.archiveDays !== 'number' ||
      !Number.isInteger(r.archiveDays) ||
      r.archiveDays < hotDays ||
      r.archiveDays > 36_500
    )
      throw bad(f('archiveDays'), `must be an integer from hotDays (${hotDays}) to 36500`);
    if (!Array.isArray(r.actions) || r.actions.length === 0)
      throw bad(f('actions'), 'must list at least one action');
    for (const a of r.actions) {
      if (typeof a !== 'string' || !(EVENT_TYPES as readonly string[]).includes(a))
        throw bad(f('actions'), `names an unknown action: ${String(a)}`);
      if (seen.has(a)) throw bad(f('actions'), `lists ${a}, already in class ${seen.get(a)}`);
      seen.set(a, r.name);
    }
    return { name: r.name, archiveDays: r.archiveDays, actions: [...(r.actions as string[])] };
  });
  if (!o.redact || typeof o.redact !== 'object' || Array.isArray(o.redact))
    throw bad('redact', 'must be an object of field: mode');
  const redact: RetentionPolicy['redact'] = {};
  for (const [field, mode] of Object.entries(o.redact as Record<string, unknown>)) {
    if (!(REDACTABLE as readonly string[]).includes(field))
      throw bad(`redact.${field}`, `is not redactable (${REDACTABLE.join(', ')})`);
    if (mode !== 'remove' && !(mode === 'network' && field === 'ip_address'))
      throw bad(`redact.${field}`, `must be "remove"${field === 'ip_address' ? ' or "network"' : ''}`);
    redact[field as RedactableField] = mode;
  }
  let schedule: Schedule;
  try {
    schedule = parseSchedule(String(o.schedule));
  } catch (err) {
    throw bad('schedule', (err as Error).message);
  }
  return {
    hotDays,
    archiveDays,
    classes,
    redact,
    schedule,
    maxPartitionsPerRun: int('maxPartitionsPerRun', 1, 1000),
    detachedGraceHours: int('detachedGraceHours', 0, 24 * 365),
    lockTimeoutMs: int('lockTimeoutMs', 100, 600_000),
  };
}

/** The policy from a JSON file, or the defaults; `overrides` (from RETENTION_* variables) win. */
export function loadPolicy(
  file: string | undefined,
  overrides: Record<string, unknown> = {},
): RetentionPolicy {
  let doc: Record<string, unknown> = {};
  if (file) {
    try {
      doc = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new PolicyError(
        `RETENTION_POLICY_FILE (${file}) could not be read as JSON: ${(err as Error).message}`,
      );
    }
  }
  const set = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return parsePolicy({ ...doc, ...set }, file ? `RETENTION_POLICY_FILE (${file})` : 'retention policy');
}

/** The class a row's action falls in, and how long its archive is kept. */
export function classOf(policy: RetentionPolicy, action: string): { name: string; archiveDays: number } {
  const c = policy.classes.find((k) => k.actions.includes(action));
  return c
    ? { name: c.name, archiveDays: c.archiveDays }
    : { name: 'default', archiveDays: policy.archiveDays };
}

/** The policy as JSON for the endpoint and CLI. */
export function describePolicy(policy: RetentionPolicy): Record<string, unknown> {
  return { ...policy, schedule: describeSchedule(policy.schedule) };
}
