import { Inject, Injectable } from '@nestjs/common';
import type { Queryable } from '@vigil/database';
import { SERVICE_CONFIG } from '@vigil/runtime';
import type { AuthGatewayConfig } from '../config';
import { LoginRepository } from '../login/login.repository';
import type { MaintenanceJob } from './maintenance-job';

/** Addresses a user logged in from are remembered for LOCKOUT_KNOWN_IP_DAYS only. */
@Injectable()
export class PruneKnownIpsJob implements MaintenanceJob {
  constructor(
    private readonly logins: LoginRepository,
    @Inject(SERVICE_CONFIG) private readonly config: AuthGatewayConfig,
  ) {}

  run(q: Queryable): Promise<void> {
    return this.logins.pruneKnownIps(q, this.config.knownIpDays);
  }
}
