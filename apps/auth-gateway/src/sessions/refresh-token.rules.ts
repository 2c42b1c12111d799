/*
 * Refresh-token rotation with reuse detection (OAuth 2.0 Security BCP 4.14), as pure rules. A
 * session is one refresh-token family: every use rotates the token (generation + 1) and an
 * already-rotated token presented again burns the family, unless it is the immediately previous
 * token retried once within a short grace (a lost response, two tabs racing): that retry gets the
 * successor already issued, the same pair, so the family never forks into a second chain. A thief
 * replaying inside the grace gets nothing of its own; the next replay, or the first one after the
 * grace, revokes the family.
 */

export interface PresentedToken {
  generation: number;
  expiresAt: number;
  /** When this token was rotated (superseded); null while it is current. */
  rotatedAt: number | null;
  /** When its one grace retry was used. */
  retriedAt: number | null;
  /** Its successor is still kept (sealed) for a grace retry. */
  successorKept: boolean;
}

export interface FamilyState {
  /** Highest generation issued in the family. */
  generation: number;
  expiresAt: number;
  revokedAt: number | null;
  userActive: boolean;
}

export type RefreshRejection = 'unknown' | 'expired' | 'revoked' | 'session_expired' | 'inactive_user';

export type RefreshDecision =
  /** A current token: mark it rotated and issue generation + 1. */
  | { kind: 'rotate'; nextGeneration: number }
  /** The previous token, retried once within the grace: serve again the successor it was rotated to. */
  | { kind: 'grace_retry'; successorGeneration: number }
  /** A rotated token replayed: revoke the whole family (TOKEN_REFRESH_REUSE, critical). */
  | { kind: 'reuse' }
  | { kind: 'reject'; reason: RefreshRejection };

export function decideRefresh(
  token: PresentedToken | undefined,
  family: FamilyState | undefined,
  now: number,
  graceMs: number,
): RefreshDecision {
  if (!token || !family) return { kind: 'reject', reason: 'unknown' };
  if (family.revokedAt !== null) return { kind: 'reject', reason: 'revoked' };
  if (!family.userActive) return { kind: 'reject', reason: 'inactive_user' };
  if (token.rotatedAt === null) {
    if (now >= family.expiresAt) return { kind: 'reject', reason: 'session_expired' };
    if (now >= token.expiresAt) return { kind: 'reject', reason: 'expired' };
    return { kind: 'rotate', nextGeneration: family.generation + 1 };
  }
  const isPrevious = token.generation === family.generation - 1;
  const withinGrace = graceMs > 0 && now - token.rotatedAt <= graceMs;
  if (
    isPrevious &&
    withinGrace &&
    token.retriedAt === null &&
    token.successorKept &&
    now < family.expiresAt
  ) {
    return { kind: 'grace_retry', successorGeneration: family.generation };
  }
  return { kind: 'reuse' };
}
