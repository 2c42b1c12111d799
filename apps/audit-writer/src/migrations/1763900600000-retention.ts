import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '@vigil/database';

/**
 * What lets the retention worker age out audit_logs without ever being able to lose a row:
 *
 * - `archive_manifests`: one row per archive object (a partition's rows of one retention class),
 *   with its SHA-256, row count and each chain's first and last seq and hash; `verified_at` is set
 *   only after the object was read back and matched the database.
 * - `legal_holds`: by user, action and/or time range; a held partition is never detached or dropped.
 * - `retention_cut_requests`: the worker asks, the writer (which holds the signing key) verifies the
 *   chain up to the seq and signs the cut (chain_cuts), or refuses with the reason.
 * - `detached_partitions`: what was detached, when, and when it may be dropped (the grace period).
 * - `retention_detach_partition()` / `retention_drop_detached()`: SECURITY DEFINER functions owned
 *   by the audit owner, the only path by which the retention role removes rows. They refuse a
 *   partition whose rows are not all in verified archives, any of whose chains is not covered by a
 *   signed cut, or that a legal hold touches. (DETACH CONCURRENTLY cannot run inside a function's
 *   transaction: the detach is a plain one, bounded by the caller's lock_timeout and retried.)
 */
export class Retention1763900600000 implements MigrationInterface {
  name = 'Retention1763900600000';

