import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '@vigil/database';

/**
 * Issue 20: a session (refresh family) remembers the OAuth client it was issued to, so its refresh
 * token is refused to any other client (RFC 6749 §6, §10.4). NULL: issued before, read as the
 * implicit client of requests that name none.
 */
export class OAuthClients1764300000000 implements MigrationInterface {
  name = 'OAuthClients1764300000000';

  async up(q: QueryRunner): Promise<void> {
    const s = `"${schemaOf(q.connection)}"`;
    await q.query(`ALTER TABLE ${s}.sessions ADD COLUMN client_id text CHECK (length(client_id) <= 100)`);
    await q.query(
      `COMMENT ON COLUMN ${s}.sessions.client_id IS 'the OAuth client the family was issued to (OAUTH_CLIENTS); NULL: the implicit client'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    const s = `"${schemaOf(q.connection)}"`;
    await q.query(`ALTER TABLE ${s}.sessions DROP COLUMN IF EXISTS client_id`);
  }
}
