import type { RuleCondition } from './rule-definition';
import type { KeyState } from './window-state';

/*
 * The `consecutive` condition (seed 003-20: three 429s in a row on one route, each from a new IP):
 * the key's recent matching events in event-time order, with the value of the condition's field,
 * so a late event lands where it happened and the runs around it are judged again.
 *
 * With `newValues` (the default) each event's run length is kept beside it (`cr`: how many events
 * in a row, ending with it, were each new), computed when it arrives in order, against the events
 * kept then; a late event recomputes them all. Judging a window is then arithmetic over the
 * window's events, not a fresh look-up of every value (a 429 flood on one route stays cheap).
 */

type Consecutive = Extract<RuleCondition, { kind: 'consecutive' }>;

/**
 * Events kept per key. Newness is judged against these: under a flood of more than this many
 * events within two windows on one key, a value last seen further back counts as new again (a
 * flood from many values is what the rule looks for anyway).
 */
export const CONSECUTIVE_KEEP = 256;
/** Beyond the cap, the oldest events go this many at a time (the value index is rebuilt then). */
export const DROP_CHUNK = 64;

/** Value -> its newest time among the kept events; derived from ct/cv (never saved), rebuilt when they shrink. */
const lastSeen = new WeakMap<KeyState, Map<string, number>>();

function seenOf(s: KeyState): Map<string, number> {
  let seen = lastSeen.get(s);
  if (seen === undefined) {
    seen = new Map();
    const ct = s.ct!;
    const cv = s.cv!;
    for (let i = 0; i < ct.length; i++) seen.set(cv[i], ct[i]);
    lastSeen.set(s, seen);
  }
  return seen;
}

/** Run lengths of every kept event, from scratch (after a late event; for state saved without them). */
function recompute(s: KeyState, windowMs: number): void {
  const ct = s.ct!;
  const cv = s.cv!;
  const cr: number[] = new Array(ct.length);
  const seen = new Map<string, number>();
  for (let i = 0; i < ct.length; i++) {
    const prev = seen.get(cv[i]);
    cr[i] = prev === undefined || prev <= ct[i] - windowMs ? (i ? cr[i - 1] : 0) + 1 : 0;
    seen.set(cv[i], ct[i]);
  }
  s.cr = cr;
  lastSeen.set(s, seen);
}

function dropOldest(s: KeyState, k: number): void {
  s.ct!.splice(0, k);
  s.cv!.splice(0, k);
  s.cr?.splice(0, k);
  lastSeen.delete(s);
}

/** Records one matching event's value at t, in time order (after events of the same time). */
export function addConsecutive(s: KeyState, value: string, t: number, windowMs: number): void {
  const ct = s.ct!;
  const cv = s.cv!;
  if (s.cr === undefined || s.cr.length !== ct.length) recompute(s, windowMs);
  const cr = s.cr!;
  const n = ct.length;
  if (n === 0 || ct[n - 1] <= t) {
    const seen = seenOf(s);
    const prev = seen.get(value);
    cr.push(prev === undefined || prev <= t - windowMs ? (n ? cr[n - 1] : 0) + 1 : 0);
    ct.push(t);
    cv.push(value);
    seen.set(value, t);
  } else {
    let i = n - 1;
    while (i >= 0 && ct[i] > t) i--;
    ct.splice(i + 1, 0, t);
    cv.splice(i + 1, 0, value);
    recompute(s, windowMs);
  }
  if (ct.length > CONSECUTIVE_KEEP + DROP_CHUNK) dropOldest(s, ct.length - CONSECUTIVE_KEEP);
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
    dropOldest(s, ct.length);
    return;
  }
  const cutoff = watermark - 2 * windowMs;
  let k = 0;
  while (k < ct.length && ct[k] <= cutoff) k++;
  if (k) dropOldest(s, k);
}

/**
 * Whether the window ending at t holds `n` consecutive matching events (in time order, all in
 * the window), each with a value new to the key (not among its events of the window before it),
 * or, with `newValues: false`, pairwise different.
 */
export function consecutiveHolds(s: KeyState, cond: Consecutive, t: number, windowMs: number): boolean {
  if (cond.newValues === false) return pairwiseDifferentRun(s, cond.n, t, windowMs);
  const ct = s.ct!;
  if (s.cr === undefined || s.cr.length !== ct.length) recompute(s, windowMs);
  const cr = s.cr!;
  const n = cond.n;
  const lo = t - windowMs; // the run's events are in (lo, t]
  let k = ct.length - 1;
  while (k >= 0 && ct[k] > t) k--;
  for (; k >= 0 && ct[k] > lo; k--) {
    if (cr[k] < n) continue;
    const first = k - n + 1;
    // An earlier end has an earlier first event: none of them fits in the window either.
    if (first < 0 || ct[first] <= lo) return false;
    return true;
  }
  return false;
}

/** `newValues: false`: n events in a row within the window whose values are pairwise different. */
function pairwiseDifferentRun(s: KeyState, n: number, t: number, windowMs: number): boolean {
  const ct = s.ct!;
  const cv = s.cv!;
  const lo = t - windowMs;
  let i = 0;
  while (i < ct.length && ct[i] <= lo) i++;
  const at = new Map<string, number>(); // value -> its latest index in the scan
  let runStart = i;
  for (; i < ct.length && ct[i] <= t; i++) {
    const prev = at.get(cv[i]);
    if (prev !== undefined && prev >= runStart) runStart = prev + 1;
    at.set(cv[i], i);
    if (i - runStart + 1 >= n) return true;
  }
  return false;
}
