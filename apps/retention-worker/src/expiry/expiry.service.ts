import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Logger } from 'winston';
import { Db } from '@vigil/database';
import { LOGGER, SERVICE_CONFIG } from '@vigil/runtime';
import { ARCHIVE_STORE } from '../archive/archive.tokens';
import type { ArchiveStore } from '../archive/archive-store';
import type { RetentionWorkerConfig } from '../config';
import { OpsOutbox } from '../events/ops-outbox';
import { retentionMetrics } from '../metrics/retention.metrics';
import { classOf, type RetentionPolicy } from '../policy/policy';
import { Archiver } from './archiver';
import { AuditStoreRepository, type ManifestRow } from './audit-store.repository';
import { withLockRetries } from './lock-retries';
import { Removal } from './removal';
import { RunInProgress, type PartitionPlan, type RunOptions, type RunReport, type Step } from './run-report';

export {
  RunInProgress,
  STEPS,
  type PartitionPlan,
  type RunOptions,
  type RunReport,
  type Step,
} from './run-report';

const DAY_MS = 86_400_000;

/**
 * Expiry by whole daily partitions, never by row DELETE. For each partition past the hot window,
 * oldest first: export each retention class's rows (redacted) to the archive store, read the
 * object back and match it to the database (row count, SHA-256, every chain's first and last seq
 * and hash), record the manifest, have the audit-writer sign a retention cut for every chain the
 * partition covers, then detach it through the audit owner's guard function; after the grace
 * period the detached table is dropped, and archives past their window are deleted unless held.
 * Every step's state is in the database, so a run that stops anywhere resumes on the next one.
 */
@Injectable()
export class ExpiryService {
  private readonly repo: AuditStoreRepository;
  private readonly policy: RetentionPolicy;
  private readonly archiver: Archiver;
  private readonly removal: Removal;
  /** Tests only: throw after a step to prove a crash there loses nothing. */
  faultAfter?: Step;

  constructor(
    private readonly ds: DataSource,
    private readonly outbox: OpsOutbox,
    @Inject(ARCHIVE_STORE) store: ArchiveStore,
    @Inject(SERVICE_CONFIG) private readonly config: RetentionWorkerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.repo = new AuditStoreRepository(config.auditDbSchema);
    this.policy = config.policy;
    const step = (s: Step, partition?: string) => this.step(s, partition);
    this.archiver = new Archiver(ds, outbox, store, config.policy, config.auditDbSchema, step);
    this.removal = new Removal(
      ds,
      outbox,
      store,
      config.policy,
      config.auditDbSchema,
      step,
      (message, meta) => this.logger.warn(message, meta),
    );
  }

  private get db(): Db {
    return Db.of(this.ds);
  }

  private step(step: Step, partition?: string): void {
    if (this.faultAfter === step)
      throw new Error(`injected fault after ${step}${partition ? ` of ${partition}` : ''}`);
  }

  /** One run; only one at a time across instances (a session advisory lock), else RunInProgress. */
  async run(opts: RunOptions): Promise<RunReport> {
    const retentionDays = opts.retentionDays ?? this.policy.hotDays;
    if (retentionDays < this.policy.hotDays)
      throw new Error(
        `retention_days ${retentionDays} is shorter than the policy's ${this.policy.hotDays} hot days`,
      );
    const lock = await this.db.connect();
    try {
      const { rows } = await lock.query(`SELECT pg_try_advisory_lock(hashtext($1)) AS ok`, [
        `vigil:retention:${this.config.auditDbSchema}`,
      ]);
      if (!rows[0].ok) throw new RunInProgress('another retention run is in progress');
      try {
        return await this.locked(opts, retentionDays);
      } finally {
        await lock
          .query(`SELECT pg_advisory_unlock(hashtext($1))`, [`vigil:retention:${this.config.auditDbSchema}`])
          .catch(() => undefined);
      }
    } finally {
      lock.release();
    }
  }

  private async locked(opts: RunOptions, retentionDays: number): Promise<RunReport> {
    const now = new Date();
    const cutoffMs =
      Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) - retentionDays * DAY_MS;
    const cutoff = new Date(cutoffMs);
    const runId = `ret-${now
      .toISOString()
      .replace(/[-:.TZ]/g, '')
      .slice(0, 14)}-${randomBytes(3).toString('hex')}`;
    const say = (line: string) => {
      this.logger.info(line, { runId });
      opts.progress?.(line);
    };
    const report: RunReport = {
      runId,
      dryRun: opts.dryRun,
      retentionDays,
      cutoff: cutoff.toISOString(),
      partitions: [],
      totals: { partitions: 0, rows: 0, bytes: 0 },
      archived: [],
      detached: [],
      dropped: [],
      held: [],
      archivesDeleted: [],
      archivesKept: [],
      failures: [],
      outcome: 'success',
    };
    const rs = `"${this.config.dbSchema}"`;
    await this.db.query(
      `INSERT INTO ${rs}.retention_runs (run_id, trigger, dry_run, retention_days, cutoff) VALUES ($1, $2, $3, $4, $5)`,
      [runId, opts.trigger, opts.dryRun, retentionDays, cutoff.toISOString()],
    );

