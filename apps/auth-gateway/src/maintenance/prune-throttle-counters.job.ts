import { Injectable } from '@nestjs/common';
import type { Queryable } from '@vigil/database';
import { ThrottleRepository } from '../lockout/throttle.repository';
import type { MaintenanceJob } from './maintenance-job';

/** Failure counters idle for a day, with no wait running, are forgotten. */
@Injectable()
export class PruneThrottleCountersJob implements MaintenanceJob {
  constructor(private readonly throttles: ThrottleRepository) {}

  run(q: Queryable): Promise<void> {
    return this.throttles.pruneStale(q);
  }
}
