import type { TokenValidationFailure } from '@vigil/contracts';
import type { VerifiedToken } from '../verified-token';

/** What the guards know about the request they refused: never the token itself. */
export interface AuthRequestInfo {
  method: string;
  /** Route template (`/api/v1/users/:id`) or path, never with a query string. */
  route: string;
  ip?: string;
  userAgent?: string;
  /** The raw request, for apps that need more (e.g. to mark it as already audited). */
  raw: unknown;
}

/**
 * The app's hook for auditing what the guards refuse, so this library stays free of Kafka and
 * databases: the gateway writes TOKEN_VALIDATION_FAILED / ACCESS_DENIED to its outbox, the
 * audit-writer may publish them directly. Provide it with `AuthModule.forRoot({ eventsSink })`.
 * A sink that throws does not change the response (the request is refused either way).
 */
export interface AuthEventsSink {
  tokenRejected(e: {
    failure: TokenValidationFailure;
    kid?: string;
    subject?: string;
    request: AuthRequestInfo;
  }): Promise<void> | void;
  accessDenied(e: {
    principal: VerifiedToken;
    requiredRoles: string[];
    request: AuthRequestInfo;
  }): Promise<void> | void;
}

/** Optional check after the signature: is this token's session still alive? */
export interface RevocationCheck {
  /** Resolves true when the token must be refused as `revoked`. */
  isRevoked(token: VerifiedToken, request: unknown): Promise<boolean>;
}
