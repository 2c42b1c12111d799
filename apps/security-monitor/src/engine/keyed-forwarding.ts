import type { EventEnvelope } from '@vigil/contracts';
import { compileMatch, compileTotal, keyValueOf } from './event-fields';
import { KEYED_KINDS, type KeyedKind, type RuleSet } from './rule-definition';

/*
 * The input is keyed by user, so the events of one IP, one route or one password fingerprint are
 * spread over every partition: the user stage forwards those a rule of such a key needs to the
 * keyed stage, re-keyed by that value, one record per kind (detection/stages/).
 */

/** One record the user stage sends on for an event: the key kind and the value it is keyed by. */
export interface KeyedRecord {
  kind: KeyedKind;
  value: string;
}

const NONE: readonly KeyedRecord[] = Object.freeze([]);

/**
 * For an event, the keyed records to forward: for each key kind with a rule that can count it
 * (its match, or a ratio denominator or sequence step), the event's value of that key, if it has
 * one. Most events need none (a shared empty array: nothing is allocated for them).
 */
export function compileKeyedForwarding(ruleSet: RuleSet): (e: EventEnvelope) => readonly KeyedRecord[] {
  const kinds: Array<[KeyedKind, Array<(e: EventEnvelope) => boolean>]> = [];
  for (const kind of KEYED_KINDS) {
    const rules = ruleSet.rules.filter((r) => r.enabled && r.key === kind);
    if (rules.length === 0) continue;
    const tests = rules.map(compileMatch);
    for (const r of rules)
      if (r.condition.kind === 'ratio' || r.condition.kind === 'sequence') tests.push(compileTotal(r));
    kinds.push([kind, tests]);
  }
  if (kinds.length === 0) return () => NONE;
  return (e) => {
    let out: KeyedRecord[] | undefined;
    for (const [kind, tests] of kinds) {
      if (!tests.some((m) => m(e))) continue;
      const value = keyValueOf(kind, e);
      if (value !== undefined) (out ??= []).push({ kind, value });
    }
    return out ?? NONE;
  };
}

/** Whether a key kind is one the keyed stage evaluates (a record of any other kind is skipped). */
export const isKeyedKind = (kind: string): kind is KeyedKind =>
  (KEYED_KINDS as readonly string[]).includes(kind);
