import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '@vigil/database';

/**
 * What proves the chain is now as protected as the chain itself:
 * - `audit_checkpoints` is append-only like `audit_logs` (UPDATE, DELETE, TRUNCATE refused by
 *   triggers ENABLE ALWAYS, so `session_replication_role = replica` does not silence them). Its
 *   publication state moves to `checkpoint_publications`, so nothing ever needs to UPDATE a
 *   checkpoint; `published_at` stays as a column for old readers but is no longer written.
 * - `chain_heads` only moves forward: a lower position, or another hash at the same position,
 *   is refused, and so are DELETE and TRUNCATE (a head deleted and re-inserted lower is a rewind).
 * - `chain_cuts` holds signed retention cuts ("rows up to seq N, last hash H, removed by policy P
 *   at T"), append-only, with `chain_cut_publications` beside it.
 * A superuser can still disable triggers; the signed checkpoints on audit.checkpoints.v1 are what
 * catches that (`audit:verify` with the witness).
 */
export class CheckpointIntegrity1763900200000 implements MigrationInterface {
  name = 'CheckpointIntegrity1763900200000';

  async up(q: QueryRunner): Promise<void> {
    const s = `"${schemaOf(q.connection)}"`;
    await q.query(`
      CREATE FUNCTION ${s}.audit_reject_table_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);

    await q.query(`
      CREATE TABLE ${s}.checkpoint_publications (
        checkpoint_id bigint PRIMARY KEY REFERENCES ${s}.audit_checkpoints (id),
        published_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `INSERT INTO ${s}.checkpoint_publications (checkpoint_id, published_at) SELECT id, published_at FROM ${s}.audit_checkpoints WHERE published_at IS NOT NULL`,
    );
    await q.query(`DROP INDEX ${s}.audit_checkpoints_unpublished`);

    await q.query(`
      CREATE TABLE ${s}.chain_cuts (
        id bigserial PRIMARY KEY,
        chain_id text NOT NULL,
        up_to_seq bigint NOT NULL CHECK (up_to_seq >= 1),
        last_hash text NOT NULL,
        last_created_at timestamptz,
        policy text NOT NULL,
        cut_at timestamptz NOT NULL,
        key_fingerprint text NOT NULL,
        algorithm text NOT NULL,
        signature text NOT NULL,
        cut_hash text NOT NULL UNIQUE,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (chain_id, up_to_seq)
      )`);
    await q.query(`
      CREATE TABLE ${s}.chain_cut_publications (
        cut_id bigint PRIMARY KEY REFERENCES ${s}.chain_cuts (id),
        published_at timestamptz NOT NULL DEFAULT now()
      )`);

    for (const table of ['audit_checkpoints', 'chain_cuts']) {
      await q.query(
        `CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${s}.${table} FOR EACH ROW EXECUTE FUNCTION ${s}.audit_reject_table_change()`,
      );
      await q.query(
        `CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${s}.${table} FOR EACH STATEMENT EXECUTE FUNCTION ${s}.audit_reject_table_change()`,
      );
      await q.query(`ALTER TABLE ${s}.${table} ENABLE ALWAYS TRIGGER ${table}_append_only`);
      await q.query(`ALTER TABLE ${s}.${table} ENABLE ALWAYS TRIGGER ${table}_no_truncate`);
    }

    await q.query(`
      CREATE FUNCTION ${s}.chain_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP <> 'UPDATE' THEN
          RAISE EXCEPTION 'chain_heads only moves forward: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF NEW.chain_id <> OLD.chain_id OR NEW.position < OLD.position
           OR (NEW.position = OLD.position AND NEW.head_hash <> OLD.head_hash) THEN
          RAISE EXCEPTION 'chain_heads only moves forward: % from position % to % refused', OLD.chain_id, OLD.position, NEW.position
            USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(
      `CREATE TRIGGER chain_heads_forward_only BEFORE UPDATE OR DELETE ON ${s}.chain_heads FOR EACH ROW EXECUTE FUNCTION ${s}.chain_head_forward_only()`,
    );
    await q.query(
      `CREATE TRIGGER chain_heads_no_truncate BEFORE TRUNCATE ON ${s}.chain_heads FOR EACH STATEMENT EXECUTE FUNCTION ${s}.chain_head_forward_only()`,
    );
    await q.query(`ALTER TABLE ${s}.chain_heads ENABLE ALWAYS TRIGGER chain_heads_forward_only`);
    await q.query(`ALTER TABLE ${s}.chain_heads ENABLE ALWAYS TRIGGER chain_heads_no_truncate`);

    await q.query(`
      DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vigil_audit_ingest') THEN
          REVOKE UPDATE (published_at) ON ${s}.audit_checkpoints FROM vigil_audit_ingest;
          GRANT SELECT, INSERT ON ${s}.checkpoint_publications, ${s}.chain_cuts, ${s}.chain_cut_publications TO vigil_audit_ingest;
          GRANT USAGE ON SEQUENCE ${s}.chain_cuts_id_seq TO vigil_audit_ingest;
        END IF;
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vigil_operator') THEN
          GRANT SELECT ON ${s}.checkpoint_publications, ${s}.chain_cuts, ${s}.chain_cut_publications TO vigil_operator;
        END IF;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    const s = `"${schemaOf(q.connection)}"`;
    await q.query(`DROP TRIGGER chain_heads_forward_only ON ${s}.chain_heads`);
    await q.query(`DROP TRIGGER chain_heads_no_truncate ON ${s}.chain_heads`);
    await q.query(`DROP FUNCTION ${s}.chain_head_forward_only()`);
    await q.query(`DROP TRIGGER audit_checkpoints_append_only ON ${s}.audit_checkpoints`);
    await q.query(`DROP TRIGGER audit_checkpoints_no_truncate ON ${s}.audit_checkpoints`);
    await q.query(`DROP TABLE ${s}.chain_cut_publications, ${s}.chain_cuts`);
    await q.query(
      `CREATE INDEX audit_checkpoints_unpublished ON ${s}.audit_checkpoints (id) WHERE published_at IS NULL`,
    );
    // Publication state goes back into the column (the only UPDATE of a checkpoint ever made).
    await q.query(
      `UPDATE ${s}.audit_checkpoints c SET published_at = p.published_at FROM ${s}.checkpoint_publications p WHERE p.checkpoint_id = c.id`,
    );
    await q.query(`DROP TABLE ${s}.checkpoint_publications`);
    await q.query(`DROP FUNCTION ${s}.audit_reject_table_change()`);
    await q.query(`
      DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vigil_audit_ingest') THEN
          GRANT UPDATE (published_at) ON ${s}.audit_checkpoints TO vigil_audit_ingest;
        END IF;
      END $$`);
  }
}
