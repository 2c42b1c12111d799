import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { Client } from 'pg';
import type { Logger } from 'winston';
import type { BackupDoneAttributes } from '@vigil/contracts';
import type { Db, Queryable } from '@vigil/database';
import type { ArchiveStore } from '../archive/archive-store';
import {
  BACKUP_PREFIX,
  backupsToPrune,
  manifestKey,
  newBackupId,
  planBackup,
  type BackupManifest,
  type CatalogTable,
  type ManifestFile,
} from './backup-plan';
import { backupMetrics } from './backup.metrics';
import { pgEnvOf, pgOutput, pgToolVersion } from './pg-tools';

export type BackupTrigger = 'schedule' | 'api' | 'cli';

export interface BackupRunnerOptions {
  /** The worker's own schema (backups table, ops outbox) over its pool. */
  db: Db;
  schema: string;
  store: ArchiveStore;
  logger: Logger;
  backupDatabaseUrl: string;
  backupSchemas: string[];
  backupKeep: number;
  pgDumpPath: string;
  auditDbSchema: string;
  /** Writes BACKUP_DONE in the transaction that marks the backup complete (the ops outbox). */
  recordDone: (db: Queryable, attributes: BackupDoneAttributes) => Promise<unknown>;
}

export interface BackupResult {
  backupId: string;
  manifestKey: string;
  manifestSha256: string;
  files: number;
  bytes: number;
  durationMs: number;
  pruned: string[];
}

/** Another instance (or the CLI) holds the backup lock. */
export class BackupInProgress extends Error {
  override name = 'BackupInProgress';
}

/**
 * One backup: under a cluster-wide advisory lock, pg_dump every planned file from one exported
 * snapshot (the files agree with each other and with the row counts in the manifest), streamed
 * into the archive store, then the manifest last; the backup is complete, recorded and announced
 * (BACKUP_DONE) in one transaction once the manifest is stored. A failure removes what was written.
 */
export class BackupRunner {
  constructor(private readonly o: BackupRunnerOptions) {}

  private get lockKey(): string {
    return `vigil:backup:${this.o.schema}`;
  }

