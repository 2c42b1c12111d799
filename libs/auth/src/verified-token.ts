import { TokenValidationFailure } from '@vigil/contracts';

/** What a verified access token tells a service about its caller. */
export interface VerifiedToken {
  /** The user id. */
  sub: string;
  roles: string[];
  jti: string;
  /** The gateway session (= refresh-token family) the token was issued for. */
  sid?: string;
  /** Seconds since the epoch. */
  exp: number;
  iat: number;
  /** The signing key's id (JWT header). */
  kid: string;
}

/** Only asymmetric algorithms: a verifier never holds a secret that could also sign. */
export const ACCEPTED_ALGORITHMS = ['EdDSA', 'ES256'] as const;
export type AcceptedAlgorithm = (typeof ACCEPTED_ALGORITHMS)[number];

/** The `typ` header of Vigil access tokens (RFC 9068), so no other JWT can pass for one. */
export const ACCESS_TOKEN_TYP = 'at+jwt';

/**
 * Why a token was refused. `failure` is the contracts' TokenValidationFailure code (what
 * TOKEN_VALIDATION_FAILED carries); `subject` is set only when the signature was good, so it can be
 * trusted (an expired token of a real user).
 */
export class TokenVerificationError extends Error {
  constructor(
    readonly failure: TokenValidationFailure,
    readonly kid?: string,
    readonly subject?: string,
  ) {
    super(`access token rejected: ${failure}`);
    this.name = 'TokenVerificationError';
  }
}

/** The key set could not be fetched: not the token's fault, so a 503 rather than a 401. */
export class KeySetUnavailableError extends Error {
  constructor(detail: string) {
    super(`JWKS unavailable: ${detail}`);
    this.name = 'KeySetUnavailableError';
  }
}

/** Anything that turns a bearer token into a principal (JwksVerifier, or a test double). */
export interface TokenVerifier {
  verify(token: string): Promise<VerifiedToken>;
}
