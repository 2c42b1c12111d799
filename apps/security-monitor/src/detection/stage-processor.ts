import type { Logger } from 'winston';
import { encodeEvent, type EventEnvelope } from '@vigil/contracts';
import { headerString, type ConsumedEvent, type EventProducer, type HandlerContext } from '@vigil/kafka';
import { DetectionEngine, type EngineAlert, type EngineOptions, type EngineStage, type PartialCounts } from '../engine/detection-engine';
import { ipOf } from '../engine/event-fields';
import type { RuleSet } from '../engine/rule-definition';
import { compileIpForwarding } from '../engine/stages';
import { monitorMetrics } from './detection.metrics';
import type { PartitionStateRepository } from './partition-state.repository';

/** An event stamped further ahead than this is a broken clock: it would drag the watermark forward and resolve everything. */
const MAX_FUTURE_SKEW_MS = 5 * 60_000;

/** Headers on repartitioned records: where the event came from, so a re-sent duplicate is skipped. */
export const SOURCE_PARTITION_HEADER = 'vigil-source-partition';
export const SOURCE_OFFSET_HEADER = 'vigil-source-offset';

/** What a user-stage step sends on besides alerts. */
interface StepOutput {
  alerts: EngineAlert[];
  forward: ConsumedEvent[];
  partial?: PartialCounts;
}

interface PartitionRuntime {
  engine: DetectionEngine;
  /** Last input offset the engine covers ('-1': none yet). */
  offset: string;
  sources: Record<string, string>;
  saved?: { offset: string; sources: Record<string, string> };
  /** Wall time of the last save; the state is written at most every saveIntervalMs while it changes. */
  savedAt: number;
  dirty: boolean;
  /** Output computed but not yet on Kafka (sent before anything else on this partition). */
  pending?: StepOutput;
  /** Wall time of the last input (idle partitions move their clock on). */
  lastInput: number;
  /**
   * Wall time since which the input has been heard to be quiet without a break (the consumer's
   * fetches answered every tick); undefined while it is not (broker away, partition held back).
   */
  quietSince?: number;
  /** Steps and idle ticks of one partition run one after another. */
  queue: Promise<unknown>;
  /** IP and global stages: wall time each upstream partition was last heard from. */
  heard: Map<number, number>;
}

export interface StageDeps {
  stage: Exclude<EngineStage, 'all'>;
  groupId: string;
  topic: string;
  rules: () => RuleSet;
  engineOptions: EngineOptions;
  repository: PartitionStateRepository;
  producer: EventProducer;
  logger: Logger;
  /** Publishes alert transitions (and responses) before the state that produced them is saved. */
  publishAlerts: (alerts: EngineAlert[]) => Promise<void>;
  repartitionTopic: string;
  partialsTopic: string;
  idleMs: number;
  saveIntervalMs: number;
  /** IP and global stages: how many upstream (input topic) partitions feed them. */
  sourcePartitions?: () => Promise<number>;
}

/**
 * One stage of the detection topology (see engine/stages.ts) for the partitions this instance
 * holds: an engine per partition, its state loaded from PostgreSQL when the partition arrives and
 * saved (guarded, see PartitionStateRepository.save) at most every saveIntervalMs once the step's
 * output is on Kafka. Offsets are committed only up to the saved state, so after a crash the
 * input is replayed from there; what the state already covers is skipped: no gap, no double count.
 */
export class StageProcessor {
  private readonly partitions = new Map<number, PartitionRuntime>();
  private owned?: Set<number>;
  private forward: (e: EventEnvelope) => boolean;

  constructor(private readonly d: StageDeps) {
    this.forward = compileIpForwarding(d.rules());
  }

  get stage(): EngineStage {
    return this.d.stage;
  }

  /** The group gave this member these partitions: state of any other is dropped (its new owner loads it). */
  assigned(partitions: number[]): void {
    this.owned = new Set(partitions);
    for (const p of [...this.partitions.keys()]) if (!this.owned.has(p)) this.partitions.delete(p);
  }

  setRules(rules: RuleSet): void {
    this.forward = compileIpForwarding(rules);
    for (const rt of this.partitions.values()) rt.engine.setRules(rules);
  }

