import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '@vigil/database';

/**
 * Detection state per (consumer group, topic, partition), so several instances can share the
 * work: a partition's windows and open alerts move with the partition on a rebalance. A row only
 * moves forward (input_offset never goes back), which fences off an instance that lost the
 * partition but has not noticed yet. Replaces the one-row-per-group engine_snapshots.
 */
export class PartitionState1763900300000 implements MigrationInterface {
  name = 'PartitionState1763900300000';

  async up(q: QueryRunner): Promise<void> {
    const s = schemaOf(q.connection);
    await q.query(`
      CREATE TABLE "${s}".partition_state (
        group_id      text        NOT NULL,
        topic         text        NOT NULL,
        partition     integer     NOT NULL,
        input_offset  bigint      NOT NULL,
        sources       jsonb       NOT NULL DEFAULT '{}'::jsonb,
        rules_version integer     NOT NULL,
        state         jsonb       NOT NULL,
        saved_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (group_id, topic, partition)
      )`);
    await q.query(`DROP TABLE "${s}".engine_snapshots`);
  }

  async down(q: QueryRunner): Promise<void> {
    const s = schemaOf(q.connection);
    await q.query(`
      CREATE TABLE "${s}".engine_snapshots (
        group_id text NOT NULL, topic text NOT NULL, offsets jsonb NOT NULL, rules_version integer NOT NULL,
        state jsonb NOT NULL, saved_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (group_id, topic)
      )`);
    await q.query(`DROP TABLE "${s}".partition_state`);
  }
}
