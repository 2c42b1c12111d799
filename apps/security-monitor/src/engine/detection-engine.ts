import { EVENT_TYPES, EventType, GLOBAL_KEY_VALUE, type EventEnvelope } from '@vigil/contracts';
import { transition } from './alert-transition';
import { newPending, STAGE_KEYS, type CompiledRule, type EngineAlert, type EngineOptions, type EngineSnapshot, type EngineStage, type EngineStats, type PartialCounts, type PartialRuleCounts } from './engine-types';
import { DueQueue } from './due-queue';
import { compileAllowlist, compileMatch, compileTotal, distinctValueOf, keyValueOf, weightOf } from './event-fields';
import { DISTINCT_CAP, type RuleDefinition, type RuleSet } from './rule-definition';
import {
  SAMPLE_LIMIT,
  addCounts,
  addDistinct,
  addSequenceStep,
  distinctCapOf,
  addToBucket,
  bucketMsOf,
  expire,
  holds,
  isEmpty,
  keyStateFromJson,
  keyStateToJson,
  newKeyState,
  pushRecent,
  windowFirst,
  windowSums,
  type KeyState,
} from './window-state';

export * from './engine-types';

/*
 * The detection engine: pure, synchronous, deterministic. Events in (any order within the allowed
 * lateness), alert transitions out. Time is the events' own (occurredAt): the watermark is the
 * newest event time minus the allowed lateness, so replaying the same input gives the same alerts.
 */

const SWEEP_EVERY_MS = 60_000;

export class DetectionEngine {
  private rules: CompiledRule[] = [];
  private readonly byType = new Map<string, CompiledRule[]>();
  private readonly latenessMs: number;
  private readonly updateMs: number;
  private readonly maxKeys: number;
  private readonly allowlisted: (e: EventEnvelope) => boolean;
  private readonly stage: EngineStage;
  private maxT = -Infinity;
  private lastSweep = -Infinity;
  /**
   * Newest event time per upstream partition, for stages fed by several (the IP and global
   * stages). Their clock is the slowest source's, so a source that is behind (one catching up
   * after downtime) is not dropped as late because another raced ahead. Sources that go quiet
   * are retired by the caller (retireSource), so one silent partition does not stop the clock.
   */
  private readonly sources = new Map<number, number>();
  private replayed = new Set<string>();
  private readonly active = new Map<string, [CompiledRule, string]>();
  /** Open alerts by the earliest time they could resolve. */
  private readonly due = new DueQueue();
  private events = 0;
  private lateDropped = 0;
  private keysEvicted = 0;

  constructor(ruleSet: RuleSet, opts: EngineOptions = {}) {
    this.latenessMs = opts.allowedLatenessMs ?? 30_000;
    this.updateMs = opts.updateIntervalMs ?? 30_000;
    this.maxKeys = opts.maxKeysPerRule ?? 100_000;
    this.allowlisted = compileAllowlist(opts.allowlist ?? { ips: [], users: [] });
    this.stage = opts.stage ?? 'all';
    this.setRules(ruleSet);
  }

  get watermark(): number {
    return this.maxT - this.latenessMs;
  }

  /** Swaps the rules; a rule whose id and version are unchanged keeps its windows and open alerts. */
  setRules(ruleSet: RuleSet): void {
    const old = new Map(this.rules.map((r) => [r.def.id, r]));
    const evaluated = STAGE_KEYS[this.stage];
    const counted = this.stage === 'user' ? ['global'] : [];
    this.rules = ruleSet.rules
      .filter((def) => def.enabled && (evaluated.includes(def.key) || counted.includes(def.key)))
      .map((def) => {
        const prev = old.get(def.id);
        const keep = prev && prev.def.version === def.version && JSON.stringify(prev.def) === JSON.stringify(def);
        return {
          def,
          windowMs: def.window.seconds * 1000,
          bucketMs: bucketMsOf(def.window.seconds, def.window.type === 'tumbling'),
          tumbling: def.window.type === 'tumbling',
          match: compileMatch(def),
          total: def.condition.kind === 'ratio' || def.condition.kind === 'sequence' ? compileTotal(def) : undefined,
          keys: keep ? prev.keys : new Map<string, KeyState>(),
          ...(counted.includes(def.key) ? { partial: keep && prev.partial ? prev.partial : newPending() } : {}),
          ...(this.stage === 'global' ? { merged: keep && prev.merged ? prev.merged : new Map() } : {}),
        };
      });
    // Per event type, the rules it can reach (match, ratio denominator, sequence step), in rule order.
    this.byType.clear();
    for (const type of EVENT_TYPES) this.byType.set(type, this.rules.filter((r) => reaches(r.def, type)));
    this.rebuildActive();
  }

