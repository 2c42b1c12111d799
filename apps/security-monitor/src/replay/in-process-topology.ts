import { repartitionRecordKey, type EventEnvelope } from '@vigil/contracts';
import { DetectionEngine, type EngineAlert, type EngineOptions } from '../engine/detection-engine';
import { compileKeyedForwarding, type KeyedRecord } from '../engine/keyed-forwarding';
import type { KeyedKind, RuleSet } from '../engine/rule-definition';

export interface TopologyOptions extends EngineOptions {
  /** Input topic partitions: one user-stage engine each, and the upstream sources of the IP and global stages. */
  inputPartitions: number;
  /** Repartition topic partitions: one IP-stage engine each (live: MONITOR_REPARTITION_TOPIC's partitions). */
  ipPartitions: number;
  /**
   * Which keyed-stage partition a forwarded record goes to, by its record key (the IP for `ip`,
   * `<kind>:<value>` otherwise; live: Kafka's default partitioner on the repartition topic).
   */
  ipPartitionOf: (recordKey: string, partitions: number) => number;
}

export interface TopologyStats {
  /** Events each stage's engines counted. */
  events: { user: number; ip: number };
  /** Events each stage dropped as later than the allowed lateness. */
  lateDropped: { user: number; ip: number };
  forwarded: number;
  activeAlerts: number;
}

/**
 * The live detection topology (detection/stages/stage.ts) in one process, on the engines' public
 * API only: a `user` engine per input partition, the events some keyed rule (IP, route, password
 * fingerprint) needs forwarded (compileKeyedForwarding, one record per kind) to an `ip` (keyed)
 * engine per repartition partition with their source partition and kind,
 * and the global rules' per-partition counts (drainPartials) merged by one `global` engine
 * (mergePartial), stepped by the caller as the live consumers step their partitions: used by
 * `npm run monitor:replay` (replay.ts), which steps it in the order it reads the stored topic.
 * (engine/partitioned-run.ts runs the same topology in rounds of event time for the specs and the
 * rules check.) Deterministic: the same calls give the same transitions.
 */
export class InProcessTopology {
  readonly user: DetectionEngine[];
  readonly ip: DetectionEngine[];
  readonly global: DetectionEngine;
  private readonly forward: (e: EventEnvelope) => readonly KeyedRecord[];
  private readonly pending: Array<Array<[EventEnvelope, number, KeyedKind]>>;
  private forwarded = 0;

  constructor(
    rules: RuleSet,
    private readonly opts: TopologyOptions,
  ) {
    const { inputPartitions, ipPartitions, ipPartitionOf: _, ...engineOpts } = opts;
    if (!Number.isInteger(inputPartitions) || inputPartitions < 1)
      throw new RangeError(`inputPartitions must be >= 1, got ${inputPartitions}`);
    if (!Number.isInteger(ipPartitions) || ipPartitions < 1)
      throw new RangeError(`ipPartitions must be >= 1, got ${ipPartitions}`);
    const engines = (stage: 'user' | 'ip', n: number) =>
      Array.from({ length: n }, () => new DetectionEngine(rules, { ...engineOpts, stage }));
    this.user = engines('user', inputPartitions);
    this.ip = engines('ip', ipPartitions);
    this.global = new DetectionEngine(rules, { ...engineOpts, stage: 'global' });
    // A fresh IP or global partition's clock waits for every input partition (StageProcessor.runtimeFor).
    const sources = Array.from({ length: inputPartitions }, (_, p) => p);
    for (const engine of [...this.ip, this.global]) engine.expectSources(sources);
    this.forward = compileKeyedForwarding(rules);
    this.pending = Array.from({ length: ipPartitions }, () => []);
  }

  /** User stage: one event of input partition `partition`; what the IP stage needs is held for deliverForwarded. */
  processInput(partition: number, e: EventEnvelope): EngineAlert[] {
    const out = this.engineOf(this.user, partition).process(e);
    for (const r of this.forward(e)) {
      const key = repartitionRecordKey(r.kind, r.value);
      this.pending[this.opts.ipPartitionOf(key, this.ip.length)].push([e, partition, r.kind]);
      this.forwarded++;
    }
    return out;
  }

  /** IP stage: every held forwarded event, per repartition partition in the order they were forwarded. */
  deliverForwarded(): EngineAlert[] {
    const out: EngineAlert[] = [];
    for (let p = 0; p < this.ip.length; p++)
      for (const [e, source, kind] of this.pending[p].splice(0))
        out.push(...this.ip[p].process(e, source, kind));
    return out;
  }

  /** Global stage: input partition `partition`'s partial counts since its last step. */
  mergePartials(partition: number): EngineAlert[] {
    return this.global.mergePartial(partition, this.engineOf(this.user, partition).drainPartials());
  }

  /**
   * One step of an input partition as the live service runs it: the events through the user
   * engine, then what it sends on (forwarded events to the IP stage, its partial counts to the
   * global stage).
   */
  step(partition: number, events: EventEnvelope[]): EngineAlert[] {
    const out: EngineAlert[] = [];
    for (const e of events) out.push(...this.processInput(partition, e));
    out.push(...this.deliverForwarded());
    out.push(...this.mergePartials(partition));
    return out;
  }

  /** Moves the user and IP engines' clocks to t (the live idle clock), without the global one. */
  advanceKeyed(t: number): EngineAlert[] {
    const out: EngineAlert[] = [];
    for (const engine of [...this.user, ...this.ip]) out.push(...engine.advanceTo(t));
    return out;
  }

  /**
   * Every stage's clock to t, as the live idle clock moves a quiet stream's partitions to the
   * wall clock: open alerts whose window has passed resolve.
   */
  advanceAll(t: number): EngineAlert[] {
    const out = this.deliverForwarded();
    out.push(...this.advanceKeyed(t));
    for (let p = 0; p < this.user.length; p++) out.push(...this.mergePartials(p));
    out.push(...this.global.advanceTo(t));
    return out;
  }

  stats(): TopologyStats {
    const sum = (engines: DetectionEngine[], k: 'events' | 'lateDropped' | 'activeAlerts') =>
      engines.reduce((n, e) => n + e.stats()[k], 0);
    return {
      events: { user: sum(this.user, 'events'), ip: sum(this.ip, 'events') },
      lateDropped: { user: sum(this.user, 'lateDropped'), ip: sum(this.ip, 'lateDropped') },
      forwarded: this.forwarded,
      activeAlerts: sum([...this.user, ...this.ip, this.global], 'activeAlerts'),
    };
  }

  private engineOf(engines: DetectionEngine[], partition: number): DetectionEngine {
    const engine = engines[partition];
    if (!engine) throw new RangeError(`no partition ${partition} (0..${engines.length - 1})`);
    return engine;
  }
}
