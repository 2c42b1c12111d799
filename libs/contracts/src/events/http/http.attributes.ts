import { Int, OneOf, Optional, Str, StrArray, UtcTimestamp } from '../../validation/decorators';
import { CODE, ROLE_NAME, ROUTE } from '../../validation/patterns';

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

/** What kind of cheap refused request a JUNK_REQUESTS_AGGREGATED counts. */
export const JunkKind = {
  /** A bearer access token that failed verification (TOKEN_VALIDATION_FAILED each). */
  BEARER_TOKEN: 'bearer_token',
  /** A refresh token that was unknown, expired or revoked (TOKEN_VALIDATION_FAILED each). */
  REFRESH_TOKEN: 'refresh_token',
  /** A request from an address under BLOCK_IP (ACCESS_DENIED each). */
  BLOCKED_IP: 'blocked_ip',
  /** A request refused by the junk throttle (RATE_LIMITED each). */
  THROTTLED: 'throttled',
} as const;
export type JunkKind = (typeof JunkKind)[keyof typeof JunkKind];

/** The event type each request of a kind would have been recorded as, one row each. */
export const JUNK_KIND_EVENT_TYPE = Object.freeze({
  bearer_token: 'TOKEN_VALIDATION_FAILED',
  refresh_token: 'TOKEN_VALIDATION_FAILED',
  blocked_ip: 'ACCESS_DENIED',
  throttled: 'RATE_LIMITED',
} as const satisfies { readonly [K in JunkKind]: string });

export const JunkScope = {
  /** One client address (IPv4, or IPv6 not grouped). */
  IP: 'ip',
  /** One IPv6 /64 (one subscriber's network); `source.ip` is its first address seen. */
  IPV6_64: 'ipv6_64',
  /** Addresses beyond the gateway's tracking cap, counted together; no `source.ip`. */
  GLOBAL: 'global',
} as const;
export type JunkScope = (typeof JunkScope)[keyof typeof JunkScope];

export const JUNK_SAMPLE_MAX = 8;

/**
 * JUNK_REQUESTS_AGGREGATED: `count` requests of one kind from one client (scope) between
 * `firstSeenAt` and `lastSeenAt`, each of which would otherwise have been its own `aggregates`
 * event. The first request of a window is still recorded in full; this row carries the rest.
 * Detection counts it as `count` events of type `aggregates`.
 */
export class JunkRequestsAggregatedAttributes {
  @OneOf(Object.values(JunkKind))
  kind!: JunkKind;

  @OneOf(['TOKEN_VALIDATION_FAILED', 'ACCESS_DENIED', 'RATE_LIMITED'])
  aggregates!: (typeof JUNK_KIND_EVENT_TYPE)[JunkKind];

  @Int(1, 1_000_000_000)
  count!: number;

  @UtcTimestamp()
  firstSeenAt!: string;

  @UtcTimestamp()
  lastSeenAt!: string;

  @Int(1, 86_400)
  windowSeconds!: number;

  @OneOf(Object.values(JunkScope))
  scope!: JunkScope;

  /** Distinct failure kinds or reasons seen (a bounded sample). */
  @StrArray(JUNK_SAMPLE_MAX, 64, CODE)
  reasons!: string[];

  /** Distinct routes seen (a bounded sample). */
  @StrArray(JUNK_SAMPLE_MAX, ROUTE_MAX, ROUTE)
  routes!: string[];
}
