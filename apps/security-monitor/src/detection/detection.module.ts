import { Inject, Module, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { ConsumerRegistry, SERVICE_CONFIG } from '@vigil/runtime';
import type { SecurityMonitorConfig } from '../config';
import { RuleStore } from '../rules/rule-store';
import { RulesController } from '../rules/rules.controller';
import { DetectionService } from './detection.service';
import { SnapshotRepository } from './snapshot.repository';

/** Consumes auth events into the detection engine; malformed events go to the DLQ (libs/kafka). */
@Module({ controllers: [RulesController], providers: [RuleStore, SnapshotRepository, DetectionService], exports: [DetectionService, RuleStore] })
export class DetectionModule implements OnModuleInit, OnModuleDestroy {
  private readonly onHangup = () => void this.rules.reload();

  constructor(
    private readonly consumers: ConsumerRegistry,
    private readonly detection: DetectionService,
    private readonly rules: RuleStore,
    @Inject(SERVICE_CONFIG) private readonly config: SecurityMonitorConfig,
  ) {}

  onModuleInit(): void {
    this.consumers.add({
      name: 'monitor-detect',
      groupId: this.config.kafkaGroupId,
      topics: [this.config.inputTopic],
      maxChunk: this.config.batchMax,
      // One engine per instance: partitions are stepped one at a time.
      partitionsConsumedConcurrently: 1,
      handler: (events, ctx) => this.detection.handle(events, ctx),
    });
    process.on('SIGHUP', this.onHangup);
  }

  onModuleDestroy(): void {
    process.off('SIGHUP', this.onHangup);
  }
}