  get ruleIds(): string[] {
    return this.rules.map((r) => r.def.id);
  }

  process(e: EventEnvelope, source?: number): EngineAlert[] {
    const t = Date.parse(e.occurredAt);
    if (t < this.watermark) {
      this.lateDropped++;
      return [];
    }
    this.events++;
    const out: EngineAlert[] = [];
    let allow: boolean | undefined;
    // An aggregate of junk requests reaches the rules of the type it stands for (rare: all rules are tried).
    const rules = e.type === EventType.JUNK_REQUESTS_AGGREGATED ? this.rules : (this.byType.get(e.type) ?? this.rules);
    for (const rule of rules) {
      const matched = rule.match(e);
      const counted = rule.total !== undefined && rule.total(e);
      if (!matched && !counted) continue;
      if (rule.def.key !== 'global' && (allow ??= this.allowlisted(e))) continue;
      const kv = keyValueOf(rule.def.key, e);
      if (kv === undefined) continue;
      this.apply(rule, kv, e, t, matched, counted, out);
    }
    this.tick(t, source, out);
    return out;
  }

  /** Moves event time forward without an event (an idle stream still resolves its alerts); every source is caught up. */
  advanceTo(t: number): EngineAlert[] {
    const out: EngineAlert[] = [];
    this.sources.clear();
    this.advance(t, out);
    return out;
  }

  /** A source gone quiet no longer holds the clock back; if it speaks again, it counts again. */
  retireSource(source: number): EngineAlert[] {
    const out: EngineAlert[] = [];
    if (this.sources.delete(source)) this.advanceToSlowest(out);
    return out;
  }

  /** The upstream partitions there are: until each has been heard from (or retired), the clock waits for it. */
  expectSources(ids: number[]): void {
    for (const id of ids) if (!this.sources.has(id)) this.sources.set(id, -Infinity);
  }

  get sourceIds(): number[] {
    return [...this.sources.keys()];
  }

  private tick(t: number, source: number | undefined, out: EngineAlert[]): void {
    if (source === undefined) return this.advance(t, out);
    const prev = this.sources.get(source);
    if (prev !== undefined && prev >= t) return;
    this.sources.set(source, t);
    this.advanceToSlowest(out);
  }

  /** The clock of a stage fed by several sources: the slowest one's event time. */
  private advanceToSlowest(out: EngineAlert[]): void {
    let slowest = Infinity;
    for (const x of this.sources.values()) if (x < slowest) slowest = x;
    if (slowest !== Infinity) this.advance(slowest, out);
  }

  private advance(t: number, out: EngineAlert[]): void {
    if (t > this.maxT) {
      this.maxT = t;
      this.resolveDue(out);
      if (this.watermark - this.lastSweep >= SWEEP_EVERY_MS) this.sweep();
    }
  }

  /**
   * `user` stage: the global rules' counts of the buckets touched since the last call (absolute
   * values, see PartialCounts), and resets the record of what was touched.
   */
  drainPartials(): PartialCounts {
    const rules: PartialRuleCounts[] = [];
    for (const rule of this.rules) {
      const p = rule.partial;
      if (!p || p.buckets.size === 0) continue;
      const buckets: PartialRuleCounts['buckets'] = [...p.buckets].map(([idx, [c, d, f]]) => [idx, c, d, Number.isFinite(f) ? f : null]);
      rules.push({ id: rule.def.id, version: rule.def.version, buckets, tmax: p.tmax, samples: p.samples, values: p.values });
      rule.partial = newPending();
    }
    return { maxT: Number.isFinite(this.maxT) ? this.maxT : null, rules };
  }

