import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Logger } from 'winston';
import type { EventEnvelope } from '@vigil/contracts';
import { Db } from '@vigil/database';
import { LOGGER } from '@vigil/runtime';
import { VIA_API } from '../database/database.module';
import { KeyStore } from '../keys/key-store';
import { registerGauges } from '../metrics/gateway.metrics';
import { OutboxWriter } from '../outbox/outbox.writer';
import { LiftExpiredLocksJob } from './lift-expired-locks.job';
import type { MaintenanceJob } from './maintenance-job';
import { MaintenanceRepository } from './maintenance.repository';
import { PruneAppliedSecurityActionsJob } from './prune-applied-security-actions.job';
import { PruneIpBlocksJob } from './prune-ip-blocks.job';
import { PruneKnownIpsJob } from './prune-known-ips.job';
import { PruneOutboxJob } from './prune-outbox.job';
import { PruneSessionsJob } from './prune-sessions.job';
import { PruneThrottleCountersJob } from './prune-throttle-counters.job';

const EVERY_MS = 30_000;

/**
 * Housekeeping every 30 s: the signing keys are reread and rotated when due (KeyStore.maintain),
 * then the database jobs of this folder run in one transaction. One instance at a time does the
 * database part (advisory lock), so expiry events are not doubled.
 */
@Injectable()
export class MaintenanceService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private readonly jobs: MaintenanceJob[];

  constructor(
    private readonly db: Db,
    private readonly locks: MaintenanceRepository,
    private readonly keys: KeyStore,
    private readonly outbox: OutboxWriter,
    @Inject(LOGGER) private readonly logger: Logger,
    liftExpiredLocks: LiftExpiredLocksJob,
    pruneThrottleCounters: PruneThrottleCountersJob,
    pruneIpBlocks: PruneIpBlocksJob,
    pruneSessions: PruneSessionsJob,
    pruneKnownIps: PruneKnownIpsJob,
    pruneOutbox: PruneOutboxJob,
    pruneAppliedSecurityActions: PruneAppliedSecurityActionsJob,
  ) {
    this.jobs = [
      liftExpiredLocks,
      pruneThrottleCounters,
      pruneIpBlocks,
      pruneSessions,
      pruneKnownIps,
      pruneOutbox,
      pruneAppliedSecurityActions,
    ];
  }

  onApplicationBootstrap(): void {
    registerGauges();
    this.timer = setInterval(() => void this.tick(), EVERY_MS);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  tick(): Promise<void> {
    this.running ??= (async () => {
      try {
        await this.keys.maintain();
        await this.sweep();
      } catch (err) {
        this.logger.warn('maintenance failed; retrying next round', { err });
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** The database jobs, in one transaction, by one instance at a time. */
  async sweep(): Promise<void> {
    const events = await this.db.tx(async (c) => {
      if (!(await this.locks.trySweepLock(c))) return [];
      const events: EventEnvelope[] = [];
      for (const job of this.jobs) events.push(...((await job.run(c)) ?? []));
      await this.outbox.append(c, events);
      return events;
    }, VIA_API);
    if (events.length) this.outbox.written();
  }
}
