import { EventType, type EventEnvelope } from '@vigil/contracts';
import { transition } from './alert-transition';
import {
  compileRules,
  recordValue,
  rulesByType,
  typedMatch,
  untypedRules,
  type TypedRule,
} from './compiled-rules';
import {
  type CompiledRule,
  type EngineAlert,
  type EngineOptions,
  type EngineSnapshot,
  type EngineStage,
  type EngineStats,
  type PartialCounts,
} from './engine-types';
import { restoreSnapshot, toSnapshot } from './engine-snapshot';
import { firingOffset, windowEndingAt } from './firing-time';
import { evictOne, sweepKeys } from './rule-keys';
import { DueQueue } from './due-queue';
import { EventClock } from './event-clock';
import { eventTimeMs } from './event-time';
import { compileAllowlist, keyValueOf, weightOf } from './event-fields';
import { drainPartialCounts, mergePartialCounts, type MergeTarget } from './partial-counts';
import type { RuleKeyKind, RuleSet } from './rule-definition';
import {
  SAMPLE_LIMIT,
  addSequenceStep,
  addToBucket,
  expire,
  newKeyState,
  pushRecent,
  windowFirst,
  windowSums,
  type KeyState,
} from './window-state';

/** Bound once: a barrel's re-exports are getters in CommonJS, called on every read. */
const JUNK = EventType.JUNK_REQUESTS_AGGREGATED;

export * from './engine-types';

/*
 * The detection engine: pure, synchronous, deterministic. Events in (any order within the allowed
 * lateness), alert transitions out. Time is the events' own (occurredAt): the watermark is the
 * newest event time minus the allowed lateness, so replaying the same input gives the same alerts.
 * Its clock is event-clock.ts, the global rules' cross-partition counts partial-counts.ts, its
 * saved form engine-snapshot.ts; windows and conditions per key are window-state.ts.
 */

const SWEEP_EVERY_MS = 60_000;
/** What process() returns for an event that raises nothing (shared, frozen: callers copy or spread it). */
const NO_ALERTS: EngineAlert[] = Object.freeze([]) as unknown as EngineAlert[];

export class DetectionEngine {
  private rules: CompiledRule[] = [];
  private byType = new Map<string, TypedRule[]>();
  private untyped: TypedRule[] = [];
  private readonly updateMs: number;
  private readonly maxKeys: number;
  private readonly allowlisted: (e: EventEnvelope) => boolean;
  private readonly stage: EngineStage;
  private readonly clock: EventClock;
  private lastSweep = -Infinity;
  private replayed = new Set<string>();
  private readonly active = new Map<string, [CompiledRule, string]>();
  /** Open alerts by the earliest time they could resolve. */
  private readonly due = new DueQueue();
  private readonly scratch: EngineAlert[] = [];
  private events = 0;
  private lateDropped = 0;
  private keysEvicted = 0;

  constructor(ruleSet: RuleSet, opts: EngineOptions = {}) {
    this.clock = new EventClock(opts.allowedLatenessMs ?? 30_000);
    this.updateMs = opts.updateIntervalMs ?? 30_000;
    this.maxKeys = opts.maxKeysPerRule ?? 100_000;
    this.allowlisted = compileAllowlist(opts.allowlist ?? { ips: [], users: [] });
    this.stage = opts.stage ?? 'all';
    this.setRules(ruleSet);
  }

  get watermark(): number {
    return this.clock.watermark;
  }

  /** Swaps the rules; a rule whose id and version are unchanged keeps its windows and open alerts. */
  setRules(ruleSet: RuleSet): void {
    this.rules = compileRules(ruleSet, this.stage, this.rules, this.maxKeys);
    this.byType = rulesByType(this.rules);
    this.untyped = untypedRules(this.rules);
    this.rebuildActive();
  }

  get ruleIds(): string[] {
    return this.rules.map((r) => r.def.id);
  }

