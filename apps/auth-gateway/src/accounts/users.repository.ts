import type { Sql } from '../db/db';

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
  created_at: Date;
  updated_at: Date;
  deactivated_at: Date | null;
  roles_changed_at: Date;
}

/** What the API shows of a user: never the hash. */
export interface UserView {
  id: string;
  username: string;
  email: string;
  roles: string[];
  isAdmin: boolean;
  isActive: boolean;
  lockedUntil: string | null;
  lockReason: string | null;
  createdAt: string;
  updatedAt: string;
}

export function toUserView(u: UserRow): UserView {
  return {
    id: u.id,
    username: u.username,
    email: u.email,
    roles: u.roles,
    isAdmin: u.is_admin,
    isActive: u.is_active,
    lockedUntil: hardLocked(u) ? lockedUntilIso(u.locked_until) ?? 'infinity' : null,
    lockReason: hardLocked(u) ? u.lock_reason : null,
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

export const USER_COLUMNS = 'id, username, email, password_hash, roles, is_admin, is_active, locked_until, lock_reason, created_at, updated_at, deactivated_at, roles_changed_at';

export async function findUserById(sql: Sql, id: string, opts: { forUpdate?: boolean } = {}): Promise<UserRow | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const [row] = await sql.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1${opts.forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return row;
}