  engines(): DetectionEngine[] {
    return [...this.partitions.values()].map((rt) => rt.engine);
  }

  heldPartitions(): Record<string, string> {
    return Object.fromEntries([...this.partitions].map(([p, rt]) => [String(p), rt.offset]));
  }

  handle(events: ConsumedEvent[], ctx: HandlerContext): Promise<void> {
    return this.serialized(ctx.partition, () => this.step(events, ctx.partition, ctx));
  }

  /**
   * Moves the clock of every partition idle for idleMs to now (alerts resolve; the global watermark
   * moves). Idle means the source is quiet, not that we cannot hear it: `quiet` says whether the
   * input is heard right now (a fetch answered recently, the partition not held for a dependency),
   * and only silence heard without a break counts. While the broker or the database is away the
   * stage is blind; once it hears again, the backlog gets idleMs to arrive before the clock moves,
   * instead of being dropped as late by a clock moved on the first empty fetch.
   */
  async tickIdle(now = Date.now(), quiet: (partition: number) => boolean = () => true): Promise<void> {
    const idle: number[] = [];
    for (const [p, rt] of this.partitions) {
      if (this.owned && !this.owned.has(p)) continue;
      if (!quiet(p)) {
        rt.quietSince = undefined;
        continue;
      }
      rt.quietSince ??= now;
      if (this.isIdle(rt, now)) idle.push(p);
    }
    await Promise.all(idle.map((p) => this.serialized(p, () => this.advance(p, now))));
  }

  /** No input for idleMs, counted from the later of the last input and the start of the current quiet spell. */
  private isIdle(rt: PartitionRuntime, now: number): boolean {
    return rt.quietSince !== undefined && now - Math.max(rt.lastInput, rt.quietSince) >= this.d.idleMs;
  }

  private serialized<T>(partition: number, fn: () => Promise<T>): Promise<T> {
    const rt = this.partitions.get(partition);
    if (!rt) return fn();
    const run = rt.queue.then(fn, fn);
    rt.queue = run.catch(() => undefined);
    return run;
  }

  private key(partition: number) {
    return { groupId: this.d.groupId, topic: this.d.topic, partition };
  }

  private newEngine(): DetectionEngine {
    return new DetectionEngine(this.d.rules(), { ...this.d.engineOptions, stage: this.d.stage });
  }

  /** The partition's runtime; (re)loaded from PostgreSQL when new here or when the input skipped ahead of it. */
  private async runtimeFor(partition: number, firstOffset: string): Promise<PartitionRuntime> {
    const held = this.partitions.get(partition);
    if (held && BigInt(firstOffset) <= BigInt(held.offset) + 1n) return held;
    const stored = await this.d.repository.load(this.key(partition));
    const engine = this.newEngine();
    if (stored) engine.restore(stored.state);
    else if (this.d.sourcePartitions) engine.expectSources(Array.from({ length: await this.d.sourcePartitions() }, (_, i) => i));
    const now = Date.now();
    const rt: PartitionRuntime = {
      engine,
      offset: stored?.offset ?? '-1',
      sources: { ...stored?.sources },
      ...(stored ? { saved: { offset: stored.offset, sources: { ...stored.sources } } } : {}),
      lastInput: now,
      savedAt: now,
      dirty: false,
      queue: held?.queue ?? Promise.resolve(),
      // Every upstream partition counts as just heard from: each gets idleMs to speak before it is retired.
      heard: new Map(engine.sourceIds.map((src) => [src, now])),
    };
    if (stored) {
      this.d.logger.info('detection state loaded', { stage: this.d.stage, topic: this.d.topic, partition, offset: stored.offset, rulesVersion: stored.rulesVersion, ...engine.stats() });
    }
    this.partitions.set(partition, rt);
    return rt;
  }