  /**
   * One event. `kind`: the keyed stage's record kind (an event forwarded for two kinds arrives as
   * two records): only the rules of that key kind see it, so each counts it once.
   */
  process(e: EventEnvelope, source?: number, kind?: RuleKeyKind): EngineAlert[] {
    const t = eventTimeMs(e.occurredAt);
    if (t < this.watermark) {
      this.lateDropped++;
      return NO_ALERTS;
    }
    this.events++;
    // Most events raise nothing: one scratch list per engine, copied out only when it holds something.
    const out = this.scratch;
    let allow: boolean | undefined;
    // An aggregate of junk requests reaches the rules of the type it stands for (rare: all rules are tried).
    const rules = e.type === JUNK ? this.untyped : (this.byType.get(e.type) ?? this.untyped);
    for (const typed of rules) {
      const rule = typed.rule;
      if (kind !== undefined && rule.key !== kind) continue;
      // Decided by the event's type where it can be (most rules): no per-event call.
      const matched = typedMatch(typed, e);
      const counted = typed.counted ?? (rule.total !== undefined && rule.total(e));
      if (!matched && !counted) continue;
      if (rule.key !== 'global' && (allow ??= this.allowlisted(e))) continue;
      const kv = keyValueOf(rule.key, e);
      if (kv === undefined) continue;
      this.apply(rule, kv, e, t, matched, counted, out);
    }
    this.tick(t, source, out);
    if (out.length === 0) return NO_ALERTS;
    const alerts = out.slice();
    out.length = 0;
    return alerts;
  }

  /** Moves event time forward without an event (an idle stream still resolves its alerts); every source is caught up. */
  advanceTo(t: number): EngineAlert[] {
    const out: EngineAlert[] = [];
    this.clock.forgetSources();
    this.advance(t, out);
    return out;
  }

  /** A source gone quiet no longer holds the clock back; if it speaks again, it counts again. */
  retireSource(source: number): EngineAlert[] {
    const out: EngineAlert[] = [];
    const t = this.clock.retire(source);
    if (t !== undefined) this.advance(t, out);
    return out;
  }

  /** The upstream partitions there are: until each has been heard from (or retired), the clock waits for it. */
  expectSources(ids: number[]): void {
    this.clock.expect(ids);
  }

  get sourceIds(): number[] {
    return [...this.clock.sources.keys()];
  }

  private tick(t: number, source: number | undefined, out: EngineAlert[]): void {
    const to = this.clock.after(t, source);
    if (to !== undefined) this.advance(to, out);
  }

  private advance(t: number, out: EngineAlert[]): void {
    if (this.clock.moveTo(t)) {
      this.resolveDue(out);
      if (this.watermark - this.lastSweep >= SWEEP_EVERY_MS) {
        // Drops expired buckets everywhere and keys left with nothing (rule-keys.ts).
        this.lastSweep = this.watermark;
        sweepKeys(this.rules, this.watermark);
      }
    }
  }

  /** `user` stage: the global rules' counts touched since the last call (partial-counts.ts). */
  drainPartials(): PartialCounts {
    return drainPartialCounts(this.rules, this.clock.maxT);
  }

  /** `global` stage: applies one source partition's partial counts (partial-counts.ts), then moves its clock. */
  mergePartial(source: number, partial: PartialCounts): EngineAlert[] {
    const out: EngineAlert[] = [];
    mergePartialCounts(this.mergeTarget, this.rules, source, partial, out);
    if (partial.maxT !== null) this.tick(partial.maxT, source, out);
    return out;
  }

  private readonly mergeTarget: MergeTarget = {
    watermark: () => this.watermark,
    stateOf: (rule, kv) => this.stateOf(rule, kv),
    evaluate: (rule, kv, s, t, out) => this.evaluate(rule, kv, s, t, out),
  };

  private stateOf(rule: CompiledRule, kv: string): KeyState {
    let s = rule.keys.get(kv);
    if (!s) {
      if (rule.keys.size >= this.maxKeys && evictOne(rule)) this.keysEvicted++;
      s = newKeyState(rule.def.condition);
      rule.keys.set(kv, s);
    } else {
      expire(s, this.watermark, rule.windowMs, rule.bucketMs);
    }
    return s;
  }

