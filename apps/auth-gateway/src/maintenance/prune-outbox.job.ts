import { Inject, Injectable } from '@nestjs/common';
import type { Queryable } from '@vigil/database';
import { SERVICE_CONFIG } from '@vigil/runtime';
import type { AuthGatewayConfig } from '../config';
import { OutboxRepository } from '../outbox/outbox.repository';
import type { MaintenanceJob } from './maintenance-job';

/** Published outbox rows are kept OUTBOX_RETENTION_HOURS, then deleted. */
@Injectable()
export class PruneOutboxJob implements MaintenanceJob {
  constructor(
    private readonly outbox: OutboxRepository,
    @Inject(SERVICE_CONFIG) private readonly config: AuthGatewayConfig,
  ) {}

  run(q: Queryable): Promise<void> {
    return this.outbox.prunePublished(q, this.config.outboxRetentionHours);
  }
}
