import { RepartitionHeaders, repartitionSourceOf, type RepartitionSource } from '@vigil/contracts';
import { headerString, type ConsumedEvent } from '@vigil/kafka';
import type { RuleSet } from '../../engine/rule-definition';
import { processEvents } from './process-events';
import type { DetectionStage, StagePartition, StepOutput } from './stage';
import { retireQuietSources } from './upstream-sources';

/**
 * The IP stage, on the repartition topic (keyed by IP): the per-IP rules. Its clock is the slowest
 * upstream partition's; a record re-sent after an upstream crash (at or below the source offset
 * this partition applied) is skipped.
 */
export class IpStage implements DetectionStage {
  readonly name = 'ip' as const;

  constructor(
    readonly sourcePartitions: () => Promise<number>,
    private readonly idleMs: number,
  ) {}

  setRules(_rules: RuleSet): void {}

  evaluate(p: StagePartition, events: ConsumedEvent[]): StepOutput {
    const alerts = processEvents(this.name, p, events, {
      duplicate: (c) =>
        isDuplicate(
          p,
          repartitionSourceOf((name) => headerString(c.headers, name)),
        ),
      sourceOf: (c) => upstreamPartitionOf(c),
    });
    alerts.push(...retireQuietSources(p, this.idleMs));
    return { alerts, forward: [] };
  }

  afterIdle(): Pick<StepOutput, 'partial'> {
    return {};
  }

  async sendOn(): Promise<void> {}
}

/** The input partition a repartitioned event came from (its clock among the upstream ones). */
function upstreamPartitionOf(c: ConsumedEvent): number | undefined {
  const v = headerString(c.headers, RepartitionHeaders.SOURCE_PARTITION);
  return v === undefined ? undefined : Number(v);
}

/** A repartitioned event re-sent after an upstream crash: at or below what this partition applied from its source. */
function isDuplicate(p: StagePartition, from: RepartitionSource | undefined): boolean {
  if (from === undefined) return false;
  const src = String(from.partition);
  const seen = p.sources[src];
  if (seen !== undefined && BigInt(from.offset) <= BigInt(seen)) return true;
  p.sources[src] = from.offset;
  return false;
}
