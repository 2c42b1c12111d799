import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { Inject, Injectable } from '@nestjs/common';
import type { PoolClient } from 'pg';
import { DataSource } from 'typeorm';
import type { Logger } from 'winston';
import { Db } from '@vigil/database';
import { LOGGER, SERVICE_CONFIG } from '@vigil/runtime';
import { ARCHIVE_STORE } from '../archive/archive.tokens';
import { ArchiveNotFound, type ArchiveStore, type PutResult } from '../archive/archive-store';
import type { RetentionWorkerConfig } from '../config';
import { OpsOutbox, type Actor } from '../events/ops-outbox';
import { retentionMetrics } from '../metrics/retention.metrics';
import { classOf, type RetentionPolicy } from '../policy/policy';
import {
  compareSummaries,
  copyTextToJsonLines,
  exportColumns,
  readArchive,
  redactedFields,
} from './archive-format';
import {
  AuditStoreRepository,
  type ClassFilter,
  type ManifestRow,
  type PartitionInfo,
} from './audit-store.repository';

/** Steps of one partition, in order; a fault injected after any of them must lose nothing. */
export const STEPS = [
  'exported',
  'manifested',
  'verified',
  'cut',
  'detached',
  'dropped',
  'archive-deleted',
] as const;
export type Step = (typeof STEPS)[number];

export class RunInProgress extends Error {
  override name = 'RunInProgress';
}

export interface RunOptions {
  trigger: 'schedule' | 'api' | 'cli';
  dryRun: boolean;
  /** Defaults to the policy's hotDays; never below it (the API refuses shorter). */
  retentionDays?: number;
  actor?: Actor;
  /** Progress lines (the CLI prints them). */
  progress?: (line: string) => void;
}

export interface PartitionPlan extends PartitionInfo {
  classes: Array<{ name: string; rows: number; archiveDays: number }>;
  heldBy: string | null;
}

export interface RunReport {
  runId: string;
  dryRun: boolean;
  retentionDays: number;
  cutoff: string;
  partitions: PartitionPlan[];
  totals: { partitions: number; rows: number; bytes: number };
  archived: Array<{
    archiveId: string;
    partition: string;
    className: string;
    rows: number;
    bytes: number;
    sha256: string;
  }>;
  detached: string[];
  dropped: string[];
  held: string[];
  archivesDeleted: string[];
  archivesKept: Array<{ archiveId: string; heldBy: string }>;
  failures: Array<{ partition?: string; step: string; error: string }>;
  outcome: 'success' | 'partial' | 'failure';
}

