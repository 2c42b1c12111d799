import type { AnyEvent } from '@vigil/contracts';
import { normalizeRoles } from '../roles';
import type { VerifiedToken } from '../verified-token';

/**
 * What the gateway's auth events say about tokens it already issued, for services that cannot ask
 * its database: the pure core of the revocation deny-list (no Kafka here; see revocation-feed.ts).
 * It mirrors the gateway's own check (apps/auth-gateway/src/accounts/session-revocation.check.ts) as
 * far as the events allow:
 *
 * | gateway refuses a token when          | event                                               | kept here                     |
 * |---------------------------------------|-----------------------------------------------------|-------------------------------|
 * | its session is revoked                | TOKEN_REVOKED session/family, AUTH_LOGOUT session,  | session id                    |
 * |                                       | TOKEN_REFRESH_REUSE (the family = the session)      |                               |
 * | all the user's sessions are revoked   | TOKEN_REVOKED / AUTH_LOGOUT all_sessions            | user: not before that instant |
 * | the user is deactivated               | USER_DEACTIVATED (… REACTIVATED)                    | user: deactivated + not before|
 * | the user is hard-locked               | ACCOUNT_LOCKED admin/security_action (… UNLOCKED)   | user: locked until            |
 * | its roles are no longer the user's    | ROLE_CHANGED                                        | user: current roles           |
 *
 * Not mirrored: a session the gateway never had (the signature already says the gateway issued it),
 * and a lock for failed logins (the gateway does not refuse tokens for that either).
 *
 * Bounded: an entry lives `maxTokenTtlMs` (plus skew) past the last event that touched it. By then
 * every token issued before that event has expired, and the gateway issues no new token to a
 * deactivated or locked user, so forgetting the entry changes no verdict.
 */
export interface DenyListOptions {
  /** The longest access-token lifetime the gateway may issue. */
  maxTokenTtlMs: number;
  /** Tolerance between the gateway's clock (event and token times) and ours. Default 60 s. */
  clockSkewMs?: number;
}

interface UserEntry {
  /** Tokens issued at or before this instant (ms) are refused. */
  notBefore?: number;
  deactivated?: boolean;
  /** ms since the epoch; Infinity for an indefinite lock. */
  lockedUntil?: number;
  /** The user's roles since `rolesAt` (sorted, known roles only, as the gateway signs them). */
  roles?: string;
  rolesAt?: number;
  /** Forget after this instant (ms). */
  until: number;
}

export type RevocationVerdict =
  | { revoked: false }
  | {
      revoked: true;
      reason:
        | 'session_revoked'
        | 'user_revoked'
        | 'user_deactivated'
        | 'user_locked'
        | 'roles_changed'
        | 'lifetime_exceeds_window';
    };

/** The event types the deny-list reads; everything else on the topic is skipped. */
export const REVOCATION_EVENT_TYPES: ReadonlySet<string> = new Set([
  'AUTH_LOGOUT',
  'TOKEN_REVOKED',
  'TOKEN_REFRESH_REUSE',
  'USER_DEACTIVATED',
  'USER_REACTIVATED',
  'ACCOUNT_LOCKED',
  'ACCOUNT_UNLOCKED',
  'ROLE_CHANGED',
]);

const HARD_LOCKS = new Set(['admin', 'security_action']);

export class RevocationDenyList {
  private readonly sessions = new Map<string, number>();
  private readonly users = new Map<string, UserEntry>();
  private readonly keepMs: number;

  constructor(private readonly opts: DenyListOptions) {
    this.keepMs = opts.maxTokenTtlMs + (opts.clockSkewMs ?? 60_000);
  }

  /** Sessions plus users remembered. */
  get size(): number {
    return this.sessions.size + this.users.size;
  }

  /** The window an event must fall in to matter (a restart rebuilds from `now - windowMs`). */
  get windowMs(): number {
    return this.keepMs;
  }

