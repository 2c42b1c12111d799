import { Inject, Module, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { ConsumerRegistry, SERVICE_CONFIG } from '@vigil/runtime';
import type { SecurityMonitorConfig } from '../config';
import { RuleStore } from '../rules/rule-store';
import { RulesController } from '../rules/rules.controller';
import { consumerName, decodePartialRecord, DetectionService, type TopologyStage } from './detection.service';
import { PartitionStateRepository } from './partition-state.repository';
import { ActionSigner } from './action-signer';

/** The three stages' consumers (malformed input goes to each topic's DLQ, libs/kafka), and SIGHUP rule reloads. */
@Module({ controllers: [RulesController], providers: [RuleStore, PartitionStateRepository, ActionSigner, DetectionService], exports: [DetectionService, RuleStore] })
export class DetectionModule implements OnModuleInit, OnModuleDestroy {
  private readonly onHangup = () => void this.rules.reload();

  constructor(
    private readonly consumers: ConsumerRegistry,
    private readonly detection: DetectionService,
    private readonly rules: RuleStore,
    @Inject(SERVICE_CONFIG) private readonly config: SecurityMonitorConfig,
  ) {}

  onModuleInit(): void {
    for (const stage of ['user', 'ip', 'global'] as TopologyStage[]) {
      const topic = this.detection.topicOf(stage);
      this.consumers.add({
        name: consumerName(stage),
        groupId: this.detection.groupOf(stage),
        topics: [topic],
        maxChunk: this.config.batchMax,
        // State is per partition: partitions of one stage step independently.
        partitionsConsumedConcurrently: this.config.partitionsConcurrently,
        ...(stage === 'global' ? { decode: decodePartialRecord } : {}),
        onAssignment: (a) => this.detection.stages[stage].assigned(a[topic] ?? []),
        handler: (events, ctx) => this.detection.handle(stage, events, ctx),
      });
    }
    process.on('SIGHUP', this.onHangup);
  }

  onModuleDestroy(): void {
    process.off('SIGHUP', this.onHangup);
  }
}