  /**
   * `global` stage: applies one source partition's partial counts. Counts are kept per source
   * and only their growth is added, so a record applied twice (a redelivery, a replay after a
   * crash upstream) or late (an older value) changes nothing.
   */
  mergePartial(source: number, partial: PartialCounts): EngineAlert[] {
    const out: EngineAlert[] = [];
    for (const pr of partial.rules) {
      const rule = this.rules.find((r) => r.def.id === pr.id);
      if (!rule?.merged || rule.def.version !== pr.version) continue;
      const { def, windowMs, bucketMs } = rule;
      const s = this.stateOf(rule, GLOBAL_KEY_VALUE);
      const lo = Math.floor((this.watermark - windowMs) / bucketMs);
      for (const idx of rule.merged.keys()) if (idx <= lo) rule.merged.delete(idx);
      if (def.condition.kind === 'distinct') {
        const keep = def.condition.maxPerValue === undefined ? 1 : def.condition.maxPerValue + 1;
        const cap = distinctCapOf(def.condition.gt);
        for (const [v, t] of pr.values) if (t > this.watermark - windowMs && !s.distinct!.get(v)?.includes(t)) addDistinct(s, v, t, keep, cap);
      }
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
          for (const [id] of pr.samples) if (s.alert.samples.length < SAMPLE_LIMIT && !s.alert.samples.includes(id)) s.alert.samples.push(id);
        }
        this.evaluate(rule, GLOBAL_KEY_VALUE, s, at, out);
      }
    }
    if (partial.maxT !== null) this.tick(partial.maxT, source, out);
    return out;
  }

  private stateOf(rule: CompiledRule, kv: string): KeyState {
    let s = rule.keys.get(kv);
    if (!s) {
      if (rule.keys.size >= this.maxKeys) this.evictOne(rule);
      s = newKeyState(rule.def.condition);
      rule.keys.set(kv, s);
    } else {
      expire(s, this.watermark, rule.windowMs, rule.bucketMs);
    }
    return s;
  }

  private apply(rule: CompiledRule, kv: string, e: EventEnvelope, t: number, matched: boolean, counted: boolean, out: EngineAlert[]): void {
    const { def, bucketMs } = rule;
    if (def.condition.kind === 'sequence' && !counted) {
      // A final step (a successful login: most traffic) on a key without enough earlier steps
      // and no open alert cannot change anything: no state is made for it.
      const existing = rule.keys.get(kv);
      if (!existing || (!existing.alert && existing.seq!.length < def.condition.min)) return;
    }
    const s = this.stateOf(rule, kv);
    const w = weightOf(e); // an aggregate of `count` junk requests counts `count` times
    addToBucket(s, t, bucketMs, matched ? w : 0, counted || (matched && rule.total === undefined) ? w : 0);
    if (counted && def.condition.kind === 'sequence') addSequenceStep(s, t, def.condition.min + SAMPLE_LIMIT);
    if (matched) {
      pushRecent(s, e.id, t);
      if (def.condition.kind === 'distinct') {
        const dv = distinctValueOf(def.condition.field, e);
        if (dv !== undefined) {
          addDistinct(s, dv, t, def.condition.maxPerValue === undefined ? 1 : def.condition.maxPerValue + 1, distinctCapOf(def.condition.gt));
          if (rule.partial && rule.partial.values.length < DISTINCT_CAP) rule.partial.values.push([dv, t]);
        }
      }
      if (s.alert) {
        s.alert.count += w;
        if (t > s.alert.lastSeen) s.alert.lastSeen = t;
        if (s.alert.samples.length < SAMPLE_LIMIT) s.alert.samples.push(e.id);
      }
    }
    s.maxT = Math.max(s.maxT, t);
    if (rule.partial) {
      // Kept aside now: a long step (a backlog) may expire the bucket before the step ends.
      const idx = Math.floor(t / bucketMs);
      const i = s.b.lastIndexOf(idx);
      rule.partial.buckets.set(idx, [s.c[i], s.d ? s.d[i] : 0, s.f[i]]);
      if (t > rule.partial.tmax) rule.partial.tmax = t;
      if (matched && rule.partial.samples.length < SAMPLE_LIMIT) rule.partial.samples.push([e.id, t]);
      return;
    }
    // A sequence completes only on its final event: the steps alone (or after it) never fire.
    if (def.condition.kind === 'sequence' && !matched) return;
    this.evaluate(rule, kv, s, t, out);
  }

  /** Fires or updates the key's alert if its condition holds for a window containing t. */
  private evaluate(rule: CompiledRule, kv: string, s: KeyState, t: number, out: EngineAlert[]): void {
    const { def, bucketMs } = rule;
    let at: number | undefined;
    let windowMs = rule.windowMs;
    if (rule.tumbling) {
      // A fixed window [start, start + W): judged over everything it holds so far, late events included.
      const start = Math.floor(t / rule.windowMs) * rule.windowMs;
      const end = def.condition.kind === 'sequence' ? t : Math.min(s.maxT, start + rule.windowMs - 1);
      windowMs = end - start + 1;
      at = holds(s, def.condition, end, windowMs, bucketMs) ? end : undefined;
    } else {
      const newest = def.condition.kind === 'sequence' ? t : s.maxT; // a sequence is judged at its final event only
      // An out-of-order event also belongs to the later windows that contain it.
      at = holds(s, def.condition, t, windowMs, bucketMs) ? t : undefined;
      if (at === undefined && newest > t) {
        for (let i = 0; i < s.b.length; i++) {
          const end = Math.min((s.b[i] + 1) * bucketMs - 1, newest);
          if (end <= t) continue;
          if (end - windowMs >= t) break;
          if (holds(s, def.condition, end, windowMs, bucketMs)) {
            at = end;
            break;
          }
        }
      }
    }
    if (at === undefined) return;
    if (!s.alert) {
      const [count] = windowSums(s, at, windowMs, bucketMs);
      const samples: string[] = [];
      let firstSeen = windowFirst(s, at, windowMs, bucketMs);
      let lastSeen = at;
      for (let i = 0; i < s.ri.length; i++) {
        const x = s.rt[i];
        if (x <= at - windowMs || x > at) continue;
        samples.push(s.ri[i]);
        if (x < firstSeen) firstSeen = x;
        if (x > lastSeen) lastSeen = x;
      }
      s.alert = {
        firstSeen,
        lastSeen,
        count: Math.max(1, count),
        samples,
        lastEmit: at,
        lastAbove: at,
      };
      const ak = activeKey(def.id, kv);
      this.active.set(ak, [rule, kv]);
      this.due.push(at + rule.windowMs, ak);
      out.push(transition(rule, kv, s, 'firing', at));
    } else {
      if (at > s.alert.lastAbove) s.alert.lastAbove = at;
      if (at - s.alert.lastEmit >= this.updateMs) {
        s.alert.lastEmit = at;
        out.push(transition(rule, kv, s, 'updated', at));
      }
    }
  }

  private resolveDue(out: EngineAlert[]): void {
    const wm = this.watermark;
    if (this.due.peek() > wm) return;
    const due: Array<[number, number, string, string]> = [];
    while (this.due.peek() <= wm) {
      const [, k] = this.due.pop()!;
      const entry = this.active.get(k);
      const a = entry?.[0].keys.get(entry[1])?.alert;
      if (!entry || !a) {
        this.active.delete(k);
        continue;
      }
      const at = a.lastAbove + entry[0].windowMs;
      if (at > wm) this.due.push(at, k); // held again since: due later
      else if (!due.some((d) => d[3] === k)) due.push([at, this.rules.indexOf(entry[0]), entry[1], k]);
    }
    if (due.length === 0) return;
    // In (time, rule, key) order, so a restored engine resolves in the same order as a live one.
    due.sort((x, y) => x[0] - y[0] || x[1] - y[1] || (x[2] < y[2] ? -1 : x[2] > y[2] ? 1 : 0));
    for (const [at, ri, kv, k] of due) {
      const rule = this.rules[ri];
      const s = rule.keys.get(kv)!;
      out.push(transition(rule, kv, s, 'resolved', at));
      delete s.alert;
      this.active.delete(k);
    }
  }

  /** Drops expired buckets everywhere and keys left with nothing (a million one-shot IPs fade out). */
  private sweep(): void {
    const wm = this.watermark;
    this.lastSweep = wm;
    for (const rule of this.rules) {
      for (const [kv, s] of rule.keys) {
        expire(s, wm, rule.windowMs, rule.bucketMs);
        if (isEmpty(s)) rule.keys.delete(kv);
      }
    }
  }

  /** Evicts the oldest key without an open alert (insertion order; Map iterators survive deletes). */
  private evictOne(rule: CompiledRule): void {
    for (let scanned = 0; scanned < 1000; scanned++) {
      rule.evictCursor ??= rule.keys.entries();
      const next = rule.evictCursor.next();
      if (next.done) {
        rule.evictCursor = undefined;
        continue;
      }
      const [kv, s] = next.value;
      if (!s.alert) {
        rule.keys.delete(kv);
        this.keysEvicted++;
        return;
      }
    }
  }

  stats(): EngineStats {
    let keys = 0;
    for (const r of this.rules) keys += r.keys.size;
    return { events: this.events, lateDropped: this.lateDropped, keys, keysEvicted: this.keysEvicted, activeAlerts: this.active.size, watermark: this.watermark };
  }

  keysByRule(): Record<string, number> {
    return Object.fromEntries(this.rules.map((r) => [r.def.id, r.keys.size]));
  }

  /**
   * Whether a replayed event (npm run dlq:replay) is new to this engine; records it if so. Replays
   * are rare, so their ids are kept (bounded) in the state: replaying twice, even across a restart,
   * counts the event once.
   */
  firstReplay(eventId: string): boolean {
    if (this.replayed.has(eventId)) return false;
    this.replayed.add(eventId);
    if (this.replayed.size > MAX_REMEMBERED_REPLAYS) this.replayed.delete(this.replayed.values().next().value as string);
    return true;
  }

  snapshot(): EngineSnapshot {
    return {
      v: 1,
      maxT: Number.isFinite(this.maxT) ? this.maxT : null,
      lastSweep: Number.isFinite(this.lastSweep) ? this.lastSweep : null,
      events: this.events,
      lateDropped: this.lateDropped,
      keysEvicted: this.keysEvicted,
      ...(this.sources.size ? { sources: [...this.sources].map(([src, t]): [number, number | null] => [src, Number.isFinite(t) ? t : null]) } : {}),
      rules: this.rules.map((r) => ({
        id: r.def.id,
        version: r.def.version,
        keys: [...r.keys].map(([k, s]) => [k, keyStateToJson(s)]),
        ...(r.merged ? { merged: [...r.merged].map(([idx, m]) => [idx, [...m].map(([src, [c, d]]) => [src, c, d])]) } : {}),
      })) as EngineSnapshot['rules'],
      ...(this.replayed.size ? { replayed: [...this.replayed] } : {}),
    };
  }

  /** Restores windows and open alerts; state of a rule whose version changed since is dropped. */
  restore(snap: EngineSnapshot): void {
    this.maxT = snap.maxT ?? -Infinity;
    this.lastSweep = snap.lastSweep ?? -Infinity;
    this.events = snap.events;
    this.lateDropped = snap.lateDropped;
    this.keysEvicted = snap.keysEvicted;
    this.sources.clear();
    for (const [src, t] of snap.sources ?? []) this.sources.set(src, t ?? -Infinity);
    this.replayed = new Set(snap.replayed ?? []);
    const saved = new Map(snap.rules.map((r) => [r.id, r]));
    for (const rule of this.rules) {
      const r = saved.get(rule.def.id);
      rule.keys = new Map();
      if (rule.merged) rule.merged = new Map();
      if (!r || r.version !== rule.def.version) continue;
      for (const [k, j] of r.keys) rule.keys.set(k, keyStateFromJson(j as Record<string, unknown>));
      if (rule.merged && r.merged) rule.merged = new Map(r.merged.map(([idx, m]) => [idx, new Map(m.map(([src, c, d]) => [src, [c, d] as [number, number]]))]));
      rule.evictCursor = undefined;
    }
    this.rebuildActive();
  }

  private rebuildActive(): void {
    this.active.clear();
    this.due.clear();
    for (const rule of this.rules) {
      for (const [kv, s] of rule.keys) {
        if (!s.alert) continue;
        const k = activeKey(rule.def.id, kv);
        this.active.set(k, [rule, kv]);
        this.due.push(s.alert.lastAbove + rule.windowMs, k);
      }
    }
  }
}

/** Whether events of this type can count for the rule at all (its match, ratio denominator or sequence steps). */
function reaches(def: RuleDefinition, type: EventType): boolean {
  const c = def.condition;
  if (def.match.types.includes(type)) return true;
  if (c.kind === 'ratio') return c.totalTypes === undefined || c.totalTypes.includes(type);
  if (c.kind === 'sequence') return c.after.types.includes(type);
  return false;
}

const activeKey = (ruleId: string, kv: string): string => `${ruleId}\u0000${kv}`;
/** Replayed event ids remembered per engine (state bytes stay small: ~40 bytes each). */
const MAX_REMEMBERED_REPLAYS = 10_000;

