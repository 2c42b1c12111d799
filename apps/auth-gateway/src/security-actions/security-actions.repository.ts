import { Injectable } from '@nestjs/common';
import type { Queryable } from '@vigil/database';

/** One advisory lock serialises the per-minute count of automated locks across instances. */
const LOCK_CAP_ADVISORY_KEY = 'vigil.security_actions.lock_cap';

/** `applied_security_actions`: every command id ever applied (a replay is refused durably) and its result. */
@Injectable()
export class SecurityActionsRepository {
  /** Records the command as pending; false when its id was seen before (a replay). */
  async claim(
    q: Queryable,
    c: { eventId: string; action: string; target: string; dryRun: boolean },
  ): Promise<boolean> {
    const { rows } = await q.query(
      `INSERT INTO applied_security_actions (event_id, action, target, dry_run, result) VALUES ($1, $2, $3, $4, 'pending')
             ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
      [c.eventId, c.action, c.target, c.dryRun],
    );
    return rows.length > 0;
  }

  async setResult(q: Queryable, eventId: string, result: string): Promise<void> {
    await q.query(`UPDATE applied_security_actions SET result = $2 WHERE event_id = $1`, [eventId, result]);
  }

  /** Automated locks applied in the last minute, counted under a transaction-level advisory lock (all instances). */
  async locksInLastMinute(q: Queryable): Promise<number> {
    await q.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [LOCK_CAP_ADVISORY_KEY]);
    const { rows } = await q.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM applied_security_actions
        WHERE action = 'LOCK_ACCOUNT' AND result = 'applied' AND applied_at > now() - interval '1 minute'`,
    );
    return rows[0].n;
  }

  async pruneOlderThan30Days(q: Queryable): Promise<void> {
    await q.query(`DELETE FROM applied_security_actions WHERE applied_at < now() - interval '30 days'`);
  }
}