  private async step(events: ConsumedEvent[], partition: number, ctx: HandlerContext): Promise<void> {
    const rt = await this.runtimeFor(partition, events[0].offset);
    const m = monitorMetrics();
    // Output of an earlier step that could not be sent goes first (its state has moved on already).
    await this.flushPending(rt, partition);
    const fresh = events.filter((e) => BigInt(e.offset) > BigInt(rt.offset));
    if (fresh.length < events.length) m.skippedReplayed.add(events.length - fresh.length, { stage: this.d.stage });
    if (fresh.length > 0) {
      rt.lastInput = Date.now();
      rt.pending = this.evaluate(rt, fresh);
      rt.offset = fresh[fresh.length - 1].offset;
      rt.dirty = true;
      await this.flushPending(rt, partition);
    }
    if (rt.dirty && Date.now() - rt.savedAt >= this.d.saveIntervalMs) await this.save(rt, partition);
    // Only what the saved state covers may be committed: after a crash the group resumes there.
    ctx.commitUpTo(rt.saved?.offset ?? null);
  }

  /**
   * Saves partitions whose state moved since their last save: those due (saveIntervalMs) on the
   * periodic tick, so a quiet partition's last steps are not left unsaved; all of them on shutdown.
   */
  async flush(opts: { dueOnly?: boolean } = {}): Promise<void> {
    const due = (rt: PartitionRuntime) => rt.dirty && (!opts.dueOnly || Date.now() - rt.savedAt >= this.d.saveIntervalMs);
    await Promise.all([...this.partitions].filter(([, rt]) => due(rt)).map(([p]) => this.serialized(p, () => this.saveIf(p, due))));
  }

  private async saveIf(partition: number, due: (rt: PartitionRuntime) => boolean): Promise<void> {
    const rt = this.partitions.get(partition);
    if (rt && due(rt)) await this.save(rt, partition);
  }

  private async flushPending(rt: PartitionRuntime, partition: number): Promise<void> {
    if (!rt.pending) return;
    await this.emit(rt.pending, partition, rt.offset);
    rt.pending = undefined;
  }

  private async advance(partition: number, now: number): Promise<void> {
    const rt = this.partitions.get(partition);
    if (!rt || !this.isIdle(rt, now)) return;
    try {
      await this.flushPending(rt, partition);
      const before = rt.engine.stats().watermark;
      const alerts = rt.engine.advanceTo(now);
      const partial = this.d.stage === 'user' ? rt.engine.drainPartials() : undefined;
      if (rt.engine.stats().watermark === before && alerts.length === 0) return;
      rt.pending = { alerts, forward: [], partial };
      rt.dirty = true;
      await this.flushPending(rt, partition);
      await this.save(rt, partition);
    } catch (err) {
      this.d.logger.warn('idle clock advance: output not sent yet; retried with the next step or tick', { stage: this.d.stage, partition, err });
    }
  }

  private evaluate(rt: PartitionRuntime, events: ConsumedEvent[]): StepOutput {
    const m = monitorMetrics();
    const before = rt.engine.stats().lateDropped;
    const alerts: EngineAlert[] = [];
    const forward: ConsumedEvent[] = [];
    let skipped = 0;
    if (this.d.stage === 'global') {
      for (const c of events) {
        const record = c.event as unknown as PartialRecord;
        rt.heard.set(record.source, Date.now());
        alerts.push(...rt.engine.mergePartial(record.source, record));
      }
      alerts.push(...this.retireQuietSources(rt));
      return { alerts, forward };
    }
    const horizon = Date.now() + MAX_FUTURE_SKEW_MS;
    let future = 0;
    for (const c of events) {
      // A repartitioned duplicate (IP stage), or a DLQ replay this partition already counted.
      if ((this.d.stage === 'ip' && this.isDuplicate(rt, c)) || (c.replayed && !rt.engine.firstReplay(c.event.id))) {
        skipped++;
        continue;
      }
      const e = c.event;
      if (Date.parse(e.occurredAt) > horizon) {
        future++;
        continue;
      }
      const source = this.d.stage === 'ip' ? sourceOf(c) : undefined;
      if (source !== undefined) rt.heard.set(source, Date.now());
      alerts.push(...rt.engine.process(e, source));
      if (this.d.stage === 'user' && this.forward(e)) forward.push(c);
    }
    if (this.d.stage === 'ip') alerts.push(...this.retireQuietSources(rt));
    const late = rt.engine.stats().lateDropped - before;
    m.events.add(events.length - late - future - skipped, { stage: this.d.stage });
    if (skipped) m.skippedReplayed.add(skipped, { stage: this.d.stage });
    if (late) m.lateDropped.add(late, { reason: 'beyond_lateness', stage: this.d.stage });
    if (future) m.lateDropped.add(future, { reason: 'future_clock', stage: this.d.stage });
    return { alerts, forward, partial: this.d.stage === 'user' ? rt.engine.drainPartials() : undefined };
  }

