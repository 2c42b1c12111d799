import {
  EVENT_TYPES,
  OUTCOMES,
  SEVERITIES,
  SecurityActionKind,
  type EventType,
  type Outcome,
  type Severity,
} from '@vigil/contracts';
import { BASELINE_CAP } from './baseline-state';
import { isProfileCondition, validateProfileCondition } from './profile-state';
import {
  RULE_KEY_KINDS,
  type RuleKeyKind,
  WINDOW_TYPES,
  type WindowType,
  DISTINCT_FIELDS,
  type DistinctField,
  RESPONSE_ACTIONS,
  type ResponseAction,
  DISTINCT_CAP,
  MAX_WINDOW_SECONDS,
  CONSECUTIVE_MAX_N,
  type RuleMatch,
  type RuleCondition,
  type RuleResponse,
  type RuleDefinition,
  type RuleSet,
} from './rule-definition';

/*
 * A rules file's validation (the shapes are in rule-definition.ts): a file with any error is
 * refused as a whole with every problem named by rule and field, so the caller can keep the rules
 * already in force.
 */

export class RulesFileError extends Error {
  constructor(readonly problems: string[]) {
    super(`rules file refused: ${problems.join('; ')}`);
    this.name = 'RulesFileError';
  }
}

const RULE_ID = /^[a-z0-9][a-z0-9._-]{0,127}$/;
const MITRE = /^(TA\d{4}|T\d{4}(\.\d{3})?)$/;
const ROLE = /^[A-Za-z0-9._:-]{1,64}$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown, min: number, max: number): v is number =>
  Number.isInteger(v) && (v as number) >= min && (v as number) <= max;
const isNum = (v: unknown, min: number, max: number): v is number =>
  typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max;

/** Parses and validates a rules file's text. @throws RulesFileError naming every problem. */
export function parseRuleSet(text: string): RuleSet {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new RulesFileError([`not JSON: ${(err as Error).message}`]);
  }
  return validateRuleSet(raw);
}

export function validateRuleSet(raw: unknown): RuleSet {
  const problems: string[] = [];
  if (!isObj(raw)) throw new RulesFileError(['the file must be an object { version, rules }']);
  unknownKeys(raw, ['version', 'rules', 'description'], 'file', problems);
  if (!isInt(raw.version, 1, 1_000_000)) problems.push('file.version: an integer >= 1');
  if (!Array.isArray(raw.rules) || raw.rules.length === 0) problems.push('file.rules: a non-empty array');
  const rules: RuleDefinition[] = [];
  const seen = new Set<string>();
  for (const [i, r] of (Array.isArray(raw.rules) ? raw.rules : []).entries()) {
    const name = isObj(r) && typeof r.id === 'string' ? `rule ${r.id}` : `rules[${i}]`;
    const before = problems.length;
    const rule = validateRule(r, name, problems);
    if (rule && seen.has(rule.id)) problems.push(`${name}.id: duplicate`);
    if (rule && problems.length === before) rules.push(rule);
    if (rule) seen.add(rule.id);
  }
  if (problems.length) throw new RulesFileError(problems);
  return { version: raw.version as number, rules };
}

function validateRule(r: unknown, name: string, p: string[]): RuleDefinition | undefined {
  if (!isObj(r)) {
    p.push(`${name}: an object`);
    return undefined;
  }
  unknownKeys(
    r,
    [
      'id',
      'version',
      'description',
      'severity',
      'mitre',
      'enabled',
      'match',
      'key',
      'window',
      'condition',
      'response',
      'seeds',
    ],
    name,
    p,
  );
  if (typeof r.id !== 'string' || !RULE_ID.test(r.id))
    p.push(`${name}.id: lowercase letters, digits, . _ - (<= 128)`);
  if (!isInt(r.version, 1, 1_000_000)) p.push(`${name}.version: an integer >= 1`);
  if (typeof r.description !== 'string' || r.description.length === 0 || r.description.length > 300)
    p.push(`${name}.description: 1..300 characters`);
  if (!SEVERITIES.includes(r.severity as Severity))
    p.push(`${name}.severity: one of ${SEVERITIES.join(', ')}`);
  if (
    !Array.isArray(r.mitre) ||
    r.mitre.length > 16 ||
    !r.mitre.every((m) => typeof m === 'string' && MITRE.test(m))
  ) {
    p.push(`${name}.mitre: ATT&CK ids such as TA0006, T1110.003`);
  }
  if (r.enabled !== undefined && typeof r.enabled !== 'boolean') p.push(`${name}.enabled: true or false`);
  if (!RULE_KEY_KINDS.includes(r.key as RuleKeyKind))
    p.push(`${name}.key: one of ${RULE_KEY_KINDS.join(', ')}`);
  if (!isObj(r.window) || !isInt(r.window.seconds, 1, MAX_WINDOW_SECONDS))
    p.push(`${name}.window.seconds: an integer 1..${MAX_WINDOW_SECONDS}`);
  if (isObj(r.window)) {
    unknownKeys(r.window, ['seconds', 'type'], `${name}.window`, p);
    if (r.window.type !== undefined && !WINDOW_TYPES.includes(r.window.type as WindowType))
      p.push(`${name}.window.type: one of ${WINDOW_TYPES.join(', ')}`);
  }
  const match = validateMatch(r.match, name, p);
  const condition = validateCondition(r.condition, name, p, r.window);
  // Global rules are evaluated from per-partition counts (engine/partial-counts.ts), which carry no order.
  if (condition?.kind === 'sequence' && r.key === 'global')
    p.push(`${name}.condition.kind: a sequence needs a user, ip or user_ip key, not global`);
  if (condition?.kind === 'consecutive' && r.key === 'global')
    p.push(`${name}.condition.kind: consecutive needs a key other than global (merged counts keep no order)`);
  // A profile is one user's history: all of it is in one partition of the user-keyed input.
  if (condition && isProfileCondition(condition) && r.key !== 'user')
    p.push(`${name}.key: a ${condition.kind} profile is per user: key user, not ${String(r.key)}`);
  const response =
    r.response === undefined ? undefined : validateResponse(r.response, name, p, r.key as RuleKeyKind);
  if (r.seeds !== undefined && (!Array.isArray(r.seeds) || !r.seeds.every((s) => typeof s === 'string')))
    p.push(`${name}.seeds: strings`);
  if (!match || !condition) return undefined;
  return {
    id: r.id as string,
    version: r.version as number,
    description: r.description as string,
    severity: r.severity as Severity,
    mitre: r.mitre as string[],
    enabled: (r.enabled as boolean | undefined) ?? true,
    match,
    key: r.key as RuleKeyKind,
    window: {
      seconds: (r.window as Obj)?.seconds as number,
      ...((r.window as Obj)?.type === 'tumbling' ? { type: 'tumbling' as const } : {}),
    },
    condition,
    ...(response ? { response } : {}),
    ...(r.seeds ? { seeds: r.seeds as string[] } : {}),
  };
}

