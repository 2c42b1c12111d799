import { Inject, Module, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { ConsumerRegistry, SERVICE_CONFIG } from '@vigil/runtime';
import type { AuditWriterConfig } from '../config';
import { AuditStoreRepository } from './audit-store.repository';
import { implausibleTime } from './event-time';
import { IngestService } from './ingest.service';

/** Consumes every audited topic in batches into audit_logs. */
@Module({ providers: [AuditStoreRepository, IngestService], exports: [AuditStoreRepository] })
export class IngestModule implements OnModuleInit, OnApplicationBootstrap {
  constructor(
    private readonly consumers: ConsumerRegistry,
    private readonly ingest: IngestService,
    private readonly store: AuditStoreRepository,
    @Inject(SERVICE_CONFIG) private readonly config: AuditWriterConfig,
  ) {}

  onModuleInit(): void {
    const groupId = this.config.kafkaGroupId;
    this.consumers.add({
      name: 'audit-ingest',
      groupId,
      topics: this.config.auditTopics,
      maxChunk: this.config.auditBatchMax,
      partitionsConsumedConcurrently: this.config.auditPartitionsConcurrently,
      maxBytesPerPartition: 4 * 1024 * 1024,
      handler: (events, ctx) => this.ingest.write(groupId, events, ctx),
      screen: (e) =>
        implausibleTime(e.event.occurredAt, Date.now(), {
          hotDays: this.config.auditHotDays,
          allowedLatenessHours: this.config.auditAllowedLatenessHours,
          maxFutureSeconds: this.config.auditMaxFutureSeconds,
        }),
    });
  }

  /** After migrations (InfraModule's init): partitions for the days ahead; late days on demand. */
  async onApplicationBootstrap(): Promise<void> {
    await this.store.createPartitionsAhead(this.config.auditPartitionsAheadDays);
  }
}
