import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Logger } from 'winston';
import { Db, schemaOf } from '@vigil/database';
import { LOGGER, SERVICE_CONFIG } from '@vigil/runtime';
import type { ArchiveStore } from '../archive/archive-store';
import type { RetentionWorkerConfig } from '../config';
import { OpsOutbox } from '../events/ops-outbox';
import { describeSchedule, nextRun, parseSchedule } from '../schedule/schedule';
import { BackupInProgress, BackupRunner, type BackupResult, type BackupTrigger } from './backup-runner';
import { backupMetrics } from './backup.metrics';

export const BACKUP_STORE = Symbol('BACKUP_STORE');

/** Runs backups on BACKUP_SCHEDULE (one at a time across instances) and on request. */
@Injectable()
export class BackupService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private runnerInstance?: BackupRunner;
  private timer?: NodeJS.Timeout;
  private current?: Promise<unknown>;
  private stopped = false;

  constructor(
    private readonly ds: DataSource,
    private readonly outbox: OpsOutbox,
    @Inject(BACKUP_STORE) private readonly store: ArchiveStore,
    @Inject(SERVICE_CONFIG) private readonly config: RetentionWorkerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Built on first use: the pool exists once the DataSource is initialised, after construction. */
  private get runner(): BackupRunner {
    this.runnerInstance ??= new BackupRunner({
      db: Db.of(this.ds),
      schema: schemaOf(this.ds),
      store: this.store,
      logger: this.logger,
      backupDatabaseUrl: this.config.backupDatabaseUrl,
      backupSchemas: this.config.backupSchemas,
      backupKeep: this.config.backupKeep,
      pgDumpPath: this.config.pgDumpPath,
      auditDbSchema: this.config.auditDbSchema,
      recordDone: (db, attributes) => this.outbox.add(db, 'BACKUP_DONE', attributes),
    });
    return this.runnerInstance;
  }

  /** One backup now; throws BackupInProgress when another instance holds the lock. */
  run(trigger: BackupTrigger): Promise<BackupResult> {
    const run = this.runner.run(trigger);
    this.current = run.catch(() => undefined);
    return run;
  }

  async onApplicationBootstrap(): Promise<void> {
    // The success timestamp survives restarts: an alert on its age must not fire because the worker restarted.
    const [last] = await Db.of(this.ds).rows<{ finished_at: Date; bytes: string; files: number; ms: number }>(
      `SELECT finished_at, bytes, files, (extract(epoch FROM finished_at - started_at) * 1000)::float8 AS ms
         FROM "${schemaOf(this.ds)}".backups WHERE status = 'complete' ORDER BY finished_at DESC LIMIT 1`,
    );
    if (last) backupMetrics().succeeded(last.finished_at, Number(last.bytes), last.files, last.ms);
    else backupMetrics(); // the failure counter exists from the start
    const schedule = parseSchedule(this.config.backupSchedule);
    this.logger.info(
      `backups: ${describeSchedule(schedule)}, schemas ${this.config.backupSchemas.join(', ')}, keep ${this.config.backupKeep}`,
    );
    this.arm();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.current;
  }

  private arm(): void {
    const at = nextRun(parseSchedule(this.config.backupSchedule), new Date());
    if (!at || this.stopped) return;
    this.timer = setTimeout(() => void this.scheduled(), Math.min(at.getTime() - Date.now(), 2 ** 31 - 1));
    this.timer.unref();
  }

  private async scheduled(): Promise<void> {
    try {
      await this.run('schedule');
    } catch (err) {
      // BackupInProgress: another instance is taking this one; failures are logged and counted by the runner.
      if (err instanceof BackupInProgress)
        this.logger.info('backup: skipped, another instance holds the lock');
    } finally {
      this.arm();
    }
  }
}
