import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '@vigil/database';

/**
 * The audit store. `audit_logs` keeps seed 001's column names so the runbook SQL runs as written,
 * is range-partitioned by day on `created_at` (the event's time: partitions by month leave up to a
 * month of rows past the 90-day check, DESIGN.md "Seed compatibility"), and is append-only by
 * construction: triggers refuse UPDATE, DELETE and TRUNCATE for every role, ENABLE ALWAYS so that
 * `session_replication_role = replica` does not silence them, and the runtime role is granted
 * nothing but INSERT and SELECT (deploy/local/db-setup.js). `user_id` is a uuid like the gateway's
 * `users.id`, so seed 001's `user_id NOT IN (SELECT id FROM users)` and lockdown query compare them. Dropping whole partitions (the
 * retention worker's job) is DDL, which these triggers do not cover, and needs the owner role.
 */
export class AuditStore1763900100000 implements MigrationInterface {
  name = 'AuditStore1763900100000';

  async up(q: QueryRunner): Promise<void> {
    const s = `"${schemaOf(q.connection)}"`;
    await q.query(`CREATE SEQUENCE ${s}.audit_logs_id_seq AS bigint`);
    await q.query(`
      CREATE TABLE ${s}.audit_logs (
        id bigint NOT NULL DEFAULT nextval('${s}.audit_logs_id_seq'),
        event_id uuid NOT NULL,
        created_at timestamptz NOT NULL,
        user_id uuid,
        action text NOT NULL,
        ip_address inet,
        user_agent text,
        username text,
        outcome text NOT NULL,
        reason text,
        producer text NOT NULL,
        request_id text,
        actor_user_id text,
        actor_roles text[],
        details jsonb NOT NULL,
        pii_salt bytea,
        ip_digest text,
        user_agent_digest text,
        username_digest text,
        chain_id text NOT NULL,
        chain_seq bigint NOT NULL,
        prev_hash text NOT NULL,
        hash text NOT NULL,
        source_topic text,
        source_partition integer,
        source_offset bigint,
        ingested_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (id, created_at),
        UNIQUE (event_id, created_at)
      ) PARTITION BY RANGE (created_at)`);
    // The seeds' queries filter by action, user or IP over a time range; verify walks a chain.
    await q.query(`CREATE INDEX audit_logs_action_created_at ON ${s}.audit_logs (action, created_at)`);
    await q.query(`CREATE INDEX audit_logs_user_id_created_at ON ${s}.audit_logs (user_id, created_at)`);
    await q.query(
      `CREATE INDEX audit_logs_ip_address_created_at ON ${s}.audit_logs (ip_address, created_at)`,
    );
    await q.query(`CREATE INDEX audit_logs_chain ON ${s}.audit_logs (chain_id, chain_seq)`);

    await q.query(`
      CREATE FUNCTION ${s}.audit_reject_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_logs is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(
      `CREATE TRIGGER audit_logs_append_only BEFORE UPDATE OR DELETE ON ${s}.audit_logs FOR EACH ROW EXECUTE FUNCTION ${s}.audit_reject_change()`,
    );
    await q.query(
      `CREATE TRIGGER audit_logs_no_truncate BEFORE TRUNCATE ON ${s}.audit_logs FOR EACH STATEMENT EXECUTE FUNCTION ${s}.audit_reject_change()`,
    );
    await q.query(`ALTER TABLE ${s}.audit_logs ENABLE ALWAYS TRIGGER audit_logs_append_only`);
    await q.query(`ALTER TABLE ${s}.audit_logs ENABLE ALWAYS TRIGGER audit_logs_no_truncate`);

    // Daily partitions, created ahead by the writer and on demand for late events. SECURITY
    // DEFINER: the runtime role may call this but may not run DDL itself.
    await q.query(`
      CREATE FUNCTION ${s}.ensure_audit_partitions(from_day date, to_day date) RETURNS integer
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
      DECLARE
        d date := from_day;
        created integer := 0;
        part text;
      BEGIN
        IF to_day - from_day > 400 THEN
          RAISE EXCEPTION 'refusing to create % partitions at once', to_day - from_day;
        END IF;
        WHILE d <= to_day LOOP
          part := 'audit_logs_' || to_char(d, 'YYYYMMDD');
          IF to_regclass(format('%I.%I', '${schemaOf(q.connection)}', part)) IS NULL THEN
            EXECUTE format('CREATE TABLE IF NOT EXISTS %I.%I PARTITION OF %I.audit_logs FOR VALUES FROM (%L) TO (%L)',
              '${schemaOf(q.connection)}', part, '${schemaOf(q.connection)}', d::timestamptz, (d + 1)::timestamptz);
            -- TRUNCATE of a partition does not fire the parent's statement trigger: give each its own.
            EXECUTE format('CREATE TRIGGER audit_partition_no_truncate BEFORE TRUNCATE ON %I.%I FOR EACH STATEMENT EXECUTE FUNCTION %I.audit_reject_change()',
              '${schemaOf(q.connection)}', part, '${schemaOf(q.connection)}');
            EXECUTE format('ALTER TABLE %I.%I ENABLE ALWAYS TRIGGER audit_partition_no_truncate', '${schemaOf(q.connection)}', part);
            created := created + 1;
          END IF;
          d := d + 1;
        END LOOP;
        RETURN created;
      END $$`);
    await q.query(
      `SELECT ${s}.ensure_audit_partitions((now() AT TIME ZONE 'UTC')::date - 1, (now() AT TIME ZONE 'UTC')::date + 7)`,
    );

    // Per-chain head and per-partition consumer offset, written in the same transaction as the
    // rows: a redelivered batch is recognised by offset and skipped (exactly-once into the store).
    await q.query(`
      CREATE TABLE ${s}.chain_heads (
        chain_id text PRIMARY KEY,
        position bigint NOT NULL,
        head_hash text NOT NULL,
        head_created_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE ${s}.consumer_offsets (
        group_id text NOT NULL,
        topic text NOT NULL,
        partition integer NOT NULL,
        next_offset bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (group_id, topic, partition)
      )`);
    await q.query(`
      CREATE TABLE ${s}.audit_checkpoints (
        id bigserial PRIMARY KEY,
        chain_id text NOT NULL,
        position bigint NOT NULL,
        head_hash text NOT NULL,
        head_created_at timestamptz,
        prev_checkpoint_hash text,
        checkpoint_hash text NOT NULL UNIQUE,
        key_fingerprint text NOT NULL,
        algorithm text NOT NULL,
        signature text NOT NULL,
        signed_at timestamptz NOT NULL,
        published_at timestamptz
      )`);
    await q.query(`CREATE INDEX audit_checkpoints_chain ON ${s}.audit_checkpoints (chain_id, signed_at)`);
    await q.query(
      `CREATE INDEX audit_checkpoints_unpublished ON ${s}.audit_checkpoints (id) WHERE published_at IS NULL`,
    );

    // Runtime grants, where deploy/local/db-setup.js made the roles (absent in throwaway schemas).
    await q.query(`
      DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vigil_audit_ingest') THEN
          GRANT USAGE ON SCHEMA ${s} TO vigil_audit_ingest;
          GRANT SELECT ON ${s}.schema_migrations TO vigil_audit_ingest;
          GRANT SELECT, INSERT ON ${s}.audit_logs, ${s}.audit_checkpoints TO vigil_audit_ingest;
          GRANT SELECT, INSERT, UPDATE ON ${s}.chain_heads, ${s}.consumer_offsets TO vigil_audit_ingest;
          GRANT UPDATE (published_at) ON ${s}.audit_checkpoints TO vigil_audit_ingest;
          GRANT USAGE ON SEQUENCE ${s}.audit_logs_id_seq, ${s}.audit_checkpoints_id_seq TO vigil_audit_ingest;
          GRANT EXECUTE ON FUNCTION ${s}.ensure_audit_partitions(date, date) TO vigil_audit_ingest;
        END IF;
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vigil_operator') THEN
          GRANT USAGE ON SCHEMA ${s} TO vigil_operator;
          GRANT SELECT ON ${s}.audit_logs, ${s}.audit_checkpoints, ${s}.chain_heads TO vigil_operator;
        END IF;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    const s = `"${schemaOf(q.connection)}"`;
    await q.query(`DROP TABLE ${s}.audit_checkpoints, ${s}.consumer_offsets, ${s}.chain_heads`);
    await q.query(`DROP TABLE ${s}.audit_logs`);
    await q.query(`DROP FUNCTION ${s}.ensure_audit_partitions(date, date)`);
    await q.query(`DROP FUNCTION ${s}.audit_reject_change()`);
    await q.query(`DROP SEQUENCE ${s}.audit_logs_id_seq`);
  }
}
