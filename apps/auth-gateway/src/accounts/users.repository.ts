import { Injectable } from '@nestjs/common';
import { Db, type Queryable } from '@vigil/database';
import type { UserView } from '@vigil/contracts';

export interface UserRow {
  id: string;
  username: string;
  email: string;
  password_hash: string;
  roles: string[];
  is_admin: boolean;
  is_active: boolean;
  /** node-pg gives `Infinity` (a number) for an indefinite lock. */
  locked_until: Date | number | null;
  lock_reason: 'admin' | 'security_action' | null;
  /** Seed 000-44: a login with the current password is refused until the user chooses a new one. */
  must_reset_password: boolean;
  created_at: Date;
  updated_at: Date;
  deactivated_at: Date | null;
  roles_changed_at: Date;
}

export type { UserView };

export function toUserView(u: UserRow): UserView {
  return {
    id: u.id,
    username: u.username,
    email: u.email,
    roles: u.roles,
    isAdmin: u.is_admin,
    isActive: u.is_active,
    lockedUntil: hardLocked(u) ? (lockedUntilIso(u.locked_until) ?? 'infinity') : null,
    lockReason: hardLocked(u) ? u.lock_reason : null,
    mustResetPassword: u.must_reset_password,
    createdAt: u.created_at.toISOString(),
    updatedAt: u.updated_at.toISOString(),
  };
}

/** Epoch ms of a lock's end (Infinity for an indefinite lock), or null. */
export function lockedUntilMs(v: Date | number | null): number | null {
  if (v === null) return null;
  return v instanceof Date ? v.getTime() : v;
}

