import { EVENT_TYPES, EventType, type EventEnvelope } from '@vigil/contracts';
import { addBaselineValue } from './baseline-state';
import { addConsecutive } from './consecutive-state';
import { newPending, STAGE_KEYS, type CompiledRule, type EngineStage } from './engine-types';
import { compileMatch, compileTotal, distinctValueOf } from './event-fields';
import { compileProfile, isProfileCondition } from './profile-state';
import { DISTINCT_CAP, type RuleDefinition, type RuleMatch, type RuleSet } from './rule-definition';
import { addDistinct, bucketMsOf, distinctCapOf, type KeyState } from './window-state';

/*
 * The rules as one engine runs them: the stage's share of the rule set compiled (a rule whose id,
 * version and definition are unchanged keeps its windows, open alerts and profiles across a
 * reload), the rules each event type can reach, and what a matching event records beyond its
 * count (distinct, baseline and consecutive values).
 */

/** Compiles the rules this stage evaluates (and, in the `user` stage, the global rules it only counts). */
export function compileRules(
  ruleSet: RuleSet,
  stage: EngineStage,
  previous: CompiledRule[],
  maxKeys: number,
): CompiledRule[] {
  const old = new Map(previous.map((r) => [r.def.id, r]));
  const evaluated = STAGE_KEYS[stage];
  const counted = stage === 'user' ? ['global'] : [];
  return ruleSet.rules
    .filter((def) => def.enabled && (evaluated.includes(def.key) || counted.includes(def.key)))
    .map((def) => {
      const prev = old.get(def.id);
      const keep =
        prev && prev.def.version === def.version && JSON.stringify(prev.def) === JSON.stringify(def);
      const c = def.condition;
      return {
        def,
        key: def.key,
        kind: c.kind,
        gt: c.kind === 'count' || c.kind === 'ratio' || c.kind === 'distinct' ? c.gt : 0,
        minTotal: c.kind === 'ratio' ? c.minTotal : 0,
        seqMin: c.kind === 'sequence' ? c.min : 0,
        windowMs: def.window.seconds * 1000,
        bucketMs: bucketMsOf(def.window.seconds, def.window.type === 'tumbling'),
        tumbling: def.window.type === 'tumbling',
        match: compileMatch(def),
        total:
          def.condition.kind === 'ratio' || def.condition.kind === 'sequence' ? compileTotal(def) : undefined,
        // Every field present (undefined where unused): one shape for every rule (monomorphic reads).
        profile: isProfileCondition(def.condition)
          ? keep && prev.profile
            ? prev.profile
            : compileProfile(def.condition, maxKeys)
          : undefined,
        keys: keep ? prev.keys : new Map<string, KeyState>(),
        evictCursor: undefined,
        partial: counted.includes(def.key) ? (keep && prev.partial ? prev.partial : newPending()) : undefined,
        merged: stage === 'global' ? (keep && prev.merged ? prev.merged : new Map()) : undefined,
      };
    });
}

/**
 * A rule as an event type reaches it: `matched` / `counted` are the rule's match and total for
 * every event of that type when the type alone decides them (no outcome, role or `repeated` filter
 * applies), else undefined and the compiled functions decide per event.
 */
export interface TypedRule {
  rule: CompiledRule;
  matched: boolean | undefined;
  counted: boolean | undefined;
  /** When the event's outcome is all that is left to decide the match (`matched` undefined). */
  outcomes: ReadonlySet<string> | undefined;
}

/** The rule's match for an event of the type it was typed for. */
export function typedMatch(typed: TypedRule, e: EventEnvelope): boolean {
  if (typed.matched !== undefined) return typed.matched;
  return typed.outcomes !== undefined ? typed.outcomes.has(e.outcome) : typed.rule.match(e);
}

/** Per event type, the rules it can reach (match, ratio denominator, sequence step), in rule order. */
export function rulesByType(rules: CompiledRule[]): Map<string, TypedRule[]> {
  return new Map(
    EVENT_TYPES.map((type) => [
      type,
      rules
        .filter((r) => reaches(r.def, type))
        .map((rule) => {
          const matched = typeDecides(rule.def.match, type);
          return {
            rule,
            matched,
            counted: rule.total === undefined ? false : totalByType(rule.def, type),
            outcomes: matched === undefined ? outcomesDecide(rule.def.match, type) : undefined,
          };
        }),
    ]),
  );
}

