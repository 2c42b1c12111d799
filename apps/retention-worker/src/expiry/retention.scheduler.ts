import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Logger } from 'winston';
import { InfraLifecycle, LOGGER, SERVICE_CONFIG } from '@vigil/runtime';
import type { RetentionWorkerConfig } from '../config';
import { retentionMetrics } from '../metrics/retention.metrics';
import { describeSchedule, nextRun } from '../schedule/schedule';
import { ExpiryService, RunInProgress } from './expiry.service';

const GAUGE_MS = 60_000;

/** Runs retention on the policy's schedule (one instance at a time acts: the run's advisory lock), and keeps the oldest-row gauge fresh. */
@Injectable()
export class RetentionScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private gauge?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopped = false;

  constructor(
    private readonly expiry: ExpiryService,
    private readonly ds: DataSource,
    private readonly lifecycle: InfraLifecycle,
    @Inject(SERVICE_CONFIG) private readonly config: RetentionWorkerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.arm();
    this.gauge = setInterval(() => void this.observeOldest(), GAUGE_MS);
    this.gauge.unref();
    void this.observeOldest();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.gauge);
    await this.running?.catch(() => undefined);
  }

  private arm(): void {
    const at = nextRun(this.config.policy.schedule, new Date());
    if (!at || this.stopped) return;
    this.logger.info('retention run scheduled', {
      at: at.toISOString(),
      schedule: describeSchedule(this.config.policy.schedule),
    });
    // setTimeout holds at most ~24.8 days; re-arm in steps for anything further.
    const delay = Math.min(at.getTime() - Date.now(), 2 ** 31 - 1);
    this.timer = setTimeout(() => void this.fire(at), Math.max(0, delay));
    this.timer.unref();
  }

  private async fire(at: Date): Promise<void> {
    if (Date.now() < at.getTime() - 1000) return this.arm();
    if (this.lifecycle.isMigrated && !this.running) {
      this.running = this.expiry
        .run({ trigger: 'schedule', dryRun: false })
        .catch((err) => {
          if (err instanceof RunInProgress)
            this.logger.info('scheduled retention run skipped: another instance is running one');
          else this.logger.error('scheduled retention run failed; the next one resumes it', { err });
        })
        .finally(() => (this.running = undefined));
      await this.running;
    }
    this.arm();
  }

  private async observeOldest(): Promise<void> {
    try {
      if (!this.ds.isInitialized) return;
      const [r] = await this.ds.query(
        `SELECT extract(epoch FROM now() - min(created_at))::float8 AS age FROM "${this.config.auditDbSchema}".audit_logs`,
      );
      if (r?.age !== null && r?.age !== undefined) retentionMetrics().oldestHotRowAge.record(Number(r.age));
    } catch {
      /* the audit store may not be migrated yet */
    }
  }
}