/** ISO time of a lock's end; undefined for none or an indefinite one. */
export function lockedUntilIso(v: Date | number | null): string | undefined {
  const ms = lockedUntilMs(v);
  return ms !== null && Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

/** An admin/security-action lock in force (failed-login locks live in the throttle counters). */
export function hardLocked(u: Pick<UserRow, 'locked_until'>, now = Date.now()): boolean {
  const until = lockedUntilMs(u.locked_until);
  return until !== null && until > now;
}

export const USER_COLUMNS =
  'id, username, email, password_hash, roles, is_admin, is_active, locked_until, lock_reason, must_reset_password, created_at, updated_at, deactivated_at, roles_changed_at';

/** Whether `id` can be a user id at all (a malformed one is simply no user, not a database error). */
const UUID = /^[0-9a-f-]{36}$/i;

/** The `users` table: every statement that reads or changes a user. */
@Injectable()
export class UsersRepository {
  constructor(private readonly db: Db) {}

  /** `q`: the pool (`Db`) or a transaction's client. */
  async findById(q: Queryable, id: string, opts: { forUpdate?: boolean } = {}): Promise<UserRow | undefined> {
    if (!UUID.test(id)) return undefined;
    const { rows } = await q.query<UserRow>(
      `SELECT ${USER_COLUMNS} FROM users WHERE id = $1${opts.forUpdate ? ' FOR UPDATE' : ''}`,
      [id],
    );
    return rows[0];
  }

  /** The user a username or e-mail names (as a login matches it), or undefined. */
  async findByLogin(q: Queryable, login: string): Promise<UserRow | undefined> {
    const { rows } = await q.query<UserRow>(
      `SELECT ${USER_COLUMNS} FROM users WHERE username = $1 OR lower(email) = $1 ORDER BY (username = $1) DESC LIMIT 1`,
      [login],
    );
    return rows[0];
  }

  list(onlyAdmins: boolean, limit: number): Promise<UserRow[]> {
    return this.db.rows<UserRow>(
      `SELECT ${USER_COLUMNS} FROM users ${onlyAdmins ? 'WHERE is_admin' : ''} ORDER BY created_at LIMIT $1`,
      [limit],
    );
  }

  async countAdmins(): Promise<number> {
    const [{ n }] = await this.db.rows<{ n: string }>(`SELECT count(*) AS n FROM users WHERE is_admin`);
    return Number(n);
  }

  async insert(
    q: Queryable,
    u: { username: string; email: string; passwordHash: string; roles: string[] },
  ): Promise<UserRow> {
    const { rows } = await q.query<UserRow>(
      `INSERT INTO users (username, email, password_hash, roles) VALUES ($1, $2, $3, $4) RETURNING ${USER_COLUMNS}`,
      [u.username, u.email, u.passwordHash, u.roles],
    );
    return rows[0];
  }

  setRoles(q: Queryable, id: string, roles: string[]): Promise<UserRow> {
    return this.update(q, `UPDATE users SET roles = $2 WHERE id = $1 RETURNING ${USER_COLUMNS}`, [id, roles]);
  }

  setActive(q: Queryable, id: string, active: boolean): Promise<UserRow> {
    return this.update(q, `UPDATE users SET is_active = $2 WHERE id = $1 RETURNING ${USER_COLUMNS}`, [
      id,
      active,
    ]);
  }

  /** A new password; `mustReset`: the user must still choose their own at the next login. */
  setPassword(q: Queryable, id: string, hash: string, mustReset = false): Promise<UserRow> {
    return this.update(
      q,
      `UPDATE users SET password_hash = $2, password_changed_at = now(), must_reset_password = $3 WHERE id = $1 RETURNING ${USER_COLUMNS}`,
      [id, hash, mustReset],
    );
  }

  /** Seed 000-44: the next login must choose a new password. */
  requirePasswordReset(q: Queryable, id: string): Promise<UserRow> {
    return this.update(
      q,
      `UPDATE users SET must_reset_password = true WHERE id = $1 RETURNING ${USER_COLUMNS}`,
      [id],
    );
  }

  /** Locks for `ttlSeconds` (indefinitely when absent). */
  lock(
    q: Queryable,
    id: string,
    ttlSeconds: number | undefined,
    reason: 'admin' | 'security_action',
  ): Promise<UserRow> {
    return this.update(
      q,
      `UPDATE users SET locked_until = CASE WHEN $2::int IS NULL THEN 'infinity'::timestamptz ELSE now() + make_interval(secs => $2::int) END,
            lock_reason = $3
      WHERE id = $1 RETURNING ${USER_COLUMNS}`,
      [id, ttlSeconds ?? null, reason],
    );
  }

  unlock(q: Queryable, id: string): Promise<UserRow> {
    return this.update(
      q,
      `UPDATE users SET locked_until = NULL, lock_reason = NULL WHERE id = $1 RETURNING ${USER_COLUMNS}`,
      [id],
    );
  }

  /** Lifts a lock only if a security action set it; undefined when it was not one. */
  async liftSecurityLock(q: Queryable, id: string): Promise<UserRow | undefined> {
    const { rows } = await q.query<UserRow>(
      `UPDATE users SET locked_until = NULL, lock_reason = NULL WHERE id = $1 AND lock_reason = 'security_action' RETURNING ${USER_COLUMNS}`,
      [id],
    );
    return rows[0];
  }

  /** Lifts the admin/security locks that ran out; the ids of their users. */
  async liftExpiredLocks(q: Queryable): Promise<string[]> {
    const { rows } = await q.query<{ id: string }>(
      `UPDATE users SET locked_until = NULL, lock_reason = NULL WHERE locked_until <= now() RETURNING id`,
    );
    return rows.map((r) => r.id);
  }

  /** The user of a live token's session, with whether that session was revoked; undefined when either is gone. */
  async findSessionUser(
    sessionId: string,
    userId: string,
  ): Promise<(UserRow & { session_revoked: boolean }) | undefined> {
    const [row] = await this.db.rows<UserRow & { session_revoked: boolean }>(
      `SELECT ${USER_COLUMNS.split(', ')
        .map((c) => `u.${c}`)
        .join(', ')}, (s.revoked_at IS NOT NULL) AS session_revoked
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1 AND s.user_id = $2`,
      [sessionId, userId],
    );
    return row;
  }

  private async update(q: Queryable, sql: string, params: unknown[]): Promise<UserRow> {
    const { rows } = await q.query<UserRow>(sql, params);
    return rows[0];
  }
}
