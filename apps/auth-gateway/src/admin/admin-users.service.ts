import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { normalizeRoles, type Role } from '@vigil/auth';
import { normalizeUsername, type EventEnvelope } from '@vigil/contracts';
import { Db, type Queryable } from '@vigil/database';
import { AccountActions, type ActionContext } from '../accounts/account-actions';
import { toUserView, UsersRepository, type UserRow, type UserView } from '../accounts/users.repository';
import { UsersService } from '../accounts/users.service';
import { VIA_API } from '../database/database.module';
import { gatewayEvent } from '../events/gateway-event.factory';
import { OutboxWriter } from '../outbox/outbox.writer';
import { PasswordHasher } from '../passwords/password-hasher';
import { SessionsRepository } from '../sessions/sessions.repository';
import { SessionsService, type SessionView } from '../sessions/sessions.service';

type Ctx = Required<Pick<ActionContext, 'actor'>> & ActionContext;

const conflict = (detail: string) =>
  new ConflictException({ type: 'https://vigil.dev/problems/conflict', title: 'Conflict', detail });

/**
 * Administration of users. Every change and its event (actor = the admin; before/after where the
 * contract has them) commit in one transaction; changes that change nothing emit nothing.
 */
@Injectable()
export class AdminUsersService {
  constructor(
    private readonly db: Db,
    private readonly userRows: UsersRepository,
    private readonly accounts: AccountActions,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly sessionRows: SessionsRepository,
    private readonly hasher: PasswordHasher,
    private readonly outbox: OutboxWriter,
  ) {}

  async create(
    input: { username: string; email: string; password: string; roles?: Role[] },
    ctx: Ctx,
  ): Promise<UserView> {
    return toUserView(
      await this.users.create({ ...input, roles: input.roles ?? ['user'] }, ctx.actor, ctx.meta),
    );
  }

  async list(onlyAdmins: boolean, limit: number): Promise<UserView[]> {
    return (await this.userRows.list(onlyAdmins, limit)).map(toUserView);
  }

  /** The user a username or e-mail names, as a list of zero or one (`GET ?login=`). */
  async findByLogin(login: string): Promise<UserView[]> {
    const user = await this.userRows.findByLogin(this.db, normalizeUsername(login));
    return user ? [toUserView(user)] : [];
  }

  async get(id: string): Promise<UserView> {
    const user = await this.userRows.findById(this.db, id);
    if (!user) throw notFound();
    return toUserView(user);
  }

  setRoles(id: string, roles: Role[], ctx: Ctx): Promise<UserView> {
    return this.change(id, async (sql, user) => {
      const after = normalizeRoles(roles);
      if (user.id === ctx.actor.userId && user.roles.includes('admin') && !after.includes('admin'))
        throw conflict('administrators cannot remove their own admin role');
      if (after.join() === user.roles.join()) return { user, events: [] };
      const row = await this.userRows.setRoles(sql, id, after);
      return {
        user: row,
        events: [
          gatewayEvent('ROLE_CHANGED', {
            actor: ctx.actor,
            subject: { userId: id },
            outcome: 'success',
            attributes: { before: user.roles, after: row.roles, targetUserId: id, channel: 'api' },
            meta: ctx.meta,
          }),
        ],
      };
    });
  }

  setActive(id: string, active: boolean, ctx: Ctx): Promise<UserView> {
    return this.change(id, async (sql, user) => {
      if (user.is_active === active) return { user, events: [] };
      if (!active && user.id === ctx.actor.userId)
        throw conflict('administrators cannot deactivate themselves');
      // Deactivation revokes every session, hence every refresh family (also done by the trigger for SQL changes).
      const revoked = active
        ? 0
        : (await this.accounts.revokeSessions(sql, user, undefined, 'admin', ctx)).count;
      const row = await this.userRows.setActive(sql, id, active);
      const event = active
        ? gatewayEvent('USER_REACTIVATED', {
            actor: ctx.actor,
            subject: { userId: id },
            outcome: 'success',
            attributes: { channel: 'api' },
            meta: ctx.meta,
          })
        : gatewayEvent('USER_DEACTIVATED', {
            actor: ctx.actor,
            subject: { userId: id },
            outcome: 'success',
            attributes: { channel: 'api', sessionsRevoked: revoked },
            meta: ctx.meta,
          });
      return { user: row, events: [event] };
    });
  }

  lock(id: string, ttlSeconds: number | undefined, ctx: Ctx & { note?: string }): Promise<UserView> {
    return this.change(id, async (sql, user) => {
      if (user.id === ctx.actor.userId) throw conflict('administrators cannot lock themselves');
      return this.accounts.lock(sql, user, 'admin', ttlSeconds, ctx);
    });
  }

  unlock(id: string, ctx: Ctx): Promise<UserView> {
    return this.change(id, (sql, user) => this.accounts.unlock(sql, user, 'admin', ctx));
  }