  /** Applies one auth event; returns whether it changed anything. Idempotent, so redelivery is harmless. */
  apply(event: AnyEvent, now = Date.now()): boolean {
    if (!REVOCATION_EVENT_TYPES.has(event.type)) return false;
    const at = Date.parse(event.occurredAt);
    if (!Number.isFinite(at) || at + this.keepMs <= now) return false; // every token it could concern has expired
    const until = at + this.keepMs;
    const userId = event.subject?.userId;
    switch (event.type) {
      case 'TOKEN_REVOKED': {
        const a = event.attributes;
        if (a.scope === 'all_sessions') return this.notBefore(userId, at, until);
        return this.session(a.sessionId ?? a.familyId, until);
      }
      case 'AUTH_LOGOUT': {
        const a = event.attributes;
        if (a.scope === 'all_sessions') return this.notBefore(userId, at, until);
        return this.session(a.sessionId, until);
      }
      case 'TOKEN_REFRESH_REUSE':
        return event.attributes.familyRevoked === false
          ? false
          : this.session(event.attributes.familyId, until);
      case 'USER_DEACTIVATED':
        // Deactivation also revokes every session (the gateway emits no TOKEN_REVOKED for them).
        return this.user(
          userId,
          until,
          (u) => ((u.deactivated = true), (u.notBefore = Math.max(u.notBefore ?? 0, at))),
        );
      case 'USER_REACTIVATED':
        return this.user(userId, until, (u) => (u.deactivated = false));
      case 'ACCOUNT_LOCKED': {
        const a = event.attributes;
        if (!HARD_LOCKS.has(a.trigger)) return false;
        const lockedUntil = a.lockedUntil ? Date.parse(a.lockedUntil) : Infinity;
        return this.user(userId, until, (u) => (u.lockedUntil = lockedUntil));
      }
      case 'ACCOUNT_UNLOCKED':
        return this.user(userId, until, (u) => (u.lockedUntil = undefined));
      case 'ROLE_CHANGED': {
        const a = event.attributes;
        return this.user(a.targetUserId ?? userId, until, (u) => {
          if (u.rolesAt !== undefined && u.rolesAt > at) return; // an older change arriving late
          u.roles = normalizeRoles(a.after).join();
          u.rolesAt = at;
        });
      }
      default:
        return false;
    }
  }

  /** The verdict on a verified token. */
  check(
    token: Pick<VerifiedToken, 'sub' | 'sid' | 'roles' | 'iat' | 'exp'>,
    now = Date.now(),
  ): RevocationVerdict {
    // A token living longer than the window could outlive what this list remembers about it.
    if ((token.exp - token.iat) * 1000 > this.opts.maxTokenTtlMs)
      return { revoked: true, reason: 'lifetime_exceeds_window' };
    if (token.sid !== undefined) {
      const until = this.sessions.get(token.sid);
      if (until !== undefined && until > now) return { revoked: true, reason: 'session_revoked' };
    }
    const u = this.users.get(token.sub);
    if (!u || u.until <= now) return { revoked: false };
    if (u.deactivated) return { revoked: true, reason: 'user_deactivated' };
    if (u.lockedUntil !== undefined && u.lockedUntil > now) return { revoked: true, reason: 'user_locked' };
    // iat is in whole seconds: a token issued in the same second as the revocation is refused too (safe side).
    if (u.notBefore !== undefined && token.iat * 1000 <= u.notBefore)
      return { revoked: true, reason: 'user_revoked' };
    if (u.roles !== undefined && normalizeRoles(token.roles).join() !== u.roles)
      return { revoked: true, reason: 'roles_changed' };
    return { revoked: false };
  }

  /** Forgets what no longer matters; returns how many entries went. */
  sweep(now = Date.now()): number {
    let n = 0;
    for (const [sid, until] of this.sessions) if (until <= now && this.sessions.delete(sid)) n++;
    for (const [id, u] of this.users) if (u.until <= now && this.users.delete(id)) n++;
    return n;
  }

  private session(sid: string | undefined, until: number): boolean {
    if (!sid) return false;
    this.sessions.set(sid, Math.max(until, this.sessions.get(sid) ?? 0));
    return true;
  }

  private notBefore(userId: string | undefined, at: number, until: number): boolean {
    return this.user(userId, until, (u) => (u.notBefore = Math.max(u.notBefore ?? 0, at)));
  }

  private user(userId: string | undefined, until: number, change: (u: UserEntry) => unknown): boolean {
    if (!userId) return false;
    let u = this.users.get(userId);
    if (!u) this.users.set(userId, (u = { until }));
    u.until = Math.max(u.until, until);
    change(u);
    return true;
  }
}
