import { Inject, Module, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'winston';
import { ConsumerRegistry, InfraLifecycle, LOGGER, SERVICE_CONFIG } from '@vigil/runtime';
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
    private readonly lifecycle: InfraLifecycle,
    @Inject(LOGGER) private readonly logger: Logger,
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

  /**
   * Partitions for the days ahead once the schema is complete: at start when the writer migrated it
   * (or it already was), else when `npm run db:migrate` has run. Late days are made on demand.
   */
  async onApplicationBootstrap(): Promise<void> {
    const ahead = async () =>
      void (await this.store.createPartitionsAhead(this.config.auditPartitionsAheadDays));
    if (this.lifecycle.isMigrated) return ahead();
    void this.lifecycle
      .migrated()
      .then(ahead)
      .catch((err) =>
        this.logger.error('could not create the partitions ahead; ingest makes them on demand', { err }),
      );
  }
}