function validateMatch(m: unknown, name: string, p: string[], at = `${name}.match`): RuleMatch | undefined {
  if (!isObj(m)) {
    p.push(`${at}: an object { types, outcomes?, excludeRepeated?, grantsRole?, requiresRole? }`);
    return undefined;
  }
  unknownKeys(m, ['types', 'outcomes', 'excludeRepeated', 'grantsRole', 'requiresRole'], at, p);
  const before = p.length;
  if (
    !Array.isArray(m.types) ||
    m.types.length === 0 ||
    !m.types.every((t) => EVENT_TYPES.includes(t as EventType))
  ) {
    const bad = Array.isArray(m.types) ? m.types.filter((t) => !EVENT_TYPES.includes(t as EventType)) : [];
    p.push(`${at}.types: event types from the contracts${bad.length ? ` (unknown: ${bad.join(', ')})` : ''}`);
  }
  if (
    m.outcomes !== undefined &&
    (!Array.isArray(m.outcomes) || !m.outcomes.every((o) => OUTCOMES.includes(o as Outcome)))
  ) {
    p.push(`${at}.outcomes: some of ${OUTCOMES.join(', ')}`);
  }
  if (m.excludeRepeated !== undefined && typeof m.excludeRepeated !== 'boolean')
    p.push(`${at}.excludeRepeated: true or false`);
  if (m.grantsRole !== undefined && (typeof m.grantsRole !== 'string' || !ROLE.test(m.grantsRole)))
    p.push(`${at}.grantsRole: a role name`);
  if (m.requiresRole !== undefined && (typeof m.requiresRole !== 'string' || !ROLE.test(m.requiresRole)))
    p.push(`${at}.requiresRole: a role name`);
  return p.length === before ? (m as unknown as RuleMatch) : undefined;
}

