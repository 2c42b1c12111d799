import { baselineFromJson, baselineHolds, baselineToJson, type BaselineState } from './baseline-state';
import { consecutiveHolds, expireConsecutive } from './consecutive-state';
import { DISTINCT_CAP, type RuleCondition } from './rule-definition';

/*
 * Per-key sliding-window state in event time. Counts live in buckets (window / 60, at least 1 s),
 * so memory per key is bounded by the bucket count, not by the event rate. The window ending at t
 * holds the buckets after the one containing t - W, up to t's: it is never longer than W, so a
 * near-miss can never be counted over a stretched window.
 */

export interface ActiveAlert {
  firstSeen: number;
  lastSeen: number;
  count: number;
  samples: string[];
  /** Event time of the last firing/updated emission (throttling is in event time: replays agree). */
  lastEmit: number;
  /** Event time at which the condition last held; resolution comes a full window after it. */
  lastAbove: number;
}

export interface KeyState {
  /** Bucket indices (floor(t / bucketMs)), ascending. */
  b: number[];
  /** Matching events per bucket. */
  c: number[];
  /** Earliest matching event time per bucket (exact firstSeen without keeping every event). */
  f: number[];
  /** Denominator events per bucket (ratio rules). */
  d?: number[];
  /** Newest event time seen for this key. */
  maxT: number;
  /** Recent matching events, newest last (parallel arrays: no allocation per event). */
  ri: string[];
  rt: number[];
  /** Distinct rules: value -> its most recent event times, ascending (at most maxPerValue + 1). */
  distinct?: Map<string, number[]>;
  /** Sequence rules: times of the most recent `after` events, ascending (bounded). */
  seq?: number[];
  /**
   * The last window sums, [lo, hi, matching, denominator] for buckets lo < idx <= hi, kept up to date
   * by addCounts, invalidated by expire (lo NaN): a busy key asks for one window thousands of times.
   */
  ws?: [number, number, number, number];
  /** Baseline rules: the current period's count and the closed periods' (baseline-state.ts). */
  bl?: BaselineState;
  /** Consecutive rules: recent matching events' times (ascending) and values (consecutive-state.ts). */
  ct?: number[];
  cv?: string[];
  /** Consecutive rules (newValues): per kept event, the run of new values ending with it. */
  cr?: number[];
  alert?: ActiveAlert;
  /** The alert id (a SHA-256 of rule and key), once made. Not part of the saved state. */
  aid?: string;
}

export const SAMPLE_LIMIT = 10;

/*
 * Array edits on the hot path without splice's garbage: splice returns a new array of what it
 * removed on every call (even nothing), and most edits are an append or dropping one at the front.
 */

/** Inserts v at index i (an append when i is the length). */
export function insertAt<T>(a: T[], i: number, v: T): void {
  if (i === a.length) a.push(v);
  else a.splice(i, 0, v);
}

/** Drops the first n elements. */
export function dropFront<T>(a: T[], n: number): void {
  if (n === 1) a.shift();
  else if (n > 1) a.splice(0, n);
}

export function bucketMsOf(windowSeconds: number, tumbling = false): number {
  if (!tumbling) return Math.max(1000, Math.floor((windowSeconds * 1000) / 60));
  // Tumbling windows start on bucket boundaries: the bucket is a whole number of seconds dividing W.
  for (let b = Math.max(1, Math.floor(windowSeconds / 60)); b > 1; b--)
    if (windowSeconds % b === 0) return b * 1000;
  return 1000;
}

/**
 * Every key state has every field, in one order (unused ones undefined, never deleted): one hidden
 * class for V8, so the engine's hot paths read them through monomorphic inline caches whatever
 * the rule's condition (states shaped per condition made them megamorphic).
 */