    const candidates = await this.repo.partitionsBefore(
      this.db,
      cutoff.toISOString().slice(0, 10),
      this.policy.maxPartitionsPerRun,
    );
    say(
      `run ${runId}: ${candidates.length} partition(s) before ${cutoff.toISOString().slice(0, 10)}${opts.dryRun ? ' (dry run)' : ''}`,
    );
    for (const p of candidates) {
      const actions = await this.repo.actionsOf(this.db, p.day);
      const heldBy = await this.repo.heldBy(this.db, p.name, p.day);
      const plan: PartitionPlan = { ...p, classes: this.classesOf(actions), heldBy };
      report.partitions.push(plan);
      if (heldBy) {
        report.held.push(p.name);
        say(`${p.name}: kept, legal hold ${heldBy}`);
        continue;
      }
      report.totals.partitions++;
      report.totals.rows += p.rows;
      report.totals.bytes += p.bytes;
    }
    if (!opts.dryRun) {
      let n = 0;
      for (const plan of report.partitions.filter((x) => !x.heldBy)) {
        n++;
        try {
          await this.expirePartition(plan, runId, report, (l) =>
            say(`[${n}/${report.totals.partitions}] ${plan.name}: ${l}`),
          );
        } catch (err) {
          report.failures.push({ partition: plan.name, step: 'expire', error: (err as Error).message });
          retentionMetrics().failures.add(1, { step: 'expire' });
          this.logger.error('retention: partition kept after a failed step; the next run resumes it', {
            runId,
            partition: plan.name,
            err,
          });
          if (this.faultAfter) throw err;
        }
      }
      await this.removal.dropDue(runId, report, say).catch((err) => {
        report.failures.push({ step: 'drop', error: (err as Error).message });
        if (this.faultAfter) throw err;
      });
      await this.removal.deleteExpiredArchives(runId, report, say).catch((err) => {
        report.failures.push({ step: 'archive-delete', error: (err as Error).message });
        if (this.faultAfter) throw err;
      });
    }
    report.outcome =
      report.failures.length === 0
        ? 'success'
        : report.archived.length || report.detached.length
          ? 'partial'
          : 'failure';
    const rowsArchived = report.archived.reduce((a, x) => a + x.rows, 0);
    await this.db.tx(async (c) => {
      await c.query(
        `UPDATE ${rs}.retention_runs SET finished_at = clock_timestamp(), outcome = $2, summary = $3, error = $4 WHERE run_id = $1`,
        [
          runId,
          report.outcome,
          JSON.stringify({
            ...report,
            partitions: report.partitions.map(({ name, rows, bytes, heldBy }) => ({
              name,
              rows,
              bytes,
              heldBy,
            })),
          }),
          report.failures
            .map((f) => `${f.partition ?? f.step}: ${f.error}`)
            .join('; ')
            .slice(0, 2000) || null,
        ],
      );
      await this.outbox.add(
        c,
        'RETENTION_RUN',
        {
          runId,
          dryRun: opts.dryRun,
          retentionDays,
          cutoff: cutoff.toISOString(),
          partitionsArchived: opts.dryRun ? 0 : new Set(report.archived.map((a) => a.partition)).size,
          partitionsDropped: report.detached.length,
          partitionsHeld: report.held.length,
          rowsArchived,
        },
        opts.actor,
        report.outcome === 'failure' ? 'failure' : 'success',
      );
    });
    const m = retentionMetrics();
    m.runs.add(1, { outcome: report.outcome, dry_run: String(opts.dryRun) });
    if (report.outcome === 'success' && !opts.dryRun) m.lastSuccess.record(Date.now() / 1000);
    say(
      `run ${runId} ${report.outcome}: ${report.archived.length} archive(s), ${report.detached.length} detached, ${report.dropped.length} dropped, ${report.held.length} held, ${report.archivesDeleted.length} archive(s) deleted`,
    );
    return report;
  }

  private classesOf(actions: Map<string, number>): PartitionPlan['classes'] {
    const by = new Map<string, { name: string; rows: number; archiveDays: number }>();
    for (const [action, n] of actions) {
      const c = classOf(this.policy, action);
      const e = by.get(c.name) ?? { name: c.name, rows: 0, archiveDays: c.archiveDays };
      e.rows += n;
      by.set(c.name, e);
    }
    return [...by.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Plans one attached partition by name (the benchmark; operators archiving ahead of a run). */
  async planOf(partition: string): Promise<PartitionPlan> {
    const day = AuditStoreRepository.dayOf(partition);
    const next = new Date(Date.parse(`${day}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
    const info = (await this.repo.partitionsBefore(this.db, next, 100_000)).find((p) => p.name === partition);
    if (!info) throw new Error(`no attached partition ${partition}`);
    const classes = this.classesOf(await this.repo.actionsOf(this.db, day));
    return { ...info, classes, heldBy: await this.repo.heldBy(this.db, partition, day) };
  }

  /** Export and read-back verification of each class of a partition (a verified one is kept); no cut, no detach. */
  archivePartition(
    plan: PartitionPlan,
    runId: string,
    report: Pick<RunReport, 'archived'>,
    say: (l: string) => void,
  ): Promise<void> {
    return this.archiver.archivePartition(plan, runId, report, say);
  }

  /** A hold that keeps this archive past its window, if any. */
  archiveHeldBy(m: ManifestRow): Promise<string | null> {
    return this.removal.archiveHeldBy(m);
  }

  private async expirePartition(
    plan: PartitionPlan,
    runId: string,
    report: RunReport,
    say: (l: string) => void,
  ): Promise<void> {
    await this.archivePartition(plan, runId, report, say);
    await this.ensureCuts(plan, say);
    this.step('cut', plan.name);
    const table = await this.detachOrRenew(plan, () =>
      this.db.tx(
        async (c) => {
          const t = await this.repo.detach(c, plan.name, this.policy.detachedGraceHours);
          const archives = await c.query<{ archive_id: string }>(
            `SELECT archive_id FROM "${this.config.auditDbSchema}".archive_manifests WHERE partition_name = $1 AND consumed_at IS NOT NULL AND failed_at IS NULL AND deleted_at IS NULL ORDER BY consumed_at DESC, class LIMIT 1`,
            [plan.name],
          );
          await this.outbox.add(c, 'PARTITION_DROPPED', {
            partition: plan.name,
            stage: 'detached',
            archiveId: archives.rows[0]?.archive_id ?? 'none',
            rows: plan.rows,
          });
          return t;
        },
        { lock_timeout: `${this.policy.lockTimeoutMs}ms` },
      ),
    );
    retentionMetrics().partitionsDetached.add(1);
    report.detached.push(plan.name);
    say(`detached as ${table}; dropped after ${this.policy.detachedGraceHours} h`);
    this.step('detached', plan.name);
  }

  /** Asks the writer to sign a cut for every chain up to its top seq in the partition; waits for all. */
  private async ensureCuts(plan: PartitionPlan, say: (l: string) => void): Promise<void> {
    const tops = await this.repo.chainTops(this.db, plan.day);
    const cuts = await this.repo.cutsOf(this.db, [...tops.keys()]);
    const needed = [...tops].filter(([chain, top]) => (cuts.get(chain) ?? 0) < top);
    if (!needed.length) return;
    const policy = `hot-${this.policy.hotDays}d`;
    const ids = await this.db.tx(async (c) =>
      Promise.all(needed.map(([chain, top]) => this.repo.requestCut(c, chain, top, policy))),
    );
    say(`asked the audit-writer to sign ${ids.length} retention cut(s)`);
    const deadline = Date.now() + this.config.retentionCutTimeoutMs;
    for (;;) {
      const reqs = await this.repo.cutRequests(this.db, ids);
      const refused = reqs.filter((r) => r.status === 'refused');
      if (refused.length)
        throw new Error(
          `the audit-writer refused ${refused.length} cut(s): ${refused.map((r) => `${r.chainId}: ${r.detail}`).join('; ')}`,
        );
      if (reqs.every((r) => r.status === 'signed')) return;
      if (Date.now() > deadline)
        throw new Error(
          `no signed cut within ${this.config.retentionCutTimeoutMs} ms (is the audit-writer running?)`,
        );
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /**
   * Rows that reached the partition after its archives were verified (late events) make the guard
   * refuse: those archives no longer cover it, so they are set aside and the next run writes new ones.
   */
  private async detachOrRenew<T>(plan: PartitionPlan, fn: () => Promise<T>): Promise<T> {
    try {
      return await withLockRetries((message, meta) => this.logger.warn(message, meta), fn);
    } catch (err) {
      if (
        (err as { code?: string }).code === '55000' &&
        /verified archives cover/.test((err as Error).message)
      ) {
        for (const m of await this.repo.manifestsOf(this.db, plan.name))
          await this.repo.markFailed(this.db, m.archiveId, `superseded: ${(err as Error).message}`);
      }
      throw err;
    }
  }
}
