// Item 7 of issue #15: partition-aware backups and the restore drill, against the real PostgreSQL
// and Kafka (the audit-writer fills a real audit schema with daily partitions and chains), with the
// archive store in a temporary directory. Seeds 000-26, 001-14, 001-50, 001-51, 001-53, 004-63.
// Telemetry before the app, as main.ts does: the metrics are read from /metrics.
import { startTelemetry } from '@vigil/telemetry/register';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import type { Client } from 'pg';
import { EventProducer } from '@vigil/kafka';
import { kafkaBrokers, testDatabaseUrl, waitFor } from '@vigil/testing';
import { LocalDirArchiveStore } from '../../apps/retention-worker/src/archive/local-dir.store';
import { parseManifest, type BackupManifest } from '../../apps/retention-worker/src/backup/backup-plan';
import { BackupService } from '../../apps/retention-worker/src/backup/backup.service';
import { runDrill } from '../../apps/retention-worker/src/backup/restore-drill';
import { startApp, type TestApp } from '../support/apps';
import { count, failedLogin, publishedAt, superuser, writerFixture } from '../audit-writer/support';

startTelemetry('vigil-test-retention-backup');

const run = promisify(execFile);
const DAYS = 3;
const PER_DAY = 8;
const ROWS = DAYS * PER_DAY;
const adminUrl = process.env.DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('backups and the restore drill', () => {
  let writer: TestApp;
  let worker: TestApp;
  let db: Client;
  let fx: Awaited<ReturnType<typeof writerFixture>>;
  let dir: string;
  let manifest: BackupManifest;
  let backupMs = 0;

  const drill = (opts: Partial<Parameters<typeof runDrill>[0]> = {}) =>
    runDrill({
      store: new LocalDirArchiveStore(dir),
      adminUrl,
      pgRestorePath: 'pg_restore',
      verifyEnv: {
        AUDIT_KEY_DIR: fx.keyDir,
        AUDIT_TOPICS: `${fx.auth},${fx.ops}`,
        KAFKA_BROKERS: kafkaBrokers().join(','),
        NODE_ENV: 'test',
      },
      ...opts,
    });

  beforeAll(async () => {
    fx = await writerFixture('backup-rw', 2);
    writer = await startApp('audit-writer', fx.env);
    db = await superuser();
    const producer = writer.app.get(EventProducer);
    await waitFor(() => producer.isConnected, { what: 'producer' });
    // Events of today and the two days before: rows in (at least) three daily partitions.
    const now = Date.now();
    await producer.publish(
      fx.auth,
      Array.from({ length: ROWS }, (_, i) =>
        failedLogin(i, new Date(now - Math.floor(i / PER_DAY) * 86_400_000 - (ROWS - i) * 1000)),
      ),
    );
    await waitFor(async () => (await count(db, writer.schema)) === ROWS, { what: `${ROWS} rows` });
    const heads = (await db.query(`SELECT chain_id, position FROM "${writer.schema}".chain_heads`)).rows;
    for (const h of heads)
      await waitFor(() => publishedAt(db, writer.schema, h.chain_id, Number(h.position)), {
        what: `${h.chain_id} checkpoint published`,
      });

    dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-backup-store-'));
    worker = await startApp('retention-worker', {
      BACKUP_SCHEDULE: 'off',
      BACKUP_SCHEMAS: writer.schema,
      AUDIT_DB_SCHEMA: writer.schema,
      BACKUP_DATABASE_URL: testDatabaseUrl(),
      BACKUP_KEEP: '2',
      ARCHIVE_STORE: 'local',
      ARCHIVE_DIR: dir,
    });
  });

  afterAll(async () => {
    await worker?.close();
    await writer?.close();
    await db?.end();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('seed 001-50, 004-63, 000-26, 001-14: a backup holds one file per partition plus DDL plus data, checksummed in its manifest, recorded, announced and measured', async () => {
    const t0 = Date.now();
    const r = await worker.app.get(BackupService).run('api');
    backupMs = Date.now() - t0;
    manifest = parseManifest(readFileSync(path.join(dir, r.manifestKey), 'utf8'));
    expect(r.manifestSha256).toBe(sha256(path.join(dir, r.manifestKey)));

    const partitions = (
      await db.query(
        `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
          JOIN pg_namespace n ON n.oid = p.relnamespace WHERE n.nspname = $1 AND p.relname = 'audit_logs' ORDER BY 1`,
        [writer.schema],
      )
    ).rows.map((x) => x.name as string);
    expect(partitions.length).toBeGreaterThanOrEqual(DAYS);
    expect(manifest.files.filter((f) => f.kind === 'ddl')).toHaveLength(1);
    expect(manifest.files.filter((f) => f.kind === 'data')).toHaveLength(1);
    expect(manifest.files.filter((f) => f.kind === 'partition').map((f) => f.table)).toEqual(partitions);
    expect(manifest.partitions.map((p) => p.table)).toEqual(partitions);
    expect(manifest.partitions.reduce((n, p) => n + p.rows, 0)).toBe(ROWS);
    expect(manifest.partitions.filter((p) => p.rows > 0).length).toBeGreaterThanOrEqual(DAYS);
    expect(manifest.auditSchema).toBe(writer.schema);
    // Every file in the store is exactly what the manifest says.
    for (const f of manifest.files) {
      expect({ key: f.key, sha256: sha256(path.join(dir, f.key)) }).toEqual({ key: f.key, sha256: f.sha256 });
    }

    const [row] = (
      await db.query(
        `SELECT status, files, bytes, manifest_sha256 FROM "${worker.schema}".backups WHERE backup_id = $1`,
        [r.backupId],
      )
    ).rows;
    expect(row).toMatchObject({
      status: 'complete',
      files: manifest.files.length,
      manifest_sha256: r.manifestSha256,
    });
    const events = (
      await db.query(`SELECT payload FROM "${worker.schema}".ops_outbox WHERE type = 'BACKUP_DONE'`)
    ).rows;
    expect(events).toHaveLength(1);
    expect(events[0].payload.attributes).toMatchObject({
      backupId: r.backupId,
      schemas: [writer.schema],
      files: manifest.files.length,
      bytes: r.bytes,
      manifestSha256: r.manifestSha256,
    });

    const metrics = (await request(worker.app.getHttpServer()).get('/metrics').expect(200)).text;
    const stamp = /^backup_last_success_timestamp_seconds(?:\{[^}]*\})? ([0-9.e+]+)$/m.exec(metrics);
    expect(stamp).not.toBeNull();
    expect(Math.abs(Number(stamp![1]) - Date.now() / 1000)).toBeLessThan(120);
    expect(metrics).toMatch(new RegExp(`^backup_size_bytes(\\{[^}]*\\})? ${r.bytes}$`, 'm'));
    // No password or connection string reached the logs.
    expect(JSON.stringify(worker.logs)).not.toMatch(/postgres:\/\/[^@\s"]*:[^@\s"]*@/);
    console.log(
      `backup of ${ROWS} rows in ${manifest.files.length} files (${r.bytes} bytes): ${backupMs} ms`,
    );
  });

  it('seed 001-51, 001-53: the drill restores every partition into a scratch database with its rows, and the verifier passes there', async () => {
    const lines: string[] = [];
    // The default: the verifier checks the restored store against itself and its signed checkpoints.
    // (The live witness holds checkpoints signed after the backup, which it would report missing.)
    const report = await drill({ say: (l) => lines.push(l) });
    console.log(`drill: ${report.durationMs} ms\n${lines.join('\n')}`);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.backupId).toBe(manifest.backupId);
    expect(report.verify?.code).toBe(0);
    expect(report.verify?.summary).toContain(`${ROWS}/${ROWS} rows valid`);
    expect(report.verify?.summary).toContain('VERIFIED');
    for (const p of manifest.partitions.filter((x) => x.rows > 0))
      expect(lines.join('\n')).toContain(`${p.key} (${p.rows} rows)`);
    // Dropped afterwards (no --keep).
    expect((await db.query('SELECT 1 FROM pg_database WHERE datname = $1', [report.database])).rowCount).toBe(
      0,
    );
  });

  it('seed 001-53: a plain `pg_restore -t audit_logs` of the same data restores no rows; the partition files hold them', async () => {
    const full = path.join(dir, 'full.dump');
    const { env: _ignored, ...rest } = process.env as Record<string, string> & { env?: string };
    void _ignored;
    await run('pg_dump', ['-Fc', '-n', writer.schema, '-f', full, testDatabaseUrl()], { env: rest });
    const { stdout } = await run('pg_restore', ['-t', 'audit_logs', '--data-only', '-f', '-', full]);
    expect(stdout).not.toMatch(/^COPY /m); // the parent has no data of its own: nothing to restore
    const part = manifest.partitions.find((p) => p.rows > 0)!;
    const one = await run('pg_restore', ['--data-only', '-f', '-', path.join(dir, part.key)]);
    expect(one.stdout).toMatch(new RegExp(`^COPY "?${writer.schema}"?\\."?${part.table}"? `, 'm'));
  });

  it('seed 001-51: a corrupted backup file fails the drill, naming the file, before anything is restored', async () => {
    const victim = manifest.files.find((f) => f.kind === 'partition' && (f.rows ?? 0) > 0)!;
    const file = path.join(dir, victim.key);
    const bytes = readFileSync(file);
    bytes[bytes.length - 10] ^= 0xff;
    writeFileSync(file, bytes);
    const report = await drill({ backupId: manifest.backupId });
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([expect.stringContaining(`${victim.key}: SHA-256`)]);
    expect(report.verify).toBeUndefined();
    expect((await db.query('SELECT 1 FROM pg_database WHERE datname = $1', [report.database])).rowCount).toBe(
      0,
    );
  });
});