  async up(q: QueryRunner): Promise<void> {
    const schema = schemaOf(q.connection);
    const s = `"${schema}"`;
    await q.query(`
      CREATE TABLE ${s}.archive_manifests (
        archive_id text PRIMARY KEY,
        partition_name text NOT NULL,
        day date NOT NULL,
        class text NOT NULL,
        object_key text NOT NULL,
        location text NOT NULL,
        rows bigint NOT NULL CHECK (rows >= 0),
        bytes bigint NOT NULL CHECK (bytes >= 0),
        sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        redacted text[] NOT NULL,
        chains jsonb NOT NULL,
        retain_until timestamptz NOT NULL,
        run_id text,
        written_at timestamptz NOT NULL DEFAULT now(),
        verified_at timestamptz,
        failed_at timestamptz,
        failure text,
        consumed_at timestamptz,
        deleted_at timestamptz
      )`);
    await q.query(
      `CREATE INDEX archive_manifests_partition ON ${s}.archive_manifests (partition_name) WHERE consumed_at IS NULL`,
    );
    await q.query(`CREATE INDEX archive_manifests_day ON ${s}.archive_manifests (day)`);
    await q.query(`
      CREATE TABLE ${s}.legal_holds (
        hold_id text PRIMARY KEY,
        user_id uuid,
        action text,
        from_ts timestamptz,
        to_ts timestamptz,
        reason text NOT NULL CHECK (length(reason) BETWEEN 3 AND 500),
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        released_at timestamptz,
        released_by text,
        release_reason text,
        CHECK (user_id IS NOT NULL OR action IS NOT NULL OR from_ts IS NOT NULL OR to_ts IS NOT NULL),
        CHECK (from_ts IS NULL OR to_ts IS NULL OR from_ts < to_ts)
      )`);
    await q.query(`
      CREATE TABLE ${s}.retention_cut_requests (
        id bigserial PRIMARY KEY,
        chain_id text NOT NULL,
        up_to_seq bigint NOT NULL CHECK (up_to_seq >= 1),
        policy text NOT NULL,
        requested_at timestamptz NOT NULL DEFAULT now(),
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'signed', 'refused')),
        detail text,
        handled_at timestamptz
      )`);
    await q.query(
      `CREATE INDEX retention_cut_requests_pending ON ${s}.retention_cut_requests (id) WHERE status = 'pending'`,
    );
    await q.query(`
      CREATE TABLE ${s}.detached_partitions (
        table_name text PRIMARY KEY,
        partition_name text NOT NULL,
        day date NOT NULL,
        rows bigint NOT NULL,
        detached_at timestamptz NOT NULL DEFAULT now(),
        drop_after timestamptz NOT NULL,
        dropped_at timestamptz
      )`);

    // Does an active legal hold touch the rows of `tbl` (a partition or a detached one) for `day`?
    await q.query(`
      CREATE FUNCTION ${s}.retention_held(tbl text, day date) RETURNS text
      LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
      DECLARE
        h record;
        hit boolean;
      BEGIN
        FOR h IN SELECT * FROM ${s}.legal_holds WHERE released_at IS NULL
                   AND (from_ts IS NULL OR from_ts < (day + 1)::timestamptz)
                   AND (to_ts IS NULL OR to_ts > day::timestamptz) LOOP
          IF h.user_id IS NULL AND h.action IS NULL THEN
            RETURN h.hold_id;
          END IF;
          EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.%I WHERE ($1 IS NULL OR user_id = $1) AND ($2 IS NULL OR action = $2)
                            AND ($3 IS NULL OR created_at >= $3) AND ($4 IS NULL OR created_at < $4))', '${schema}', tbl)
            INTO hit USING h.user_id, h.action, h.from_ts, h.to_ts;
          IF hit THEN
            RETURN h.hold_id;
          END IF;
        END LOOP;
        RETURN NULL;
      END $$`);

    await q.query(`
      CREATE FUNCTION ${s}.retention_detach_partition(part text, grace interval) RETURNS text
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
      DECLARE
        day date;
        n bigint;
        archived bigint;
        hold text;
        uncut text;
        detached text;
      BEGIN
        IF part !~ '^audit_logs_[0-9]{8}$' THEN
          RAISE EXCEPTION 'not an audit partition name: %', part USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
                        JOIN pg_namespace ns ON ns.oid = c.relnamespace
                        WHERE ns.nspname = '${schema}' AND p.relname = 'audit_logs' AND c.relname = part) THEN
          RAISE EXCEPTION 'partition % is not attached to audit_logs', part USING ERRCODE = 'undefined_table';
        END IF;
        day := to_date(substr(part, 12), 'YYYYMMDD');
        hold := ${s}.retention_held(part, day);
        IF hold IS NOT NULL THEN
          RAISE EXCEPTION 'partition % is under legal hold %', part, hold USING ERRCODE = 'object_in_use';
        END IF;
        -- Lock the partition against new rows first, then count what the archives must cover.
        EXECUTE format('LOCK TABLE %I.%I IN SHARE MODE', '${schema}', part);
        EXECUTE format('SELECT count(*) FROM %I.%I', '${schema}', part) INTO n;
        SELECT coalesce(sum(m.rows), 0) INTO archived FROM ${s}.archive_manifests m
         WHERE m.partition_name = part AND m.consumed_at IS NULL AND m.verified_at IS NOT NULL AND m.failed_at IS NULL AND m.deleted_at IS NULL;
        IF archived <> n THEN
          RAISE EXCEPTION 'partition % holds % rows but verified archives cover %', part, n, archived USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        EXECUTE format('SELECT min(p.chain_id) FROM (SELECT chain_id, max(chain_seq) AS top FROM %I.%I GROUP BY chain_id) p
                          WHERE NOT EXISTS (SELECT 1 FROM %I.chain_cuts c WHERE c.chain_id = p.chain_id AND c.up_to_seq >= p.top)',
                       '${schema}', part, '${schema}') INTO uncut;
        IF uncut IS NOT NULL THEN
          RAISE EXCEPTION 'chain % has rows in % beyond its signed retention cut', uncut, part USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        detached := part || '_d' || to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISS');
        EXECUTE format('ALTER TABLE %I.audit_logs DETACH PARTITION %I.%I', '${schema}', '${schema}', part);
        EXECUTE format('ALTER TABLE %I.%I RENAME TO %I', '${schema}', part, detached);
        UPDATE ${s}.archive_manifests SET consumed_at = now() WHERE partition_name = part AND consumed_at IS NULL;
        INSERT INTO ${s}.detached_partitions (table_name, partition_name, day, rows, drop_after)
             VALUES (detached, part, day, n, now() + grace);
        RETURN detached;
      END $$`);

    await q.query(`
      CREATE FUNCTION ${s}.retention_drop_detached(tbl text) RETURNS bigint
      LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
      DECLARE
        d record;
        hold text;
      BEGIN
        SELECT * INTO d FROM ${s}.detached_partitions WHERE table_name = tbl AND dropped_at IS NULL FOR UPDATE;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'no detached partition %', tbl USING ERRCODE = 'undefined_table';
        END IF;
        IF d.drop_after > now() THEN
          RAISE EXCEPTION '% is in its grace period until %', tbl, d.drop_after USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        hold := ${s}.retention_held(tbl, d.day);
        IF hold IS NOT NULL THEN
          RAISE EXCEPTION '% is under legal hold %', tbl, hold USING ERRCODE = 'object_in_use';
        END IF;
        EXECUTE format('DROP TABLE %I.%I', '${schema}', tbl);
        UPDATE ${s}.detached_partitions SET dropped_at = now() WHERE table_name = tbl;
        RETURN d.rows;
      END $$`);
    await q.query(
      `REVOKE ALL ON FUNCTION ${s}.retention_detach_partition(text, interval), ${s}.retention_drop_detached(text), ${s}.retention_held(text, date) FROM PUBLIC`,
    );

    await q.query(`
      DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vigil_retention') THEN
          GRANT USAGE ON SCHEMA ${s} TO vigil_retention;
          GRANT SELECT ON ${s}.audit_logs, ${s}.chain_cuts, ${s}.chain_heads, ${s}.audit_checkpoints TO vigil_retention;
          GRANT SELECT, INSERT, UPDATE ON ${s}.archive_manifests, ${s}.legal_holds TO vigil_retention;
          GRANT SELECT, INSERT ON ${s}.retention_cut_requests TO vigil_retention;
          GRANT USAGE ON SEQUENCE ${s}.retention_cut_requests_id_seq TO vigil_retention;
          GRANT SELECT ON ${s}.detached_partitions TO vigil_retention;
          GRANT EXECUTE ON FUNCTION ${s}.retention_detach_partition(text, interval), ${s}.retention_drop_detached(text), ${s}.retention_held(text, date) TO vigil_retention;
        END IF;
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vigil_audit_ingest') THEN
          GRANT SELECT, UPDATE ON ${s}.retention_cut_requests TO vigil_audit_ingest;
        END IF;
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vigil_operator') THEN
          GRANT SELECT ON ${s}.archive_manifests, ${s}.legal_holds, ${s}.detached_partitions, ${s}.chain_cuts TO vigil_operator;
        END IF;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    const s = `"${schemaOf(q.connection)}"`;
    await q.query(
      `DROP FUNCTION ${s}.retention_drop_detached(text), ${s}.retention_detach_partition(text, interval), ${s}.retention_held(text, date)`,
    );
    await q.query(
      `DROP TABLE ${s}.detached_partitions, ${s}.retention_cut_requests, ${s}.legal_holds, ${s}.archive_manifests`,
    );
  }
}
