import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from './data-source';

/**
 * The table a service keeps of what it has announced on ops.events.v1 about itself: each schema
 * migration it found applied (SCHEMA_MIGRATION) and each version it ran as (DEPLOYMENT), seeds
 * 002-15, 002-27, 004-58. A row is written before its event is published and marked once the
 * broker took it, so an announcement survives a crash or a broker outage in between (the event id
 * is kept: a second attempt republishes the same event, which the audit writer stores once).
 *
 * One class per service (each app appends it to its own migrations with its own timestamp);
 * `grantTo` names roles that use the table without owning the schema (the audit writer's runtime
 * role: its schema belongs to the store's owner).
 */
export function releaseAnnouncementsMigration(
  timestamp: number,
  grantTo: string[] = [],
): new () => MigrationInterface {
  const name = `ReleaseAnnouncements${timestamp}`;
  const migration = class implements MigrationInterface {
    name = name;

    async up(q: QueryRunner): Promise<void> {
      const s = schemaOf(q.connection);
      await q.query(`
        CREATE TABLE "${s}".release_announcements (
          kind          text        NOT NULL CHECK (kind IN ('deployment', 'migration')),
          name          text        NOT NULL,
          event_id      uuid        NOT NULL,
          event         jsonb       NOT NULL,
          seen_at       timestamptz NOT NULL DEFAULT now(),
          announced_at  timestamptz,
          PRIMARY KEY (kind, name)
        )`);
      // Where deploy/local/db-setup.js made the role (absent in throwaway clusters and schemas).
      for (const role of grantTo) {
        if (!/^[a-z_][a-z0-9_]*$/.test(role)) throw new Error(`not a role name: ${role}`);
        await q.query(`
          DO $$ BEGIN
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${role}') THEN
              GRANT SELECT, INSERT, UPDATE ON "${s}".release_announcements TO ${role};
            END IF;
          END $$`);
      }
    }

    async down(q: QueryRunner): Promise<void> {
      await q.query(`DROP TABLE "${schemaOf(q.connection)}".release_announcements`);
    }
  };
  Object.defineProperty(migration, 'name', { value: name });
  return migration;
}
