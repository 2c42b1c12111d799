import {
  encodeEvent,
  encodeGlobalPartialsRecord,
  RepartitionHeaders,
  type EventEnvelope,
  type GlobalPartialsRecord,
} from '@vigil/contracts';
import type { ConsumedEvent, EventProducer } from '@vigil/kafka';
import { ipOf } from '../../engine/event-fields';
import { compileIpForwarding } from '../../engine/ip-forwarding';
import type { RuleSet } from '../../engine/rule-definition';
import { monitorMetrics } from '../../monitor.metrics';
import { processEvents } from './process-events';
import type { DetectionStage, StagePartition, StepOutput } from './stage';

/**
 * The user stage, on the input topic as it is keyed (by user): user and user+IP rules. It forwards
 * the events some per-IP rule matches to the IP stage, re-keyed by IP with where they came from,
 * and publishes the global rules' counts of its partition after each step for the global stage.
 */
export class UserStage implements DetectionStage {
  readonly name = 'user' as const;
  private forwarded: (e: EventEnvelope) => boolean;

  constructor(
    rules: RuleSet,
    private readonly producer: EventProducer,
    private readonly topics: { repartition: string; partials: string },
  ) {
    this.forwarded = compileIpForwarding(rules);
  }

  setRules(rules: RuleSet): void {
    this.forwarded = compileIpForwarding(rules);
  }

  evaluate(p: StagePartition, events: ConsumedEvent[]): StepOutput {
    const forward: ConsumedEvent[] = [];
    const alerts = processEvents(this.name, p, events, {
      processed: (c) => {
        if (this.forwarded(c.event)) forward.push(c);
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
        // The event as it came (its headers carry its trace), re-keyed by IP, with where it came from.
        out.forward.map((c) => ({
          key: ipOf(c.event)!,
          value: encodeEvent(c.event),
          timestamp: String(c.timestamp),
          headers: {
            ...c.headers,
            [RepartitionHeaders.SOURCE_PARTITION]: String(partition),
            [RepartitionHeaders.SOURCE_OFFSET]: c.offset,
          },
        })),
      );
      monitorMetrics().repartitioned.add(out.forward.length);
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
