import {
  DEFAULT_REPARTITION_KIND,
  RepartitionHeaders,
  repartitionKindOf,
  repartitionSourceOf,
  type RepartitionSource,
} from '@vigil/contracts';
import { headerString, type ConsumedEvent } from '@vigil/kafka';
import { isKeyedKind } from '../../engine/keyed-forwarding';
import type { KeyedKind, RuleSet } from '../../engine/rule-definition';
import { monitorMetrics } from '../../monitor.metrics';
import { processEvents } from './process-events';
import type { DetectionStage, StagePartition, StepOutput } from './stage';
import { retireQuietSources } from './upstream-sources';

/**
 * The keyed stage (named `ip`, as its consumer group and saved state have been since IPs were its
 * only kind), on the repartition topic: the rules keyed by IP, route or password fingerprint. Each
 * record carries its key kind (a header; none means `ip`) and is evaluated by the rules of that
 * kind only. Its clock is the slowest upstream partition's; a record re-sent after an upstream
 * crash (at or below the source offset this partition applied for that kind) is skipped.
 */
export class IpStage implements DetectionStage {
  readonly name = 'ip' as const;

  constructor(
    readonly sourcePartitions: () => Promise<number>,
    private readonly idleMs: number,
  ) {}

  setRules(_rules: RuleSet): void {}

  evaluate(p: StagePartition, events: ConsumedEvent[]): StepOutput {
    const kinds = new Map<ConsumedEvent, KeyedKind>();
    const alerts = processEvents(this.name, p, events, {
      duplicate: (c) => {
        const header = (name: string) => headerString(c.headers, name);
        const kind = repartitionKindOf(header);
        if (!isKeyedKind(kind)) {
          // A kind this version does not know (a newer instance upstream during an upgrade): skipped, counted.
          monitorMetrics().repartitionUnknownKind.add(1);
          return true;
        }
        kinds.set(c, kind);
        return isDuplicate(p, kind, repartitionSourceOf(header));
      },
      sourceOf: (c) => upstreamPartitionOf(c),
      kindOf: (c) => kinds.get(c),
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

/** Where a kind's last applied offset per source partition is kept: `<partition>` for `ip` (as saved before kinds existed). */
export const sourceSlot = (kind: string, partition: number): string =>
  kind === DEFAULT_REPARTITION_KIND ? String(partition) : `${kind}/${partition}`;

/**
 * A repartitioned record re-sent after an upstream crash: at or below what this partition applied
 * from its source for its kind. Per kind, because one event forwarded for two kinds is two records
 * with the same source offset, and both must count.
 */
function isDuplicate(p: StagePartition, kind: string, from: RepartitionSource | undefined): boolean {
  if (from === undefined) return false;
  const slot = sourceSlot(kind, from.partition);
  const seen = p.sources[slot];
  if (seen !== undefined && BigInt(from.offset) <= BigInt(seen)) return true;
  p.sources[slot] = from.offset;
  return false;
}
