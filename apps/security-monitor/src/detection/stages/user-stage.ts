import {
  encodeEvent,
  encodeGlobalPartialsRecord,
  RepartitionHeaders,
  repartitionRecordKey,
  type EventEnvelope,
  type GlobalPartialsRecord,
} from '@vigil/contracts';
import type { ConsumedEvent, EventProducer } from '@vigil/kafka';
import { compileKeyedForwarding, type KeyedRecord } from '../../engine/keyed-forwarding';
import type { RuleSet } from '../../engine/rule-definition';
import { monitorMetrics } from '../../monitor.metrics';
import { processEvents } from './process-events';
import type { DetectionStage, ForwardedRecord, StagePartition, StepOutput } from './stage';

/**
 * The user stage, on the input topic as it is keyed (by user): user and user+IP rules. It forwards
 * the events some rule keyed by IP, route or password fingerprint matches to the keyed stage, one
 * record per kind, re-keyed by that value with its kind and where it came from, and publishes the
 * global rules' counts of its partition after each step for the global stage.
 */
export class UserStage implements DetectionStage {
  readonly name = 'user' as const;
  private forwarded: (e: EventEnvelope) => readonly KeyedRecord[];

  constructor(
    rules: RuleSet,
    private readonly producer: EventProducer,
    private readonly topics: { repartition: string; partials: string },
  ) {
    this.forwarded = compileKeyedForwarding(rules);
  }

  setRules(rules: RuleSet): void {
    this.forwarded = compileKeyedForwarding(rules);
  }

  evaluate(p: StagePartition, events: ConsumedEvent[]): StepOutput {
    const forward: ForwardedRecord[] = [];
    const alerts = processEvents(this.name, p, events, {
      processed: (c) => {
        for (const r of this.forwarded(c.event)) forward.push({ consumed: c, kind: r.kind, value: r.value });
      },
    });
    return { alerts, forward, partial: p.engine.drainPartials() };
  }

  afterIdle(p: StagePartition): Pick<StepOutput, 'partial'> {
    return { partial: p.engine.drainPartials() };
  }

  async sendOn(out: StepOutput, partition: number, upto: string): Promise<void> {
    if (out.forward.length) {
      await this.producer.send(
        this.topics.repartition,
        // The event as it came (its headers carry its trace), re-keyed by the kind's value, with
        // its kind and where it came from.
        out.forward.map(({ consumed: c, kind, value }) => ({
          key: repartitionRecordKey(kind, value),
          value: encodeEvent(c.event),
          timestamp: String(c.timestamp),
          headers: {
            ...c.headers,
            [RepartitionHeaders.SOURCE_PARTITION]: String(partition),
            [RepartitionHeaders.SOURCE_OFFSET]: c.offset,
            [RepartitionHeaders.KEY_KIND]: kind,
          },
        })),
      );
      const byKind = new Map<string, number>();
      for (const r of out.forward) byKind.set(r.kind, (byKind.get(r.kind) ?? 0) + 1);
      for (const [kind, n] of byKind) monitorMetrics().repartitioned.add(n, { kind });
    }
    if (out.partial) {
      const record: GlobalPartialsRecord = { v: 1, source: partition, upto, ...out.partial };
      await this.producer.send(this.topics.partials, [
        {
          key: String(partition),
          value: encodeGlobalPartialsRecord(record),
          headers: { 'content-type': 'application/json' },
        },
      ]);
    }
  }
}