  /**
   * A new password from an administrator: checked against the policy; unlocks and ends every
   * session. `requireChange`: a temporary password, the user must still choose their own before
   * logging in (seed 000-44).
   */
  async resetPassword(id: string, password: string, requireChange: boolean, ctx: Ctx): Promise<UserView> {
    const target = await this.userRows.findById(this.db, id);
    if (!target) throw notFound();
    this.users.assertPasswordAcceptable(password, target.username, target.email);
    const hash = await this.hasher.hash(password);
    return this.change(id, async (sql, user) => {
      const events: EventEnvelope[] = [];
      const unlocked = await this.accounts.unlock(sql, user, 'admin', ctx);
      events.push(...unlocked.events);
      const revoked = await this.accounts.revokeSessions(sql, user, undefined, 'admin', ctx);
      events.push(...revoked.events);
      const row = await this.userRows.setPassword(sql, id, hash, requireChange);
      events.push(
        gatewayEvent('PASSWORD_CHANGED', {
          actor: ctx.actor,
          subject: { userId: id },
          outcome: 'success',
          attributes: { trigger: 'admin', mustReset: requireChange, sessionsRevoked: revoked.count },
          meta: ctx.meta,
        }),
      );
      return { user: row, events };
    });
  }

  /**
   * Seed 000-44: the account must choose a new password before it logs in again. Every session
   * ends now (refresh tokens die with them); a login with the current password is then answered
   * 403 password-change-required until POST /api/v1/auth/password (or an admin's new password).
   */
  requirePasswordReset(id: string, ctx: Ctx & { note?: string }): Promise<UserView> {
    return this.change(id, async (sql, user) => {
      if (user.id === ctx.actor.userId)
        throw conflict('administrators cannot force their own reset: change your password instead');
      const revoked = await this.accounts.revokeSessions(sql, user, undefined, 'admin', ctx);
      const row = await this.userRows.requirePasswordReset(sql, id);
      return {
        user: row,
        events: [
          ...revoked.events,
          gatewayEvent('PASSWORD_RESET_REQUIRED', {
            actor: ctx.actor,
            subject: { userId: id },
            outcome: 'success',
            attributes: { sessionsRevoked: revoked.count, ...(ctx.note ? { note: ctx.note } : {}) },
            meta: ctx.meta,
          }),
        ],
      };
    });
  }

  /**
   * Seeds 000-43, 002-31, 003-23: every live session of every user ends (refresh families with
   * them), but the caller's own unless `includeCaller`. One TOKEN_REVOKED per user (per session for
   * the caller), so the other services' deny-lists (fed by auth events) refuse those tokens too.
   */
  async revokeEveryone(
    ctx: Ctx,
    callerSessionId: string | undefined,
    includeCaller: boolean,
  ): Promise<{ users: number; revoked: number; keptCallerSession: boolean }> {
    const keep = includeCaller ? undefined : callerSessionId;
    const perUser = await this.db.tx(async (sql) => {
      const rows = await this.sessionRows.revokeEveryone(sql, keep, 'admin');
      const events = rows.flatMap((r) => {
        const base = {
          actor: ctx.actor,
          subject: { userId: r.user_id },
          outcome: 'success' as const,
          reason: 'revoke_all',
          meta: ctx.meta,
        };
        // The caller's kept session must stay good everywhere: their other sessions are named one
        // by one (an all_sessions event would make the other services refuse the kept one too).
        if (keep && r.user_id === ctx.actor.userId)
          return r.session_ids.map((sessionId) =>
            gatewayEvent('TOKEN_REVOKED', {
              ...base,
              attributes: {
                scope: 'session',
                trigger: 'admin',
                sessionId,
                familyId: sessionId,
                revokedCount: 1,
              },
            }),
          );
        return [
          gatewayEvent('TOKEN_REVOKED', {
            ...base,
            attributes: { scope: 'all_sessions', trigger: 'admin', revokedCount: r.session_ids.length },
          }),
        ];
      });
      // In slices: one statement's parameters are capped (65,535), users with sessions are not.
      for (let i = 0; i < events.length; i += 500) await this.outbox.append(sql, events.slice(i, i + 500));
      return rows;
    }, VIA_API);
    this.outbox.written();
    return {
      users: perUser.length,
      revoked: perUser.reduce((n, r) => n + r.session_ids.length, 0),
      keptCallerSession: keep !== undefined,
    };
  }

  async listSessions(id: string): Promise<SessionView[]> {
    if (!(await this.userRows.findById(this.db, id))) throw notFound();
    return this.sessions.list(id);
  }

  async revokeSessions(id: string, sessionId: string | undefined, ctx: Ctx): Promise<{ revoked: number }> {
    let revoked = 0;
    await this.change(id, async (sql, user) => {
      const r = await this.accounts.revokeSessions(sql, user, sessionId, 'admin', ctx);
      revoked = r.count;
      return { user, events: sessionId && r.count === 0 ? [] : r.events };
    });
    if (sessionId && revoked === 0)
      throw new NotFoundException({
        type: 'https://vigil.dev/problems/not-found',
        title: 'Not Found',
        detail: 'no live session with this id for this user',
      });
    return { revoked };
  }

  /** Loads the user under a row lock, applies the change and appends its events in one transaction. */
  private async change(
    id: string,
    fn: (sql: Queryable, user: UserRow) => Promise<{ user: UserRow; events: EventEnvelope[] }>,
  ): Promise<UserView> {
    const user = await this.db.tx(async (sql) => {
      const current = await this.userRows.findById(sql, id, { forUpdate: true });
      if (!current) throw notFound();
      const r = await fn(sql, current);
      await this.outbox.append(sql, r.events);
      return r.user;
    }, VIA_API);
    this.outbox.written();
    return toUserView(user);
  }
}

function notFound(): NotFoundException {
  return new NotFoundException({
    type: 'https://vigil.dev/problems/not-found',
    title: 'Not Found',
    detail: 'no such user',
  });
}