function blankKeyState(): KeyState {
  return {
    b: [],
    c: [],
    f: [],
    d: undefined,
    maxT: -Infinity,
    ri: [],
    rt: [],
    distinct: undefined,
    seq: undefined,
    ws: undefined,
    bl: undefined,
    ct: undefined,
    cv: undefined,
    cr: undefined,
    alert: undefined,
    aid: undefined,
  };
}

export function newKeyState(condition: RuleCondition): KeyState {
  const s = blankKeyState();
  if (condition.kind === 'ratio') s.d = [];
  if (condition.kind === 'distinct') s.distinct = new Map();
  if (condition.kind === 'sequence') {
    s.d = [];
    s.seq = [];
  }
  if (condition.kind === 'consecutive') {
    s.ct = [];
    s.cv = [];
    s.cr = [];
  }
  return s;
}

/** Adds to the bucket of t (inserting it in order if a late event opens an older bucket). */
export function addToBucket(
  s: KeyState,
  t: number,
  bucketMs: number,
  numerator: number,
  denominator: number,
): void {
  addCounts(s, Math.floor(t / bucketMs), numerator, denominator, t);
}

/** Adds counts to bucket idx (the global stage merging partial counts); f is the earliest matching time they carry. */
export function addCounts(s: KeyState, idx: number, numerator: number, denominator: number, f: number): void {
  let i = s.b.length - 1;
  while (i >= 0 && s.b[i] > idx) i--;
  if (i < 0 || s.b[i] !== idx) {
    insertAt(s.b, i + 1, idx);
    insertAt(s.c, i + 1, 0);
    insertAt(s.f, i + 1, Infinity);
    if (s.d) insertAt(s.d, i + 1, 0);
    i++;
  }
  s.c[i] += numerator;
  if (numerator && f < s.f[i]) s.f[i] = f;
  if (s.d) s.d[i] += denominator;
  const ws = s.ws;
  if (ws && idx > ws[0] && idx <= ws[1]) {
    ws[2] += numerator;
    if (s.d) ws[3] += denominator;
  }
}

/** Sums of the window ending at t: [matching, denominator]. */
export function windowSums(s: KeyState, t: number, windowMs: number, bucketMs: number): [number, number] {
  const ws = cachedSums(s, t, windowMs, bucketMs);
  return [ws[2], ws[3]];
}

/** The key's window sums as [lo, hi, matching, denominator]: the cached tuple itself (no allocation when it holds). */
export function cachedSums(
  s: KeyState,
  t: number,
  windowMs: number,
  bucketMs: number,
): [number, number, number, number] {
  const lo = Math.floor((t - windowMs) / bucketMs); // exclusive
  const hi = Math.floor(t / bucketMs);
  const ws = s.ws;
  if (ws && ws[0] === lo && ws[1] === hi) return ws;
  let c = 0;
  let d = 0;
  for (let i = s.b.length - 1; i >= 0; i--) {
    const idx = s.b[i];
    if (idx <= lo) break;
    if (idx > hi) continue;
    c += s.c[i];
    if (s.d) d += s.d[i];
  }
  if (ws) {
    // Rewritten in place (a new tuple per window move was most of a busy key's garbage).
    ws[0] = lo;
    ws[1] = hi;
    ws[2] = c;
    ws[3] = d;
    return ws;
  }
  return (s.ws = [lo, hi, c, d]);
}

/** Time of the earliest matching event in the window ending at t. */
export function windowFirst(s: KeyState, t: number, windowMs: number, bucketMs: number): number {
  const lo = Math.floor((t - windowMs) / bucketMs);
  for (let i = 0; i < s.b.length; i++) if (s.b[i] > lo && s.c[i] > 0) return s.f[i];
  return t;
}

