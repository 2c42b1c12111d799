import type { CompiledRule } from './engine-types';
import type { RuleCondition } from './rule-definition';
import { cachedSums, holds, sequenceCount, type KeyState } from './window-state';

/*
 * When a rule's condition holds for a key, after an event at t: the end of a window containing t
 * in which it holds, as its offset from t (-1: none). An offset is a small integer, where a time
 * returned from a call is a boxed double (an allocation per event). The common conditions are
 * read from the compiled rule's own fields (one shape for every rule); the others go to
 * window-state's holds over the definition.
 */

type DistinctCondition = Extract<RuleCondition, { kind: 'distinct' }>;

/** Whether the rule's condition holds for the window of windowMs ending at t. */
export function conditionHolds(rule: CompiledRule, s: KeyState, t: number, windowMs: number): boolean {
  switch (rule.kind) {
    case 'count':
      return cachedSums(s, t, windowMs, rule.bucketMs)[2] > rule.gt;
    case 'ratio': {
      const ws = cachedSums(s, t, windowMs, rule.bucketMs);
      return ws[3] >= rule.minTotal && ws[2] / ws[3] > rule.gt;
    }
    // Profile rules count only the events their profile flagged: one in the window is enough.
    case 'offHours':
    case 'newNetwork':
      return cachedSums(s, t, windowMs, rule.bucketMs)[2] > 0;
    case 'sequence':
      return sequenceCount(s, t, windowMs) >= rule.seqMin;
    case 'distinct': {
      // Fewer values held than the threshold: it cannot hold (most keys, most of the time).
      if (s.distinct!.size <= rule.gt) return false;
      const c = rule.def.condition as DistinctCondition;
      if (c.minSpanSeconds !== undefined) return holds(s, c, t, windowMs, rule.bucketMs);
      return distinctCount(s, t, windowMs, c.maxPerValue) > rule.gt;
    }
    default:
      return holds(s, rule.def.condition, t, windowMs, rule.bucketMs);
  }
}

/**
 * The end of the window (containing t) the condition holds for, minus t (never negative), or -1.
 * A tumbling window is [start, start + W), judged over everything it holds so far (late events included); a sliding
 * one ends at t or, for an out-of-order event, at a later bucket's end whose window contains it.
 * A sequence is judged at its final event only.
 */
export function firingOffset(rule: CompiledRule, s: KeyState, t: number): number {
  const sequence = rule.kind === 'sequence';
  if (rule.tumbling) {
    const start = Math.floor(t / rule.windowMs) * rule.windowMs;
    const end = sequence ? t : Math.min(s.maxT, start + rule.windowMs - 1);
    return conditionHolds(rule, s, end, end - start + 1) ? end - t : -1;
  }
  const windowMs = rule.windowMs;
  if (conditionHolds(rule, s, t, windowMs)) return 0;
  const newest = sequence ? t : s.maxT;
  if (newest > t) {
    const bucketMs = rule.bucketMs;
    for (let i = 0; i < s.b.length; i++) {
      const end = Math.min((s.b[i] + 1) * bucketMs - 1, newest);
      if (end <= t) continue;
      if (end - windowMs >= t) break;
      if (conditionHolds(rule, s, end, windowMs)) return end - t;
    }
  }
  return -1;
}

/** distinctInWindow's n, without its span (and without the object it returns: this runs per event). */
function distinctCount(s: KeyState, t: number, windowMs: number, maxPerValue: number | undefined): number {
  const cutoff = t - windowMs;
  let n = 0;
  for (const ts of s.distinct!.values()) {
    let tries = 0;
    for (let i = 0; i < ts.length; i++) if (ts[i] > cutoff && ts[i] <= t) tries++;
    if (tries > 0 && (maxPerValue === undefined || tries <= maxPerValue)) n++;
  }
  return n;
}

/** The length of the window a firing time ends (tumbling: from the window's start; sliding: the rule's window). */
export function windowEndingAt(rule: CompiledRule, t: number, at: number): number {
  return rule.tumbling ? at - Math.floor(t / rule.windowMs) * rule.windowMs + 1 : rule.windowMs;
}
