import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '@vigil/database';

/**
 * The worker's own state: an outbox for its ops events (written in the same transaction as the
 * step it records, so a broker outage delays an event and never loses it), and a log of runs with
 * their progress. Manifests and legal holds live in the audit schema, beside the rows they guard.
 */
export class RetentionState1764000000000 implements MigrationInterface {
  name = 'RetentionState1764000000000';

  async up(q: QueryRunner): Promise<void> {
    const s = `"${schemaOf(q.connection)}"`;
    await q.query(`
      CREATE TABLE ${s}.ops_outbox (
        seq bigserial PRIMARY KEY,
        event_id uuid NOT NULL UNIQUE,
        type text NOT NULL,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        published_at timestamptz
      )`);
    await q.query(`CREATE INDEX ops_outbox_pending ON ${s}.ops_outbox (seq) WHERE published_at IS NULL`);
    await q.query(`
      CREATE TABLE ${s}.retention_runs (
        run_id text PRIMARY KEY,
        trigger text NOT NULL CHECK (trigger IN ('schedule', 'api', 'cli')),
        dry_run boolean NOT NULL,
        retention_days integer NOT NULL,
        cutoff timestamptz NOT NULL,
        started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        finished_at timestamptz,
        outcome text CHECK (outcome IN ('success', 'failure', 'partial')),
        summary jsonb NOT NULL DEFAULT '{}'::jsonb,
        error text
      )`);
    await q.query(`CREATE INDEX retention_runs_started ON ${s}.retention_runs (started_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    const s = `"${schemaOf(q.connection)}"`;
    await q.query(`DROP TABLE ${s}.retention_runs, ${s}.ops_outbox`);
  }
}
