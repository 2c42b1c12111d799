import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '@vigil/database';

/**
 * Detection state that survives a restart: the engine's windows and open alerts, with the input
 * offset of every partition they cover, written in one statement after each step's alerts are
 * published. A restarted instance skips input at or below those offsets: no gap, no double alert.
 */
export class EngineSnapshots1763900200000 implements MigrationInterface {
  name = 'EngineSnapshots1763900200000';

  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q.connection);
    await q.query(`
      CREATE TABLE "${s}".engine_snapshots (
        group_id    text        NOT NULL,
        topic       text        NOT NULL,
        offsets     jsonb       NOT NULL,
        rules_version integer   NOT NULL,
        state       jsonb       NOT NULL,
        saved_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (group_id, topic)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE "${schemaOf(q.connection)}".engine_snapshots`);
  }
}
