import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '@vigil/database';

/**
 * Issue 14 item 2. IP blocks set by hand next to the monitor's: who set one (`blocked_by`, the
 * admin) and why (`note`); `ip` may hold a network (CIDR), matched by containment through a GiST
 * index. The per-minute cap on automated locks counts applied LOCK_ACCOUNT rows, indexed here.
 */
export class SignedActionsIpBlocks1763900400000 implements MigrationInterface {
  name = 'SignedActionsIpBlocks1763900400000';

  async up(q: QueryRunner): Promise<void> {
    const s = `"${schemaOf(q.connection)}"`;
    await q.query(`
      ALTER TABLE ${s}.ip_blocks
        ADD COLUMN blocked_by uuid REFERENCES ${s}.users (id) ON DELETE SET NULL,
        ADD COLUMN note text CHECK (length(note) <= 200),
        ADD CONSTRAINT ip_blocks_reason CHECK (reason IN ('security_action', 'admin'))`);
    await q.query(`CREATE INDEX ip_blocks_ip_contains ON ${s}.ip_blocks USING gist (ip inet_ops)`);
    await q.query(
      `CREATE INDEX applied_security_actions_locks ON ${s}.applied_security_actions (applied_at) WHERE action = 'LOCK_ACCOUNT' AND result = 'applied'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    const s = `"${schemaOf(q.connection)}"`;
    await q.query(`DROP INDEX IF EXISTS ${s}.applied_security_actions_locks`);
    await q.query(`DROP INDEX IF EXISTS ${s}.ip_blocks_ip_contains`);
    await q.query(
      `ALTER TABLE ${s}.ip_blocks DROP CONSTRAINT IF EXISTS ip_blocks_reason, DROP COLUMN IF EXISTS note, DROP COLUMN IF EXISTS blocked_by`,
    );
  }
}
