import { createEvent, type AnyEvent, type EventType } from '@vigil/contracts';
import { RevocationDenyList } from './deny-list';

const TTL = 600_000;
const T0 = Date.parse('2026-01-10T12:00:00.000Z');
const sec = (ms: number) => Math.floor(ms / 1000);

function ev(type: EventType, at: number, userId: string, attributes: Record<string, unknown>): AnyEvent {
  return createEvent(type, {
    occurredAt: new Date(at).toISOString(),
    producer: 'auth-gateway',
    subject: { userId },
    outcome: 'success',
    attributes,
  } as never) as AnyEvent;
}

const token = (
  over: Partial<{ sub: string; sid: string; roles: string[]; iat: number; exp: number }> = {},
) => {
  const iat = over.iat ?? sec(T0 - 60_000);
  return { sub: 'u-1', sid: 's-1', roles: ['admin'], iat, exp: iat + 600, ...over };
};

describe('RevocationDenyList (mirror of the gateway check, from auth events)', () => {
  let list: RevocationDenyList;
  beforeEach(() => (list = new RevocationDenyList({ maxTokenTtlMs: TTL, clockSkewMs: 0 })));

  it('refuses a revoked session, a logged-out session and a reused family; other sessions keep working', () => {
    list.apply(ev('TOKEN_REVOKED', T0, 'u-1', { scope: 'family', familyId: 's-1', sessionId: 's-1' }), T0);
    list.apply(ev('AUTH_LOGOUT', T0, 'u-1', { scope: 'session', sessionId: 's-2' }), T0);
    list.apply(ev('TOKEN_REFRESH_REUSE', T0, 'u-1', { familyId: 's-3', familyRevoked: true }), T0);
    for (const sid of ['s-1', 's-2', 's-3'])
      expect(list.check(token({ sid }), T0)).toEqual({ revoked: true, reason: 'session_revoked' });
    expect(list.check(token({ sid: 's-4' }), T0)).toEqual({ revoked: false });
  });

  it('all_sessions and deactivation refuse tokens issued up to that instant, not those issued after', () => {
    list.apply(ev('AUTH_LOGOUT', T0, 'u-1', { scope: 'all_sessions' }), T0);
    expect(list.check(token({ sid: 'other', iat: sec(T0) }), T0)).toEqual({
      revoked: true,
      reason: 'user_revoked',
    });
    expect(list.check(token({ sid: 'new', iat: sec(T0) + 1 }), T0 + 1000)).toEqual({ revoked: false });
    expect(list.check(token({ sub: 'u-2' }), T0)).toEqual({ revoked: false });

    list.apply(ev('USER_DEACTIVATED', T0 + 5000, 'u-2', { channel: 'api', sessionsRevoked: 1 }), T0 + 5000);
    expect(list.check(token({ sub: 'u-2', iat: sec(T0) + 9 }), T0 + 9000)).toEqual({
      revoked: true,
      reason: 'user_deactivated',
    });
    list.apply(ev('USER_REACTIVATED', T0 + 10_000, 'u-2', {}), T0 + 10_000);
    expect(list.check(token({ sub: 'u-2', iat: sec(T0) }), T0 + 10_000)).toEqual({
      revoked: true,
      reason: 'user_revoked',
    });
    expect(list.check(token({ sub: 'u-2', iat: sec(T0) + 11 }), T0 + 11_000)).toEqual({ revoked: false });
  });

  it('a role change refuses tokens carrying other roles (demotion admin → viewer), and accepts the refreshed one', () => {
    list.apply(
      ev('ROLE_CHANGED', T0, 'u-1', {
        before: ['admin'],
        after: ['viewer'],
        targetUserId: 'u-1',
        channel: 'api',
      }),
      T0,
    );
    expect(list.check(token({ roles: ['admin'] }), T0)).toEqual({ revoked: true, reason: 'roles_changed' });
    expect(list.check(token({ roles: ['viewer'], iat: sec(T0) }), T0)).toEqual({ revoked: false });
    // An older change delivered late does not undo the newer one.
    list.apply(
      ev('ROLE_CHANGED', T0 - 1000, 'u-1', { before: ['user'], after: ['admin'], targetUserId: 'u-1' }),
      T0,
    );
    expect(list.check(token({ roles: ['admin'] }), T0)).toMatchObject({ revoked: true });
  });

  it('hard locks (admin, security action) refuse until unlocked or expired; failed-login locks do not', () => {
    list.apply(
      ev('ACCOUNT_LOCKED', T0, 'u-1', {
        trigger: 'failed_logins',
        lockedUntil: new Date(T0 + 60_000).toISOString(),
      }),
      T0,
    );
    expect(list.check(token(), T0)).toEqual({ revoked: false });
    list.apply(
      ev('ACCOUNT_LOCKED', T0, 'u-1', { trigger: 'admin', lockedUntil: new Date(T0 + 60_000).toISOString() }),
      T0,
    );
    expect(list.check(token(), T0 + 1000)).toEqual({ revoked: true, reason: 'user_locked' });
    expect(list.check(token(), T0 + 61_000)).toEqual({ revoked: false });
    list.apply(ev('ACCOUNT_LOCKED', T0, 'u-3', { trigger: 'security_action' }), T0);
    expect(list.check(token({ sub: 'u-3' }), T0 + 1000)).toMatchObject({
      revoked: true,
      reason: 'user_locked',
    });
    list.apply(ev('ACCOUNT_UNLOCKED', T0 + 2000, 'u-3', { trigger: 'admin' }), T0 + 2000);
    expect(list.check(token({ sub: 'u-3' }), T0 + 2000)).toEqual({ revoked: false });
  });

  it('is bounded: entries go once every token they could concern has expired; stale events are ignored', () => {
    list.apply(ev('TOKEN_REVOKED', T0, 'u-1', { scope: 'session', sessionId: 's-1' }), T0);
    list.apply(ev('USER_DEACTIVATED', T0, 'u-2', {}), T0);
    expect(list.size).toBe(2);
    expect(list.sweep(T0 + TTL - 1)).toBe(0);
    expect(list.sweep(T0 + TTL)).toBe(2);
    expect(list.size).toBe(0);
    expect(
      list.apply(ev('TOKEN_REVOKED', T0, 'u-1', { scope: 'session', sessionId: 's-1' }), T0 + TTL + 1),
    ).toBe(false);
    expect(list.apply(ev('AUTH_LOGIN', T0, 'u-1', { sessionId: 's-9' }), T0)).toBe(false);
  });

  it('refuses a token that lives longer than the window it can judge', () => {
    expect(list.check(token({ iat: sec(T0), exp: sec(T0) + 3600 }), T0)).toEqual({
      revoked: true,
      reason: 'lifetime_exceeds_window',
    });
  });
});
