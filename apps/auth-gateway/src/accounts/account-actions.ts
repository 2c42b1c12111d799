import type { EventEnvelope, LockTrigger, RevocationTrigger } from '@vigil/contracts';
import type { Sql } from '../db/db';
import { gatewayEvent, type RequestMeta } from '../events/event-builder';
import { clearAccountCounters } from '../lockout/throttle.repository';
import { revokeSessions } from '../sessions/sessions.service';
import { hardLocked, lockedUntilIso, USER_COLUMNS, type UserRow } from '../users/users.repository';

/*
 * Account changes shared by the admin API and the security-action consumer: each runs inside the
 * caller's transaction and returns the events to append in it.
 */

export interface ActionContext {
  actor?: { userId: string; roles: string[] };
  meta?: RequestMeta;
  alertId?: string;
}

const subjectOf = (u: UserRow) => ({ userId: u.id });
const actorOf = (c: ActionContext) => (c.actor ? { actor: c.actor } : {});

/** Locks for `ttlSeconds` (indefinitely when absent): logins and existing tokens are refused. */
export async function lockAccount(sql: Sql, user: UserRow, trigger: Extract<LockTrigger, 'admin' | 'security_action'>, ttlSeconds: number | undefined, ctx: ActionContext): Promise<{ user: UserRow; events: EventEnvelope[] }> {
  const [row] = await sql.query<UserRow>(
    `UPDATE users SET locked_until = CASE WHEN $2::int IS NULL THEN 'infinity'::timestamptz ELSE now() + make_interval(secs => $2::int) END,
            lock_reason = $3
      WHERE id = $1 RETURNING ${USER_COLUMNS}`,
    [user.id, ttlSeconds ?? null, trigger],
  );
  const until = lockedUntilIso(row.locked_until);
  return {
    user: row,
    events: [
      gatewayEvent('ACCOUNT_LOCKED', {
        ...actorOf(ctx),
        subject: subjectOf(row),
        outcome: 'success',
        reason: trigger === 'admin' ? 'admin_lock' : 'security_action',
        attributes: { trigger, ...(until ? { lockedUntil: until } : {}), ...(ctx.alertId ? { alertId: ctx.alertId } : {}) },
        meta: ctx.meta,
      }),
    ],
  };
}

/** Lifts admin/security locks and failed-login counters; no event when nothing was locked. */
export async function unlockAccount(sql: Sql, user: UserRow, trigger: Extract<LockTrigger, 'admin' | 'security_action'>, ctx: ActionContext): Promise<{ user: UserRow; events: EventEnvelope[] }> {
  const wasHard = hardLocked(user);
  const [row] = await sql.query<UserRow>(`UPDATE users SET locked_until = NULL, lock_reason = NULL WHERE id = $1 RETURNING ${USER_COLUMNS}`, [user.id]);
  const [{ blocked }] = await sql.query<{ blocked: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM throttle_state WHERE scope = 'account' AND key = $1 AND blocked_until > now()) AS blocked`,
    [`u:${user.id}`],
  );
  await clearAccountCounters(sql, `u:${user.id}`);
  if (!wasHard && !blocked) return { user: row, events: [] };
  return {
    user: row,
    events: [gatewayEvent('ACCOUNT_UNLOCKED', { ...actorOf(ctx), subject: subjectOf(row), outcome: 'success', attributes: { trigger }, meta: ctx.meta })],
  };
}

/** Revokes one or all of the user's sessions (their refresh families die with them). */
export async function revokeUserSessions(sql: Sql, user: UserRow, sessionId: string | undefined, trigger: Extract<RevocationTrigger, 'admin' | 'security_action'>, ctx: ActionContext): Promise<{ count: number; events: EventEnvelope[] }> {
  const count = await revokeSessions(sql, user.id, sessionId, trigger);
  return {
    count,
    events: [
      gatewayEvent('TOKEN_REVOKED', {
        ...actorOf(ctx),
        subject: subjectOf(user),
        outcome: 'success',
        attributes: { scope: sessionId ? 'session' : 'all_sessions', trigger, ...(sessionId ? { sessionId, familyId: sessionId } : {}), revokedCount: count },
        meta: ctx.meta,
      }),
    ],
  };
}
