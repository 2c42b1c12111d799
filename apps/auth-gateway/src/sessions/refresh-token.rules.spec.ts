import { decideRefresh, type FamilyState, type PresentedToken } from './refresh-token.rules';

const HOUR = 3600_000;
const family = (o: Partial<FamilyState> = {}): FamilyState => ({
  generation: 3,
  expiresAt: 100 * HOUR,
  revokedAt: null,
  userActive: true,
  ...o,
});
const token = (o: Partial<PresentedToken> = {}): PresentedToken => ({
  generation: 3,
  expiresAt: 10 * HOUR,
  rotatedAt: null,
  retriedAt: null,
  successorKept: true,
  ...o,
});
const GRACE = 10_000;

describe('refresh-token family rules', () => {
  it('rotates the current token to the next generation', () => {
    expect(decideRefresh(token(), family(), 1000, GRACE)).toEqual({ kind: 'rotate', nextGeneration: 4 });
  });

  it('treats a rotated token presented again after the grace as reuse', () => {
    expect(decideRefresh(token({ generation: 2, rotatedAt: 0 }), family(), GRACE + 1, GRACE)).toEqual({
      kind: 'reuse',
    });
  });

  it('allows only the immediately previous token, once, within the grace, serving its successor again', () => {
    const previous = token({ generation: 2, rotatedAt: 1000 });
    expect(decideRefresh(previous, family(), 5000, GRACE)).toEqual({
      kind: 'grace_retry',
      successorGeneration: 3,
    });
    expect(decideRefresh({ ...previous, retriedAt: 5000 }, family(), 6000, GRACE)).toEqual({ kind: 'reuse' });
    const older = token({ generation: 1, rotatedAt: 900 });
    expect(decideRefresh(older, family(), 1000, GRACE)).toEqual({ kind: 'reuse' });
  });

  it('treats a retry as reuse when the successor is no longer kept (nothing to serve again, never a sibling)', () => {
    expect(
      decideRefresh(token({ generation: 2, rotatedAt: 1000, successorKept: false }), family(), 2000, GRACE),
    ).toEqual({ kind: 'reuse' });
  });

  it('has no grace when it is configured to zero', () => {
    expect(decideRefresh(token({ generation: 2, rotatedAt: 1000 }), family(), 1000, 0)).toEqual({
      kind: 'reuse',
    });
  });

  it('rejects unknown tokens, revoked or expired families, expired tokens and deactivated users', () => {
    expect(decideRefresh(undefined, undefined, 0, GRACE)).toEqual({ kind: 'reject', reason: 'unknown' });
    expect(decideRefresh(token(), family({ revokedAt: 1 }), 2, GRACE)).toEqual({
      kind: 'reject',
      reason: 'revoked',
    });
    expect(decideRefresh(token({ generation: 2, rotatedAt: 0 }), family({ revokedAt: 1 }), 2, GRACE)).toEqual(
      { kind: 'reject', reason: 'revoked' },
    );
    expect(decideRefresh(token(), family({ expiresAt: 5 }), 5, GRACE)).toEqual({
      kind: 'reject',
      reason: 'session_expired',
    });
    expect(decideRefresh(token({ expiresAt: 5 }), family(), 5, GRACE)).toEqual({
      kind: 'reject',
      reason: 'expired',
    });
    expect(decideRefresh(token(), family({ userActive: false }), 1, GRACE)).toEqual({
      kind: 'reject',
      reason: 'inactive_user',
    });
  });

  it("two tabs: the loser of the race gets the winner's successor (one chain); a third replay burns the family", () => {
    // gen 3 is current; tab A rotates it (-> 4); tab B retries gen 3 within the grace: the same gen 4.
    const fam = family();
    expect(decideRefresh(token(), fam, 0, GRACE).kind).toBe('rotate');
    const afterA = family({ generation: 4 });
    const gen3 = token({ rotatedAt: 0 });
    expect(decideRefresh(gen3, afterA, 2000, GRACE)).toEqual({ kind: 'grace_retry', successorGeneration: 4 });
    // the one gen-4 token rotates normally
    expect(decideRefresh(token({ generation: 4 }), afterA, 3000, GRACE).kind).toBe('rotate');
    // An attacker replaying gen 3 again: reuse.
    expect(decideRefresh({ ...gen3, retriedAt: 2000, successorKept: false }, afterA, 4000, GRACE)).toEqual({
      kind: 'reuse',
    });
  });
});
