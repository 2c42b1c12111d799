import { Bool, Int, OneOf, Optional, Str, UtcTimestamp } from '../../validation/decorators';
import { IDENTIFIER } from '../../validation/patterns';

/*
 * Attributes of login, logout and token events (auth.events.v1, produced by the gateway).
 * Sessions and refresh families are named by their ids, never by the token itself.
 */

const ID_MAX = 64;

/** AUTH_LOGIN */
export class AuthLoginAttributes {
  @Optional()
  @Str(ID_MAX, { pattern: IDENTIFIER })
  sessionId?: string;

  /** The refresh-token family opened by this login. */
  @Optional()
  @Str(ID_MAX, { pattern: IDENTIFIER })
  familyId?: string;
}

/** FAILED_AUTH_LOGIN. The failure kind goes in the envelope's `reason`. */
export class LoginFailedAttributes {
  /** Consecutive failures for this account, this one included. */
  @Optional()
  @Int(1, 1_000_000)
  attemptCount?: number;

  /** Set when this failure locked the account. */
  @Optional()
  @UtcTimestamp()
  lockedUntil?: string;

  /**
   * The gateway saw this same wrong password for this account recently, so detection need not
   * count it again. A flag, not a password fingerprint: nothing derived from the password leaves
   * the gateway.
   */
  @Optional()
  @Bool()
  repeated?: boolean;
}

export const LogoutScope = { SESSION: 'session', ALL_SESSIONS: 'all_sessions' } as const;
export type LogoutScope = (typeof LogoutScope)[keyof typeof LogoutScope];

/** AUTH_LOGOUT */
export class AuthLogoutAttributes {
  @Optional()
  @Str(ID_MAX, { pattern: IDENTIFIER })
  sessionId?: string;

  @Optional()
  @OneOf(Object.values(LogoutScope))
  scope?: LogoutScope;
}

/** TOKEN_REFRESH */
export class TokenRefreshAttributes {
  @Str(ID_MAX, { pattern: IDENTIFIER })
  familyId!: string;

  @Optional()
  @Str(ID_MAX, { pattern: IDENTIFIER })
  sessionId?: string;

  /** Position of the new refresh token in its family (rotation count). */
  @Optional()
  @Int(0, 1_000_000)
  generation?: number;
}

/** TOKEN_REFRESH_REUSE: a rotated-out refresh token was presented again; the family is burnt. */
export class TokenRefreshReuseAttributes {
  @Str(ID_MAX, { pattern: IDENTIFIER })
  familyId!: string;

  /** Generation of the token that was replayed. */
  @Optional()
  @Int(0, 1_000_000)
  presentedGeneration?: number;

  @Optional()
  @Bool()
  familyRevoked?: boolean;
}

export const RevocationScope = {
  SESSION: 'session',
  FAMILY: 'family',
  ALL_SESSIONS: 'all_sessions',
} as const;
export type RevocationScope = (typeof RevocationScope)[keyof typeof RevocationScope];

export const RevocationTrigger = {
  USER: 'user',
  ADMIN: 'admin',
  SECURITY_ACTION: 'security_action',
  DEACTIVATION: 'deactivation',
  REUSE_DETECTED: 'reuse_detected',
} as const;
export type RevocationTrigger = (typeof RevocationTrigger)[keyof typeof RevocationTrigger];

/** TOKEN_REVOKED */
export class TokenRevokedAttributes {
  @OneOf(Object.values(RevocationScope))
  scope!: RevocationScope;

  @Optional()
  @OneOf(Object.values(RevocationTrigger))
  trigger?: RevocationTrigger;

  @Optional()
  @Str(ID_MAX, { pattern: IDENTIFIER })
  familyId?: string;

  @Optional()
  @Str(ID_MAX, { pattern: IDENTIFIER })
  sessionId?: string;

  @Optional()
  @Int(0, 1_000_000)
  revokedCount?: number;
}

export const TokenValidationFailure = {
  EXPIRED: 'expired',
  NOT_YET_VALID: 'not_yet_valid',
  BAD_SIGNATURE: 'bad_signature',
  UNKNOWN_KID: 'unknown_kid',
  ALG_NONE: 'alg_none',
  BAD_ISSUER: 'bad_issuer',
  BAD_AUDIENCE: 'bad_audience',
  MALFORMED: 'malformed',
  REVOKED: 'revoked',
} as const;
export type TokenValidationFailure = (typeof TokenValidationFailure)[keyof typeof TokenValidationFailure];

/** TOKEN_VALIDATION_FAILED */
export class TokenValidationFailedAttributes {
  @OneOf(Object.values(TokenValidationFailure))
  failure!: TokenValidationFailure;

  /** Key id from the JWT header: public, and what tells a rotation problem from forgery. */
  @Optional()
  @Str(128, { pattern: IDENTIFIER })
  kid?: string;
}
