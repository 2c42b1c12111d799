import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '@vigil/database';

/**
 * A rotated refresh token keeps its successor sealed (AES-256-GCM under a key derived from the
 * rotated token itself), so a retry within the grace gets the same pair back instead of a sibling.
 */
export class RefreshSuccessor1763900500000 implements MigrationInterface {
  name = 'RefreshSuccessor1763900500000';

  async up(q: QueryRunner): Promise<void> {
    const s = `"${schemaOf(q.connection)}"`;
    await q.query(`ALTER TABLE ${s}.refresh_tokens ADD COLUMN successor_sealed bytea`);
    await q.query(
      `COMMENT ON COLUMN ${s}.refresh_tokens.successor_sealed IS 'the token that replaced this one, encrypted under a key only the holder of this token can derive; erased once the grace is over'`,
    );
    await q.query(
      `CREATE INDEX refresh_tokens_sealed ON ${s}.refresh_tokens (rotated_at) WHERE successor_sealed IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    const s = `"${schemaOf(q.connection)}"`;
    await q.query(`DROP INDEX IF EXISTS ${s}.refresh_tokens_sealed`);
    await q.query(`ALTER TABLE ${s}.refresh_tokens DROP COLUMN IF EXISTS successor_sealed`);
  }
}
