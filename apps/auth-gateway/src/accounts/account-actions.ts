import { Injectable } from '@nestjs/common';
import type { EventEnvelope, LockTrigger, RevocationTrigger } from '@vigil/contracts';
import type { Queryable } from '@vigil/database';
import { gatewayEvent, type RequestMeta } from '../events/gateway-event.factory';
import { ThrottleRepository } from '../lockout/throttle.repository';
import { SessionsRepository } from '../sessions/sessions.repository';
import { hardLocked, lockedUntilIso, UsersRepository, type UserRow } from './users.repository';

/** Who asked for an account change: an admin (actor, request) or a security action (its alert). */
export interface ActionContext {
  actor?: { userId: string; roles: string[] };
  meta?: RequestMeta;
  alertId?: string;
  /** An admin's reason, kept in the event. */
  note?: string;
}

const subjectOf = (u: UserRow) => ({ userId: u.id });
const actorOf = (c: ActionContext) => (c.actor ? { actor: c.actor } : {});

/**
 * Account changes shared by the admin API and the security-action consumer: each runs inside the
 * caller's transaction and returns the events to append in it.
 */
@Injectable()
export class AccountActions {
  constructor(
    private readonly users: UsersRepository,
    private readonly sessions: SessionsRepository,
    private readonly throttles: ThrottleRepository,
  ) {}

  /** Locks for `ttlSeconds` (indefinitely when absent): logins and existing tokens are refused. */
  async lock(
    q: Queryable,
    user: UserRow,
    trigger: Extract<LockTrigger, 'admin' | 'security_action'>,
    ttlSeconds: number | undefined,
    ctx: ActionContext,
  ): Promise<{ user: UserRow; events: EventEnvelope[] }> {
    const row = await this.users.lock(q, user.id, ttlSeconds, trigger);
    const until = lockedUntilIso(row.locked_until);
    return {
      user: row,
      events: [
        gatewayEvent('ACCOUNT_LOCKED', {
          ...actorOf(ctx),
          subject: subjectOf(row),
          outcome: 'success',
          reason: trigger === 'admin' ? 'admin_lock' : 'security_action',
          attributes: {
            trigger,
            ...(until ? { lockedUntil: until } : {}),
            ...(ctx.alertId ? { alertId: ctx.alertId } : {}),
            ...(ctx.note ? { note: ctx.note } : {}),
          },
          meta: ctx.meta,
        }),
      ],
    };
  }

  /** Lifts admin/security locks and failed-login counters; no event when nothing was locked. */
  async unlock(
    q: Queryable,
    user: UserRow,
    trigger: Extract<LockTrigger, 'admin' | 'security_action'>,
    ctx: ActionContext,
  ): Promise<{ user: UserRow; events: EventEnvelope[] }> {
    const wasHard = hardLocked(user);
    const row = await this.users.unlock(q, user.id);
    const blocked = await this.throttles.accountBlocked(q, `u:${user.id}`);
    await this.throttles.clearAccountCounters(q, `u:${user.id}`);
    if (!wasHard && !blocked) return { user: row, events: [] };
    return {
      user: row,
      events: [
        gatewayEvent('ACCOUNT_UNLOCKED', {
          ...actorOf(ctx),
          subject: subjectOf(row),
          outcome: 'success',
          attributes: { trigger },
          meta: ctx.meta,
        }),
      ],
    };
  }

  /** Lifts the security action's lock only: the failed-login lockout's counters stay as they are. */
  async liftSecurityLock(q: Queryable, user: UserRow): Promise<EventEnvelope[]> {
    const row = await this.users.liftSecurityLock(q, user.id);
    if (!row) return [];
    return [
      gatewayEvent('ACCOUNT_UNLOCKED', {
        subject: { userId: row.id },
        outcome: 'success',
        attributes: { trigger: 'security_action' },
      }),
    ];
  }

  /** Revokes one or all of the user's sessions (their refresh families die with them). */
  async revokeSessions(
    q: Queryable,
    user: UserRow,
    sessionId: string | undefined,
    trigger: Extract<RevocationTrigger, 'admin' | 'security_action'>,
    ctx: ActionContext,
  ): Promise<{ count: number; events: EventEnvelope[] }> {
    const count = await this.sessions.revoke(q, user.id, sessionId, trigger);
    return {
      count,
      events: [
        gatewayEvent('TOKEN_REVOKED', {
          ...actorOf(ctx),
          subject: subjectOf(user),
          outcome: 'success',
          attributes: {
            scope: sessionId ? 'session' : 'all_sessions',
            trigger,
            ...(sessionId ? { sessionId, familyId: sessionId } : {}),
            revokedCount: count,
          },
          meta: ctx.meta,
        }),
      ],
    };
  }
}
