import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '@vigil/database';

/**
 * Operators' controls (issue 16 item 5): `users.must_reset_password` (seed 000-44: the account must
 * choose a new password before its next login) and the gateway's maintenance mode (seed 004-34),
 * one row shared by every instance.
 */
export class OperatorControls1764200000000 implements MigrationInterface {
  name = 'OperatorControls1764200000000';

  async up(q: QueryRunner): Promise<void> {
    const s = `"${schemaOf(q.connection)}"`;
    await q.query(`ALTER TABLE ${s}.users ADD COLUMN must_reset_password boolean NOT NULL DEFAULT false`);
    await q.query(
      `COMMENT ON COLUMN ${s}.users.must_reset_password IS 'set by an admin (seed 000-44): a login with the current password is refused until the user chooses a new one'`,
    );
    await q.query(`
      CREATE TABLE ${s}.maintenance_mode (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        enabled boolean NOT NULL DEFAULT false,
        reason text CHECK (char_length(reason) <= 200),
        changed_at timestamptz NOT NULL DEFAULT now(),
        changed_by uuid
      )`);
    await q.query(`INSERT INTO ${s}.maintenance_mode (enabled) VALUES (false)`);
    await q.query(
      `COMMENT ON TABLE ${s}.maintenance_mode IS 'one row: while enabled, logins and refreshes answer 503 on every gateway instance (seed 004-34)'`,
    );
    await q.query(`
      DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vigil_operator') THEN
          GRANT SELECT (must_reset_password) ON ${s}.users TO vigil_operator;
          GRANT SELECT ON ${s}.maintenance_mode TO vigil_operator;
        END IF;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    const s = `"${schemaOf(q.connection)}"`;
    await q.query(`DROP TABLE IF EXISTS ${s}.maintenance_mode`);
    await q.query(`ALTER TABLE ${s}.users DROP COLUMN IF EXISTS must_reset_password`);
  }
}
