import type { ConsumedEvent } from '@vigil/kafka';
import type { DetectionEngine, EngineAlert, EngineStage, PartialCounts } from '../../engine/detection-engine';
import type { KeyedRecord } from '../../engine/keyed-forwarding';
import type { RuleSet } from '../../engine/rule-definition';

/*
 * The detection topology: three stages, each its own consumer group with an engine per partition.
 *
 *   auth.events.v1 (keyed by user) ── user stage ──> alerts of user and user+IP rules
 *                                        │  events a rule keyed by IP, route or password fingerprint
 *                                        │  matches, one record per kind, re-keyed by that value
 *                                        ├────────> repartition topic ── keyed (`ip`) stage ──> keyed alerts
 *                                        │  global rules' partial counts per source partition
 *                                        └────────> global partials topic (1 partition) ── global stage ──> global alerts
 *
 * (The internal topics are MonitorTopics in @vigil/contracts.) StageProcessor does the work every
 * stage partition shares (load, save, commit, ordering, idle clock); user-stage.ts, ip-stage.ts
 * and global-stage.ts say what a step of each does with its input and where its output goes.
 */

export type TopologyStage = Exclude<EngineStage, 'all'>;

export const TOPOLOGY_STAGES: readonly TopologyStage[] = ['user', 'ip', 'global'];

/** An event the user stage sends on to the keyed stage, for one key kind. */
export interface ForwardedRecord extends KeyedRecord {
  consumed: ConsumedEvent;
}

/** What one step of a stage partition sends on (alerts first, through the AlertPublisher). */
export interface StepOutput {
  alerts: EngineAlert[];
  /** User stage: events some keyed rule (IP, route, fingerprint) matches, one record per kind, for the keyed stage. */
  forward: ForwardedRecord[];
  /** User stage: the global rules' counts after the step, for the global stage. */
  partial?: PartialCounts;
}

/** One stage partition as a stage module sees it. */
export interface StagePartition {
  readonly engine: DetectionEngine;
  /**
   * Keyed stage: source partition -> last source offset applied, per record kind (`<partition>`
   * for `ip`, as before kinds existed; `<kind>/<partition>` for the others). Saved with the
   * state; re-sent duplicates are skipped, and an event forwarded for two kinds counts once in each.
   */
  readonly sources: Record<string, string>;
  /** IP and global stages: wall time each upstream partition was last heard from. */
  readonly heard: Map<number, number>;
}

/** What a stage does with a step's input and where its output goes; the per-partition work is StageProcessor's. */
export interface DetectionStage {
  readonly name: TopologyStage;
  /** IP and global stages: how many upstream (input topic) partitions feed them (a fresh partition's clock waits for each). */
  readonly sourcePartitions?: () => Promise<number>;
  setRules(rules: RuleSet): void;
  /** Runs a step's fresh input through the partition's engine. */
  evaluate(p: StagePartition, events: ConsumedEvent[]): StepOutput;
  /** After the idle clock moved the partition's engine: what goes out besides alerts. */
  afterIdle(p: StagePartition): Pick<StepOutput, 'partial'>;
  /** Sends a step's output other than alerts (forwarded events, partial counts). */
  sendOn(out: StepOutput, partition: number, upto: string): Promise<void>;
}
