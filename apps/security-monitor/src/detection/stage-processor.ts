import type { Logger } from 'winston';
import type { ConsumedEvent, HandlerContext } from '@vigil/kafka';
import type { AlertPublisher } from '../alerts/alert-publisher';
import { DetectionEngine, type EngineOptions } from '../engine/detection-engine';
import type { RuleSet } from '../engine/rule-definition';
import { monitorMetrics } from '../monitor.metrics';
import type { PartitionStateRepository } from './partition-state.repository';
import type { DetectionStage, StagePartition, StepOutput } from './stages/stage';

interface PartitionRuntime extends StagePartition {
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
}

export interface StageDeps {
  /** What this stage does with its input and where its output goes (stages/). */
  stage: DetectionStage;
  groupId: string;
  topic: string;
  rules: () => RuleSet;
  engineOptions: EngineOptions;
  repository: PartitionStateRepository;
  /** Publishes alert transitions (and responses) before the state that produced them is saved. */
  alerts: Pick<AlertPublisher, 'publish'>;
  logger: Logger;
  idleMs: number;
  saveIntervalMs: number;
}

/**
 * One stage of the detection topology (stages/stage.ts) for the partitions this instance holds:
 * an engine per partition, its state loaded from PostgreSQL when the partition arrives and saved
 * (guarded, see PartitionStateRepository.save) at most every saveIntervalMs once the step's output
 * is on Kafka. Offsets are committed only up to the saved state, so after a crash the input is
 * replayed from there; what the state already covers is skipped: no gap, no double count. Steps
 * of one partition run in order; a quiet partition's clock moves on (tickIdle). What a step does
 * with its input is the stage module's (user-stage.ts, ip-stage.ts, global-stage.ts).
 */
export class StageProcessor {
  private readonly partitions = new Map<number, PartitionRuntime>();
  private owned?: Set<number>;

  constructor(private readonly d: StageDeps) {}

  get stage(): DetectionStage['name'] {
    return this.d.stage.name;
  }

  /** The group gave this member these partitions: state of any other is dropped (its new owner loads it). */
  assigned(partitions: number[]): void {
    this.owned = new Set(partitions);
    for (const p of [...this.partitions.keys()]) if (!this.owned.has(p)) this.partitions.delete(p);
  }

  setRules(rules: RuleSet): void {
    this.d.stage.setRules(rules);
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
    return new DetectionEngine(this.d.rules(), { ...this.d.engineOptions, stage: this.d.stage.name });
  }

  /** The partition's runtime; (re)loaded from PostgreSQL when new here or when the input skipped ahead of it. */
  private async runtimeFor(partition: number, firstOffset: string): Promise<PartitionRuntime> {
    const held = this.partitions.get(partition);
    if (held && BigInt(firstOffset) <= BigInt(held.offset) + 1n) return held;
    const stored = await this.d.repository.load(this.key(partition));
    const engine = this.newEngine();
    const upstream = this.d.stage.sourcePartitions;
    if (stored) engine.restore(stored.state);
    else if (upstream) engine.expectSources(Array.from({ length: await upstream() }, (_, i) => i));
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
      this.d.logger.info('detection state loaded', {
        stage: this.stage,
        topic: this.d.topic,
        partition,
        offset: stored.offset,
        rulesVersion: stored.rulesVersion,
        ...engine.stats(),
      });
    }
    this.partitions.set(partition, rt);
    return rt;
  }

  private async step(events: ConsumedEvent[], partition: number, ctx: HandlerContext): Promise<void> {
    const rt = await this.runtimeFor(partition, events[0].offset);
    // Output of an earlier step that could not be sent goes first (its state has moved on already).
    await this.flushPending(rt, partition);
    const fresh = events.filter((e) => BigInt(e.offset) > BigInt(rt.offset));
    if (fresh.length < events.length)
      monitorMetrics().skippedReplayed.add(events.length - fresh.length, { stage: this.stage });
    if (fresh.length > 0) {
      rt.lastInput = Date.now();
      rt.pending = this.d.stage.evaluate(rt, fresh);
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
    const due = (rt: PartitionRuntime) =>
      rt.dirty && (!opts.dueOnly || Date.now() - rt.savedAt >= this.d.saveIntervalMs);
    await Promise.all(
      [...this.partitions]
        .filter(([, rt]) => due(rt))
        .map(([p]) => this.serialized(p, () => this.saveIf(p, due))),
    );
  }

  private async saveIf(partition: number, due: (rt: PartitionRuntime) => boolean): Promise<void> {
    const rt = this.partitions.get(partition);
    if (rt && due(rt)) await this.save(rt, partition);
  }

  /** Alerts first, then what the stage sends on; kept as pending until all of it is on Kafka. */
  private async flushPending(rt: PartitionRuntime, partition: number): Promise<void> {
    if (!rt.pending) return;
    await this.d.alerts.publish(rt.pending.alerts);
    await this.d.stage.sendOn(rt.pending, partition, rt.offset);
    rt.pending = undefined;
  }

  private async advance(partition: number, now: number): Promise<void> {
    const rt = this.partitions.get(partition);
    if (!rt || !this.isIdle(rt, now)) return;
    try {
      await this.flushPending(rt, partition);
      const before = rt.engine.stats().watermark;
      const alerts = rt.engine.advanceTo(now);
      const { partial } = this.d.stage.afterIdle(rt);
      if (rt.engine.stats().watermark === before && alerts.length === 0) return;
      rt.pending = { alerts, forward: [], partial };
      rt.dirty = true;
      await this.flushPending(rt, partition);
      await this.save(rt, partition);
    } catch (err) {
      this.d.logger.warn('idle clock advance: output not sent yet; retried with the next step or tick', {
        stage: this.stage,
        partition,
        err,
      });
    }
  }

  /**
   * Writes the partition's state (guarded: see PartitionStateRepository.save). A failure is
   * logged and retried on the next step or tick, never thrown: the events are in the state
   * already, and the commit simply stays where the last saved state ends.
   */
  private async save(rt: PartitionRuntime, partition: number): Promise<void> {
    const stage = this.stage;
    const stateJson = JSON.stringify(rt.engine.snapshot());
    const offset = rt.offset;
    const sources = { ...rt.sources };
    const started = performance.now();
    let ok: boolean;
    try {
      ok = await this.d.repository.save(
        this.key(partition),
        offset,
        sources,
        this.d.rules().version,
        stateJson,
      );
    } catch (err) {
      monitorMetrics().stateSaveFailures.add(1, { stage });
      this.d.logger.error('saving detection state failed; kept in memory and retried', {
        stage,
        topic: this.d.topic,
        partition,
        err,
      });
      return;
    }
    monitorMetrics().stateSaveSeconds.record((performance.now() - started) / 1000, { stage });
    monitorMetrics().stateBytes.record(stateJson.length, { stage });
    if (!ok) {
      // Another instance holds this partition now and has moved past us: its state wins.
      this.partitions.delete(partition);
      this.d.logger.warn('partition state is further along elsewhere; dropping ours', {
        stage,
        topic: this.d.topic,
        partition,
        offset,
      });
      return;
    }
    rt.saved = { offset, sources };
    rt.savedAt = Date.now();
    rt.dirty = rt.offset !== offset || rt.pending !== undefined;
  }
}
