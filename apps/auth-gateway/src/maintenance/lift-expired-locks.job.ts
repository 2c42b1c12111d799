import { Injectable } from '@nestjs/common';
import type { EventEnvelope } from '@vigil/contracts';
import type { Queryable } from '@vigil/database';
import { UsersRepository } from '../accounts/users.repository';
import { gatewayEvent } from '../events/gateway-event.factory';
import { ThrottleRepository } from '../lockout/throttle.repository';
import type { MaintenanceJob } from './maintenance-job';

/** Admin/security locks and account-wide lockout waits that ran out are lifted: ACCOUNT_UNLOCKED (trigger `expiry`). */
@Injectable()
export class LiftExpiredLocksJob implements MaintenanceJob {
  constructor(
    private readonly users: UsersRepository,
    private readonly throttles: ThrottleRepository,
  ) {}

  async run(q: Queryable): Promise<EventEnvelope[]> {
    const ids = [
      ...(await this.users.liftExpiredLocks(q)),
      ...(await this.throttles.liftExpiredAccountBlocks(q)),
    ];
    return [...new Set(ids)].map((userId) =>
      gatewayEvent('ACCOUNT_UNLOCKED', {
        subject: { userId },
        outcome: 'success',
        reason: 'lock_expired',
        attributes: { trigger: 'expiry' },
      }),
    );
  }
}
