import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import { Db } from '@vigil/database';
import type { ArchiveStore, PutResult } from '../archive/archive-store';
import type { OpsOutbox } from '../events/ops-outbox';
import { retentionMetrics } from '../metrics/retention.metrics';
import type { RetentionPolicy } from '../policy/policy';
import {
  compareSummaries,
  copyTextToJsonLines,
  exportColumns,
  readArchive,
  redactedFields,
} from './archive-format';
import { AuditStoreRepository, type ClassFilter, type ManifestRow } from './audit-store.repository';
import type { PartitionPlan, RunReport, Step } from './run-report';

const DAY_MS = 86_400_000;
/** gzip level 1: a third of level 6's time for about 10 % more bytes (bench/results/retention.md). */
const GZIP_LEVEL = 1;

/**
 * The archive half of expiry: each retention class of a partition exported to the store
 * (redacted, gzip JSON Lines, hashed while written), its manifest recorded, then read back and
 * matched. A verified archive is kept and a run resumes past it; a failed one is set aside.
 */
export class Archiver {
  private readonly repo: AuditStoreRepository;

  constructor(
    private readonly ds: DataSource,
    private readonly outbox: OpsOutbox,
    private readonly store: ArchiveStore,
    private readonly policy: RetentionPolicy,
    auditDbSchema: string,
    private readonly step: (step: Step, partition?: string) => void,
  ) {
    this.repo = new AuditStoreRepository(auditDbSchema);
  }

  private get db(): Db {
    return Db.of(this.ds);
  }

  filterOf(className: string): ClassFilter {
    if (className !== 'default')
      return { actions: this.policy.classes.find((c) => c.name === className)!.actions, not: false };
    return { actions: this.policy.classes.flatMap((c) => c.actions), not: true };
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
      await this.verify(m, say);
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
  private async verify(m: ManifestRow, say: (l: string) => void): Promise<void> {
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
    this.step('verified', m.partition);
  }
}
