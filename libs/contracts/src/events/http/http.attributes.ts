import { Int, OneOf, Optional, Str, StrArray } from '../../validation/decorators';
import { ROLE_NAME, ROUTE } from '../../validation/patterns';

/*
 * Attributes of HTTP-outcome events (403, 429, 5xx) on auth.events.v1. `route` is the route
 * template or path without the query string, which may carry tokens.
 */

const ROUTE_MAX = 256;

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** ACCESS_DENIED (403) */
export class AccessDeniedAttributes {
  @Str(ROUTE_MAX, { pattern: ROUTE })
  route!: string;

  @OneOf(HTTP_METHODS)
  method!: HttpMethod;

  @StrArray(32, 64, ROLE_NAME)
  requiredRoles!: string[];
}

export const RateLimitScope = { ACCOUNT: 'account', IP: 'ip', ACCOUNT_IP: 'account_ip' } as const;
export type RateLimitScope = (typeof RateLimitScope)[keyof typeof RateLimitScope];

/** RATE_LIMITED (429) */
export class RateLimitedAttributes {
  @Str(ROUTE_MAX, { pattern: ROUTE })
  route!: string;

  @OneOf(Object.values(RateLimitScope))
  scope!: RateLimitScope;

  @Int(0, 86_400)
  retryAfterSeconds!: number;
}

/** SERVER_ERROR (5xx): counts against the error budget; no error message (it may quote input). */
export class ServerErrorAttributes {
  @Str(ROUTE_MAX, { pattern: ROUTE })
  route!: string;

  @OneOf(HTTP_METHODS)
  method!: HttpMethod;

  @Int(500, 599)
  status!: number;

  /** Exception class name (`QueryFailedError`), for grouping. */
  @Optional()
  @Str(100, { pattern: /^[A-Za-z_$][A-Za-z0-9_$.]*$/ })
  errorName?: string;
}