  private apply(
    rule: CompiledRule,
    kv: string,
    e: EventEnvelope,
    t: number,
    matched: boolean,
    counted: boolean,
    out: EngineAlert[],
  ): void {
    const bucketMs = rule.bucketMs;
    const sequence = rule.kind === 'sequence';
    if (sequence && !counted) {
      // A final step (a successful login: most traffic) on a key without enough earlier steps
      // and no open alert cannot change anything: no state is made for it.
      const existing = rule.keys.get(kv);
      if (!existing || (!existing.alert && existing.seq!.length < rule.seqMin)) return;
    }
    // A profile rule learns from every matching event; only those it finds unusual count on.
    if (rule.profile && !rule.profile.observe(kv, e, t)) return;
    const s = this.stateOf(rule, kv);
    const w = weightOf(e); // an aggregate of `count` junk requests counts `count` times
    addToBucket(s, t, bucketMs, matched ? w : 0, counted || (matched && rule.total === undefined) ? w : 0);
    if (counted && sequence) addSequenceStep(s, t, rule.seqMin + SAMPLE_LIMIT);
    if (matched) {
      pushRecent(s, e.id, t);
      recordValue(rule, s, e, t, this.watermark);
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
      const kept = rule.partial.buckets.get(idx); // updated in place: drainPartials copies and starts afresh
      if (kept) {
        kept[0] = s.c[i];
        kept[1] = s.d ? s.d[i] : 0;
        kept[2] = s.f[i];
      } else rule.partial.buckets.set(idx, [s.c[i], s.d ? s.d[i] : 0, s.f[i]]);
      if (t > rule.partial.tmax) rule.partial.tmax = t;
      if (matched && rule.partial.samples.length < SAMPLE_LIMIT) rule.partial.samples.push([e.id, t]);
      return;
    }
    // A sequence completes only on its final event: the steps alone (or after it) never fire.
    if (sequence && !matched) return;
    this.evaluate(rule, kv, s, t, out);
  }

  /** Fires or updates the key's alert if its condition holds for a window containing t (firing-time.ts). */
  private evaluate(rule: CompiledRule, kv: string, s: KeyState, t: number, out: EngineAlert[]): void {
    const offset = firingOffset(rule, s, t);
    if (offset < 0) return; // it does not hold
    const at = t + offset;
    const { def, bucketMs } = rule;
    if (!s.alert) {
      const windowMs = windowEndingAt(rule, t, at);
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
      if (at > wm)
        this.due.push(at, k); // held again since: due later
      else if (!due.some((d) => d[3] === k)) due.push([at, this.rules.indexOf(entry[0]), entry[1], k]);
    }
    if (due.length === 0) return;
    // In (time, rule, key) order, so a restored engine resolves in the same order as a live one.
    due.sort((x, y) => x[0] - y[0] || x[1] - y[1] || (x[2] < y[2] ? -1 : x[2] > y[2] ? 1 : 0));
    for (const [at, ri, kv, k] of due) {
      const rule = this.rules[ri];
      const s = rule.keys.get(kv)!;
      out.push(transition(rule, kv, s, 'resolved', at));
      s.alert = undefined; // not delete: the state keeps its one shape
      this.active.delete(k);
    }
  }

  stats(): EngineStats {
    let keys = 0;
    let profilesEvicted = 0;
    for (const r of this.rules) {
      keys += r.keys.size + (r.profile?.size ?? 0);
      profilesEvicted += r.profile?.evicted ?? 0;
    }
    return {
      events: this.events,
      lateDropped: this.lateDropped,
      keys,
      keysEvicted: this.keysEvicted + profilesEvicted,
      activeAlerts: this.active.size,
      watermark: this.watermark,
    };
  }

  keysByRule(): Record<string, number> {
    // A profile rule's users with a profile count as its keys too.
    return Object.fromEntries(this.rules.map((r) => [r.def.id, r.keys.size + (r.profile?.size ?? 0)]));
  }

  /**
   * Whether a replayed event (npm run dlq:replay) is new to this engine; records it if so. Replays
   * are rare, so their ids are kept (bounded) in the state: replaying twice, even across a restart,
   * counts the event once.
   */
  firstReplay(eventId: string): boolean {
    if (this.replayed.has(eventId)) return false;
    this.replayed.add(eventId);
    if (this.replayed.size > MAX_REMEMBERED_REPLAYS)
      this.replayed.delete(this.replayed.values().next().value as string);
    return true;
  }

  snapshot(): EngineSnapshot {
    const { events, lateDropped, keysEvicted, lastSweep } = this;
    return toSnapshot(this.clock, { events, lateDropped, keysEvicted, lastSweep }, this.rules, this.replayed);
  }

  /** Restores windows and open alerts (engine-snapshot.ts); state of a rule whose version changed since is dropped. */
  restore(snap: EngineSnapshot): void {
    const { counters, replayed } = restoreSnapshot(snap, this.clock, this.rules);
    ({
      events: this.events,
      lateDropped: this.lateDropped,
      keysEvicted: this.keysEvicted,
      lastSweep: this.lastSweep,
    } = counters);
    this.replayed = replayed;
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

const activeKey = (ruleId: string, kv: string): string => `${ruleId}\u0000${kv}`;
/** Replayed event ids remembered per engine (state bytes stay small: ~40 bytes each). */
const MAX_REMEMBERED_REPLAYS = 10_000;
