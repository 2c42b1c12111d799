// Seed 001's backup and recovery, as written (pg_dump -Fc, pg_restore, psql count), then the step
// an auditor adds: verify the restored store against the outside witness before reopening it.
// A restored copy that lost rows fails that check although it is self-consistent.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { EventProducer } from '@vigil/kafka';
import { waitFor } from '@vigil/testing';
import { startApp, type TestApp } from '../support/apps';
import { failedLogin, publishedAt, runAuditCli, writerFixture } from './support';

const run = promisify(execFile);
const ROWS = 40;
const admin = new URL(process.env.DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
const suffix = randomUUID().replace(/-/g, '').slice(0, 8);
const source = `vigil_backup_${suffix}`;
const restored = `vigil_restored_${suffix}`;
const urlOf = (db: string) => Object.assign(new URL(admin.toString()), { pathname: `/${db}` }).toString();
const pgArgs = ['-h', admin.hostname, '-p', admin.port || '5432', '-U', 'postgres'];

async function sql(db: string, text: string): Promise<Array<Record<string, unknown>>> {
  const c = new Client({ connectionString: urlOf(db) });
  await c.connect();
  try {
    return (await c.query(text)).rows;
  } finally {
    await c.end();
  }
}

describe('backup and restore of the audit store, verified against the witness', () => {
  let writer: TestApp | undefined;
  let fx: Awaited<ReturnType<typeof writerFixture>>;
  let dump: string;

  beforeAll(async () => {
    // A database laid out as in production: db-setup's roles, schemas and search_path, schema "audit".
    await run(process.execPath, ['deploy/local/db-setup.js'], { env: { ...process.env, VIGIL_DB: source } });
    fx = await writerFixture('backup', 2);
    writer = await startApp('audit-writer', { ...fx.env, DATABASE_URL: urlOf(source), DB_SCHEMA: 'audit' });
    const producer = writer.app.get(EventProducer);
    await waitFor(() => producer.isConnected, { what: 'producer' });
    await producer.publish(
      fx.auth,
      Array.from({ length: ROWS }, (_, i) => failedLogin(i)),
    );
    const db = new Client({ connectionString: urlOf(source) });
    await db.connect();
    try {
      await waitFor(
        async () => Number((await db.query('SELECT count(*) AS n FROM audit.audit_logs')).rows[0].n) === ROWS,
        { what: `${ROWS} rows` },
      );
      const heads = (await db.query('SELECT chain_id, position FROM audit.chain_heads')).rows;
      for (const h of heads)
        await waitFor(() => publishedAt(db, 'audit', h.chain_id, Number(h.position)), {
          what: `${h.chain_id} checkpoint published`,
        });
    } finally {
      await db.end();
    }
    await writer.close();
    writer = undefined;
    dump = path.join(mkdtempSync(path.join(os.tmpdir(), 'vigil-backup-')), 'audit_backup.dump');
  });

  afterAll(async () => {
    await writer?.close();
    for (const db of [source, restored]) await sql('postgres', `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
  });

  const verifyRestored = (...args: string[]) =>
    runAuditCli('verify', args, {
      DATABASE_URL: urlOf(restored),
      DB_SCHEMA: 'audit',
      AUDIT_KEY_DIR: fx.keyDir,
      AUDIT_TOPICS: `${fx.auth},${fx.ops}`,
    });

  it('seed 001-50, 001-51: pg_dump -Fc -d <db> -U postgres > audit_backup.dump, and its table of contents lists the data', async () => {
    const { stdout } = await run('bash', ['-c', `pg_dump -Fc -d ${source} ${pgArgs.join(' ')} > ${dump}`]);
    expect(stdout).toBe('');
    const toc = (await run('pg_restore', ['-l', dump])).stdout;
    expect(toc).toMatch(/TABLE DATA audit audit_logs_\d{8}/); // the daily partitions hold the rows
    expect(toc).toMatch(/TABLE DATA audit audit_checkpoints/);
  });

  it('seed 001-45, 001-52, 001-46, 001-54: pg_restore into an empty database, then the count, as written', async () => {
    await sql('postgres', `CREATE DATABASE ${restored}`);
    // The restored database gets the same default search_path as db-setup.js gives every Vigil database.
    await sql('postgres', `ALTER DATABASE ${restored} SET search_path = "$user", public, gateway, audit`);
    await run('pg_restore', ['-d', restored, ...pgArgs, dump]);
    const { stdout } = await run('psql', [
      '-d',
      restored,
      ...pgArgs,
      '-At',
      '-c',
      'SELECT count(*) FROM audit_logs;',
    ]);
    expect(stdout.trim()).toBe(String(ROWS));
  });

  it('seed 002-37: the restored store verifies against the outside witness before it is reopened', async () => {
    const r = await verifyRestored();
    expect(r.out).toContain(`${ROWS}/${ROWS} rows valid`);
    expect(r.out).toContain('VERIFIED');
    expect(r.code).toBe(0);
  });

  it('seed 002-37: a restored copy missing its newest rows (and their checkpoints and head) fails against the witness', async () => {
    const db = new Client({ connectionString: urlOf(restored) });
    await db.connect();
    try {
      // As if the backup had been taken earlier, or edited: the newest rows of one chain are gone, consistently.
      const { rows } = await db.query(
        `SELECT chain_id, max(chain_seq)::int AS top FROM audit.audit_logs GROUP BY 1 ORDER BY 1 LIMIT 1`,
      );
      const { chain_id: chain, top } = rows[0];
      const keep = top - 5;
      await db.query('SET session_replication_role = replica'); // a restore role's bulk-load setting; ALWAYS triggers still fire
      for (const [table, trigger] of [
        ['audit_logs', 'audit_logs_append_only'],
        ['audit_checkpoints', 'audit_checkpoints_append_only'],
        ['chain_heads', 'chain_heads_forward_only'],
      ]) {
        await db.query(`ALTER TABLE audit.${table} DISABLE TRIGGER ${trigger}`);
      }
      await db.query(`DELETE FROM audit.audit_logs WHERE chain_id = $1 AND chain_seq > $2`, [chain, keep]);
      await db.query(
        `DELETE FROM audit.checkpoint_publications WHERE checkpoint_id IN (SELECT id FROM audit.audit_checkpoints WHERE chain_id = $1 AND position > $2)`,
        [chain, keep],
      );
      await db.query(`DELETE FROM audit.audit_checkpoints WHERE chain_id = $1 AND position > $2`, [
        chain,
        keep,
      ]);
      await db.query(
        `UPDATE audit.chain_heads SET position = $2, head_hash = (SELECT hash FROM audit.audit_logs WHERE chain_id = $1 AND chain_seq = $2) WHERE chain_id = $1`,
        [chain, keep],
      );
      const self = await verifyRestored('--no-witness');
      expect(self.code).toBe(0); // consistent with itself: only the outside witness can tell
      const r = await verifyRestored();
      expect(r.code).toBe(1);
      expect(r.out).toContain('CHAIN_TRUNCATED');
      expect(r.out).toContain(chain);
    } finally {
      await db.end();
    }
  });
});
