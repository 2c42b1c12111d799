import path from 'node:path';
import { EVENT_TYPES, OUTCOMES, type EventType, type Outcome } from '@vigil/contracts';

/*
 * Rule fixtures (rules/fixtures/<rule-id>.json): events in, the rule's firing alerts out. This file
 * reads and validates one fixture file; every problem is named by file, case and field, and no
 * value from the file is quoted back (an attribute may hold something sensitive).
 *
 * {
 *   "rule": "<rule id>", "base": "2026-01-05T10:00:00.000Z" (optional),
 *   "cases": [ { "name", "kind": "fires" | "near-miss", "description"?,
 *                "events": [ { "at", "type", "outcome"?, "username"?, "userId"?, "ip"?, "userAgent"?,
 *                              "reason"?, "actor"?, "attributes"?, "repeat"?, "every"? } ],
 *                "expect": [ { "status": "firing", "key", "count"? } ] } ]
 * }
 */

export const DEFAULT_FIXTURE_BASE = '2026-01-05T10:00:00.000Z';
export const CASE_KINDS = ['fires', 'near-miss'] as const;
export type CaseKind = (typeof CASE_KINDS)[number];

/** Bounds that keep a fixture a fixture (and a typo from expanding into millions of events). */
export const FIXTURE_LIMITS = Object.freeze({
  cases: 100,
  specsPerCase: 1000,
  repeat: 10_000,
  eventsPerCase: 50_000,
  /** `at` and `every` in seconds: 30 days. */
  seconds: 30 * 86_400,
  string: 1000,
});

export interface FixtureActor {
  userId?: string;
  roles?: string[];
  dbRole?: string;
}

/** One line of a case's events: `repeat` events, `every` seconds apart from `at`. */
export interface EventSpec {
  at: number;
  type: EventType;
  outcome?: Outcome;
  username?: string;
  userId?: string;
  ip?: string;
  userAgent?: string;
  reason?: string;
  actor?: FixtureActor;
  attributes?: Record<string, unknown>;
  repeat: number;
  every: number;
}

export interface FixtureExpectation {
  status: 'firing';
  /** The alert's key value as published (attributes.key.value). */
  key: string;
  count?: number;
}

export interface FixtureCase {
  name: string;
  kind: CaseKind;
  description?: string;
  events: EventSpec[];
  expect: FixtureExpectation[];
}

export interface FixtureFile {
  /** The path as given (for messages). */
  file: string;
  rule: string;
  /** Epoch ms every `at` counts from. */
  base: number;
  cases: FixtureCase[];
}

/** A fixture file that cannot be used, with every problem named by file, case and field. */
export class FixtureError extends Error {
  constructor(readonly problems: string[]) {
    super(`fixture refused: ${problems.join('; ')}`);
    this.name = 'FixtureError';
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown, min: number, max: number): v is number =>
  typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max;
const isInt = (v: unknown, min: number, max: number): v is number =>
  Number.isInteger(v) && isNum(v, min, max);
const isStr = (v: unknown): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= FIXTURE_LIMITS.string;
const UTC_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
const STRING_FIELDS = ['username', 'userId', 'ip', 'userAgent', 'reason'] as const;

/** The rule id a fixture file must be named after: `<rule-id>.json`. */
export const ruleIdOfFileName = (file: string): string => path.basename(file).replace(/\.json$/, '');

/** Parses and validates one fixture file's text. @throws FixtureError naming every problem. */
export function parseFixture(text: string, file: string): FixtureFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    // The parser's message quotes the input: only where it broke is kept.
    throw new FixtureError([`${file}: not JSON`]);
  }
  return validateFixture(raw, file);
}