  /** Upstream partitions not heard from for idleMs stop holding this partition's clock back. */
  private retireQuietSources(rt: PartitionRuntime): EngineAlert[] {
    const now = Date.now();
    const out: EngineAlert[] = [];
    for (const src of rt.engine.sourceIds) {
      if (now - (rt.heard.get(src) ?? 0) < this.d.idleMs) continue;
      rt.heard.delete(src);
      out.push(...rt.engine.retireSource(src));
    }
    return out;
  }

  /** A repartitioned event re-sent after an upstream crash: at or below what this partition applied from its source. */
  private isDuplicate(rt: PartitionRuntime, c: ConsumedEvent): boolean {
    const src = headerString(c.headers, SOURCE_PARTITION_HEADER);
    const off = headerString(c.headers, SOURCE_OFFSET_HEADER);
    if (src === undefined || off === undefined) return false;
    const seen = rt.sources[src];
    if (seen !== undefined && BigInt(off) <= BigInt(seen)) return true;
    rt.sources[src] = off;
    return false;
  }

  private async emit(out: StepOutput, partition: number, upto: string): Promise<void> {
    await this.d.publishAlerts(out.alerts);
    if (out.forward.length) {
      await this.d.producer.send(
        this.d.repartitionTopic,
        // The event as it came (its headers carry its trace), re-keyed by IP, with where it came from.
        out.forward.map((c) => ({
          key: ipOf(c.event)!,
          value: encodeEvent(c.event),
          timestamp: String(c.timestamp),
          headers: { ...c.headers, [SOURCE_PARTITION_HEADER]: String(partition), [SOURCE_OFFSET_HEADER]: c.offset },
        })),
      );
      monitorMetrics().repartitioned.add(out.forward.length);
    }
    if (out.partial) {
      const record: PartialRecord = { v: 1, source: partition, upto, ...out.partial };
      await this.d.producer.send(this.d.partialsTopic, [{ key: String(partition), value: JSON.stringify(record), headers: { 'content-type': 'application/json' } }]);
    }
  }

  /**
   * Writes the partition's state (guarded: see PartitionStateRepository.save). A failure is
   * logged and retried on the next step or tick, never thrown: the events are in the state
   * already, and the commit simply stays where the last saved state ends.
   */
  private async save(rt: PartitionRuntime, partition: number): Promise<void> {
    const stateJson = JSON.stringify(rt.engine.snapshot());
    const offset = rt.offset;
    const sources = { ...rt.sources };
    const started = performance.now();
    let ok: boolean;
    try {
      ok = await this.d.repository.save(this.key(partition), offset, sources, this.d.rules().version, stateJson);
    } catch (err) {
      monitorMetrics().stateSaveFailures.add(1, { stage: this.d.stage });
      this.d.logger.error('saving detection state failed; kept in memory and retried', { stage: this.d.stage, topic: this.d.topic, partition, err });
      return;
    }
    monitorMetrics().stateSaveSeconds.record((performance.now() - started) / 1000, { stage: this.d.stage });
    monitorMetrics().stateBytes.record(stateJson.length, { stage: this.d.stage });
    if (!ok) {
      // Another instance holds this partition now and has moved past us: its state wins.
      this.partitions.delete(partition);
      this.d.logger.warn('partition state is further along elsewhere; dropping ours', { stage: this.d.stage, topic: this.d.topic, partition, offset });
      return;
    }
    rt.saved = { offset, sources };
    rt.savedAt = Date.now();
    rt.dirty = rt.offset !== offset || rt.pending !== undefined;
  }
}

/** A record on the partials topic: one source partition's global-rule counts after one step. */
export interface PartialRecord extends PartialCounts {
  v: 1;
  source: number;
  /** The source offset these counts cover. */
  upto: string;
}

function sourceOf(c: ConsumedEvent): number | undefined {
  const v = headerString(c.headers, SOURCE_PARTITION_HEADER);
  return v === undefined ? undefined : Number(v);
}