/** Drops buckets (and distinct values) no window ending at or after the watermark can reach. */
export function expire(s: KeyState, watermark: number, windowMs: number, bucketMs: number): void {
  const lo = Math.floor((watermark - windowMs) / bucketMs);
  let n = 0;
  while (n < s.b.length && s.b[n] <= lo) n++;
  if (n) {
    if (s.ws) s.ws[0] = NaN; // no window's lo: the sums are computed afresh (in place) when next asked
    dropFront(s.b, n);
    dropFront(s.c, n);
    dropFront(s.f, n);
    if (s.d) dropFront(s.d, n);
  }
  if (s.seq && n) {
    const cutoff = watermark - windowMs;
    let k = 0;
    while (k < s.seq.length && s.seq[k] <= cutoff) k++;
    dropFront(s.seq, k);
  }
  if (s.ct) expireConsecutive(s, watermark, windowMs);
  // Distinct values can only have gone stale if a bucket did (every value's time is in one).
  if (s.distinct && n) {
    const cutoff = watermark - windowMs;
    for (const [v, ts] of s.distinct) if (ts[ts.length - 1] <= cutoff) s.distinct.delete(v);
  }
}

export function isEmpty(s: KeyState): boolean {
  return (
    s.b.length === 0 &&
    !s.alert &&
    (!s.distinct || s.distinct.size === 0) &&
    (!s.seq || s.seq.length === 0) &&
    (!s.bl || (s.bl.h.length === 0 && s.bl.open.size === 0)) &&
    (!s.ct || s.ct.length === 0)
  );
}

/** Records an `after` event of a sequence rule, keeping the newest `keep` times. */
export function addSequenceStep(s: KeyState, t: number, keep: number): void {
  const seq = s.seq!;
  let i = seq.length - 1;
  while (i >= 0 && seq[i] > t) i--;
  insertAt(seq, i + 1, t);
  if (seq.length > keep) dropFront(seq, seq.length - keep);
}

/** `after` events in the window ending at t, up to and including t. */
export function sequenceCount(s: KeyState, t: number, windowMs: number): number {
  let n = 0;
  for (const x of s.seq!) if (x > t - windowMs && x <= t) n++;
  return n;
}

/**
 * Values a distinct rule keeps per key: a few times its threshold (at least 64), at most
 * DISTINCT_CAP. When full, the value seen least recently makes room, so the set always holds the
 * most recent values, and "more than gt in the window" is decided exactly while memory per key
 * stays small (a million one-shot IPs against a thousand accounts).
 */
export function distinctCapOf(gt: number): number {
  return Math.min(DISTINCT_CAP, Math.max(64, 4 * (gt + 1)));
}

/** Records one value of a distinct rule; keeps the newest `keep` times per value and at most `cap` values. */
export function addDistinct(s: KeyState, value: string, t: number, keep: number, cap = DISTINCT_CAP): void {
  const map = s.distinct!;
  const ts = map.get(value);
  if (!ts) {
    if (map.size >= cap) {
      // forEach, not for-of over entries: that made a [value, times] pair per value scanned.
      let oldest: string | undefined;
      let oldestT = Infinity;
      map.forEach((vs, v) => {
        const last = vs[vs.length - 1];
        if (last < oldestT) {
          oldestT = last;
          oldest = v;
        }
      });
      if (oldest === undefined || oldestT >= t) return; // everything held is newer: this one adds nothing
      map.delete(oldest);
    }
    // With its one time (keep >= 1): [] would grow 17 slots on the first push, kept while the value is.
    map.set(value, [t]);
    return;
  }
  let i = ts.length - 1;
  while (i >= 0 && ts[i] > t) i--;
  insertAt(ts, i + 1, t);
  if (ts.length > keep) dropFront(ts, ts.length - keep);
}

