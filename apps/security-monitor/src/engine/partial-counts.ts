import { GLOBAL_KEY_VALUE } from '@vigil/contracts';
import { addBaselineValue } from './baseline-state';
import {
  newPending,
  type CompiledRule,
  type EngineAlert,
  type PartialCounts,
  type PartialRuleCounts,
} from './engine-types';
import {
  SAMPLE_LIMIT,
  addCounts,
  addDistinct,
  distinctCapOf,
  pushRecent,
  type KeyState,
} from './window-state';

/*
 * Global rules across partitions: the user stage counts them per source partition (the rules'
 * `partial` buckets, drained after each step), the global stage merges those counts (`merged`:
 * per bucket and source, only growth is added) and evaluates the rules on the sums.
 */

/**
 * `user` stage: the global rules' counts of the buckets touched since the last call (absolute
 * values, see PartialCounts), and resets the record of what was touched.
 */
export function drainPartialCounts(rules: CompiledRule[], maxT: number): PartialCounts {
  const out: PartialRuleCounts[] = [];
  for (const rule of rules) {
    const p = rule.partial;
    if (!p || p.buckets.size === 0) continue;
    const buckets: PartialRuleCounts['buckets'] = [...p.buckets].map(([idx, [c, d, f]]) => [
      idx,
      c,
      d,
      Number.isFinite(f) ? f : null,
    ]);
    out.push({
      id: rule.def.id,
      version: rule.def.version,
      buckets,
      tmax: p.tmax,
      samples: p.samples,
      values: p.values,
    });
    rule.partial = newPending();
  }
  return { maxT: Number.isFinite(maxT) ? maxT : null, rules: out };
}

/** What merging needs of the engine: its watermark, a key's state, and evaluating a rule at a time. */
export interface MergeTarget {
  watermark(): number;
  stateOf(rule: CompiledRule, kv: string): KeyState;
  evaluate(rule: CompiledRule, kv: string, s: KeyState, t: number, out: EngineAlert[]): void;
}

/**
 * `global` stage: applies one source partition's partial counts. Counts are kept per source and
 * only their growth is added, so a record applied twice (a redelivery, a replay after a crash
 * upstream) or late (an older value) changes nothing. The caller moves the clock afterwards.
 */
export function mergePartialCounts(
  target: MergeTarget,
  rules: CompiledRule[],
  source: number,
  partial: PartialCounts,
  out: EngineAlert[],
): void {
  for (const pr of partial.rules) {
    const rule = rules.find((r) => r.def.id === pr.id);
    if (!rule?.merged || rule.def.version !== pr.version) continue;
    const { def, windowMs, bucketMs } = rule;
    const s = target.stateOf(rule, GLOBAL_KEY_VALUE);
    const watermark = target.watermark();
    const lo = Math.floor((watermark - windowMs) / bucketMs);
    for (const idx of rule.merged.keys()) if (idx <= lo) rule.merged.delete(idx);
    if (def.condition.kind === 'distinct') {
      const keep = def.condition.maxPerValue === undefined ? 1 : def.condition.maxPerValue + 1;
      const cap = distinctCapOf(def.condition.gt);
      for (const [v, t] of pr.values)
        if (t > watermark - windowMs && !s.distinct!.get(v)?.includes(t)) addDistinct(s, v, t, keep, cap);
    }
    const baseline = def.condition.kind === 'baseline' ? def.condition : undefined;
    for (const [id, t] of pr.samples) if (!s.ri.includes(id)) pushRecent(s, id, t);
    s.maxT = Math.max(s.maxT, pr.tmax);
    // Bucket by bucket in time order, each evaluated at its own end: a long step upstream (a
    // backlog) carries many buckets, and a burst in an early one must fire as it would live.
    const grown = [...pr.buckets].filter(([idx]) => idx > lo).sort((x, y) => x[0] - y[0]);
    for (const [idx, c, d, f] of grown) {
      let bySource = rule.merged.get(idx);
      if (!bySource) rule.merged.set(idx, (bySource = new Map()));
      const [pc, pd] = bySource.get(source) ?? [0, 0];
      const dc = Math.max(0, c - pc);
      const dd = Math.max(0, d - pd);
      const distinctOnly = def.condition.kind === 'distinct' && pr.values.length > 0;
      if (dc === 0 && dd === 0 && !distinctOnly) continue;
      bySource.set(source, [pc + dc, pd + dd]);
      addCounts(s, idx, dc, dd, f ?? Infinity);
      const at = Math.min((idx + 1) * bucketMs - 1, pr.tmax);
      if (s.alert) {
        s.alert.count += dc;
        if (at > s.alert.lastSeen) s.alert.lastSeen = at;
        for (const [id] of pr.samples)
          if (s.alert.samples.length < SAMPLE_LIMIT && !s.alert.samples.includes(id))
            s.alert.samples.push(id);
      }
      if (!baseline) target.evaluate(rule, GLOBAL_KEY_VALUE, s, at, out);
    }
    // Baseline values in time order, each judged as it arrives, as one engine judges its event.
    if (baseline)
      for (const [v, t] of [...pr.values].sort((x, y) => x[1] - y[1]))
        if (t > watermark - windowMs && addBaselineValue(s, v, t, watermark, windowMs, baseline))
          target.evaluate(rule, GLOBAL_KEY_VALUE, s, t, out);
  }
}