  async run(trigger: BackupTrigger, onProgress?: (line: string) => void): Promise<BackupResult> {
    const lock = await this.o.db.connect();
    try {
      const { rows } = await lock.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [
        this.lockKey,
      ]);
      if (!rows[0].ok) throw new BackupInProgress('another backup is running (advisory lock held)');
      try {
        return await this.runLocked(trigger, onProgress);
      } finally {
        await lock.query('SELECT pg_advisory_unlock(hashtext($1))', [this.lockKey]);
      }
    } finally {
      lock.release();
    }
  }

  private async runLocked(
    trigger: BackupTrigger,
    onProgress?: (line: string) => void,
  ): Promise<BackupResult> {
    const { db, schema: s, store, logger } = this.o;
    const started = Date.now();
    const backupId = newBackupId(new Date(started), randomBytes(3).toString('hex'));
    const say = (line: string, meta: Record<string, unknown> = {}) => {
      logger.info(`backup ${backupId}: ${line}`, { backupId, ...meta });
      onProgress?.(line);
    };
    await db.query(
      `INSERT INTO "${s}".backups (backup_id, trigger, status, schemas) VALUES ($1, $2, 'running', $3)`,
      [backupId, trigger, this.o.backupSchemas],
    );
    const conn = pgEnvOf(this.o.backupDatabaseUrl);
    const source = new Client({
      connectionString: this.o.backupDatabaseUrl,
      application_name: 'vigil-backup',
    });
    const written: ManifestFile[] = [];
    try {
      await source.connect();
      // One snapshot for every file: the partitions, chain heads and checkpoints of a backup agree.
      await source.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const snapshot = (await source.query<{ id: string }>('SELECT pg_export_snapshot() AS id')).rows[0].id;
      const info = (
        await source.query<{ db: string; version: string }>(
          `SELECT current_database() AS db, current_setting('server_version') AS version`,
        )
      ).rows[0];
      const tables = await catalog(source, this.o.backupSchemas);
      const plan = planBackup(backupId, this.o.backupSchemas, tables, snapshot);
      const partitions = tables.filter((t) => t.parent !== undefined).length;
      say(
        `${plan.length} files to dump (${this.o.backupSchemas.join(', ')}: ${partitions} partitions) from ${conn.display}`,
        { files: plan.length, partitions },
      );
      for (const [i, file] of plan.entries()) {
        const t0 = Date.now();
        const put = await store.put(file.key, pgOutput(this.o.pgDumpPath, file.args, conn.env), {
          contentType: 'application/octet-stream',
        });
        written.push({
          key: file.key,
          kind: file.kind,
          schema: file.schema,
          ...(file.table ? { table: file.table } : {}),
          ...(file.rows !== undefined ? { rows: file.rows } : {}),
          bytes: put.size,
          sha256: put.sha256,
        });
        say(
          `[${i + 1}/${plan.length}] ${file.key}: ${put.size} bytes${file.rows !== undefined ? `, ${file.rows} rows` : ''} (${Date.now() - t0} ms)`,
          {
            key: file.key,
            kind: file.kind,
            bytes: put.size,
            rows: file.rows,
          },
        );
      }
      await source.query('COMMIT');
      const manifest: BackupManifest = {
        format: 'vigil-backup/1',
        backupId,
        createdAt: new Date(started).toISOString(),
        finishedAt: new Date().toISOString(),
        database: info.db,
        serverVersion: info.version,
        pgDump: await pgToolVersion(this.o.pgDumpPath),
        store: store.describe(),
        schemas: this.o.backupSchemas,
        ...(this.o.backupSchemas.includes(this.o.auditDbSchema) ? { auditSchema: this.o.auditDbSchema } : {}),
        files: written,
        partitions: tables
          .filter((t) => t.parent !== undefined)
          .map((t) => ({
            schema: t.schema,
            parent: t.parent!,
            table: t.table,
            rows: t.rows,
            key: written.find((f) => f.kind === 'partition' && f.schema === t.schema && f.table === t.table)!
              .key,
          })),
        tables: tables.map((t) => ({ schema: t.schema, table: t.table, rows: t.rows })),
      };
      const mKey = manifestKey(backupId);
      const m = await store.put(
        mKey,
        Readable.from([Buffer.from(JSON.stringify(manifest, null, 2) + '\n')]),
        { contentType: 'application/json' },
      );
      const bytes = written.reduce((n, f) => n + f.bytes, 0) + m.size;
      const durationMs = Date.now() - started;
      await db.tx(async (c) => {
        await c.query(
          `UPDATE "${s}".backups SET status = 'complete', finished_at = clock_timestamp(), files = $2, bytes = $3, manifest_key = $4, manifest_sha256 = $5 WHERE backup_id = $1`,
          [backupId, written.length, bytes, mKey, m.sha256],
        );
        for (const f of written) {
          await c.query(
            `INSERT INTO "${s}".backup_files (backup_id, key, kind, schema_name, table_name, rows, bytes, sha256) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
            [backupId, f.key, f.kind, f.schema, f.table ?? null, f.rows ?? null, f.bytes, f.sha256],
          );
        }
        await this.o.recordDone(c, {
          backupId,
          schemas: this.o.backupSchemas,
          files: written.length,
          bytes,
          manifestSha256: m.sha256,
          durationMs,
        });
      });
      backupMetrics().succeeded(new Date(), bytes, written.length, durationMs);
      say(
        `complete: ${written.length} files, ${bytes} bytes in ${durationMs} ms; manifest ${mKey} sha256 ${m.sha256}`,
        {
          files: written.length,
          bytes,
          durationMs,
          manifestKey: mKey,
          manifestSha256: m.sha256,
        },
      );
      const pruned = await this.prune(say);
      return {
        backupId,
        manifestKey: mKey,
        manifestSha256: m.sha256,
        files: written.length,
        bytes,
        durationMs,
        pruned,
      };
    } catch (err) {
      backupMetrics().failures.add(1, { stage: 'backup' });
      logger.error(`backup ${backupId} failed`, { backupId, err });
      await source.query('ROLLBACK').catch(() => undefined);
      await this.removeObjects(backupId).catch((e: unknown) =>
        logger.warn(`backup ${backupId}: could not remove its partial files`, { backupId, err: e }),
      );
      await db
        .query(
          `UPDATE "${s}".backups SET status = 'failed', finished_at = clock_timestamp(), error = $2 WHERE backup_id = $1`,
          [backupId, String((err as Error).message ?? err).slice(0, 4000)],
        )
        .catch(() => undefined);
      throw err;
    } finally {
      await source.end().catch(() => undefined);
    }
  }

  /** Deletes complete backups beyond BACKUP_KEEP (never the newest); a failure here is counted, not fatal. */
  private async prune(say: (line: string, meta?: Record<string, unknown>) => void): Promise<string[]> {
    const s = this.o.schema;
    const complete = await this.o.db.rows<{ backupId: string }>(
      `SELECT backup_id AS "backupId" FROM "${s}".backups WHERE status = 'complete' ORDER BY started_at DESC, backup_id DESC`,
    );
    const pruned: string[] = [];
    for (const { backupId } of backupsToPrune(complete, this.o.backupKeep)) {
      try {
        // Manifest first: a half-deleted backup is no longer complete in the store either.
        await this.o.store.delete(manifestKey(backupId));
        await this.removeObjects(backupId);
        await this.o.db.query(`UPDATE "${s}".backups SET status = 'deleted' WHERE backup_id = $1`, [
          backupId,
        ]);
        pruned.push(backupId);
        say(`deleted backup ${backupId} (BACKUP_KEEP=${this.o.backupKeep})`, { deleted: backupId });
      } catch (err) {
        backupMetrics().failures.add(1, { stage: 'prune' });
        this.o.logger.error(`backup: could not delete old backup ${backupId}`, { backupId, err });
      }
    }
    return pruned;
  }

  private async removeObjects(backupId: string): Promise<void> {
    const keys: string[] = [];
    for await (const o of this.o.store.list(`${BACKUP_PREFIX}${backupId}/`)) keys.push(o.key);
    for (const key of keys) await this.o.store.delete(key);
  }
}

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** Every ordinary table of the schemas (partitions with their parent) and its row count, in the snapshot. */
async function catalog(c: Client, schemas: string[]): Promise<CatalogTable[]> {
  const found = await c.query<{ nspname: string }>(
    'SELECT nspname FROM pg_namespace WHERE nspname = ANY($1)',
    [schemas],
  );
  const missing = schemas.filter((s) => !found.rows.some((r) => r.nspname === s));
  if (missing.length)
    throw new Error(`schema(s) ${missing.join(', ')} not found in the database (BACKUP_SCHEMAS)`);
  const { rows } = await c.query<{ schema: string; table: string; parent: string | null }>(
    `SELECT n.nspname AS schema, c.relname AS table, CASE WHEN c.relispartition THEN p.relname END AS parent
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_inherits i ON i.inhrelid = c.oid
       LEFT JOIN pg_class p ON p.oid = i.inhparent
      WHERE n.nspname = ANY($1) AND c.relkind = 'r'
      ORDER BY 1, 2`,
    [schemas],
  );
  const out: CatalogTable[] = [];
  for (const r of rows) {
    const n = await c.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${quoteIdent(r.schema)}.${quoteIdent(r.table)}`,
    );
    out.push({
      schema: r.schema,
      table: r.table,
      ...(r.parent ? { parent: r.parent } : {}),
      rows: Number(n.rows[0].n),
    });
  }
  return out;
}