const DAY_MS = 86_400_000;
const LOCK_RETRIES = 5;
/** gzip level 1: a third of level 6's time for about 10 % more bytes (bench/results/retention.md). */
const GZIP_LEVEL = 1;

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
  /** Tests only: throw after a step to prove a crash there loses nothing. */
  faultAfter?: Step;

  constructor(
    private readonly ds: DataSource,
    private readonly outbox: OpsOutbox,
    @Inject(ARCHIVE_STORE) private readonly store: ArchiveStore,
    @Inject(SERVICE_CONFIG) private readonly config: RetentionWorkerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.repo = new AuditStoreRepository(config.auditDbSchema);
    this.policy = config.policy;
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
      await this.dropDue(runId, report, say).catch((err) => {
        report.failures.push({ step: 'drop', error: (err as Error).message });
        if (this.faultAfter) throw err;
      });
      await this.deleteExpiredArchives(runId, report, say).catch((err) => {
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

  private filterOf(className: string): ClassFilter {
    if (className !== 'default')
      return { actions: this.policy.classes.find((c) => c.name === className)!.actions, not: false };
    return { actions: this.policy.classes.flatMap((c) => c.actions), not: true };
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
  async archivePartition(
    plan: PartitionPlan,
    runId: string,
    report: Pick<RunReport, 'archived'>,
    say: (l: string) => void,
  ): Promise<void> {
    const existing = await this.repo.manifestsOf(this.db, plan.name);
    for (const cls of plan.classes) {
      let m = existing.find((x) => x.className === cls.name);
      if (m && m.verifiedAt) {
        say(`${cls.name}: verified archive ${m.archiveId} already there (resumed)`);
        continue;
      }
      const started = Date.now();
      if (!m) m = await this.exportClass(plan, cls, runId, say);
      await this.verify(m, plan, say);
      retentionMetrics().archiveDuration.record((Date.now() - started) / 1000, { class: cls.name });
      report.archived.push({
        archiveId: m.archiveId,
        partition: plan.name,
        className: cls.name,
        rows: m.rows,
        bytes: m.bytes,
        sha256: m.sha256,
      });
    }
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

  private async exportClass(
    plan: PartitionPlan,
    cls: { name: string; rows: number; archiveDays: number },
    runId: string,
    say: (l: string) => void,
  ): Promise<ManifestRow> {
    const archiveId = `${plan.name.slice(11)}-${cls.name}-${randomBytes(4).toString('hex')}`;
    const [y, mo, d] = plan.day.split('-');
    const key = `audit/${y}/${mo}/${d}/${plan.name}.${cls.name}.${archiveId}.jsonl.gz`;
    const filter = this.filterOf(cls.name);
    const client: PoolClient = await this.db.connect();
    let put: PutResult;
    let broken = false;
    try {
      // One snapshot for the export and the expected chain ends (REPEATABLE READ): late rows
      // arriving meanwhile are in neither, so they keep the partition until the next run.
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const expected = await this.repo.chainEnds(client, plan.day, filter);
      const rows = expected.reduce((a, c) => a + c.rows, 0);
      say(`${cls.name}: exporting ${rows} row(s) to ${this.store.describe()}/${key}`);
      const body = new PassThrough({ highWaterMark: 1 << 20 });
      await client.query(`SET LOCAL TIME ZONE 'UTC'`);
      const copy = this.repo.copyRows(client, plan.day, filter, exportColumns(this.policy.redact));
      const written = pipeline(
        copy,
        copyTextToJsonLines((n) => say(`${cls.name}: ${n} of ${rows} row(s) exported`)),
        createGzip({ level: GZIP_LEVEL, chunkSize: 256 * 1024 }),
        body,
      );
      try {
        put = await this.store.put(key, body, { contentType: 'application/gzip' });
      } catch (err) {
        broken = true; // a COPY abandoned mid-stream leaves the connection unusable: discard it
        body.destroy(err as Error);
        await written.catch(() => undefined);
        throw err;
      }
      await written;
      await client.query('COMMIT');
      this.step('exported', plan.name);
      const manifest = {
        archiveId,
        partition: plan.name,
        day: plan.day,
        className: cls.name,
        objectKey: key,
        location: `${this.store.describe()}/${key}`,
        rows,
        bytes: put.size,
        sha256: put.sha256,
        redacted: redactedFields(this.policy.redact),
        chains: expected,
        retainUntil: new Date(
          Date.parse(`${plan.day}T00:00:00Z`) + (cls.archiveDays + 1) * DAY_MS,
        ).toISOString(),
      };
      await this.db.tx(async (c) => {
        await this.repo.insertManifest(c, manifest, runId);
        await this.outbox.add(c, 'ARCHIVE_WRITTEN', {
          archiveId,
          partition: plan.name,
          rows,
          bytes: put.size,
          sha256: put.sha256,
          location: manifest.location.slice(0, 512),
          redacted: manifest.redacted,
        });
      });
      this.step('manifested', plan.name);
      say(`${cls.name}: ${rows} row(s), ${put.size} bytes, sha256 ${put.sha256.slice(0, 12)}…`);
      return { ...manifest, verifiedAt: null, failedAt: null, consumedAt: null, deletedAt: null };
    } catch (err) {
      if (!broken) await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release(broken);
    }
  }

  /** Reads the archive back and matches it to its manifest and to the rows still in the database. */
  private async verify(m: ManifestRow, plan: PartitionPlan, say: (l: string) => void): Promise<void> {
    const problems: string[] = [];
    try {
      const summary = await readArchive(await this.store.get(m.objectKey));
      problems.push(...compareSummaries({ rows: m.rows, sha256: m.sha256, chains: m.chains }, summary));
      if (summary.bytes !== m.bytes)
        problems.push(`size: manifest says ${m.bytes} bytes, object has ${summary.bytes}`);
      // The manifest's chain ends were read from the database in the export's snapshot. Rows that
      // arrive later make the detach guard refuse (count mismatch), and the next run rewrites.
    } catch (err) {
      problems.push(`unreadable: ${(err as Error).message}`);
    }
    if (problems.length) {
      await this.db.tx(async (c) => {
        await this.repo.markFailed(c, m.archiveId, problems.join('; '));
        await this.outbox.add(
          c,
          'ARCHIVE_VERIFIED',
          {
            archiveId: m.archiveId,
            partition: m.partition,
            rows: m.rows,
            sha256: m.sha256,
            chains: m.chains.length,
          },
          undefined,
          'failure',
        );
      });
      retentionMetrics().failures.add(1, { step: 'verify' });
      throw new Error(
        `archive ${m.archiveId} failed verification (the partition is kept; the next run writes a new one): ${problems.slice(0, 5).join('; ')}`,
      );
    }
    await this.db.tx(async (c) => {
      await this.repo.markVerified(c, m.archiveId);
      await this.outbox.add(c, 'ARCHIVE_VERIFIED', {
        archiveId: m.archiveId,
        partition: m.partition,
        rows: m.rows,
        sha256: m.sha256,
        chains: m.chains.length,
      });
    });
    retentionMetrics().rowsArchived.add(m.rows);
    retentionMetrics().bytesArchived.add(m.bytes);
    say(`${m.className}: verified (${m.rows} rows, ${m.chains.length} chain(s))`);
    this.step('verified', plan.name);
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
      return await this.withLockRetries(fn);
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

  private async withLockRetries<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code !== '55P03' || attempt >= LOCK_RETRIES) throw err; // lock_not_available
        this.logger.warn('retention: lock wait timed out; retrying', { attempt });
        await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
      }
    }
  }

  private async dropDue(runId: string, report: RunReport, say: (l: string) => void): Promise<void> {
    for (const d of await this.repo.dueDetached(this.db, new Date())) {
      const held = await this.repo.heldBy(this.db, d.table, d.day);
      if (held) {
        say(`${d.table}: not dropped, legal hold ${held}`);
        report.held.push(d.table);
        continue;
      }
      await this.withLockRetries(() =>
        this.db.tx(
          async (c) => {
            const rows = await this.repo.dropDetached(c, d.table);
            const [a] = (
              await c.query<{ archive_id: string }>(
                `SELECT archive_id FROM "${this.config.auditDbSchema}".archive_manifests WHERE partition_name = $1 AND consumed_at IS NOT NULL ORDER BY consumed_at DESC LIMIT 1`,
                [d.partition],
              )
            ).rows;
            await this.outbox.add(c, 'PARTITION_DROPPED', {
              partition: d.partition,
              stage: 'dropped',
              archiveId: a?.archive_id ?? 'none',
              rows,
            });
          },
          { lock_timeout: `${this.policy.lockTimeoutMs}ms` },
        ),
      );
      retentionMetrics().partitionsDropped.add(1);
      report.dropped.push(d.table);
      say(`${d.table}: dropped (grace period over)`);
      this.step('dropped', d.partition);
    }
    void runId;
  }

  /** Archives past their window are deleted, unless a legal hold touches a row in them. */
  private async deleteExpiredArchives(
    runId: string,
    report: RunReport,
    say: (l: string) => void,
  ): Promise<void> {
    for (const m of await this.repo.expiredArchives(this.db, new Date(), 100)) {
      // An object already gone (a run stopped between the delete and its record) just gets recorded.
      const hold = await this.archiveHeldBy(m).catch((err) => {
        if (err instanceof ArchiveNotFound) return null;
        throw err;
      });
      if (hold) {
        report.archivesKept.push({ archiveId: m.archiveId, heldBy: hold });
        say(`archive ${m.archiveId}: past its window, kept for legal hold ${hold}`);
        continue;
      }
      await this.store.delete(m.objectKey);
      await this.db.tx(async (c) => {
        await this.repo.markDeleted(c, m.archiveId);
        await this.outbox.add(c, 'ARCHIVE_DELETED', {
          archiveId: m.archiveId,
          partition: m.partition,
          sha256: m.sha256,
          retainUntil: m.retainUntil,
          policy:
            `${m.className === 'default' ? 'archive' : m.className}-${this.archiveDaysOf(m.className)}d`.slice(
              0,
              64,
            ),
        });
      });
      retentionMetrics().archivesDeleted.add(1);
      report.archivesDeleted.push(m.archiveId);
      say(`archive ${m.archiveId}: deleted (kept until ${m.retainUntil})`);
      this.step('archive-deleted', m.partition);
    }
    void runId;
  }

  private archiveDaysOf(className: string): number {
    return this.policy.classes.find((c) => c.name === className)?.archiveDays ?? this.policy.archiveDays;
  }

  /** A hold by time alone covers the whole day; one by user or action is checked against the archive's rows. */
  async archiveHeldBy(m: ManifestRow): Promise<string | null> {
    const holds = await this.db.rows<{
      hold_id: string;
      user_id: string | null;
      action: string | null;
      from_ts: Date | null;
      to_ts: Date | null;
    }>(
      `SELECT hold_id, user_id, action, from_ts, to_ts FROM "${this.config.auditDbSchema}".legal_holds
        WHERE released_at IS NULL AND (from_ts IS NULL OR from_ts < ($1::date + 1)::timestamptz) AND (to_ts IS NULL OR to_ts > $1::date::timestamptz)`,
      [m.day],
    );
    const broad = holds.find((h) => !h.user_id && !h.action);
    if (broad) return broad.hold_id;
    if (!holds.length) return null;
    let hit: string | null = null;
    await readArchive(await this.store.get(m.objectKey), (row) => {
      if (hit) return;
      const t = Date.parse(row.created_at);
      for (const h of holds) {
        if (h.user_id && row.user_id !== h.user_id) continue;
        if (h.action && row.action !== h.action) continue;
        if (h.from_ts && t < h.from_ts.getTime()) continue;
        if (h.to_ts && t >= h.to_ts.getTime()) continue;
        hit = h.hold_id;
        return;
      }
    });
    return hit;
  }
}