/** Every rule with its match and total decided per event (an aggregate of junk requests stands for another type). */
export function untypedRules(rules: CompiledRule[]): TypedRule[] {
  return rules.map((rule) => ({ rule, matched: undefined, counted: undefined, outcomes: undefined }));
}

/** The match's outcomes, when for events of `type` (which it lists) they are its only filter. */
function outcomesDecide(m: RuleMatch, type: EventType): ReadonlySet<string> | undefined {
  if (type === EventType.JUNK_REQUESTS_AGGREGATED || !m.types.includes(type) || m.outcomes === undefined)
    return undefined;
  const others =
    m.grantsRole !== undefined ||
    m.requiresRole !== undefined ||
    (m.excludeRepeated === true && type === EventType.FAILED_AUTH_LOGIN);
  return others ? undefined : new Set<string>(m.outcomes);
}

/** A match's verdict for every event of `type`, when the type alone decides it. */
function typeDecides(m: RuleMatch, type: EventType): boolean | undefined {
  if (type === EventType.JUNK_REQUESTS_AGGREGATED) return undefined; // it stands for another type
  if (!m.types.includes(type)) return false;
  const filtered =
    m.outcomes !== undefined ||
    m.grantsRole !== undefined ||
    m.requiresRole !== undefined ||
    (m.excludeRepeated === true && type === EventType.FAILED_AUTH_LOGIN);
  return filtered ? undefined : true;
}

/** A ratio rule's denominator or a sequence rule's step, for every event of `type`, when the type alone decides it. */
function totalByType(def: RuleDefinition, type: EventType): boolean | undefined {
  const c = def.condition;
  if (c.kind === 'sequence') return typeDecides(c.after, type);
  if (c.kind !== 'ratio') return false;
  if (type === EventType.JUNK_REQUESTS_AGGREGATED) return undefined;
  return c.totalTypes === undefined || c.totalTypes.includes(type);
}

/** Whether events of this type can count for the rule at all (its match, ratio denominator or sequence steps). */
function reaches(def: RuleDefinition, type: EventType): boolean {
  const c = def.condition;
  if (def.match.types.includes(type)) return true;
  if (c.kind === 'ratio') return c.totalTypes === undefined || c.totalTypes.includes(type);
  if (c.kind === 'sequence') return c.after.types.includes(type);
  return false;
}

/** What a matching event records beyond its count: its distinct, baseline or consecutive value. */
export function recordValue(
  rule: CompiledRule,
  s: KeyState,
  e: EventEnvelope,
  t: number,
  watermark: number,
): void {
  const kind = rule.kind; // the compiled rule's (one shape), not the definition's condition (many)
  if (kind === 'count' || kind === 'ratio' || kind === 'sequence') return;
  const def = rule.def;
  if (def.condition.kind === 'baseline') {
    const dv = distinctValueOf(def.condition.field, e);
    if (dv !== undefined) {
      // Counted here, judged by the global stage over every partition's values.
      if (rule.partial) {
        if (rule.partial.values.length < DISTINCT_CAP) rule.partial.values.push([dv, t]);
      } else addBaselineValue(s, dv, t, watermark, rule.windowMs, def.condition);
    }
  } else if (def.condition.kind === 'distinct') {
    const dv = distinctValueOf(def.condition.field, e);
    if (dv !== undefined) {
      addDistinct(
        s,
        dv,
        t,
        def.condition.maxPerValue === undefined ? 1 : def.condition.maxPerValue + 1,
        distinctCapOf(def.condition.gt),
      );
      if (rule.partial && rule.partial.values.length < DISTINCT_CAP) rule.partial.values.push([dv, t]);
    }
  } else if (def.condition.kind === 'consecutive' && e.type !== EventType.JUNK_REQUESTS_AGGREGATED) {
    // An aggregate stands for repeats from one client whose first request was recorded in
    // full: never a step of a run (nor a break in one); it counts in the alert's count only.
    const dv = distinctValueOf(def.condition.field, e);
    if (dv !== undefined) addConsecutive(s, dv, t, rule.windowMs);
  }
}
