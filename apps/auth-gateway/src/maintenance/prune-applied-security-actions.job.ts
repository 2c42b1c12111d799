import { Injectable } from '@nestjs/common';
import type { Queryable } from '@vigil/database';
import { SecurityActionsRepository } from '../security-actions/security-actions.repository';
import type { MaintenanceJob } from './maintenance-job';

/** Applied security-action ids are kept 30 days (a command is valid for far less, so a replay is still refused). */
@Injectable()
export class PruneAppliedSecurityActionsJob implements MaintenanceJob {
  constructor(private readonly applied: SecurityActionsRepository) {}

  run(q: Queryable): Promise<void> {
    return this.applied.pruneOlderThan30Days(q);
  }
}
