import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { decodeGlobalPartialsRecord, type AnyEvent, type DecodeResult } from '@vigil/contracts';
import { ConsumerRegistry, SERVICE_CONFIG } from '@vigil/runtime';
import type { SecurityMonitorConfig } from '../config';
import { consumerName, DetectionService } from './detection.service';
import { TOPOLOGY_STAGES } from './stages/stage';

/**
 * The edge: one consumer per stage, each in its own group (malformed input goes to each topic's
 * DLQ, libs/kafka). Partitions of one stage step independently; assignments and chunks go to
 * DetectionService.
 */
@Injectable()
export class DetectionConsumer implements OnModuleInit {
  constructor(
    private readonly consumers: ConsumerRegistry,
    private readonly detection: DetectionService,
    @Inject(SERVICE_CONFIG) private readonly config: SecurityMonitorConfig,
  ) {}

  onModuleInit(): void {
    for (const stage of TOPOLOGY_STAGES) {
      const topic = this.detection.topicOf(stage);
      this.consumers.add({
        name: consumerName(stage),
        groupId: this.detection.groupOf(stage),
        topics: [topic],
        maxChunk: this.config.batchMax,
        // State is per partition: partitions of one stage step independently.
        partitionsConsumedConcurrently: this.config.partitionsConcurrently,
        ...(stage === 'global' ? { decode: decodePartialsAsEvent } : {}),
        onAssignment: (a) => this.detection.assigned(stage, a[topic] ?? []),
        handler: (events, ctx) => this.detection.handle(stage, events, ctx),
      });
    }
  }
}

/** The global stage's input: a partials record (contracts' decoder), handed on by the consumer in the event's place. */
function decodePartialsAsEvent(value: Buffer | null): DecodeResult {
  const r = decodeGlobalPartialsRecord(value);
  return r.ok ? { ok: true, event: r.record as unknown as AnyEvent } : r;
}
