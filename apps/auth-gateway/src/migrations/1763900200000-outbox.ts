import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '@vigil/database';

/**
 * The outbox (events written in the same transaction as the change they describe, relayed to
 * auth.events.v1) and the triggers that keep seed 001's SQL on `users` safe and audited:
 * `is_admin` and `roles` stay consistent whichever one SQL sets, and an out-of-band change writes
 * ROLE_CHANGED / USER_CREATED / USER_DEACTIVATED / USER_REACTIVATED rows (actor = the database
 * role). Deactivation revokes the user's sessions, hence their refresh families, on any channel.
 */
export class Outbox1763900200000 implements MigrationInterface {
  name = 'Outbox1763900200000';

  async up(q: QueryRunner): Promise<void> {
    const schema = schemaOf(q.connection);
    const s = `"${schema}"`;
    await q.query(`
      CREATE TABLE ${s}.outbox (
        seq          bigserial PRIMARY KEY,
        event_id     uuid NOT NULL UNIQUE,
        event_type   text NOT NULL,
        event_key    text NOT NULL,
        payload      jsonb NOT NULL,
        traceparent  text,
        created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
        published_at timestamptz,
        attempts     integer NOT NULL DEFAULT 0,
        failed_at    timestamptz,
        last_error   text
      )`);
    await q.query(
      `CREATE INDEX outbox_pending ON ${s}.outbox (seq) WHERE published_at IS NULL AND failed_at IS NULL`,
    );
    await q.query(
      `CREATE INDEX outbox_published ON ${s}.outbox (published_at) WHERE published_at IS NOT NULL`,
    );

    // UUIDv7 (time-ordered; the contracts' event id format) for events written by SQL.
    await q.query(`
      CREATE FUNCTION ${s}.uuid_v7() RETURNS uuid LANGUAGE sql VOLATILE AS $$
        SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
          PLACING substring(int8send((extract(epoch FROM clock_timestamp()) * 1000)::bigint) FROM 3) FROM 1 FOR 6),
          52, 1), 53, 1), 'hex')::uuid
      $$`);

    await q.query(`
      CREATE FUNCTION ${s}.outbox_append(p_type text, p_key text, p_actor jsonb, p_subject jsonb, p_reason text, p_attributes jsonb)
      RETURNS void LANGUAGE plpgsql SET search_path = ${s}, pg_temp AS $$
      DECLARE eid uuid := uuid_v7();
      BEGIN
        INSERT INTO outbox (event_id, event_type, event_key, payload) VALUES (eid, p_type, p_key, jsonb_build_object(
          'id', eid::text, 'type', p_type, 'schemaVersion', 1,
          'occurredAt', to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
          'producer', 'db-trigger', 'actor', p_actor, 'subject', p_subject, 'outcome', 'success',
          'reason', p_reason, 'attributes', p_attributes));
      END $$`);

    await q.query(`
      CREATE FUNCTION ${s}.users_normalize() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        -- Runs as the caller: remember who it is for users_audit (which runs as the table owner).
        PERFORM set_config('vigil.db_actor', current_user, true);
        IF TG_OP = 'INSERT' THEN
          IF NEW.is_admin AND NOT ('admin' = ANY (NEW.roles)) THEN NEW.roles := NEW.roles || 'admin'::text; END IF;
        ELSIF NEW.is_admin IS DISTINCT FROM OLD.is_admin AND NEW.roles IS NOT DISTINCT FROM OLD.roles THEN
          -- seed 001: UPDATE users SET is_admin = true ... ; the roles follow
          IF NEW.is_admin THEN NEW.roles := NEW.roles || 'admin'::text; ELSE NEW.roles := array_remove(NEW.roles, 'admin'); END IF;
        END IF;
        NEW.roles := ARRAY(SELECT DISTINCT r FROM unnest(NEW.roles) AS r ORDER BY r);
        NEW.is_admin := 'admin' = ANY (NEW.roles);
        IF TG_OP = 'UPDATE' THEN
          IF NEW.roles IS DISTINCT FROM OLD.roles THEN NEW.roles_changed_at := clock_timestamp(); END IF;
          IF NEW.is_active IS DISTINCT FROM OLD.is_active THEN
            NEW.deactivated_at := CASE WHEN NEW.is_active THEN NULL ELSE clock_timestamp() END;
          END IF;
          NEW.updated_at := clock_timestamp();
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(
      `CREATE TRIGGER users_normalize BEFORE INSERT OR UPDATE ON ${s}.users FOR EACH ROW EXECUTE FUNCTION ${s}.users_normalize()`,
    );

    await q.query(`
      CREATE FUNCTION ${s}.users_audit() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = ${s}, pg_temp AS $$
      DECLARE
        via_api boolean := coalesce(current_setting('vigil.change_channel', true), '') = 'api';
        actor   text := left(regexp_replace(coalesce(nullif(current_setting('vigil.db_actor', true), ''), session_user::text), '[^A-Za-z0-9._:@-]', '_', 'g'), 63);
        who     jsonb := jsonb_build_object('dbRole', actor);
        subj    jsonb := jsonb_build_object('userId', NEW.id::text);
        revoked integer := 0;
      BEGIN
        IF TG_OP = 'INSERT' THEN
          IF NOT via_api THEN
            PERFORM outbox_append('USER_CREATED', NEW.id::text, who, subj, 'out_of_band_sql',
              jsonb_build_object('roles', to_jsonb(NEW.roles), 'channel', 'db_trigger'));
          END IF;
          RETURN NULL;
        END IF;
        IF NEW.is_active IS DISTINCT FROM OLD.is_active AND NOT NEW.is_active THEN
          UPDATE sessions SET revoked_at = clock_timestamp(), revoke_reason = 'deactivation'
           WHERE user_id = NEW.id AND revoked_at IS NULL;
          GET DIAGNOSTICS revoked = ROW_COUNT;
        END IF;
        IF via_api THEN RETURN NULL; END IF; -- the API wrote its own, richer events
        IF NEW.roles IS DISTINCT FROM OLD.roles THEN
          PERFORM outbox_append('ROLE_CHANGED', NEW.id::text, who, subj, 'out_of_band_sql', jsonb_build_object(
            'before', to_jsonb(OLD.roles), 'after', to_jsonb(NEW.roles), 'targetUserId', NEW.id::text, 'channel', 'db_trigger'));
        END IF;
        IF NEW.is_active IS DISTINCT FROM OLD.is_active THEN
          IF NEW.is_active THEN
            PERFORM outbox_append('USER_REACTIVATED', NEW.id::text, who, subj, 'out_of_band_sql', jsonb_build_object('channel', 'db_trigger'));
          ELSE
            PERFORM outbox_append('USER_DEACTIVATED', NEW.id::text, who, subj, 'out_of_band_sql',
              jsonb_build_object('channel', 'db_trigger', 'sessionsRevoked', revoked));
          END IF;
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER users_audit AFTER UPDATE OF roles, is_admin, is_active ON ${s}.users FOR EACH ROW
      WHEN (OLD.roles IS DISTINCT FROM NEW.roles OR OLD.is_active IS DISTINCT FROM NEW.is_active)
      EXECUTE FUNCTION ${s}.users_audit()`);
    await q.query(
      `CREATE TRIGGER users_audit_insert AFTER INSERT ON ${s}.users FOR EACH ROW EXECUTE FUNCTION ${s}.users_audit()`,
    );
    // session_replication_role = replica must not silence the audit (DESIGN.md, "Known traps").
    await q.query(`ALTER TABLE ${s}.users ENABLE ALWAYS TRIGGER users_audit`);
    await q.query(`ALTER TABLE ${s}.users ENABLE ALWAYS TRIGGER users_audit_insert`);
    await q.query(`ALTER TABLE ${s}.users ENABLE ALWAYS TRIGGER users_normalize`);
    await q.query(
      `REVOKE ALL ON FUNCTION ${s}.outbox_append(text, text, jsonb, jsonb, text, jsonb) FROM PUBLIC`,
    );

    // Operators run seed 001's SQL through vigil_operator (deploy/local/db-setup.js): they see and
    // change what the runbooks touch, never password hashes.
    await q.query(`
      DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vigil_operator') THEN
          GRANT USAGE ON SCHEMA ${s} TO vigil_operator;
          GRANT SELECT (id, username, email, roles, is_admin, is_active, locked_until, lock_reason, created_at, updated_at, deactivated_at)
            ON ${s}.users TO vigil_operator;
          GRANT UPDATE (email, roles, is_admin, is_active) ON ${s}.users TO vigil_operator;
        END IF;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    const s = `"${schemaOf(q.connection)}"`;
    await q.query(`DROP TRIGGER IF EXISTS users_audit_insert ON ${s}.users`);
    await q.query(`DROP TRIGGER IF EXISTS users_audit ON ${s}.users`);
    await q.query(`DROP TRIGGER IF EXISTS users_normalize ON ${s}.users`);
    await q.query(`DROP FUNCTION IF EXISTS ${s}.users_audit()`);
    await q.query(`DROP FUNCTION IF EXISTS ${s}.users_normalize()`);
    await q.query(`DROP FUNCTION IF EXISTS ${s}.outbox_append(text, text, jsonb, jsonb, text, jsonb)`);
    await q.query(`DROP FUNCTION IF EXISTS ${s}.uuid_v7()`);
    await q.query(`DROP TABLE IF EXISTS ${s}.outbox`);
  }
}
