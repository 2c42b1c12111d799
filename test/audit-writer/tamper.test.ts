// seed 000-30: append-only is enforced by PostgreSQL, and what a superuser does anyway is caught
// by the verify command (rows modified, deleted, inserted; forged checkpoints), which exits non-zero.
import type { Client } from 'pg';
import { EventProducer } from '@vigil/kafka';
import { testDatabaseUrl, waitFor } from '@vigil/testing';
import { startApp, type TestApp } from '../support/apps';
import { count, failedLogin, runAuditCli, superuser, writerFixture } from './support';

describe('tamper evidence', () => {
  let t: TestApp;
  let db: Client;
  let fx: Awaited<ReturnType<typeof writerFixture>>;
  let s: string;
  // The real CLI, with the witness (audit.checkpoints.v1) scoped to this suite's chains.
  const verifyCli = () =>
    runAuditCli('verify', [], {
      DATABASE_URL: testDatabaseUrl(),
      DB_SCHEMA: t.schema,
      AUDIT_KEY_DIR: fx.keyDir,
      AUDIT_TOPICS: `${fx.auth},${fx.ops}`,
    });

  beforeAll(async () => {
    fx = await writerFixture('tamper', 1);
    t = await startApp('audit-writer', fx.env);
    s = `"${t.schema}"`;
    db = await superuser();
    const producer = t.app.get(EventProducer);
    await waitFor(() => producer.isConnected);
    await producer.publish(
      fx.auth,
      Array.from({ length: 200 }, (_, i) => failedLogin(i, new Date(Date.now() - (200 - i) * 1000))),
    );
    await waitFor(async () => (await count(db, t.schema)) === 200, { what: '200 rows' });
    await waitFor(
      async () => (await db.query(`SELECT 1 FROM ${s}.audit_checkpoints WHERE position = 200`)).rowCount! > 0,
      { what: 'checkpoint at 200' },
    );
    await t.app.close(); // stop writing and signing; the schema stays for the tampering below
  });
  afterAll(async () => {
    await db.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    await db.end();
  });

  it('refuses UPDATE, DELETE and TRUNCATE even for a superuser, and with session_replication_role = replica', async () => {
    await expect(db.query(`UPDATE ${s}.audit_logs SET outcome = 'success'`)).rejects.toThrow(
      /append-only: UPDATE refused/,
    );
    await expect(db.query(`DELETE FROM ${s}.audit_logs`)).rejects.toThrow(/append-only: DELETE refused/);
    await expect(db.query(`TRUNCATE ${s}.audit_logs`)).rejects.toThrow(/append-only: TRUNCATE refused/);
    const [{ part }] = (
      await db.query(
        `SELECT inhrelid::regclass::text AS part FROM pg_inherits WHERE inhparent = '${s}.audit_logs'::regclass LIMIT 1`,
      )
    ).rows;
    await expect(db.query(`TRUNCATE ${part}`)).rejects.toThrow(/append-only: TRUNCATE refused/);
    await db.query('SET session_replication_role = replica');
    try {
      await expect(db.query(`DELETE FROM ${s}.audit_logs`)).rejects.toThrow(/append-only: DELETE refused/);
    } finally {
      await db.query('RESET session_replication_role');
    }
    expect(await count(db, t.schema)).toBe(200);
  });

  it("grants the writer's role INSERT and SELECT only", async () => {
    await db.query('SET ROLE vigil_audit_writer');
    try {
      expect(await count(db, t.schema)).toBe(200);
      await expect(db.query(`UPDATE ${s}.audit_logs SET outcome = 'x'`)).rejects.toThrow(/permission denied/);
      await expect(db.query(`DELETE FROM ${s}.audit_logs`)).rejects.toThrow(/permission denied/);
      await expect(db.query(`ALTER TABLE ${s}.audit_logs DISABLE TRIGGER ALL`)).rejects.toThrow(
        /must be owner/,
      );
    } finally {
      await db.query('RESET ROLE');
    }
  });

  it('verify passes on the untouched store, then names each tampering a superuser does', async () => {
    const clean = await verifyCli();
    expect(clean.out).toMatch(/200\/200 rows valid/);
    expect(clean.out).toMatch(/against the witness audit\.checkpoints\.v1 .*: VERIFIED/);
    expect(clean.code).toBe(0);

    // A superuser can switch the triggers off; the chain and the signed checkpoints still tell.
    await db.query(`ALTER TABLE ${s}.audit_logs DISABLE TRIGGER audit_logs_append_only`);
    const row = (seq: number) =>
      db
        .query(`SELECT event_id FROM ${s}.audit_logs WHERE chain_seq = $1`, [seq])
        .then((r) => r.rows[0].event_id);
    const modified = await row(50);
    const deleted = await row(120);
    await db.query(
      `UPDATE ${s}.audit_logs SET outcome = 'success', action = 'AUTH_LOGIN' WHERE chain_seq = 50`,
    );
    await db.query(`DELETE FROM ${s}.audit_logs WHERE chain_seq = 120`);
    await db.query(
      `INSERT INTO ${s}.audit_logs (event_id, created_at, action, outcome, producer, details, chain_id, chain_seq, prev_hash, hash)
       SELECT gen_random_uuid(), created_at, 'AUTH_LOGIN', 'success', 'auth-gateway', '{}', chain_id, 170, prev_hash, hash
         FROM ${s}.audit_logs WHERE chain_seq = 170`,
    );
    await db.query(
      `INSERT INTO ${s}.audit_checkpoints (chain_id, position, head_hash, prev_checkpoint_hash, checkpoint_hash, key_fingerprint, algorithm, signature, signed_at)
       SELECT chain_id, position, head_hash, checkpoint_hash, md5(random()::text), key_fingerprint, algorithm, signature, signed_at + interval '1 hour'
         FROM ${s}.audit_checkpoints ORDER BY id DESC LIMIT 1`,
    );
    await db.query(`ALTER TABLE ${s}.audit_checkpoints DISABLE TRIGGER audit_checkpoints_append_only`);
    await db.query(
      `UPDATE ${s}.audit_checkpoints SET head_hash = repeat('e', 64) WHERE id = (SELECT max(id) FROM ${s}.audit_checkpoints)`,
    );
    await db.query(`ALTER TABLE ${s}.audit_checkpoints ENABLE ALWAYS TRIGGER audit_checkpoints_append_only`);
    await db.query(`ALTER TABLE ${s}.audit_logs ENABLE ALWAYS TRIGGER audit_logs_append_only`);

    const tampered = await verifyCli();
    expect(tampered.code).toBe(1);
    expect(tampered.out).toContain('FAILED');
    expect(tampered.out).toMatch(new RegExp(`MODIFIED \\S+ @50 event ${modified}`));
    expect(tampered.out).toMatch(/DELETED \S+ @120 between \S+ and \S+: 1 row\(s\) missing/);
    expect(tampered.out).toMatch(/INSERTED \S+ @170/);
    expect(tampered.out).toMatch(/CHECKPOINT_BAD_SIGNATURE/);
    expect(tampered.out).not.toContain(deleted); // gone: named by sequence and time range instead
    expect(tampered.out).toMatch(/198\/200 rows valid|199\/201 rows valid|198\/201 rows valid/);
  });
});
