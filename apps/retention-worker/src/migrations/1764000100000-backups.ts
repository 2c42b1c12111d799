import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '@vigil/database';

/**
 * Backups: one row per pg_dump set (running, complete once its manifest is written, failed, or
 * deleted by BACKUP_KEEP) and the files it holds, each with its SHA-256. The objects themselves
 * are in the archive store under `backups/<backup_id>/`.
 */
export class Backups1764000100000 implements MigrationInterface {
  name = 'Backups1764000100000';

  async up(q: QueryRunner): Promise<void> {
    const s = `"${schemaOf(q.connection)}"`;
    await q.query(`
      CREATE TABLE ${s}.backups (
        backup_id text PRIMARY KEY,
        trigger text NOT NULL CHECK (trigger IN ('schedule', 'api', 'cli')),
        status text NOT NULL CHECK (status IN ('running', 'complete', 'failed', 'deleted')),
        schemas text[] NOT NULL,
        started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        finished_at timestamptz,
        files integer,
        bytes bigint,
        manifest_key text,
        manifest_sha256 text CHECK (manifest_sha256 ~ '^[0-9a-f]{64}$'),
        error text
      )`);
    await q.query(
      `CREATE INDEX backups_complete ON ${s}.backups (started_at DESC) WHERE status = 'complete'`,
    );
    await q.query(`
      CREATE TABLE ${s}.backup_files (
        backup_id text NOT NULL REFERENCES ${s}.backups (backup_id) ON DELETE CASCADE,
        key text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('ddl', 'partition', 'data')),
        schema_name text NOT NULL,
        table_name text,
        rows bigint,
        bytes bigint NOT NULL,
        sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        PRIMARY KEY (backup_id, key)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    const s = `"${schemaOf(q.connection)}"`;
    await q.query(`DROP TABLE ${s}.backup_files, ${s}.backups`);
  }
}
