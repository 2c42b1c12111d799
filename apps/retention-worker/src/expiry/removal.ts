import type { DataSource } from 'typeorm';
import { Db } from '@vigil/database';
import { ArchiveNotFound, type ArchiveStore } from '../archive/archive-store';
import type { OpsOutbox } from '../events/ops-outbox';
import { retentionMetrics } from '../metrics/retention.metrics';
import type { RetentionPolicy } from '../policy/policy';
import { readArchive } from './archive-format';
import { AuditStoreRepository, type ManifestRow } from './audit-store.repository';
import type { RunReport, Step } from './run-report';
import { withLockRetries } from './lock-retries';

/**
 * The removal half of expiry, after the detach: detached tables dropped once their grace period
 * is over, and archives deleted past their window; each unless a legal hold touches it.
 */
export class Removal {
  private readonly repo: AuditStoreRepository;

  constructor(
    private readonly ds: DataSource,
    private readonly outbox: OpsOutbox,
    private readonly store: ArchiveStore,
    private readonly policy: RetentionPolicy,
    private readonly auditDbSchema: string,
    private readonly step: (step: Step, partition?: string) => void,
    private readonly warn: (message: string, meta: Record<string, unknown>) => void,
  ) {
    this.repo = new AuditStoreRepository(auditDbSchema);
  }

  private get db(): Db {
    return Db.of(this.ds);
  }

  async dropDue(runId: string, report: RunReport, say: (l: string) => void): Promise<void> {
    for (const d of await this.repo.dueDetached(this.db, new Date())) {
      const held = await this.repo.heldBy(this.db, d.table, d.day);
      if (held) {
        say(`${d.table}: not dropped, legal hold ${held}`);
        report.held.push(d.table);
        continue;
      }
      await withLockRetries(this.warn, () =>
        this.db.tx(
          async (c) => {
            const rows = await this.repo.dropDetached(c, d.table);
            const [a] = (
              await c.query<{ archive_id: string }>(
                `SELECT archive_id FROM "${this.auditDbSchema}".archive_manifests WHERE partition_name = $1 AND consumed_at IS NOT NULL ORDER BY consumed_at DESC LIMIT 1`,
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
  async deleteExpiredArchives(runId: string, report: RunReport, say: (l: string) => void): Promise<void> {
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
      `SELECT hold_id, user_id, action, from_ts, to_ts FROM "${this.auditDbSchema}".legal_holds
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
