/*
 * How the gateway's own problems (problems.ts) read in its OpenAPI document: one wording each, for
 * every route that can answer them (`@ApiProblems(...)`).
 */
import type { ProblemResponseOptions } from '@vigil/runtime';

/** The IP-block guard runs before every route (seeds 000-39, 003-25). */
export const IP_BLOCKED_PROBLEM: ProblemResponseOptions = {
  status: 403,
  slug: 'ip-blocked',
  detail: 'requests from this address are blocked',
  description: 'The client address is blocked (by an admin or the security monitor; ACCESS_DENIED)',
};

/** Login waits (lockout and throttles) and the junk-request throttle; Retry-After and RateLimit-*. */
export const THROTTLED_PROBLEM: ProblemResponseOptions = {
  status: 429,
  slug: 'too-many-requests',
  title: 'Too Many Requests',
  detail: 'too many failed attempts; retry in 30 s',
  description:
    'Too many failed attempts from this client or on this account: Retry-After says how long (RATE_LIMITED)',
};

/** Seed 004-34: while maintenance mode is on (Retry-After: 60). */
export const MAINTENANCE_PROBLEM: ProblemResponseOptions = {
  status: 503,
  slug: 'maintenance',
  title: 'Service Unavailable',
  detail: 'the service is in maintenance: database failover, INC-9; retry later',
  description: 'Maintenance mode is on (seed 004-34); Retry-After',
};

/** Seed 000-44: the password was right, but an admin required a new one. */
export const PASSWORD_CHANGE_REQUIRED_PROBLEM: ProblemResponseOptions = {
  status: 403,
  slug: 'password-change-required',
  detail:
    'this account must choose a new password before logging in: POST /api/v1/auth/password with username, currentPassword and newPassword',
  description:
    'password-change-required: the password was right, but an admin required a new one (seed 000-44)',
};
