import type { GlobalPartialsRecord } from '@vigil/contracts';
import type { ConsumedEvent } from '@vigil/kafka';
import type { EngineAlert } from '../../engine/detection-engine';
import type { RuleSet } from '../../engine/rule-definition';
import type { DetectionStage, StagePartition, StepOutput } from './stage';
import { retireQuietSources } from './upstream-sources';

/**
 * The global stage, on the partials topic (one partition, so exactly one instance merges): the
 * global rules, evaluated on the sum of every user-stage partition's counts (engine/partial-counts.ts).
 * Its clock is the slowest upstream partition's.
 */
export class GlobalStage implements DetectionStage {
  readonly name = 'global' as const;

  constructor(
    readonly sourcePartitions: () => Promise<number>,
    private readonly idleMs: number,
  ) {}

  setRules(_rules: RuleSet): void {}

  evaluate(p: StagePartition, events: ConsumedEvent[]): StepOutput {
    const alerts: EngineAlert[] = [];
    for (const c of events) {
      // Decoded by decodeGlobalPartialsRecord (the consumer's decode for this topic).
      const record = c.event as unknown as GlobalPartialsRecord;
      p.heard.set(record.source, Date.now());
      alerts.push(...p.engine.mergePartial(record.source, record));
    }
    alerts.push(...retireQuietSources(p, this.idleMs));
    return { alerts, forward: [] };
  }

  afterIdle(): Pick<StepOutput, 'partial'> {
    return {};
  }

  async sendOn(): Promise<void> {}
}
