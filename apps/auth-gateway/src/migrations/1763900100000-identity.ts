import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '@vigil/database';

/**
 * Users, sessions (one per login = one refresh-token family), refresh tokens (SHA-256 only),
 * throttle counters, familiar IPs, IP blocks and applied security actions. Column names of `users`
 * follow seed 001's SQL (`email`, `is_admin`, `is_active`).
 */
export class Identity1763900100000 implements MigrationInterface {
  name = 'Identity1763900100000';

  async up(q: QueryRunner): Promise<void> {
    const s = `"${schemaOf(q.connection)}"`;
    await q.query(`
      CREATE TABLE ${s}.users (
        id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        username            text NOT NULL CHECK (username = lower(username) AND length(username) BETWEEN 1 AND 320),
        email               text NOT NULL CHECK (length(email) BETWEEN 3 AND 320),
        password_hash       text NOT NULL,
        roles               text[] NOT NULL DEFAULT '{user}' CHECK (roles <@ ARRAY['admin','auditor','viewer','user']::text[]),
        is_admin            boolean NOT NULL DEFAULT false,
        is_active           boolean NOT NULL DEFAULT true,
        locked_until        timestamptz,
        lock_reason         text CHECK (lock_reason IN ('admin', 'security_action')),
        roles_changed_at    timestamptz NOT NULL DEFAULT now(),
        deactivated_at      timestamptz,
        password_changed_at timestamptz NOT NULL DEFAULT now(),
        created_at          timestamptz NOT NULL DEFAULT now(),
        updated_at          timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX users_username_key ON ${s}.users (username)`);
    await q.query(`CREATE UNIQUE INDEX users_email_key ON ${s}.users (lower(email))`);
    await q.query(`CREATE INDEX users_admins ON ${s}.users (is_admin) WHERE is_admin`);
    await q.query(
      `COMMENT ON COLUMN ${s}.users.is_admin IS 'kept equal to (''admin'' = ANY(roles)) by trigger: seed 001 SQL may set either'`,
    );

    await q.query(`
      CREATE TABLE ${s}.sessions (
        id            uuid PRIMARY KEY,
        user_id       uuid NOT NULL REFERENCES ${s}.users (id) ON DELETE CASCADE,
        generation    integer NOT NULL DEFAULT 0,
        created_at    timestamptz NOT NULL DEFAULT now(),
        last_used_at  timestamptz NOT NULL DEFAULT now(),
        expires_at    timestamptz NOT NULL,
        ip            inet,
        user_agent    text,
        revoked_at    timestamptz,
        revoke_reason text
      )`);
    await q.query(`CREATE INDEX sessions_user_live ON ${s}.sessions (user_id) WHERE revoked_at IS NULL`);
    await q.query(
      `COMMENT ON TABLE ${s}.sessions IS 'one login = one session = one refresh-token family (familyId = session id)'`,
    );

    await q.query(`
      CREATE TABLE ${s}.refresh_tokens (
        token_hash  bytea PRIMARY KEY CHECK (length(token_hash) = 32),
        session_id  uuid NOT NULL REFERENCES ${s}.sessions (id) ON DELETE CASCADE,
        generation  integer NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        expires_at  timestamptz NOT NULL,
        rotated_at  timestamptz,
        retried_at  timestamptz
      )`);
    await q.query(`CREATE INDEX refresh_tokens_session ON ${s}.refresh_tokens (session_id)`);
    await q.query(
      `COMMENT ON COLUMN ${s}.refresh_tokens.token_hash IS 'SHA-256 of the opaque token; the token itself is never stored'`,
    );

    await q.query(`
      CREATE TABLE ${s}.throttle_state (
        scope             text NOT NULL CHECK (scope IN ('account', 'ip', 'account_ip')),
        key               text NOT NULL,
        recent            bigint[] NOT NULL DEFAULT '{}',
        last_failure_at   timestamptz NOT NULL DEFAULT now(),
        blocked_until     timestamptz,
        strikes           integer NOT NULL DEFAULT 0,
        PRIMARY KEY (scope, key)
      )`);
    await q.query(`CREATE INDEX throttle_state_last_failure ON ${s}.throttle_state (last_failure_at)`);
    await q.query(
      `COMMENT ON COLUMN ${s}.throttle_state.recent IS 'epoch ms of the failures inside the sliding window (bounded)'`,
    );

    await q.query(`
      CREATE TABLE ${s}.known_ips (
        user_id         uuid NOT NULL REFERENCES ${s}.users (id) ON DELETE CASCADE,
        ip              inet NOT NULL,
        last_success_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, ip)
      )`);

    await q.query(`
      CREATE TABLE ${s}.ip_blocks (
        ip              inet PRIMARY KEY,
        blocked_until   timestamptz NOT NULL,
        reason          text NOT NULL,
        alert_id        text,
        action_event_id uuid,
        created_at      timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE ${s}.applied_security_actions (
        event_id   uuid PRIMARY KEY,
        action     text NOT NULL,
        target     text NOT NULL,
        dry_run    boolean NOT NULL,
        result     text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  /** Gateway tables only (seed 004-56): nothing here is audit evidence, which lives in audit_logs. */
  async down(q: QueryRunner): Promise<void> {
    const s = `"${schemaOf(q.connection)}"`;
    for (const t of [
      'applied_security_actions',
      'ip_blocks',
      'known_ips',
      'throttle_state',
      'refresh_tokens',
      'sessions',
      'users',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${s}.${t}`);
    }
  }
}