function validateCondition(
  c: unknown,
  name: string,
  p: string[],
  window: unknown,
): RuleCondition | undefined {
  const at = `${name}.condition`;
  if (!isObj(c)) {
    p.push(
      `${at}: an object with kind count | distinct | baseline | ratio | sequence | consecutive | offHours | newNetwork`,
    );
    return undefined;
  }
  const before = p.length;
  if (c.kind === 'count') {
    unknownKeys(c, ['kind', 'gt'], at, p);
    if (!isInt(c.gt, 0, 1_000_000)) p.push(`${at}.gt: an integer 0..1000000`);
  } else if (c.kind === 'distinct') {
    unknownKeys(c, ['kind', 'field', 'gt', 'maxPerValue', 'minSpanSeconds'], at, p);
    if (!DISTINCT_FIELDS.includes(c.field as DistinctField))
      p.push(`${at}.field: one of ${DISTINCT_FIELDS.join(', ')}`);
    if (!isInt(c.gt, 0, DISTINCT_CAP - 1))
      p.push(`${at}.gt: an integer 0..${DISTINCT_CAP - 1} (distinct sets are capped at ${DISTINCT_CAP})`);
    if (c.maxPerValue !== undefined && !isInt(c.maxPerValue, 1, 100))
      p.push(`${at}.maxPerValue: an integer 1..100`);
    const w = isObj(window) ? (window.seconds as number) : 0;
    if (
      c.minSpanSeconds !== undefined &&
      (!isInt(c.minSpanSeconds, 1, MAX_WINDOW_SECONDS) || c.minSpanSeconds >= w)
    ) {
      p.push(`${at}.minSpanSeconds: an integer shorter than the window`);
    }
  } else if (c.kind === 'ratio') {
    unknownKeys(c, ['kind', 'gt', 'minTotal', 'totalTypes'], at, p);
    if (!isNum(c.gt, 0, 1) || c.gt >= 1) p.push(`${at}.gt: a fraction 0 <= gt < 1`);
    if (!isInt(c.minTotal, 1, 1_000_000_000)) p.push(`${at}.minTotal: an integer >= 1`);
    if (
      c.totalTypes !== undefined &&
      (!Array.isArray(c.totalTypes) || !c.totalTypes.every((t) => EVENT_TYPES.includes(t as EventType)))
    ) {
      p.push(`${at}.totalTypes: event types from the contracts`);
    }
  } else if (c.kind === 'sequence') {
    unknownKeys(c, ['kind', 'after', 'min'], at, p);
    validateMatch(c.after, `${at}.after`, p, `${at}.after`);
    if (!isInt(c.min, 1, 1000)) p.push(`${at}.min: an integer 1..1000`);
  } else if (c.kind === 'baseline') {
    unknownKeys(c, ['kind', 'field', 'history', 'minHistory', 'factor', 'minGt', 'coldStartGt'], at, p);
    if (!DISTINCT_FIELDS.includes(c.field as DistinctField))
      p.push(`${at}.field: one of ${DISTINCT_FIELDS.join(', ')}`);
    if (!isInt(c.history, 2, 1000)) p.push(`${at}.history: an integer 2..1000 (periods remembered)`);
    if (!isInt(c.minHistory, 1, 1000) || (isInt(c.history, 2, 1000) && (c.minHistory as number) > c.history))
      p.push(`${at}.minHistory: an integer 1..history (periods before the baseline is trusted)`);
    if (!isNum(c.factor, 0, 100))
      p.push(`${at}.factor: a number 0..100 (standard deviations above the mean)`);
    if (!isInt(c.minGt, 0, BASELINE_CAP - 1))
      p.push(`${at}.minGt: an integer 0..${BASELINE_CAP - 1} (the floor of the threshold)`);
    if (!isInt(c.coldStartGt, 0, BASELINE_CAP - 1))
      p.push(
        `${at}.coldStartGt: an integer 0..${BASELINE_CAP - 1} (the threshold before minHistory periods)`,
      );
  } else if (c.kind === 'consecutive') {
    unknownKeys(c, ['kind', 'field', 'n', 'newValues'], at, p);
    if (!DISTINCT_FIELDS.includes(c.field as DistinctField))
      p.push(`${at}.field: one of ${DISTINCT_FIELDS.join(', ')}`);
    if (!isInt(c.n, 2, CONSECUTIVE_MAX_N)) p.push(`${at}.n: an integer 2..${CONSECUTIVE_MAX_N}`);
    if (c.newValues !== undefined && typeof c.newValues !== 'boolean')
      p.push(`${at}.newValues: true or false`);
  } else if (isProfileCondition(c)) {
    validateProfileCondition(c, at, p);
  } else {
    p.push(
      `${at}.kind: one of count, distinct, baseline, ratio, sequence, consecutive, offHours, newNetwork`,
    );
  }
  return p.length === before ? (c as unknown as RuleCondition) : undefined;
}

function validateResponse(r: unknown, name: string, p: string[], key: RuleKeyKind): RuleResponse | undefined {
  const at = `${name}.response`;
  if (!isObj(r)) {
    p.push(`${at}: an object { action, ttlSeconds, enabled, dryRun }`);
    return undefined;
  }
  const before = p.length;
  unknownKeys(r, ['action', 'ttlSeconds', 'enabled', 'dryRun'], at, p);
  if (!RESPONSE_ACTIONS.includes(r.action as ResponseAction))
    p.push(`${at}.action: one of ${RESPONSE_ACTIONS.join(', ')}`);
  if (!isInt(r.ttlSeconds, 1, 30 * 86_400))
    p.push(`${at}.ttlSeconds: an integer 1..2592000 (responses always expire)`);
  if (typeof r.enabled !== 'boolean') p.push(`${at}.enabled: true or false`);
  if (typeof r.dryRun !== 'boolean') p.push(`${at}.dryRun: true or false`);
  const needs = r.action === SecurityActionKind.BLOCK_IP ? ['ip', 'user_ip'] : ['user', 'user_ip'];
  if (RESPONSE_ACTIONS.includes(r.action as ResponseAction) && !needs.includes(key)) {
    p.push(`${at}.action: ${String(r.action)} needs a rule keyed by ${needs.join(' or ')}, not ${key}`);
  }
  return p.length === before ? (r as unknown as RuleResponse) : undefined;
}

function unknownKeys(o: Obj, allowed: string[], at: string, p: string[]): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) p.push(`${at}.${k}: unknown field`);
}
