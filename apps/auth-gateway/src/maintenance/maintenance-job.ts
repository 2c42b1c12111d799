import type { EventEnvelope } from '@vigil/contracts';
import type { Queryable } from '@vigil/database';

/**
 * One housekeeping job: runs inside the sweep's transaction (under its advisory lock, so one
 * instance at a time) and returns the events its change produced, appended in the same transaction.
 */
export interface MaintenanceJob {
  run(q: Queryable): Promise<EventEnvelope[] | void>;
}
