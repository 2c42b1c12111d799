import { HttpException, HttpStatus, UnauthorizedException } from '@nestjs/common';
import { markAudited } from '@vigil/auth';

const PROBLEMS = 'https://vigil.dev/problems';

/**
 * The one answer to every failed login: unknown user, wrong password, locked or deactivated
 * account alike (same status, same body), so the response tells an attacker nothing.
 */
export function invalidCredentials(): UnauthorizedException {
  return markAudited(
    new UnauthorizedException({
      type: `${PROBLEMS}/invalid-credentials`,
      title: 'Unauthorized',
      detail: 'invalid username or password',
    }),
  );
}

/**
 * Seed 000-44: the password was right, but an admin required a new one. Only someone who knows the
 * password learns this, and what to do next.
 */
export function passwordChangeRequired(): HttpException {
  return markAudited(
    new HttpException(
      {
        type: `${PROBLEMS}/password-change-required`,
        title: 'Forbidden',
        detail:
          'this account must choose a new password before logging in: POST /api/v1/auth/password with username, currentPassword and newPassword',
      },
      HttpStatus.FORBIDDEN,
    ),
  );
}

/**
 * 503 while the gateway is in maintenance mode (seed 004-34), with Retry-After. Not a SERVER_ERROR
 * (a decision, not a fault): the MAINTENANCE_MODE_CHANGED event already says why.
 */
export class InMaintenanceException extends HttpException {
  constructor(
    reason: string | null,
    readonly retryAfterSeconds: number,
  ) {
    super(
      {
        type: `${PROBLEMS}/maintenance`,
        title: 'Service Unavailable',
        detail: `the service is in maintenance${reason ? `: ${reason}` : ''}; retry later`,
      },
      HttpStatus.SERVICE_UNAVAILABLE,
    );
    markAudited(this);
  }

  get headers(): Record<string, string> {
    return { 'Retry-After': String(this.retryAfterSeconds) };
  }
}

/** A refresh token that is unknown, expired, revoked or replayed: one answer for all. */
export function invalidGrant(): UnauthorizedException {
  return markAudited(
    new UnauthorizedException({
      type: `${PROBLEMS}/invalid-grant`,
      title: 'Unauthorized',
      detail: 'the refresh token is invalid or expired',
    }),
  );
}

/** 429 with Retry-After and the IETF RateLimit fields; its RATE_LIMITED event is already written. */
export class RateLimitedException extends HttpException {
  constructor(
    readonly retryAfterSeconds: number,
    readonly rateLimit: { limit: number; remaining: number; resetSeconds: number; windowSeconds: number },
  ) {
    super(
      {
        type: `${PROBLEMS}/too-many-requests`,
        title: 'Too Many Requests',
        detail: `too many failed attempts; retry in ${retryAfterSeconds} s`,
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
    markAudited(this);
  }

  get headers(): Record<string, string> {
    const r = this.rateLimit;
    return {
      'Retry-After': String(this.retryAfterSeconds),
      'RateLimit-Policy': `${r.limit};w=${r.windowSeconds}`,
      'RateLimit-Limit': String(r.limit),
      'RateLimit-Remaining': String(r.remaining),
      'RateLimit-Reset': String(r.resetSeconds),
    };
  }
}

/** 403 for a blocked client address (security action BLOCK_IP); its ACCESS_DENIED is already written. */
export function ipBlocked(): HttpException {
  return markAudited(
    new HttpException(
      {
        type: `${PROBLEMS}/ip-blocked`,
        title: 'Forbidden',
        detail: 'requests from this address are blocked',
      },
      HttpStatus.FORBIDDEN,
    ),
  );
}
