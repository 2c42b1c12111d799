import type { MigrationInterface, QueryRunner } from 'typeorm';
import { schemaOf } from '@vigil/database';

/** Only the gateway's role (the table's owner, or a role that inherits it) is believed. */
const TRUSTED_API_CHANNEL = `coalesce(current_setting('vigil.change_channel', true), '') = 'api'
          AND pg_has_role(session_user, (SELECT c.relowner FROM pg_class c WHERE c.oid = TG_RELID), 'USAGE')`;
/** What 1763900200000 believed: any session's setting. */
const ANY_SESSION_API_CHANNEL = `coalesce(current_setting('vigil.change_channel', true), '') = 'api'`;

/** users_audit() as in 1763900200000-outbox, with the test for "the API made this change" given. */
function usersAudit(s: string, viaApi: string): string {
  return `
      CREATE OR REPLACE FUNCTION ${s}.users_audit() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = ${s}, pg_temp AS $$
      DECLARE
        via_api boolean := ${viaApi};
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
      END $$`;
}

/**
 * The users audit trigger took `vigil.change_channel = 'api'` as proof that the API made a change
 * (and wrote its own events), but any session may set a custom setting: an operator could grant
 * admin by SQL with no ROLE_CHANGED. Now the channel is believed only from the gateway's own
 * database role (the table's owner, or a role that inherits it); anyone else's change is audited
 * as out-of-band SQL with their role as the actor.
 */
export class TrustedChangeChannel1763900300000 implements MigrationInterface {
  name = 'TrustedChangeChannel1763900300000';

  async up(q: QueryRunner): Promise<void> {
    const s = `"${schemaOf(q.connection)}"`;
    await q.query(usersAudit(s, TRUSTED_API_CHANNEL));
  }

  async down(q: QueryRunner): Promise<void> {
    const s = `"${schemaOf(q.connection)}"`;
    await q.query(usersAudit(s, ANY_SESSION_API_CHANNEL));
  }
}
