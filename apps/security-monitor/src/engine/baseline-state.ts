import type { RuleCondition } from './rule-definition';

/*
 * Moving-baseline conditions ("an unusual number of distinct accounts failing"): the distinct
 * values of each aligned period of the window's length [k·W, (k+1)·W) are collected as they
 * arrive; a period closes when the watermark passes its end (so in the global stage, only once
 * every source partition has: a partition catching up on a backlog still counts in its period),
 * and the counts of the last `history` closed periods are the baseline. The condition holds while
 * the current period's count is above max(minGt, mean + factor · max(sd, √mean)); the √mean floor
 * (a Poisson spread) keeps a flat baseline from making every extra account an alarm. Until
 * `minHistory` periods are known the fixed `coldStartGt` applies, and every period is learned, so
 * a busy system learns its own level. After that, a period that closed above its threshold is not
 * learned: an attack cannot teach the baseline that it is normal, however long it lasts. The
 * price: a lasting change of level stays one open alert until an operator accepts it (a new
 * version of the rule starts a new baseline).
 */

export type BaselineCondition = Extract<RuleCondition, { kind: 'baseline' }>;

/** Distinct values collected per open period: thresholds must stay below it (validated). */
export const BASELINE_CAP = 5000;

/** Per key: the open periods' values, the closed periods' counts (oldest first), the last closed period. */
export interface BaselineState {
  open: Map<number, Set<string>>;
  h: number[];
  closed: number;
}

export const newBaselineState = (): BaselineState => ({ open: new Map(), h: [], closed: -Infinity });

/** The count above which the condition holds, given the closed periods' counts. */
export function baselineThreshold(h: readonly number[], c: BaselineCondition): number {
  if (h.length < c.minHistory) return c.coldStartGt;
  const mean = baselineMean(h, c)!;
  let sq = 0;
  for (const x of h) sq += (x - mean) ** 2;
  const sd = Math.sqrt(sq / h.length);
  const t = Math.max(c.minGt, Math.ceil(mean + c.factor * Math.max(sd, Math.sqrt(mean))));
  return Math.min(t, BASELINE_CAP - 1); // a saturated period still fires
}

/** The mean of the closed periods (for the alert's summary), or undefined during the cold start. */
export function baselineMean(h: readonly number[], c: BaselineCondition): number | undefined {
  if (h.length < c.minHistory) return undefined;
  let sum = 0;
  for (const x of h) sum += x;
  return sum / h.length;
}

/** Closes the open periods the watermark has passed, in order; periods with nothing seen count as 0. */
export function closeBaselinePeriods(
  b: BaselineState,
  watermark: number,
  windowMs: number,
  c: BaselineCondition,
): void {
  const last = Math.floor(watermark / windowMs) - 1; // the newest period wholly below the watermark
  if (last <= b.closed) return;
  const ks = [...b.open.keys()].filter((k) => k <= last).sort((x, y) => x - y);
  for (const k of ks) {
    learnGap(b, k, c);
    const n = b.open.get(k)!.size;
    if (b.h.length < c.minHistory || n <= baselineThreshold(b.h, c)) b.h.push(n);
    b.open.delete(k);
    b.closed = k;
  }
  if (!Number.isFinite(b.closed)) return; // nothing seen yet: the baseline starts at the first period with values
  learnGap(b, last + 1, c);
  b.closed = last;
  if (b.h.length > c.history) b.h.splice(0, b.h.length - c.history);
}

/** The quiet periods between the last closed one and k: each a count of 0. */
function learnGap(b: BaselineState, k: number, c: BaselineCondition): void {
  if (!Number.isFinite(b.closed)) return;
  for (let gap = Math.min(k - b.closed - 1, c.history); gap > 0; gap--) b.h.push(0);
}

/**
 * Records one value at t; returns whether it is new to t's period. A value of a period already
 * closed (later than the allowed lateness) is not counted.
 */
export function addBaselineValue(
  s: { bl?: BaselineState },
  value: string,
  t: number,
  watermark: number,
  windowMs: number,
  c: BaselineCondition,
): boolean {
  const b = (s.bl ??= newBaselineState());
  closeBaselinePeriods(b, watermark, windowMs, c);
  const k = Math.floor(t / windowMs);
  if (k <= b.closed) return false;
  let values = b.open.get(k);
  if (!values) b.open.set(k, (values = new Set()));
  if (values.size >= BASELINE_CAP || values.has(value)) return false;
  values.add(value);
  return true;
}

/** Whether the condition holds for the period containing t. */
export function baselineHolds(
  s: { bl?: BaselineState },
  c: BaselineCondition,
  t: number,
  windowMs: number,
): boolean {
  const n = s.bl?.open.get(Math.floor(t / windowMs))?.size ?? 0;
  return n > 0 && n > baselineThreshold(s.bl!.h, c);
}

/** The current period's count at t (for the alert's summary). */
export const baselineCount = (s: { bl?: BaselineState }, t: number, windowMs: number): number =>
  s.bl?.open.get(Math.floor(t / windowMs))?.size ?? 0;

export function baselineToJson(b: BaselineState): unknown {
  return {
    open: [...b.open].map(([k, v]) => [k, [...v]]),
    h: b.h,
    closed: Number.isFinite(b.closed) ? b.closed : null,
  };
}

export function baselineFromJson(j: unknown): BaselineState | undefined {
  if (typeof j !== 'object' || j === null) return undefined;
  const o = j as { open?: Array<[number, string[]]>; h?: number[]; closed?: number | null };
  return {
    open: new Map((o.open ?? []).map(([k, v]) => [k, new Set(v)])),
    h: o.h ?? [],
    closed: typeof o.closed === 'number' ? o.closed : -Infinity,
  };
}