export function validateFixture(raw: unknown, file: string): FixtureFile {
  const p: string[] = [];
  if (!isObj(raw)) throw new FixtureError([`${file}: an object { rule, base?, cases }`]);
  unknownKeys(raw, ['rule', 'base', 'description', 'cases'], file, p);
  if (!isStr(raw.rule)) p.push(`${file}.rule: the id of the rule this file tests`);
  else if (ruleIdOfFileName(file) !== raw.rule)
    p.push(`${file}.rule: must match the file name (<rule-id>.json): this file tests ${raw.rule}`);
  if (raw.description !== undefined && !isStr(raw.description)) p.push(`${file}.description: a string`);
  let base = Date.parse(DEFAULT_FIXTURE_BASE);
  if (raw.base !== undefined) {
    if (typeof raw.base !== 'string' || !UTC_ISO.test(raw.base) || Number.isNaN(Date.parse(raw.base)))
      p.push(`${file}.base: a UTC ISO timestamp such as ${DEFAULT_FIXTURE_BASE}`);
    else base = Date.parse(raw.base);
  }
  const cases: FixtureCase[] = [];
  if (!Array.isArray(raw.cases) || raw.cases.length === 0 || raw.cases.length > FIXTURE_LIMITS.cases)
    p.push(`${file}.cases: an array of 1..${FIXTURE_LIMITS.cases} cases`);
  else {
    const names = new Set<string>();
    for (const [i, c] of raw.cases.entries()) {
      const at = isObj(c) && isStr(c.name) ? `${file}: case "${c.name}"` : `${file}: cases[${i}]`;
      const parsed = validateCase(c, at, p);
      if (parsed && names.has(parsed.name)) p.push(`${at}.name: duplicate case name`);
      if (parsed) {
        names.add(parsed.name);
        cases.push(parsed);
      }
    }
  }
  if (p.length) throw new FixtureError(p);
  return { file, rule: raw.rule as string, base, cases };
}

function validateCase(c: unknown, at: string, p: string[]): FixtureCase | undefined {
  if (!isObj(c)) {
    p.push(`${at}: an object { name, kind, events, expect }`);
    return undefined;
  }
  const before = p.length;
  unknownKeys(c, ['name', 'kind', 'description', 'events', 'expect'], at, p);
  if (!isStr(c.name)) p.push(`${at}.name: a non-empty string`);
  if (!CASE_KINDS.includes(c.kind as CaseKind)) p.push(`${at}.kind: "fires" or "near-miss"`);
  if (c.description !== undefined && !isStr(c.description)) p.push(`${at}.description: a string`);
  const events: EventSpec[] = [];
  if (!Array.isArray(c.events) || c.events.length === 0 || c.events.length > FIXTURE_LIMITS.specsPerCase)
    p.push(`${at}.events: an array of 1..${FIXTURE_LIMITS.specsPerCase} event specs`);
  else {
    let total = 0;
    for (const [j, e] of c.events.entries()) {
      const spec = validateEventSpec(e, `${at}.events[${j}]`, p);
      if (spec) {
        events.push(spec);
        total += spec.repeat;
      }
    }
    if (total > FIXTURE_LIMITS.eventsPerCase)
      p.push(`${at}.events: ${total} events after repeat, at most ${FIXTURE_LIMITS.eventsPerCase}`);
  }
  const expect: FixtureExpectation[] = [];
  if (!Array.isArray(c.expect))
    p.push(`${at}.expect: an array of the rule's firing alerts ([] for a near-miss)`);
  else {
    for (const [j, x] of c.expect.entries()) {
      const e = validateExpectation(x, `${at}.expect[${j}]`, p);
      if (e) expect.push(e);
    }
    if (c.kind === 'near-miss' && c.expect.length > 0)
      p.push(`${at}.expect: a near-miss expects no firing alert ([])`);
    if (c.kind === 'fires' && c.expect.length === 0)
      p.push(`${at}.expect: a "fires" case lists at least one firing alert`);
  }
  if (p.length > before) return undefined;
  return {
    name: c.name as string,
    kind: c.kind as CaseKind,
    ...(c.description !== undefined ? { description: c.description as string } : {}),
    events,
    expect,
  };
}

