import { Inject, Injectable } from '@nestjs/common';
import type { Queryable } from '@vigil/database';
import { SERVICE_CONFIG } from '@vigil/runtime';
import type { AuthGatewayConfig } from '../config';
import { gauges } from '../metrics/gateway.metrics';
import { SessionsRepository } from '../sessions/sessions.repository';
import type { MaintenanceJob } from './maintenance-job';

/**
 * Sealed successors are erased after the refresh grace, sessions ended 30 days ago are deleted
 * (their refresh tokens with them), and the active-session gauge is refreshed.
 */
@Injectable()
export class PruneSessionsJob implements MaintenanceJob {
  constructor(
    private readonly sessions: SessionsRepository,
    @Inject(SERVICE_CONFIG) private readonly config: AuthGatewayConfig,
  ) {}

  async run(q: Queryable): Promise<void> {
    await this.sessions.eraseSealedAfter(q, this.config.refreshReuseGraceSeconds);
    await this.sessions.pruneEnded(q);
    gauges.activeSessions = await this.sessions.countActive(q);
  }
}