/** Distinct values qualifying in the window ending at t, and the time span their events cover. */
export function distinctInWindow(
  s: KeyState,
  t: number,
  windowMs: number,
  maxPerValue?: number,
): { n: number; span: number } {
  const cutoff = t - windowMs;
  let n = 0;
  let first = Infinity;
  let last = -Infinity;
  for (const ts of s.distinct!.values()) {
    let tries = 0;
    let f = Infinity;
    let l = -Infinity;
    for (const x of ts) {
      if (x > cutoff && x <= t) {
        tries++;
        if (x < f) f = x;
        if (x > l) l = x;
      }
    }
    if (tries === 0 || (maxPerValue !== undefined && tries > maxPerValue)) continue;
    n++;
    if (f < first) first = f;
    if (l > last) last = l;
  }
  return { n, span: n ? last - first : 0 };
}

/** Whether the condition holds for the window ending at t. */
export function holds(
  s: KeyState,
  cond: RuleCondition,
  t: number,
  windowMs: number,
  bucketMs: number,
): boolean {
  if (cond.kind === 'count') return cachedSums(s, t, windowMs, bucketMs)[2] > cond.gt;
  if (cond.kind === 'sequence') return sequenceCount(s, t, windowMs) >= cond.min;
  if (cond.kind === 'baseline') return baselineHolds(s, cond, t, windowMs);
  if (cond.kind === 'consecutive') return consecutiveHolds(s, cond, t, windowMs);
  if (cond.kind === 'ratio') {
    const ws = cachedSums(s, t, windowMs, bucketMs);
    return ws[3] >= cond.minTotal && ws[2] / ws[3] > cond.gt;
  }
  // Profile rules count only the events their profile flagged: one in the window is enough.
  if (cond.kind === 'offHours' || cond.kind === 'newNetwork')
    return cachedSums(s, t, windowMs, bucketMs)[2] > 0;
  // Fewer values held than the threshold: it cannot hold (most keys, most of the time).
  if (s.distinct!.size <= cond.gt) return false;
  const { n, span } = distinctInWindow(s, t, windowMs, cond.maxPerValue);
  return n > cond.gt && (cond.minSpanSeconds === undefined || span >= cond.minSpanSeconds * 1000);
}

/** Appends a matching event, dropping the oldest when full: moved in place (push + shift regrew the arrays). */
export function pushRecent(s: KeyState, id: string, t: number): void {
  const ri = s.ri;
  const rt = s.rt;
  const n = ri.length;
  if (n < SAMPLE_LIMIT) {
    ri.push(id);
    rt.push(t);
    return;
  }
  for (let i = 1; i < n; i++) {
    ri[i - 1] = ri[i];
    rt[i - 1] = rt[i];
  }
  ri[n - 1] = id;
  rt[n - 1] = t;
}

/** Plain JSON for snapshots. */
export function keyStateToJson(s: KeyState): unknown {
  return {
    ...s,
    ws: undefined,
    aid: undefined,
    distinct: s.distinct ? [...s.distinct.entries()] : undefined,
    bl: s.bl ? baselineToJson(s.bl) : undefined,
    maxT: s.maxT === -Infinity ? null : s.maxT,
    f: s.f.map((x) => (x === Infinity ? null : x)),
  };
}

export function keyStateFromJson(j: Record<string, unknown>): KeyState {
  const s = blankKeyState();
  const arr = <T>(v: unknown): T[] | undefined => (Array.isArray(v) ? (v as T[]) : undefined);
  s.b = j.b as number[];
  s.c = j.c as number[];
  s.f = (j.f as Array<number | null>).map((x) => (x === null ? Infinity : x));
  s.d = arr<number>(j.d);
  s.maxT = j.maxT === null ? -Infinity : (j.maxT as number);
  s.ri = j.ri as string[];
  s.rt = j.rt as number[];
  s.distinct = Array.isArray(j.distinct) ? new Map(j.distinct as Array<[string, number[]]>) : undefined;
  s.seq = arr<number>(j.seq);
  s.bl = baselineFromJson(j.bl);
  s.ct = arr<number>(j.ct);
  s.cv = arr<string>(j.cv);
  s.cr = arr<number>(j.cr);
  s.alert = (j.alert ?? undefined) as ActiveAlert | undefined;
  return s;
}
