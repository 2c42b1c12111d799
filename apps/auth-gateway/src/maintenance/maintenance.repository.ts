import { Injectable } from '@nestjs/common';
import type { Queryable } from '@vigil/database';

/** The sweep's own statement: the lock that lets one instance at a time do the database jobs. */
@Injectable()
export class MaintenanceRepository {
  async trySweepLock(q: Queryable): Promise<boolean> {
    const { rows } = await q.query<{ ok: boolean }>(
      `SELECT pg_try_advisory_xact_lock(hashtext('vigil:gateway-maintenance:' || current_schema())) AS ok`,
    );
    return rows[0].ok;
  }
}
