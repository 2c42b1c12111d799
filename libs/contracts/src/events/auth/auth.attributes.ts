import { Bool, Int, OneOf, Optional, Str, UtcTimestamp } from '../../validation/decorators';
import { IDENTIFIER, PASSWORD_FINGERPRINT } from '../../validation/patterns';

/** An OAuth client_id (RFC 6749 §2.2) as events carry it: printable ASCII, no spaces. */
export const CLIENT_ID = /^[\x21-\x7e]+$/;
export const CLIENT_ID_MAX = 100;

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

  /** The OAuth client the tokens were issued to (token endpoint logins; absent for /login). */
  @Optional()
  @Str(CLIENT_ID_MAX, { pattern: CLIENT_ID })
  clientId?: string;
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
   * count it again. A flag: it says nothing about the password itself (the one value derived from
   * the password that leaves the gateway is `passwordFingerprint`, below).
   */
  @Optional()
  @Bool()
  repeated?: boolean;

  /**
   * A keyed, short-lived fingerprint of the wrong password (issue 19 item 1), set when the cause
   * was a wrong password (unknown usernames included), never for a right one: `<epoch>.<value>`,
   * 16 bytes of HMAC-SHA256 over the NFC-normalised password under the key of rotation period
   * `epoch`, derived from a secret only the gateways hold. Equal values within one epoch mean the
   * same password, which lets the monitor see one password tried on many accounts; values of
   * different epochs cannot be compared, and without the key none can be tested against a guess.
   * It is for detection in flight only: the audit-writer drops it before a row is built (never
   * stored, never in the chain), and no service logs it.
   */
  @Optional()
  @Str(40, { pattern: PASSWORD_FINGERPRINT })
  passwordFingerprint?: string;
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

  /** The OAuth client the family belongs to (token endpoint refreshes; absent for /refresh). */
  @Optional()
  @Str(CLIENT_ID_MAX, { pattern: CLIENT_ID })
  clientId?: string;
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

/** Why a client failed to authenticate; the envelope's `reason`. */
export const ClientAuthFailure = {
  /** No client registered under that client_id (answered exactly like a wrong secret). */
  UNKNOWN_CLIENT: 'unknown_client',
  /** A confidential client's secret did not verify. */
  BAD_SECRET: 'bad_secret',
  /** A confidential client named itself without a secret. */
  MISSING_SECRET: 'missing_secret',
  /** A public client presented a secret it cannot have. */
  UNEXPECTED_SECRET: 'unexpected_secret',
} as const;
export type ClientAuthFailure = (typeof ClientAuthFailure)[keyof typeof ClientAuthFailure];

/** RFC 6749 §2.3.1 methods, as events name them (`none`: client_id only). */
export const CLIENT_AUTH_METHODS = ['basic', 'post', 'none'] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

/** The OAuth endpoint that authenticated the client. */
export const CLIENT_AUTH_ENDPOINTS = ['token', 'revocation', 'introspection'] as const;
export type ClientAuthEndpoint = (typeof CLIENT_AUTH_ENDPOINTS)[number];

/**
 * CLIENT_AUTH_FAILED: an OAuth client's authentication failed (reason: a ClientAuthFailure). The
 * client as presented (an unknown one too, so guessing at client ids shows), how, where, and its
 * failures in the throttle window. Never the secret, nor anything derived from it.
 */
export class ClientAuthFailedAttributes {
  @Str(CLIENT_ID_MAX, { pattern: CLIENT_ID })
  clientId!: string;

  @OneOf(CLIENT_AUTH_METHODS)
  method!: ClientAuthMethod;

  @OneOf(CLIENT_AUTH_ENDPOINTS)
  endpoint!: ClientAuthEndpoint;

  /** Failures of this client in the throttle window, this one included. */
  @Optional()
  @Int(1, 1_000_000)
  attemptCount?: number;
}