function validateEventSpec(e: unknown, at: string, p: string[]): EventSpec | undefined {
  if (!isObj(e)) {
    p.push(`${at}: an object { at, type, ... }`);
    return undefined;
  }
  const before = p.length;
  unknownKeys(
    e,
    ['at', 'type', 'outcome', ...STRING_FIELDS, 'actor', 'attributes', 'repeat', 'every'],
    at,
    p,
  );
  if (!isNum(e.at, 0, FIXTURE_LIMITS.seconds))
    p.push(`${at}.at: seconds after base, a number 0..${FIXTURE_LIMITS.seconds}`);
  if (!EVENT_TYPES.includes(e.type as EventType))
    p.push(`${at}.type: an event type from the contracts (e.g. FAILED_AUTH_LOGIN)`);
  if (e.outcome !== undefined && !OUTCOMES.includes(e.outcome as Outcome))
    p.push(`${at}.outcome: one of ${OUTCOMES.join(', ')}`);
  for (const f of STRING_FIELDS)
    if (e[f] !== undefined && !isStr(e[f]))
      p.push(`${at}.${f}: a non-empty string (<= ${FIXTURE_LIMITS.string})`);
  if (e.actor !== undefined) {
    if (!isObj(e.actor)) p.push(`${at}.actor: an object { userId?, roles?, dbRole? }`);
    else {
      unknownKeys(e.actor, ['userId', 'roles', 'dbRole'], `${at}.actor`, p);
      if (e.actor.userId !== undefined && !isStr(e.actor.userId)) p.push(`${at}.actor.userId: a string`);
      if (e.actor.dbRole !== undefined && !isStr(e.actor.dbRole)) p.push(`${at}.actor.dbRole: a string`);
      if (e.actor.roles !== undefined && (!Array.isArray(e.actor.roles) || !e.actor.roles.every(isStr)))
        p.push(`${at}.actor.roles: an array of role names`);
    }
  }
  if (e.attributes !== undefined && !isObj(e.attributes))
    p.push(`${at}.attributes: an object (what the event type requires)`);
  if (e.repeat !== undefined && !isInt(e.repeat, 1, FIXTURE_LIMITS.repeat))
    p.push(`${at}.repeat: an integer 1..${FIXTURE_LIMITS.repeat}`);
  if (e.every !== undefined && !isNum(e.every, 0, FIXTURE_LIMITS.seconds))
    p.push(`${at}.every: seconds between repeats, a number 0..${FIXTURE_LIMITS.seconds}`);
  if (p.length > before) return undefined;
  const spec: EventSpec = {
    at: e.at as number,
    type: e.type as EventType,
    repeat: (e.repeat as number | undefined) ?? 1,
    every: (e.every as number | undefined) ?? 1,
  };
  if (e.outcome !== undefined) spec.outcome = e.outcome as Outcome;
  for (const f of STRING_FIELDS) if (e[f] !== undefined) spec[f] = e[f] as string;
  if (e.actor !== undefined) spec.actor = e.actor as FixtureActor;
  if (e.attributes !== undefined) spec.attributes = e.attributes as Record<string, unknown>;
  return spec;
}

function validateExpectation(x: unknown, at: string, p: string[]): FixtureExpectation | undefined {
  if (!isObj(x)) {
    p.push(`${at}: an object { status: "firing", key, count? }`);
    return undefined;
  }
  const before = p.length;
  unknownKeys(x, ['status', 'key', 'count'], at, p);
  if (x.status !== 'firing') p.push(`${at}.status: "firing" (only the rule's firing alerts are listed)`);
  if (!isStr(x.key)) p.push(`${at}.key: the alert's key value as published (e.g. a username, an IP, *)`);
  if (x.count !== undefined && !isInt(x.count, 1, 1_000_000_000)) p.push(`${at}.count: an integer >= 1`);
  if (p.length > before) return undefined;
  return {
    status: 'firing',
    key: x.key as string,
    ...(x.count !== undefined ? { count: x.count as number } : {}),
  };
}

function unknownKeys(o: Obj, allowed: readonly string[], at: string, p: string[]): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) p.push(`${at}.${k}: unknown field`);
}
