import type { RuleCondition } from './rule-definition';
import type { KeyState } from './window-state';

/*
 * The `consecutive` condition (seed 003-20: three 429s in a row on one route, each from a new IP):
 * the key's recent matching events in event-time order, with the value of the condition's field,
 * so a late event lands where it happened and the runs around it are judged again.
 */

type Consecutive = Extract<RuleCondition, { kind: 'consecutive' }>;

/**
 * Events kept per key. Newness is judged against these: under a flood of more than this many
 * events within two windows on one key, a value last seen further back counts as new again (a
 * flood from many values is what the rule looks for anyway).
 */
export const CONSECUTIVE_KEEP = 256;

/** Records one matching event's value at t, in time order (after events of the same time). */
export function addConsecutive(s: KeyState, value: string, t: number): void {
  const ct = s.ct!;
  const cv = s.cv!;
  let i = ct.length - 1;
  while (i >= 0 && ct[i] > t) i--;
  if (i === ct.length - 1) {
    ct.push(t);
    cv.push(value);
  } else {
    ct.splice(i + 1, 0, t);
    cv.splice(i + 1, 0, value);
  }
  if (ct.length > CONSECUTIVE_KEEP) {
    ct.splice(0, ct.length - CONSECUTIVE_KEEP);
    cv.splice(0, cv.length - CONSECUTIVE_KEEP);
  }
}

/**
 * Drops events no run judged at or after the watermark can use: a run lies within one window
 * ending at or after it, and the newness of its first event looks back one window more. With no
 * bucket left (no matching event within a window of the watermark), nothing is needed at all.
 */
export function expireConsecutive(s: KeyState, watermark: number, windowMs: number): void {
  const ct = s.ct!;
  if (ct.length === 0) return;
  if (s.b.length === 0) {
    ct.length = 0;
    s.cv!.length = 0;
    return;
  }
  const cutoff = watermark - 2 * windowMs;
  let k = 0;
  while (k < ct.length && ct[k] <= cutoff) k++;
  if (k) {
    ct.splice(0, k);
    s.cv!.splice(0, k);
  }
}

/**
 * Whether the window ending at t holds `n` consecutive matching events (in time order, all in
 * the window), each with a value new to the key (not among its events of the window before it),
 * or, with `newValues: false`, pairwise different.
 */
export function consecutiveHolds(s: KeyState, cond: Consecutive, t: number, windowMs: number): boolean {
  const ct = s.ct!;
  const cv = s.cv!;
  const n = cond.n;
  const lo = t - windowMs; // the run's events are in (lo, t]
  const newValues = cond.newValues !== false;
  let i = 0;
  // The run's first event looks back one window: nothing older matters.
  while (i < ct.length && ct[i] <= lo - windowMs) i++;
  if (ct.length - i < n) return false;
  const last = new Map<string, number>(); // value -> its latest time (newValues) or index
  let run = 0;
  let runStart = i;
  for (; i < ct.length && ct[i] <= t; i++) {
    const v = cv[i];
    const x = ct[i];
    const prev = last.get(v);
    if (newValues) {
      run = prev === undefined || prev <= x - windowMs ? run + 1 : 0;
      last.set(v, x);
    } else {
      if (prev !== undefined && prev >= runStart) runStart = prev + 1;
      last.set(v, i);
      run = i - runStart + 1;
    }
    if (run >= n && ct[i - n + 1] > lo) return true;
  }
  return false;
}
